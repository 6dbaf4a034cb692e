"""Retrospectives (issue 11, seed 004 "Retro Agent"): what a sprint or deployment window brought in and shipped, what
it taught, and the backlog items it proposes.

``write_retrospective(kind=, window_start=, window_end=)`` reads the window's figures (``insights.retro_facts``),
draws the findings by rule (``derive_insights``), writes the narrative (Mistral's mistral-large when it is the
configured provider, ``ai.retro_writer``; the offline template ``insights/retrospective.md`` otherwise, and whenever
Mistral fails — logged, and ``written_by`` says so) and proposes one backlog item per finding that needs work, each
linked to its evidence. Every door uses it: the daily schedule (``write_due_retrospective``), the admin's "Write
retrospective", ``manage.py write_retrospective`` and the demo.

Idempotent on the window: ``(kind, window_start, window_end)`` is unique, so the schedule and a person's click make one
retrospective. Writing an existing draft again refreshes it (figures, findings, narrative; backlog items matched by
title: a pushed or failed item is never deleted, a dry-run one no longer found is). A published retrospective is never
overwritten. Backlog items are proposed only (dry run) unless ``RETRO_PUSH`` is on (``insights.retro_push``).

The findings, one rule each (``MIN_N`` answers on each side before sentiment is compared at all):
- a launch's theme whose sentiment interval after − before lies above 0: it worked (no backlog item);
- one whose interval includes 0: sentiment did not improve (medium); below 0: it fell (high) — a follow-up item;
- too few answers on a side: too early to tell (low, no item);
- escalations raised in the window still open at its end (high when one is high or critical) — an item;
- an open theme with no launch whose volume grew significantly — an item to decide on it;
- NPS below 0 over at least ``MIN_N_SURVEY`` answers — an item to call the detractors back;
- an experiment concluded with a winner — an item to roll it out; without one, a note.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ai.providers.base import ProviderUnavailable
from feedback.models import FeedbackItem
from feedbackhub.formatting import change_url
from insights import retro_facts
from insights.choices import BacklogStatus, RetroKind, RetroStatus, Severity, Tracker
from insights.models import Escalation, Experiment, RetroBacklogItem, Retrospective, SurveyResponse
from insights.retro_facts import Window
from launches.models import Launch
from notifications.digest_facts import Period
from notifications.digests import digest_provider, tidy, week_text
from notifications.handlers import hub_url
from themes.models import Theme

logger = logging.getLogger(__name__)

MIN_N = 5  # sentiment answers on each side of a launch before it is compared
MIN_N_SURVEY = 10  # NPS answers before "more detractors than promoters" is a finding
TEMPLATE_WRITER = "template"
CREATED, REFRESHED, KEPT = "created", "refreshed", "kept (published)"
EVIDENCE_MODELS = {
    "feedback": FeedbackItem,
    "themes": Theme,
    "launches": Launch,
    "escalations": Escalation,
    "survey_responses": SurveyResponse,
    "experiments": Experiment,
}


@dataclass(frozen=True)
class RetroResult:
    """What ``write_retrospective`` did: the retrospective, and ``created``, ``refreshed`` or ``kept (published)``."""

    retrospective: Retrospective
    outcome: str


# --- windows ----------------------------------------------------------------------------------------------------------


def sprint_anchor() -> datetime:
    """The first day of sprint 0 (``RETRO_SPRINT_ANCHOR``) at midnight in the hub's time zone."""
    return retro_facts.day_start(date.fromisoformat(settings.RETRO_SPRINT_ANCHOR))


def sprint_window(index: int) -> Window:
    """Sprint ``index``: ``RETRO_SPRINT_ANCHOR + index × RETRO_SPRINT_DAYS`` days, for ``RETRO_SPRINT_DAYS`` days."""
    length = timedelta(days=max(1, settings.RETRO_SPRINT_DAYS))
    start = sprint_anchor() + index * length
    return Window(start=start, end=start + length)


