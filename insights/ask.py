"""Ask the hub (issue 13): a question about the feedback answered from the feedback, every claim citing its items.

``ask`` is the one door — the admin's question box, ``POST /api/ask/`` and ``manage.py ask`` all call it:

1. the question is read for the filters it states and merged under the explicit ones (``insights.ask_filters``);
2. ``insights.ask_retrieval.retrieve`` finds the items that answer it within those filters, best first, and says
   whether the evidence is strong enough;
3. ``insights.ask_answer`` groups the evidence by theme with its figures and writes the text (extractive, or
   Mistral's when ``AI_PROVIDER`` is "mistral"; refused or failed, extractive again);
4. the question and the answer as given are stored (``AskedQuestion``), so an answer can be shown again and
   retrieval judged later.
"""

from __future__ import annotations

import logging
import time
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from ai.providers.base import ProviderUnavailable
from customers.selectors import sees_own_accounts_only, visible_to
from feedback.models import FeedbackItem
from insights import ask_answer
from insights.ask_answer import OFFLINE, Answer
from insights.ask_filters import filters_as_fields, parse_question
from insights.ask_retrieval import ABSTAIN_BELOW, AskFilters, retrieve
from insights.models import AskedQuestion
from themes.models import Theme

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500
RETRIEVE_LIMIT = 50
SCOPED_LIMIT = 200  # retrieve()'s most: a person who sees only their own accounts gets more candidates, then theirs
DEFAULT = object()  # ``writer`` not given: Mistral when it is the configured provider, else none


def ask(
    question: str,
    *,
    filters: AskFilters | None = None,
    user=None,
    writer=DEFAULT,
    today: date | None = None,
    store: bool = True,
) -> Answer:
    """The answer to ``question`` within ``filters`` (and the filters the question states), stored unless ``store``
    is False. ``writer``: a Mistral provider to write the text, None for the extractive text only."""
    question = " ".join((question or "").split())
    if not question:
        raise ValidationError({"question": "Ask a question."})
    if len(question) > MAX_QUESTION_CHARS:
        raise ValidationError({"question": f"Keep the question under {MAX_QUESTION_CHARS} characters."})
    started = time.perf_counter()
    parsed = parse_question(question, explicit=filters, today=today)
    applied = [row.as_dict() for row in parsed.applied]
    scope = ask_answer.scope_text(applied)
    scoped = user is not None and sees_own_accounts_only(user)
    retrieval = retrieve(parsed.search_text, filters=parsed.filters, limit=SCOPED_LIMIT if scoped else RETRIEVE_LIMIT)
    hits = _visible_hits(retrieval.hits, user) if scoped else retrieval.hits
    # The evidence the person may see decides: a sales/CS answer is as strong as their own accounts' best item, never
    # the whole book's (which would both leak what other accounts say and answer on weak evidence of their own).
    strength = (hits[0].score if hits else 0.0) if scoped else retrieval.strength
    items = _items([hit.item_id for hit in hits])
    answer = Answer(
        question=question,
        search_text=parsed.search_text,
        filters_applied=applied,
        abstained=True,
        answer_text="",
        strength=round(strength, 3),
    )
    if strength < ABSTAIN_BELOW or not hits:
        answer.nearest = ask_answer.nearest_of(hits, items)
        answer.answer_text = ask_answer.abstain_text(
            search_text=parsed.search_text,
            scope=scope,
            nearest=answer.nearest,
            strength=strength,
            threshold=ABSTAIN_BELOW,
            has_topic=parsed.has_topic,
        )
    else:
        evidence = ask_answer.evidence_of(hits, items)
        answer.abstained = False
        answer.groups = ask_answer.group_evidence(evidence)
        answer.totals = ask_answer.totals_of(evidence)
        answer.answer_text = ask_answer.extractive_text(groups=answer.groups, totals=answer.totals, scope=scope)
        _write(answer, writer=default_writer() if writer is DEFAULT else writer, scope=scope, evidence=evidence)
    answer.citations = ask_answer.cited_ids(answer.answer_text)
    answer.seconds = round(time.perf_counter() - started, 3)
    if store:
        answer.id = _store(answer, filters=parsed.filters, user=user)
    return answer


def _visible_hits(hits: list, user) -> list:
    """The hits whose item ``user`` may see: a sales/CS person is answered from their own accounts' feedback only,
    as the feedback list and API show them (``customers.selectors.visible_to``)."""
    ids = [hit.item_id for hit in hits]
    allowed = set(
        visible_to(FeedbackItem.objects.filter(pk__in=ids), user, prefix="customer__").values_list("pk", flat=True)
    )
    return [hit for hit in hits if hit.item_id in allowed][:RETRIEVE_LIMIT]


def default_writer():
    """The Mistral provider when it is the configured one (``AI_PROVIDER=mistral``), else None (extractive)."""
    if settings.AI_PROVIDER != "mistral":
        return None
    from ai.providers import get_provider

    return get_provider("mistral")


def stored_answer(asked: AskedQuestion) -> Answer:
    """An answer as it was given, from its record (the admin shows a recent question again without asking it)."""
    data = dict(asked.answer)
    groups = [ask_answer.Group(**group) for group in data.pop("groups", [])]
    return Answer(**{**data, "groups": groups, "id": asked.pk})


def _write(answer: Answer, *, writer, scope: str, evidence) -> None:
    """Mistral's text in place of the extractive one when a writer is given and its answer holds."""
    if writer is None or not hasattr(writer, "complete_json"):
        return
    try:
        text, enough, model = ask_answer.write_with_mistral(
            writer, question=answer.question, scope=scope, evidence=evidence
        )
    except ProviderUnavailable as exc:
        logger.warning("Mistral could not write the answer, the extractive one is given: %s", exc)
        refused = isinstance(exc, ask_answer.AnswerRefused)
        answer.written_by = f"{OFFLINE}; Mistral's answer {'refused' if refused else 'failed'}: {str(exc)[:120]}"
        return
    answer.answer_text, answer.written_by = text, model[:100]
    answer.abstained = not enough


def _items(ids: list[int]) -> dict:
    """id → item, with its customer and themes, in two queries."""
    themes = Prefetch("themes", queryset=Theme.objects.only("id", "name"))
    rows = (
        FeedbackItem.objects.filter(pk__in=ids)
        .select_related("customer")
        .only(
            "id",
            "verbatim",
            "received_at",
            "source",
            "raw_payload",
            "customer__id",
            "customer__name",
            "customer__tier",
            "customer__arr",
        )
        .prefetch_related(themes)
    )
    return {item.pk: item for item in rows}


def _store(answer: Answer, *, filters: AskFilters, user) -> int:
    asked = AskedQuestion.objects.create(
        question=answer.question,
        filters=filters_as_fields(filters),
        answer={key: value for key, value in answer.as_dict().items() if key != "id"},
        abstained=answer.abstained,
        written_by=answer.written_by[:100],
        asked_by=user if getattr(user, "is_authenticated", False) else None,
        seconds=answer.seconds,
    )
    return asked.pk
