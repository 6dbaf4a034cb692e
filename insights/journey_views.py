"""The public journey survey page, ``/s/<token>/``: no login, no admin chrome, plain HTML that works on a phone and
without JavaScript. The view is thin: ``insights.journeys`` decides what a token opens and stores the answers.

What the page shows: the survey's questions and, at most, the invited customer's own company name. A refused link
(forged, altered, another invitation's nonce, never sent, expired, already answered) gets a short page of its own
(404, or 410 for expired and answered) that names nobody. Answers are posted as a normal form with Django's CSRF
token (a hidden field and a cookie: no script needed).

Posts are throttled per link (``LINK_LIMIT`` per ``POST_WINDOW`` seconds: ten tries at the form are plenty for a
person, and a script guessing at one link is stopped) and, more loosely, per client address (``ADDRESS_LIMIT``).
The address is read as the capture endpoint reads it (``feedbackhub.client_address``, through ``NUM_PROXIES``: behind
the TLS proxy, unset, everyone would share the proxy's); respondents behind one office's NAT still share one, so that
limit only stops a flood. Counted in the shared cache (fixed windows); with the cache down posts are let through.

**Opened** is recorded when the page's 1×1 image (``seen``, ``/s/<token>/seen.gif``) is loaded, not when the page is
fetched: e-mail link scanners (and previews) that fetch a link to check it, or a HEAD, load no images and so count
as no opening. The limits, said in the figures' help too: a scanner that renders the page in a full browser still
counts, and a browser set to load no images counts only when its answers arrive (answering records the opening).

Responses are never cached and send no Referer to other sites (the link is the key); the same site gets it, or a
browser would send ``Origin: null`` with the form and Django's CSRF check would refuse the answers.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from redis.exceptions import RedisError

from feedbackhub.client_address import client_address
from insights import journeys
from insights.journeys import ANSWERED, EXPIRED, Refused

log = logging.getLogger(__name__)

POST_WINDOW = 600  # seconds: the throttle's window (10 minutes)
LINK_LIMIT = 10  # posts per link per window
ADDRESS_LIMIT = 300  # posts per client address per window (a proxy's address is shared by many respondents)
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # a transparent 1×1 GIF
REFUSALS = {
    journeys.INVALID: ("This link does not work", "The link may be incomplete, or it was never valid."),
    EXPIRED: ("This survey has closed", "The link was valid for a limited time, and that time has passed."),
    ANSWERED: ("Already answered", "This survey has been answered already. Thank you!"),
    journeys.CONFLICT: (
        "Your answers could not be saved",
        "Something on our side stopped your answers from being saved; our team can see why. Sorry for the trouble.",
    ),
}
TOO_MANY = ("Too many attempts", "Please wait a few minutes and try again.")


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the survey. POST: the answers, stored once; or the form with its errors."""
    if request.method == "POST" and not _allowed(request, token):
        return _message(request, TOO_MANY, status=429)
    try:
        invitation = journeys.invitation_for_token(token)
    except Refused as refusal:
        return _message(request, REFUSALS[refusal.reason], status=refusal.status)
    questions = invitation.survey.questions
    values, errors = {}, {}
    if request.method == "POST":
        values = {q["key"]: request.POST.get(q["key"], "") for q in questions}
        answers, errors = journeys.validate_answers(questions, request.POST)
        if not errors:
            try:
                journeys.submit(invitation=invitation, answers=answers)
            except Refused as refusal:
                return _message(request, REFUSALS[refusal.reason], status=refusal.status)
            return _message(request, ("Thank you!", "Your answers were received."), status=200)
    context = {
        "token": token,
        "survey": invitation.survey,
        "company": invitation.customer.name,
        "questions": [_shown(q, values.get(q["key"], ""), errors.get(q["key"], "")) for q in questions],
        "errors": errors,
        "max_text": journeys.MAX_TEXT,
    }
    return _headers(render(request, "insights/journeys/answer.html", context, status=400 if errors else 200))


def _shown(question: dict, value: str, error: str) -> dict:
    """A question as the template draws it: its options (score scale or choices) and what was picked."""
    options = []
    if question["kind"] in journeys.SCORE_RANGES:
        low, high = journeys.SCORE_RANGES[question["kind"]]
        options = [str(score) for score in range(low, high + 1)]
    elif question["kind"] == journeys.CHOICE:
        options = question["choices"]
    return {**question, "options": options, "value": value, "error": error}


def _message(request: HttpRequest, texts: tuple[str, str], *, status: int) -> HttpResponse:
    title, text = texts
    response = render(request, "insights/journeys/message.html", {"title": title, "text": text}, status=status)
    return _headers(response)


def _headers(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "same-origin"  # never the link to another site; "no-referrer" nulls Origin
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_GET
def seen(request: HttpRequest, token: str) -> HttpResponse:
    """The page's 1×1 image: loading it records the first opening of a valid link (any other link: the same image,
    nothing recorded, nothing told)."""
    with contextlib.suppress(Refused):
        journeys.mark_opened(journeys.invitation_for_token(token))
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _allowed(request: HttpRequest, token: str) -> bool:
    """Whether this link, and this client address, may post once more in the current window (fixed windows in the
    cache; the link counted by a digest of its token, never the token itself)."""
    link = hashlib.sha256(token.encode()).hexdigest()[:32]
    keys = [
        (f"journey-survey-posts:link:{link}", LINK_LIMIT),
        (f"journey-survey-posts:address:{client_address(request)}", ADDRESS_LIMIT),
    ]
    try:
        allowed = True
        for key, limit in keys:
            cache.add(key, 0, timeout=POST_WINDOW)
            allowed = cache.incr(key) <= limit and allowed
        return allowed
    except (RedisError, OSError, ValueError):
        log.warning("Survey posts not throttled: the cache is unreachable.")
        return True