def last_ended_sprint(now: datetime | None = None) -> Window | None:
    """The latest sprint window that has ended by ``now``; None before the first has ended."""
    now = now or timezone.now()
    length = timedelta(days=max(1, settings.RETRO_SPRINT_DAYS))
    index = (now - sprint_anchor()) // length - 1
    return sprint_window(index) if index >= 0 else None


def window_for_days(start: date, end: date) -> Window:
    """Day ``start`` to day ``end``, both included (what a person types); ValidationError when reversed."""
    if end < start:
        raise ValidationError(f"The window ends ({end}) before it starts ({start}).")
    return Window(start=retro_facts.day_start(start), end=retro_facts.day_start(end + timedelta(days=1)))


def window_text(window: Window) -> str:
    """``5–18 Jan 2026`` (the days included)."""
    last = timezone.localtime(window.end - timedelta(microseconds=1)).date()
    return week_text(Period(start=timezone.localtime(window.start).date(), end=last))


def title_for(kind: str, window: Window) -> str:
    return f"{RetroKind(kind).label} retrospective: {window_text(window)}"


# --- findings ---------------------------------------------------------------------------------------------------------


def _finding(key, kind, impact, finding, recommendation, evidence, backlog_title="") -> dict:
    return {
        "key": key,
        "kind": kind,  # worked | failed | watch
        "impact": impact,  # high | medium | low
        "finding": finding,
        "recommendation": recommendation,
        "evidence": {name: ids for name, ids in evidence.items() if ids},
        "backlog_title": backlog_title[:200],
    }


def _fmt(value) -> str:
    """+0.13 (half up, as the templates' ``floatformat`` rounds: one figure reads the same everywhere)."""
    if value is None:
        return "—"
    return f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):+}"


def launch_findings(effect: dict) -> list[dict]:
    """A launch's theme: did its sentiment improve? (The rule in the module's docstring.)"""
    before, after, diff = effect["before"], effect["after"], effect["difference"]
    name = f"{effect['launch']} (shipped {effect['shipped_on']})"
    evidence = {
        "launches": [effect["launch_id"]],
        "themes": [effect["theme_id"]],
        "feedback": effect["negative_after_ids"],
    }
    figures = (
        f"mean sentiment {_fmt(before['mean'])} (n = {before['sentiment_n']}) → {_fmt(after['mean'])} "
        f"(n = {after['sentiment_n']}); items {before['items']} in {before['days']:g} days → {after['items']} in "
        f"{after['days']:g} days"
    )
    key = f"launch:{effect['launch_id']}:theme:{effect['theme_id']}"
    if min(before["sentiment_n"], after["sentiment_n"]) < MIN_N or diff is None:
        return [
            _finding(
                key,
                "watch",
                "low",
                f"Too early to tell whether {name} changed sentiment on “{effect['theme']}”: {figures}.",
                f"Look again next {RetroKind.SPRINT.label.lower()}: at least {MIN_N} answers on each side are needed.",
                evidence,
            )
        ]
    interval = f"difference {_fmt(diff['difference'])}, 95 % CI {_fmt(diff['ci_low'])} to {_fmt(diff['ci_high'])}"
    if diff["ci_low"] > 0:
        return [
            _finding(
                key,
                "worked",
                "low",
                f"Sentiment on “{effect['theme']}” improved after {name}: {figures}; {interval}.",
                "Tell the customers who asked (close the loop) and keep watching the theme for one more sprint.",
                evidence,
            )
        ]
    fell = diff["ci_high"] < 0
    verdict = "fell" if fell else "did not improve"
    return [
        _finding(
            key,
            "failed",
            "high" if fell else "medium",
            f"Sentiment on “{effect['theme']}” {verdict} after {name}: {figures}; {interval}.",
            f"Read the negative feedback on “{effect['theme']}” since {effect['launch']} and check the launch solved "
            "the theme's problem statement; plan the follow-up fix or tell customers what is still coming.",
            evidence,
            f"Follow up {effect['launch']}: sentiment on {effect['theme']} {verdict}",
        )
    ]


