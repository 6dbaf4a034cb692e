"""The client address a public door counts its per-address rate by: one reading for every door, so they agree.

Both public doors without a login, the capture endpoint (``integrations.capture_views``) and the survey links
(``insights.journey_views``), throttle per client address. Behind the TLS proxy the connection's own address
(``REMOTE_ADDR``) is the proxy's, the same for everyone, so one bucket would hold every respondent; yet
``X-Forwarded-For`` is written by whoever sends the request, so trusting all of it lets anyone pick a new bucket per
post. How many proxies of ours stand in front is a setting, ``NUM_PROXIES`` (``REST_FRAMEWORK["NUM_PROXIES"]``), and
DRF's ``BaseThrottle.get_ident`` already reads the header by it; this is that reading, for a DRF request or a plain
Django one.
"""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle


def client_address(request: HttpRequest | Request) -> str:
    """The address the per-address rates count, read through ``NUM_PROXIES``.

    0 (the default): the connection's own address; ``X-Forwarded-For`` is ignored, as anyone can write it. n: the
    n-th address from the header's end, the one the outermost of our n proxies appended (whatever a client put
    before it never counts); with no header, the connection's address. An empty reading (a header of commas) falls
    back to the connection's address rather than one bucket shared by every such request.
    """
    return BaseThrottle().get_ident(request) or request.META.get("REMOTE_ADDR") or ""
