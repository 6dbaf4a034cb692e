"""The public journey survey page, ``/s/<token>/``: no login, no admin chrome, plain HTML that works on a phone and
without JavaScript. The view is thin: ``insights.journeys`` decides what a token opens and stores the answers.

What the page shows: the survey's questions and, at most, the invited customer's own company name. A refused link
(forged, altered, another invitation's nonce, never sent, expired, already answered) gets a short page of its own
(404, or 410 for expired and answered) that names nobody. Answers are posted as a normal form with Django's CSRF
token (a hidden field and a cookie: no script needed). Posts are throttled per client address (``POST_LIMIT`` per
``POST_WINDOW`` seconds, counted in the shared cache; with the cache down they are let through). Responses are never
cached and send no Referer to other sites (the link is the key); the same site gets it, or a browser would
send ``Origin: null`` with the form and Django's CSRF check would refuse the answers.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from redis.exceptions import RedisError

from insights import journeys
from insights.journeys import ANSWERED, EXPIRED, Refused

log = logging.getLogger(__name__)

POST_LIMIT, POST_WINDOW = 30, 600  # answers posted per client address per 10 minutes
REFUSALS = {
    journeys.INVALID: ("This link does not work", "The link may be incomplete, or it was never valid."),
    EXPIRED: ("This survey has closed", "The link was valid for a limited time, and that time has passed."),
    ANSWERED: ("Already answered", "This survey has been answered already. Thank you!"),
}
TOO_MANY = ("Too many attempts", "Please wait a few minutes and try again.")


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the survey (the first opening recorded). POST: the answers, stored once; or the form with its errors."""
    if request.method == "POST" and not _allowed(request):
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
    else:
        journeys.mark_opened(invitation)
    context = {
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


def _allowed(request: HttpRequest) -> bool:
    """Whether this client address may post once more in the current window (a fixed window in the cache)."""
    key = f"journey-survey-posts:{request.META.get('REMOTE_ADDR', '')}"
    try:
        cache.add(key, 0, timeout=POST_WINDOW)
        return cache.incr(key) <= POST_LIMIT
    except (RedisError, OSError, ValueError):
        log.warning("Survey posts not throttled: the cache is unreachable.")
        return True
