"""The hourly escalation check (seed 004): each default rule opens one escalation on data that trips it and none just
under it; a condition never opens a second one while one is open; a resolution lets new evidence open a new one;
each new escalation's email and Slack message are in the outbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from insights import escalation_notices, escalation_services, escalations
from insights.choices import EscalationStatus
from insights.models import Escalation
from notifications.models import Notification
from tests.factories import make_customer, make_feedback
from tests.insights.escalation_data import (
    SCENARIOS,
    detractor,
    ensure_default_rules,
    level,
    nps_answer,
    quiet,
    usage,
    week_drop,
)
from themes.models import Theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules():
    return ensure_default_rules()


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("grace", email="grace@example.com", first_name="Grace")


@pytest.mark.parametrize(("rule_name", "build"), SCENARIOS, ids=[name for name, _ in SCENARIOS])
def test_given_data_that_trips_a_default_rule_when_checking_then_exactly_one_escalation_opens_for_it(
    rules, rule_name, build
):
    subject = build(under=False)

    report = escalations.check_all()

    escalation = Escalation.objects.get()
    assert escalation.rule == rules[rule_name]
    assert escalation.status == EscalationStatus.OPEN and escalation.severity == rules[rule_name].severity
    if isinstance(subject, Theme):
        assert escalation.theme == subject and escalation.condition_key.endswith(f":theme:{subject.pk}")
    else:
        assert list(escalation.customers.all()) == [subject]
        assert escalation.condition_key == f"{rules[rule_name].metric}:{rules[rule_name].pk}:customer:{subject.pk}"
    assert escalation.details["facts"]
    assert report.opened == 1 and not report.skipped and not report.errors


@pytest.mark.parametrize(("rule_name", "build"), SCENARIOS, ids=[name for name, _ in SCENARIOS])
def test_given_data_just_under_a_default_rule_when_checking_then_it_opens_nothing(rules, rule_name, build):
    build(under=True)

    report = escalations.check_all()

    assert not Escalation.objects.filter(rule=rules[rule_name]).exists()
    assert not report.errors


def test_given_an_open_escalation_when_checking_again_then_nothing_new_opens(rules):
    detractor(under=False)
    week_drop(under=False)
    first = escalations.check_all()

    second = escalations.check_all()

    assert first.opened == 2 and second.opened == 0
    assert Escalation.objects.count() == 2
    assert {result.found for result in second.rules} == {0}


def test_given_an_acknowledged_escalation_when_checking_again_then_nothing_new_opens(rules, user):
    detractor(under=False)
    escalations.check_all()
    escalation_services.acknowledge_escalations(escalation_ids=[Escalation.objects.get().pk], user=user)

    assert escalations.check_all().opened == 0


def test_given_a_resolved_detractor_then_only_a_new_answer_opens_a_new_escalation(rules, user):
    customer = detractor(under=False)
    escalations.check_all()
    first = Escalation.objects.get()
    escalation_services.resolve_escalations(escalation_ids=[first.pk], user=user, notes="Called them; fixed.")

    assert escalations.check_all().opened == 0  # the same answer is not new evidence

    nps_answer(customer, score=2, days_ago=0, created_at=timezone.now() + timedelta(seconds=1))
    assert escalations.check_all().opened == 1
    second = Escalation.objects.exclude(pk=first.pk).get()
    assert second.condition_key == first.condition_key and second.status == EscalationStatus.OPEN
    assert "scored 2/10" in second.summary


def test_given_a_resolved_usage_drop_then_it_opens_again_only_once_the_period_has_passed(rules, user):
    week_drop(under=False)
    escalations.check_all()
    first = Escalation.objects.get()
    escalation_services.resolve_escalations(escalation_ids=[first.pk], user=user, notes="Seasonal: holidays.")

    assert escalations.check_all().opened == 0

    Escalation.objects.filter(pk=first.pk).update(resolved_at=timezone.now() - timedelta(days=8))
    assert escalations.check_all().opened == 1


def test_given_a_resolved_inactivity_then_it_opens_again_only_after_the_account_was_active_again(rules, user):
    customer = quiet(under=False)
    escalations.check_all()
    first = Escalation.objects.get()
    escalation_services.resolve_escalations(escalation_ids=[first.pk], user=user, notes="Paused for a migration.")
    assert escalations.check_all().opened == 0

    Escalation.objects.filter(pk=first.pk).update(resolved_at=timezone.now() - timedelta(days=20))  # before activity
    assert escalations.check_all().opened == 1
    assert Escalation.objects.filter(customers=customer, status=EscalationStatus.OPEN).count() == 1


def test_given_a_resolution_without_notes_then_it_is_refused_and_nothing_changes(rules, user):
    from django.core.exceptions import ValidationError

    detractor(under=False)
    escalations.check_all()
    escalation = Escalation.objects.get()

    with pytest.raises(ValidationError):
        escalation_services.resolve_escalations(escalation_ids=[escalation.pk], user=user, notes="   ")

    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.OPEN and escalation.resolved_at is None


def test_given_a_new_escalation_then_its_owner_gets_an_email_and_the_cs_channel_a_slack_message(rules, owner, settings):
    settings.HUB_BASE_URL = "https://hub.example"
    customer = make_customer(name="Globex", account_owner=owner)
    nps_answer(customer, score=3, comment="Onboarding was painful.")

    escalations.check_all()

    escalation = Escalation.objects.get()
    assert escalation.owner == owner
    email = Notification.objects.get(key=f"escalation:{escalation.pk}:email")
    slack = Notification.objects.get(key=f"escalation:{escalation.pk}:slack")
    assert (email.channel, email.recipient, email.kind) == ("email", "grace@example.com", "escalation")
    assert email.subject == "[High] NPS detractor: Globex scored 3/10"
    assert "Hi Grace" in email.body and "“Onboarding was painful.”" in email.body
    assert f"https://hub.example/admin/insights/escalation/{escalation.pk}/change/" in email.body
    assert (slack.channel, slack.recipient) == ("slack", settings.CS_CHANNEL)
    assert "NPS detractor: Globex scored 3/10" in slack.body and "owner: Grace" in slack.body
    assert Notification.objects.count() == 2


def test_given_an_escalation_without_an_owner_then_only_slack_is_told(rules):
    detractor(under=False)

    escalations.check_all()

    assert list(Notification.objects.values_list("channel", flat=True)) == ["slack"]


def test_given_a_rule_with_no_channels_then_the_escalation_opens_silently(rules, owner):
    rule = rules["NPS detractor"]
    rule.channels = []
    rule.save()
    nps_answer(make_customer(account_owner=owner), score=0)

    escalations.check_all()

    assert Escalation.objects.count() == 1 and not Notification.objects.exists()


def test_given_many_escalations_from_one_rule_then_one_slack_message_and_one_email_per_owner(
    rules, owner, django_user_model, monkeypatch
):
    monkeypatch.setattr(escalation_notices, "BATCH_LINES", 10)
    other = django_user_model.objects.create_user("linus", email="linus@example.com")
    for index in range(12):
        nps_answer(make_customer(account_owner=owner if index < 7 else other), score=4)

    report = escalations.check_all()

    assert report.opened == 12
    notes = {note.recipient: note for note in Notification.objects.all()}
    assert set(notes) == {"grace@example.com", "linus@example.com", "cs"}
    assert notes["grace@example.com"].subject == "7 new escalations: NPS detractor"
    assert notes["grace@example.com"].body.count("scored 4/10") == 7
    assert "12 new escalations" in notes["cs"].body and "and 2 more" in notes["cs"].body
    assert notes["cs"].body.count("scored 4/10") == 10


def test_given_a_theme_escalation_then_its_pm_is_told_and_the_product_channel(rules, owner, settings):
    from tests.factories import make_theme

    theme = make_theme(name="SSO for contractors", owner=owner)
    Theme.objects.filter(pk=theme.pk).update(feedback_count=6, unique_customers=4)

    escalations.check_all()

    escalation = Escalation.objects.get()
    assert escalation.owner == owner and escalation.theme == theme
    email = Notification.objects.get(channel="email")
    assert email.recipient == "grace@example.com" and email.subject == "Time to verify: SSO for contractors"
    assert email.kind == "time_to_verify" and "6 pieces of feedback" in email.body
    assert Notification.objects.get(channel="slack").recipient == settings.PRODUCT_CHANNEL


def test_given_a_disabled_rule_then_it_is_not_checked(rules):
    rule = rules["NPS detractor"]
    rule.enabled = False
    rule.save()
    detractor(under=False)

    report = escalations.check_all()

    assert report.opened == 0 and rule.pk not in {result.rule_id for result in report.rules}


def test_given_a_rule_that_fails_then_the_others_still_open_theirs(rules, monkeypatch):
    detractor(under=False)
    week_drop(under=False)

    def broken(rule, *, now):
        raise RuntimeError("boom")

    monkeypatch.setattr(escalations, "nps_detractors", broken)

    report = escalations.check_all()

    assert [result.name for result in report.errors] == ["NPS detractor"]
    assert Escalation.objects.get().rule == rules["Usage drop over 20 % week over week"]


def test_given_a_usage_feed_two_days_late_then_no_drop_is_seen(rules):
    customer = make_customer()
    usage(customer, level(16, 3, 100))  # steady, but nothing yet for yesterday or the day before

    assert escalations.check_all().opened == 0  # counting those two days as no use would be a 29 % drop


def test_given_too_little_usage_in_the_earlier_window_then_no_drop_is_seen(rules):
    customer = make_customer()
    usage(customer, {**level(10, 8, 100), **level(7, 1, 10)})  # a new feed: 3 of the 7 earlier days reported

    assert escalations.check_all().opened == 0  # as customers.usage: no percentage from half a window


def test_given_open_high_escalations_then_the_weekly_digest_lists_them_as_decisions_largest_arr_first(rules, owner):
    from notifications import digest_facts
    from notifications.digests import period_for

    nps_answer(make_customer(name="Initech", arr=Decimal("750000"), account_owner=owner), score=1)
    detractor(under=False)  # an account of $100k with no owner
    make_feedback(customer=make_customer(name="Hooli"), competitors=["Anthropic"])  # medium: not a decision
    escalations.check_all()

    week = digest_facts.read_week(period_for(timezone.localdate()))

    rows = [row for row in week.sections["extra_decisions"] if row["kind"] == "escalation"]
    assert [(row["_owner"], row["arr"]) for row in rows] == [(owner.pk, 750000.0), (None, 100000.0)]
    assert rows[0]["text"].startswith("High escalation, open since") and "Initech scored 1/10" in rows[0]["text"]
    assert (
        rows[0]["url"] == f"/admin/insights/escalation/{Escalation.objects.get(customers__name='Initech').pk}/change/"
    )


def test_given_a_drop_just_over_the_threshold_then_the_summary_never_rounds_it_down_to_the_threshold(rules):
    customer = make_customer(name="Umbrella")
    usage(customer, {**level(14, 8, 100), **level(7, 2, 80), 1: 77})  # 557 against 700: down 20.43 %

    escalations.check_all()

    assert Escalation.objects.get().summary == "Usage down 20.4 % week over week: Umbrella"
