"""'Time to verify' (seed 001): a theme that reaches 5 items is marked once when its rollups refresh and emits
``theme.time_to_verify``; the insights handler opens its PM's escalation, whose email and Slack message wait in the
outbox. Nothing is mailed from inside the rollup."""

import pytest
from django.core import mail

from feedback.services import add_theme, mark_duplicate
from feedbackhub import events
from feedbackhub.models import DomainEvent
from insights import escalations
from insights.models import Escalation
from notifications.models import Notification
from tests.factories import make_feedback, make_theme
from tests.insights.escalation_data import ensure_default_rules
from themes import services
from themes.models import Theme
from themes.verification_notice import TIME_TO_VERIFY, TIME_TO_VERIFY_EVENT, notify_time_to_verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rules():
    return ensure_default_rules()


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner", email="owner@example.com", first_name="Ada")


def grow(theme: Theme, count: int) -> None:
    """Link ``count`` new items to ``theme`` and run the rollup job, as the hub does every minute."""
    add_theme(items=[make_feedback() for _ in range(count)], theme=theme)
    services.refresh_stale_rollups()


def verify_events() -> list[DomainEvent]:
    return list(DomainEvent.objects.filter(name=TIME_TO_VERIFY_EVENT))


def test_given_four_items_then_nothing_and_at_the_fifth_the_theme_is_marked_and_the_event_emitted_once(owner, settings):
    assert settings.THEME_VERIFY_AT == 5
    theme = make_theme(name="Batch API errors", owner=owner)

    grow(theme, 4)
    theme.refresh_from_db()
    assert theme.verify_notified_at is None and verify_events() == []

    grow(theme, 1)
    theme.refresh_from_db()
    assert theme.verify_notified_at is not None
    [event] = verify_events()
    assert event.key == f"theme.time_to_verify:{theme.pk}" and event.payload == {"theme_id": theme.pk}
    assert mail.outbox == []  # nothing sent from inside the rollup's transaction

    grow(theme, 1)
    services.refresh_all_rollups()
    assert len(verify_events()) == 1
    assert Theme.objects.filter(TIME_TO_VERIFY).get() == theme


def test_given_the_event_processed_then_the_pm_has_an_escalation_and_its_email_in_the_outbox(owner, rules, settings):
    settings.HUB_BASE_URL = "https://hub.example"
    theme = make_theme(name="Batch API errors", owner=owner)
    grow(theme, 5)
    [event] = verify_events()

    assert events.process(event.pk) is True

    escalation = Escalation.objects.get()
    assert escalation.rule == rules["Theme reaches 5 items: time to verify"]
    assert escalation.theme == theme and escalation.owner == owner
    email = Notification.objects.get(channel="email")
    assert email.recipient == "owner@example.com" and email.subject == "Time to verify: Batch API errors"
    assert email.status == "pending" and email.kind == "time_to_verify"
    assert "5 pieces of feedback" in email.body and "Hi Ada" in email.body
    assert f"https://hub.example/admin/themes/theme/{theme.pk}/change/" in email.body
    assert Notification.objects.get(channel="slack").recipient == settings.PRODUCT_CHANNEL
    assert mail.outbox == []


def test_given_the_event_then_the_hourly_check_opens_no_second_escalation_for_the_theme(owner):
    theme = make_theme(owner=owner)
    grow(theme, 5)
    events.process_pending()

    report = escalations.check_all()

    assert report.opened == 0 and Escalation.objects.filter(theme=theme).count() == 1
    assert Notification.objects.count() == 2


def test_given_the_hourly_check_first_then_the_event_opens_no_second_escalation(owner):
    theme = make_theme(owner=owner)
    add_theme(items=[make_feedback() for _ in range(5)], theme=theme)
    Theme.objects.filter(pk=theme.pk).update(feedback_count=5)  # counted, not yet marked by a rollup
    assert escalations.check_all().opened == 1

    services.refresh_rollups(theme_ids=[theme.pk])
    events.process_pending()

    assert Escalation.objects.filter(theme=theme).count() == 1 and Notification.objects.count() == 2


def test_given_duplicates_then_they_do_not_count_towards_the_five(owner):
    theme = make_theme(owner=owner)
    items = [make_feedback() for _ in range(5)]
    add_theme(items=items, theme=theme)
    mark_duplicate(item=items[4], original=items[0])

    services.refresh_stale_rollups()

    assert verify_events() == []


def test_given_no_owner_then_the_theme_is_marked_and_only_the_product_channel_is_told():
    theme = make_theme(owner=None)

    grow(theme, 5)
    events.process_pending()

    theme.refresh_from_db()
    assert theme.verify_notified_at is not None
    assert Theme.objects.filter(TIME_TO_VERIFY).filter(pk=theme.pk).exists()
    assert Escalation.objects.get().owner is None
    assert list(Notification.objects.values_list("channel", flat=True)) == ["slack"]


def test_given_a_validated_theme_then_there_is_nothing_left_to_verify(owner):
    theme = make_theme(owner=owner, status="validated")

    grow(theme, 5)

    theme.refresh_from_db()
    assert theme.verify_notified_at is None and verify_events() == []


def test_given_smtp_down_then_the_rollup_still_commits_and_the_email_waits_in_the_outbox(owner, settings):
    settings.EMAIL_BACKEND = "tests.themes.test_verify_notice.FailingBackend"
    theme = make_theme(owner=owner)

    grow(theme, 5)
    events.process_pending()

    theme.refresh_from_db()
    assert theme.verify_notified_at is not None and theme.feedback_count == 5
    assert Notification.objects.get(channel="email").status == "pending"


def test_given_the_theme_rule_disabled_then_the_theme_is_still_marked_but_no_escalation_opens(owner, rules):
    rule = rules["Theme reaches 5 items: time to verify"]
    rule.enabled = False
    rule.save()
    theme = make_theme(owner=owner)

    grow(theme, 5)
    assert events.process_pending() == 1

    theme.refresh_from_db()
    assert theme.verify_notified_at is not None and not Escalation.objects.exists()


def test_given_a_theme_marked_then_marking_again_does_nothing(owner):
    theme = make_theme(owner=owner)
    grow(theme, 5)

    assert notify_time_to_verify(theme_ids=[theme.pk]) == []
    assert len(verify_events()) == 1


class FailingBackend:
    """An email backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")
