"""Rate limits of the API: each token has its own budget, kept in the shared Redis cache (every worker sees it).

Past the budget DRF answers 429 with ``Retry-After`` (whole seconds until one more request is let through). The
rate is ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]`` (``API_TOKEN_RATE`` in the environment), read per
request so a changed setting applies at once. Session requests (admin users in the docs) are not throttled here.

When Redis cannot be reached the request is let through (and logged): feedback arriving during an outage is stored
and triaged later (``integrations.ingest``), which a rate limit that failed closed — or a 500 — would lose for any
caller that does not retry.
"""

from __future__ import annotations

import logging
import math

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from integrations.models import ApiToken

log = logging.getLogger(__name__)


class TokenRateThrottle(SimpleRateThrottle):
    """A sliding window of requests per token, keyed on the token's prefix (never on the secret)."""

    scope = "token"
    cache_format = "throttle:%(scope)s:%(ident)s"

    def allow_request(self, request, view) -> bool:
        """DRF's sliding window; a request the cache cannot count (Redis down) is let through."""
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            log.warning("Rate limit not checked: the cache (Redis) is unreachable; letting the request through.")
            return True

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None  # not a token request: no throttling by this class
        return self.cache_format % {"scope": self.scope, "ident": token.prefix}

    def wait(self) -> float:
        """Seconds until the oldest request that still counts leaves the window (at least 1: a whole second).

        DRF's own spreads the remaining time over the requests left, and says nothing when the window holds more
        requests than the rate allows (after the rate was lowered); a client then gets no Retry-After.
        """
        if len(self.history) < self.num_requests:
            return 0
        oldest_counted = self.history[self.num_requests - 1]  # history is newest first
        return max(1, math.ceil(self.duration - (self.now - oldest_counted)))