def escalation_findings(facts: dict) -> list[dict]:
    found = facts["escalations"]
    if not found["open_at_end"]:
        return []
    severe = any(row["severity"] in (Severity.HIGH, Severity.CRITICAL) for row in found["open"])
    rows = found["open"]
    return [
        _finding(
            "escalations:open",
            "failed",
            "high" if severe else "medium",
            f"{found['open_at_end']} of the {found['raised']} escalations raised in the window "
            + ("was" if found["open_at_end"] == 1 else "were")
            + " still open at its end"
            + (" (high or critical among them)" if severe else "")
            + ".",
            "Give each open escalation an owner and a date; resolve or explain it before the next retrospective.",
            {
                "escalations": [row["id"] for row in rows],
                "themes": sorted({row["theme_id"] for row in rows if row["theme_id"]}),
                "feedback": sorted({row["feedback_id"] for row in rows if row["feedback_id"]}),
            },
            f"Resolve {found['open_at_end']} open escalation{'s' if found['open_at_end'] != 1 else ''}",
        )
    ]


def growth_findings(facts: dict) -> list[dict]:
    return [
        _finding(
            f"growing:theme:{row['theme_id']}",
            "failed",
            "high" if row["items"] >= 3 * max(1, row["previous_items"]) else "medium",
            f"“{row['theme']}” grew from {row['previous_items']} to {row['items']} items against the window before, "
            f"with no launch planned (binomial test p = {row['p_value']:.3g}).",
            "Verify the theme (talk to the customers behind it) and decide: plan a launch or park it with a reason.",
            {"themes": [row["theme_id"]], "feedback": row["feedback_ids"]},
            f"Decide on {row['theme']}: growing with no launch",
        )
        for row in facts["growing_themes"]
    ]


def survey_findings(facts: dict) -> list[dict]:
    found = facts["surveys"]
    if found["nps_n"] < MIN_N_SURVEY or found["nps"] is None or found["nps"] >= 0:
        return []
    return [
        _finding(
            "surveys:nps",
            "failed",
            "high",
            f"NPS {found['nps']} over {found['nps_n']} answers: {found['detractors']} detractors against "
            f"{found['promoters']} promoters.",
            "Call the detractors back this sprint and log what they say as feedback.",
            {"survey_responses": found["detractor_ids"], "feedback": found["detractor_feedback_ids"]},
            f"Call back {found['detractors']} NPS detractor{'s' if found['detractors'] != 1 else ''}",
        )
    ]


def experiment_findings(facts: dict) -> list[dict]:
    found = []
    for row in facts["experiments"]:
        key, evidence = f"experiment:{row['id']}", {"experiments": [row["id"]]}
        if row["winner"]:
            found.append(
                _finding(
                    key,
                    "worked",
                    "medium",
                    f"Experiment “{row['name']}” concluded with a winner: {row['winner']} ({row['metric']}: "
                    f"difference {row['difference']}, CI {row['ci_low']} to {row['ci_high']}, p = {row['p_value']}).",
                    f"Roll out {row['winner']} to everyone and remove the losing variants.",
                    evidence,
                    f"Roll out {row['winner']} of experiment {row['key']}",
                )
            )
        else:
            reason = row["reasons"][0] if row["reasons"] else "no significant difference"
            found.append(
                _finding(
                    key,
                    "watch",
                    "low",
                    f"Experiment “{row['name']}” concluded without a winner: {reason}",
                    "Keep the control; record what was learnt before designing the next test.",
                    evidence,
                )
            )
    return found


IMPACT_ORDER = {"high": 0, "medium": 1, "low": 2}


