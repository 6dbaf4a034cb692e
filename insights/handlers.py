"""The domain events the insights app acts on (``feedbackhub.events``): each handler opens escalations through
``insights.escalations``, idempotent on the escalation's condition key (one open per condition)."""

from __future__ import annotations

from feedbackhub import events
from insights import escalation_selectors, journeys
from notifications import digest_facts
from themes.verification_notice import TIME_TO_VERIFY_EVENT


def subscribe_all() -> None:
    """Called once from ``InsightsConfig.ready``; also gives the weekly digest its escalation decisions."""
    events.subscribe(TIME_TO_VERIFY_EVENT, theme_time_to_verify)
    events.subscribe("product_events.recorded", journeys.product_events_recorded)  # journey survey triggers
    digest_facts.register_decision_source(escalation_selectors.digest_decisions)


def theme_time_to_verify(payload: dict) -> None:
    """A theme reached ``THEME_VERIFY_AT`` items: open its "time to verify" escalation for its PM, with the email and
    Slack message in the outbox. Same condition key as the hourly check's theme rule: never two for one theme."""
    from insights import escalations

    escalations.check_theme(theme_id=int(payload["theme_id"]))
