"""'Time to verify' (seed 001): a theme that reaches 5 items tells its owner once, when its rollups refresh."""

import pytest
from django.core import mail

from feedback.services import add_theme, mark_duplicate
from tests.factories import make_feedback, make_theme
from themes import services
from themes.models import Theme
from themes.verification_notice import TIME_TO_VERIFY, notify_time_to_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner", email="owner@example.com", first_name="Ada")


def grow(theme: Theme, count: int) -> None:
    """Link ``count`` new items to ``theme`` and run the rollup job, as the hub does every minute."""
    add_theme(items=[make_feedback() for _ in range(count)], theme=theme)
    services.refresh_stale_rollups()


def test_given_four_items_then_no_notice_and_at_the_fifth_the_owner_is_told_once(owner, settings):
    assert settings.THEME_VERIFY_AT == 5
    theme = make_theme(name="Batch API errors", owner=owner)

    grow(theme, 4)
    assert mail.outbox == []
    theme.refresh_from_db()
    assert theme.verify_notified_at is None

    grow(theme, 1)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@example.com"]
    assert message.subject == "Time to verify: Batch API errors"
    assert "5 pieces of feedback" in message.body and "Hi Ada" in message.body
    assert f"/themes/theme/{theme.pk}/change/" in message.body

    grow(theme, 1)
    services.refresh_all_rollups()
    assert len(mail.outbox) == 1
    theme.refresh_from_db()
    assert theme.verify_notified_at is not None
    assert Theme.objects.filter(TIME_TO_VERIFY).get() == theme


def test_given_duplicates_then_they_do_not_count_towards_the_five(owner):
    theme = make_theme(owner=owner)
    items = [make_feedback() for _ in range(5)]
    add_theme(items=items, theme=theme)
    mark_duplicate(item=items[4], original=items[0])

    services.refresh_stale_rollups()

    assert mail.outbox == []


def test_given_no_owner_then_no_email_but_the_theme_is_marked_for_the_admin():
    theme = make_theme(owner=None)

    grow(theme, 5)

    theme.refresh_from_db()
    assert mail.outbox == [] and theme.verify_notified_at is not None
    assert Theme.objects.filter(TIME_TO_VERIFY).filter(pk=theme.pk).exists()


def test_given_a_validated_theme_then_there_is_nothing_left_to_verify(owner):
    theme = make_theme(owner=owner, status="validated")

    grow(theme, 5)

    theme.refresh_from_db()
    assert mail.outbox == [] and theme.verify_notified_at is None


def test_given_the_email_fails_then_the_theme_stays_unmarked_and_the_next_refresh_tries_again(owner, settings):
    theme = make_theme(owner=owner)
    settings.EMAIL_BACKEND = "tests.themes.test_verify_notice.FailingBackend"
    grow(theme, 5)
    theme.refresh_from_db()
    assert theme.verify_notified_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notify_time_to_verify(theme_ids=[theme.pk]) == [theme.pk]
    assert len(mail.outbox) == 1


class FailingBackend:
    """An email backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")