def derive_insights(facts: dict) -> list[dict]:
    """Every finding of the window, the most impact first (each with its evidence ids)."""
    found = [finding for effect in facts["launch_effects"] for finding in launch_findings(effect)]
    found += escalation_findings(facts) + growth_findings(facts) + survey_findings(facts) + experiment_findings(facts)
    return sorted(found, key=lambda row: (IMPACT_ORDER[row["impact"]], row["kind"] != "failed"))


# --- narrative --------------------------------------------------------------------------------------------------------


def render_offline(*, facts: dict, insights: list[dict]) -> str:
    """The narrative from the hub's template: the figures, what worked, what did not, what is next."""
    context = {
        "f": facts,
        "effects": facts["launch_effects"][:8],
        "worked": [row for row in insights if row["kind"] == "worked"],
        "failed": [row for row in insights if row["kind"] == "failed"],
        "next": list(dict.fromkeys(row["recommendation"] for row in insights if row["kind"] == "failed")),
    }
    return tidy(render_to_string("insights/retrospective.md", context))


def compose(*, provider, kind: str, window: Window, title: str, facts: dict, insights: list[dict]) -> tuple[str, str]:
    """(narrative, written_by): Mistral's when a provider is given and answers; the template's otherwise."""
    if provider is not None and hasattr(provider, "client"):
        from ai.retro_writer import write_narrative

        try:
            draft = write_narrative(
                provider,
                kind=RetroKind(kind).label.lower(),
                window_start=window.start.isoformat(),
                window_end=window.end.isoformat(),
                facts=facts,
                insights=[{k: v for k, v in row.items() if k != "backlog_title"} for row in insights],
            )
            return f"# {title}\n\n{draft.text.strip()}\n", draft.model[:100]
        except ProviderUnavailable as exc:
            logger.warning("Mistral retrospective failed, the hub's template is used: %s", exc)
            facts["narrative_fallback"] = str(exc)[:300]
            return (
                f"# {title}\n\n{render_offline(facts=facts, insights=insights)}",
                f"{TEMPLATE_WRITER} (Mistral failed)",
            )
    return f"# {title}\n\n{render_offline(facts=facts, insights=insights)}", TEMPLATE_WRITER


# --- backlog items ----------------------------------------------------------------------------------------------------


def default_tracker() -> str:
    """Linear when a Linear team is configured, else GitHub when a repository is, else Linear."""
    if settings.RETRO_LINEAR_TEAM_ID or not settings.RETRO_GITHUB_REPOSITORY:
        return Tracker.LINEAR
    return Tracker.GITHUB


def evidence_links(evidence: dict) -> list[str]:
    """One Markdown line per piece of evidence, linking to its page in the hub (absolute with ``HUB_BASE_URL``)."""
    lines = []
    for name, ids in evidence.items():
        model = EVIDENCE_MODELS.get(name)
        if model is None:
            continue
        links = ", ".join(f"[#{pk}]({hub_url(change_url(model, pk))})" for pk in ids)
        lines.append(f"- {model._meta.verbose_name_plural.capitalize()}: {links}")
    return lines


def backlog_body(insight: dict, *, retrospective: Retrospective) -> str:
    """The tracker issue's text: the finding, its impact, the recommendation, the evidence linked back to the hub."""
    lines = [
        insight["finding"],
        "",
        f"**Impact**: {insight['impact']}",
        f"**Recommendation**: {insight['recommendation']}",
        "",
        "**Evidence**",
        *evidence_links(insight["evidence"]),
        "",
        f"From the retrospective [{retrospective.title}]({hub_url(change_url(Retrospective, retrospective.pk))}).",
    ]
    return "\n".join(lines)


