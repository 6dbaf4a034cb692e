"""What an opened escalation tells, and to whom, through the notifications outbox (``notifications.services``).

The rule's channels choose: an email to the escalation's owner (the account owner, or the theme's PM) and a Slack
message to the product channel (the PM's "time to verify") or the CS channel (every other alert). Keys
``escalation:<id>:email`` and ``escalation:<id>:slack``: the outbox writes each once, however often this runs.

A rule that opens more than ``ONE_BY_ONE_UP_TO`` escalations in one check (its first run on an install that already
has data, a large import) sends one Slack message for all of them and one email per owner listing theirs, instead of
hundreds of messages nobody reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from insights.choices import Action, Metric, Severity
from insights.models import Escalation, EscalationRule
from notifications.choices import Channel, Kind
from notifications.services import enqueue
from themes.choices import VerificationStep

ONE_BY_ONE_UP_TO = 10
BATCH_LINES = 15  # escalations named in a batch message; the link opens the rest
SLACK_SECTION_CHARS = 3000  # Slack refuses a section block with a longer text
SEVERITY_MARKS = {Severity.CRITICAL: "🔴", Severity.HIGH: "🟠", Severity.MEDIUM: "🟡", Severity.LOW: "⚪"}


def slack_channel(rule: EscalationRule) -> str:
    """The product channel for the PM's "time to verify", the CS channel for the rest."""
    return settings.PRODUCT_CHANNEL if rule.action == Action.PM_TIME_TO_VERIFY else settings.CS_CHANNEL


def escalation_url(escalation: Escalation) -> str:
    """The escalation's admin page, absolute when ``settings.HUB_BASE_URL`` is set."""
    return settings.HUB_BASE_URL + reverse("admin:insights_escalation_change", args=[escalation.pk])


def open_list_url(rule: EscalationRule) -> str:
    """The admin list of the rule's open escalations."""
    changelist = reverse("admin:insights_escalation_changelist")
    return f"{settings.HUB_BASE_URL}{changelist}?rule__id__exact={rule.pk}&status=open"


def owner_name(user) -> str:
    return (user.get_short_name() or user.get_username()) if user is not None else "there"


def notify_opened(*, rule: EscalationRule, escalations: Sequence[Escalation]) -> None:
    """Enqueue the notifications of escalations ``rule`` has just opened (in the caller's transaction)."""
    if not escalations or not rule.channels:
        return
    if len(escalations) <= ONE_BY_ONE_UP_TO:
        for escalation in escalations:
            notify_one(rule=rule, escalation=escalation)
    else:
        notify_batch(rule=rule, escalations=escalations)


def notify_one(*, rule: EscalationRule, escalation: Escalation) -> None:
    kind = Kind.TIME_TO_VERIFY if rule.metric == Metric.THEME_CRITICAL_MASS else Kind.ESCALATION
    owner = escalation.owner
    if "email" in rule.channels and owner is not None and owner.email:
        subject, body = email_for(rule=rule, escalation=escalation)
        enqueue(
            key=f"escalation:{escalation.pk}:email",
            kind=kind,
            channel=Channel.EMAIL,
            recipient=owner.email,
            subject=subject,
            body=body,
        )
    if "slack" in rule.channels:
        text = slack_text(rule=rule, escalation=escalation)
        enqueue(
            key=f"escalation:{escalation.pk}:slack",
            kind=kind,
            channel=Channel.SLACK,
            recipient=slack_channel(rule),
            body=text,
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text[:SLACK_SECTION_CHARS]}}],
        )


def email_for(*, rule: EscalationRule, escalation: Escalation) -> tuple[str, str]:
    """Subject and body of the email to the owner: the PM's "time to verify" letter, or the alert with its figures."""
    if rule.metric == Metric.THEME_CRITICAL_MASS and escalation.theme is not None:
        theme = escalation.theme
        context = {
            "theme": theme,
            "owner_name": owner_name(escalation.owner),
            "steps": [step.label for step in VerificationStep],
            "url": settings.HUB_BASE_URL + theme.get_absolute_url(),
        }
        return f"Time to verify: {theme.name}", render_to_string("themes/time_to_verify_email.txt", context)
    context = {
        "escalation": escalation,
        "rule": rule,
        "owner_name": owner_name(escalation.owner),
        "facts": escalation.details.get("facts", []),
        "url": escalation_url(escalation),
    }
    subject = f"[{escalation.get_severity_display()}] {escalation.summary}"
    return subject, render_to_string("insights/escalation_email.txt", context)


def slack_text(*, rule: EscalationRule, escalation: Escalation) -> str:
    """One Slack line: severity, action, summary, its figures, the owner and the link."""
    mark = SEVERITY_MARKS.get(escalation.severity, "")
    facts = "; ".join(escalation.details.get("facts", []))
    owner = escalation.owner
    who = f"owner: {owner.get_full_name() or owner.get_username()}" if owner is not None else "no owner"
    lines = [
        f"{mark} *{escalation.get_severity_display()}* · {rule.get_action_display()}: {escalation.summary}",
        *([facts] if facts else []),
        f"{who} · <{escalation_url(escalation)}|open in FeedbackHub>",
    ]
    return "\n".join(lines)


def notify_batch(*, rule: EscalationRule, escalations: Sequence[Escalation]) -> None:
    """One Slack message for all of them, and one email per owner listing their own."""
    kind = Kind.TIME_TO_VERIFY if rule.metric == Metric.THEME_CRITICAL_MASS else Kind.ESCALATION
    span = f"{escalations[0].pk}-{escalations[-1].pk}"
    count = len(escalations)
    if "slack" in rule.channels:
        mark = SEVERITY_MARKS.get(rule.severity, "")
        named = [f"• <{escalation_url(e)}|{e.summary}>" for e in escalations[:BATCH_LINES]]
        rest = count - len(named)
        text = "\n".join(
            [
                f"{mark} *{count} new escalations* · {rule.name} ({rule.get_severity_display()})",
                *named,
                f"… and {rest} more: <{open_list_url(rule)}|all of them in FeedbackHub>"
                if rest
                else f"<{open_list_url(rule)}|Open them in FeedbackHub>",
            ]
        )
        enqueue(
            key=f"escalations:{rule.pk}:{span}:slack",
            kind=kind,
            channel=Channel.SLACK,
            recipient=slack_channel(rule),
            body=text,
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text[:SLACK_SECTION_CHARS]}}],
        )
    if "email" in rule.channels:
        by_owner: dict[int, list[Escalation]] = defaultdict(list)
        for escalation in escalations:
            if escalation.owner is not None and escalation.owner.email:
                by_owner[escalation.owner_id].append(escalation)
        for owner_id, own in by_owner.items():
            context = {
                "owner_name": owner_name(own[0].owner),
                "rule": rule,
                "rows": [(e.summary, escalation_url(e)) for e in own],
                "list_url": open_list_url(rule),
            }
            enqueue(
                key=f"escalations:{rule.pk}:{span}:owner:{owner_id}",
                kind=kind,
                channel=Channel.EMAIL,
                recipient=own[0].owner.email,
                subject=f"{len(own)} new escalation{'s' if len(own) > 1 else ''}: {rule.name}",
                body=render_to_string("insights/escalations_email.txt", context),
            )