def sync_backlog(retrospective: Retrospective, insights: list[dict]) -> None:
    """The retrospective's backlog items, one per finding that needs work, matched by title: new ones created,
    unpushed ones updated, dry-run ones whose finding is gone deleted (pushed or failed ones are kept)."""
    wanted = {row["backlog_title"]: row for row in insights if row["backlog_title"]}
    existing = {item.title: item for item in retrospective.backlog_items.all()}
    tracker = default_tracker()
    for title, insight in wanted.items():
        body = backlog_body(insight, retrospective=retrospective)
        item = existing.get(title)
        if item is None:
            RetroBacklogItem.objects.create(
                retrospective=retrospective, title=title, body=body, evidence=insight["evidence"], tracker=tracker
            )
        elif not item.external_key and (item.body, item.evidence) != (body, insight["evidence"]):
            item.body, item.evidence = body, insight["evidence"]
            item.save(update_fields=["body", "evidence"])
    stale = [
        item.pk for title, item in existing.items() if title not in wanted and item.status == BacklogStatus.DRY_RUN
    ]
    RetroBacklogItem.objects.filter(pk__in=stale, external_key="").delete()


# --- writing ----------------------------------------------------------------------------------------------------------


def write_retrospective(
    *, kind: str, window_start: datetime, window_end: datetime, user=None, provider=None, now: datetime | None = None
) -> RetroResult:
    """Write (or refresh the draft of) the retrospective of the window; a published one is returned unchanged.

    ``provider``: the narrative's writer (default: the configured one; None or the offline provider: the template).
    """
    if kind not in RetroKind.values:
        raise ValidationError(f"Unknown retrospective kind {kind!r}: one of {', '.join(RetroKind.values)}.")
    if window_end <= window_start:
        raise ValidationError("A retrospective's window must end after it starts.")
    found = Retrospective.objects.filter(kind=kind, window_start=window_start, window_end=window_end).first()
    if found is not None and found.status == RetroStatus.PUBLISHED:
        return RetroResult(found, KEPT)
    window = Window(start=window_start, end=window_end)
    provider = provider if provider is not None else digest_provider()
    facts = retro_facts.read_facts(window, now=now)
    insights = derive_insights(facts)
    title = title_for(kind, window)
    narrative, writer = compose(
        provider=provider, kind=kind, window=window, title=title, facts=facts, insights=insights
    )
    fields = {"title": title, "facts": facts, "insights": insights, "narrative": narrative, "written_by": writer}
    with transaction.atomic():
        retrospective, created = Retrospective.objects.select_for_update().get_or_create(
            kind=kind, window_start=window_start, window_end=window_end, defaults={**fields, "created_by": user}
        )
        if not created:
            if retrospective.status == RetroStatus.PUBLISHED:  # published while this one was being written
                return RetroResult(retrospective, KEPT)
            for name, value in fields.items():
                setattr(retrospective, name, value)
            retrospective.save(update_fields=list(fields))
        sync_backlog(retrospective, insights)
    if settings.RETRO_PUSH:
        from insights.retro_push import push_pending

        push_pending(retrospective, user=None)
    return RetroResult(retrospective, CREATED if created else REFRESHED)


def publish_retrospective(*, retrospective: Retrospective, user=None) -> Retrospective:
    """Draft → published: from now on the retrospective is never rewritten."""
    with transaction.atomic():
        locked = Retrospective.objects.select_for_update().get(pk=retrospective.pk)
        if locked.status != RetroStatus.PUBLISHED:
            locked.status = RetroStatus.PUBLISHED
            locked.save(update_fields=["status"])
    return locked


def write_due_retrospective(*, now: datetime | None = None, provider=None) -> RetroResult | None:
    """The schedule's rule: the last sprint window that has ended, when it has no retrospective yet; else None."""
    window = last_ended_sprint(now)
    if window is None:
        return None
    if Retrospective.objects.filter(kind=RetroKind.SPRINT, window_start=window.start, window_end=window.end).exists():
        return None
    return write_retrospective(
        kind=RetroKind.SPRINT, window_start=window.start, window_end=window.end, provider=provider, now=now
    )
