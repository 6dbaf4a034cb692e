"""Close the loop: a theme or a launch shipped by any door tells every customer who asked, once, through their account
owner, and moves the linked feedback to Shipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.choices import Language
from feedback import services as feedback_services
from feedback.choices import Status
from feedback.models import FeedbackItem, FeedbackItemHistory
from feedback.services import mark_duplicate
from feedbackhub import events
from feedbackhub.models import DomainEvent
from integrations import deliveries
from integrations.models import WebhookDelivery
from launches.choices import LaunchStatus
from launches.models import CustomerUpdate, Launch
from tests.factories import make_customer, make_feedback, make_launch, make_theme
from tests.integrations.payloads import payload, raw
from themes.choices import ThemeStatus
from themes.models import Theme

pytestmark = pytest.mark.django_db


def process_all() -> None:
    """Run every pending domain event's handlers, and those of the events they emit, as the worker would."""
    while events.process_pending():
        pass


def asked(theme, customer, verbatim: str = "", **fields) -> FeedbackItem:
    item = make_feedback(customer=customer, verbatim=verbatim or f"{customer.name} needs this", **fields)
    item.themes.add(theme)
    return item


def ship(theme: Theme) -> None:
    """Ship a theme the way no service sees: a queryset update (the trigger still records it)."""
    Theme.objects.filter(pk=theme.pk).update(status=ThemeStatus.SHIPPED)


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(
        username="olivia", first_name="Olivia", email="olivia@example.com", is_staff=True
    )


def test_given_a_theme_shipped_by_a_queryset_update_then_each_customer_who_asked_gets_one_update(owner):
    theme = make_theme(name="EU data residency", status=ThemeStatus.IN_PROGRESS)
    acme = make_customer(name="Acme", account_owner=owner)
    globex = make_customer(name="Globex")
    bystander = make_customer(name="Initech")
    first = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    asked(theme, acme, "We must keep fine-tuning data in the EU for our auditors", received_at=first)
    asked(theme, acme, "Any news on EU residency?", received_at=first + timedelta(days=30))
    asked(theme, globex, status=Status.BUILDING)
    make_feedback(customer=bystander, verbatim="Unrelated ask")  # not linked: not told
    today = timezone.localdate()

    ship(theme)
    process_all()

    updates = {update.customer: update for update in CustomerUpdate.objects.all()}
    assert set(updates) == {acme, globex}
    mine = updates[acme]
    assert (mine.owner, mine.feedback_count, mine.first_asked_at) == (owner, 2, first)
    assert mine.due_on == today + timedelta(days=5) and mine.status == "to_tell" and mine.launch is None
    assert "Acme" in mine.message and "We must keep fine-tuning data in the EU for our auditors" in mine.message
    assert "EU data residency" in mine.message and "2 times" in mine.message and "Olivia" in mine.message
    assert updates[globex].owner is None and updates[globex].feedback_count == 1
    theme.refresh_from_db()
    assert theme.shipped_at is not None


def test_given_a_customer_who_praised_before_asking_then_the_message_quotes_the_ask():
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    customer = make_customer(name="Acme")
    earlier = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    asked(theme, customer, "Great docs, thank you!", category="praise", received_at=earlier)
    later = earlier + timedelta(days=1)
    asked(theme, customer, "Please add SCIM provisioning", category="feature_request", received_at=later)

    ship(theme)
    process_all()

    message = CustomerUpdate.objects.get().message
    assert "Please add SCIM provisioning" in message and "Great docs" not in message
    assert "2 times since March 2, 2026, for example" in message


def test_given_a_theme_shipped_then_its_open_items_walk_to_shipped_and_wont_do_stays(owner):
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    customer = make_customer(account_owner=owner)
    statuses = [Status.NEW, Status.REVIEWING, Status.VALIDATED, Status.BUILDING, Status.WONT_DO, Status.SHIPPED]
    items = {status: asked(theme, customer, status=status) for status in statuses}
    elsewhere = make_feedback(customer=customer, status=Status.BUILDING)

    ship(theme)
    process_all()

    after = dict(FeedbackItem.objects.filter(pk__in=[i.pk for i in items.values()]).values_list("pk", "status"))
    assert {status: after[item.pk] for status, item in items.items()} == {
        Status.NEW: Status.SHIPPED,
        Status.REVIEWING: Status.SHIPPED,
        Status.VALIDATED: Status.SHIPPED,
        Status.BUILDING: Status.SHIPPED,
        Status.WONT_DO: Status.WONT_DO,
        Status.SHIPPED: Status.SHIPPED,
    }
    elsewhere.refresh_from_db()
    assert elsewhere.status == Status.BUILDING


def test_shipping_moves_each_item_in_one_update_so_the_history_holds_one_row_per_item_not_one_per_step():
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    item = make_feedback(customer=make_customer(name="Acme"), status=Status.NEW)
    item.themes.add(theme)
    before = FeedbackItemHistory.objects.filter(pgh_obj=item).count()

    assert feedback_services.ship_feedback(items=FeedbackItem.objects.filter(pk=item.pk)) == 1

    assert FeedbackItemHistory.objects.filter(pgh_obj=item).count() == before + 1


def test_given_a_duplicate_merged_into_a_linked_item_then_its_customer_is_told_too(owner):
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    original = asked(theme, make_customer(name="Acme"))
    duplicate_customer = make_customer(name="Hooli", account_owner=owner)
    duplicate = make_feedback(customer=duplicate_customer, verbatim="Same ask, other words")
    mark_duplicate(item=duplicate, original=original)  # the duplicate itself is not linked to the theme

    ship(theme)
    process_all()

    told = CustomerUpdate.objects.get(customer=duplicate_customer)
    assert told.owner == owner and "Same ask, other words" in told.message
    duplicate.refresh_from_db()
    assert duplicate.status == Status.SHIPPED


def shipped_again(theme: Theme, n: int) -> None:
    """Reopen and ship again. In production each ship is its own transaction, hence its own event (the trigger's key
    holds the transaction id); a test runs in one transaction, so the second event is written as the trigger would."""
    Theme.objects.filter(pk=theme.pk).update(status=ThemeStatus.IN_PROGRESS)
    ship(theme)
    DomainEvent.objects.create(
        name="theme.shipped",
        key=f"theme.shipped:{theme.pk}:again-{n}",
        payload={"theme_id": theme.pk, "at": timezone.now().isoformat()},
    )


def test_given_a_theme_shipped_twice_then_only_customers_who_asked_since_are_told(owner):
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    asked(theme, make_customer(name="Acme"))
    ship(theme)
    process_all()
    first_shipped_at = Theme.objects.get(pk=theme.pk).shipped_at

    shipped_again(theme, 1)
    process_all()
    assert CustomerUpdate.objects.count() == 1

    latecomer = make_customer(name="Latecomer")
    asked(theme, latecomer)
    shipped_again(theme, 2)
    process_all()

    assert sorted(CustomerUpdate.objects.values_list("customer__name", flat=True)) == ["Acme", "Latecomer"]
    assert Theme.objects.get(pk=theme.pk).shipped_at == first_shipped_at  # the first ship is the one measured
    assert not DomainEvent.objects.filter(processed_at__isnull=True).exists()


def test_given_a_theme_reopened_before_its_event_is_processed_then_nobody_is_told():
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    asked(theme, make_customer())
    ship(theme)
    Theme.objects.filter(pk=theme.pk).update(status=ThemeStatus.IN_PROGRESS)

    process_all()

    assert not CustomerUpdate.objects.exists()


def queries_to_close(customers: int) -> int:
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    for _ in range(customers):
        asked(theme, make_customer(), status=Status.NEW)
    ship(theme)
    with CaptureQueriesContext(connection) as captured:
        process_all()
    assert CustomerUpdate.objects.filter(theme=theme).count() == customers
    return len(captured)


def test_given_many_customers_then_closing_the_loop_takes_as_many_queries_as_for_a_few():
    assert queries_to_close(40) == queries_to_close(2)


def test_given_a_launch_shipped_then_its_themes_ship_and_the_updates_carry_the_launch(owner):
    theme = make_theme(name="Okta SSO", status=ThemeStatus.IN_PROGRESS)
    already = make_theme(name="SCIM", status=ThemeStatus.SHIPPED)
    acme = make_customer(name="Acme", account_owner=owner)
    asked(theme, acme)
    asked(already, make_customer(name="Globex"))
    launch = make_launch(name="Enterprise identity GA", themes=[theme, already])

    Launch.objects.filter(pk=launch.pk).update(status=LaunchStatus.SHIPPED, shipped_on=timezone.localdate())
    process_all()

    theme.refresh_from_db()
    assert theme.status == ThemeStatus.SHIPPED and theme.shipped_at is not None
    updates = CustomerUpdate.objects.select_related("customer", "launch")
    assert {(u.customer.name, u.theme_id, u.launch) for u in updates} == {
        ("Acme", theme.pk, launch),
        ("Globex", already.pk, launch),
    }
    assert "Enterprise identity GA" in updates.get(customer=acme).message


def test_given_a_shipped_launch_then_a_theme_shipped_later_names_it_in_its_updates():
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    launch = make_launch(name="Batch API v2", status=LaunchStatus.SHIPPED, shipped_on=timezone.localdate())
    process_all()  # the launch had no theme yet
    launch.themes.add(theme)
    asked(theme, make_customer())

    ship(theme)
    process_all()

    assert CustomerUpdate.objects.get().launch == launch


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (Language.FRENCH, "Bonne nouvelle"),
        (Language.GERMAN, "Gute Nachricht"),
        (Language.SPANISH, "Buenas noticias"),
        (Language.JAPANESE, "Good news"),
    ],
)
def test_given_a_customer_language_then_the_drafted_message_is_in_it_or_in_english(language, expected, settings):
    settings.CHANGELOG_URL = "https://docs.example.com/changelog"
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    asked(theme, make_customer(name="Société Générale", language=language), "Il faut l'export CSV " + "très " * 60)

    ship(theme)
    process_all()

    message = CustomerUpdate.objects.get().message
    assert expected in message and "Société Générale" in message and "https://docs.example.com/changelog" in message
    assert "Il faut l'export CSV très" in message and "…" in message  # a long ask is cut short


def test_given_a_linear_issue_done_then_the_theme_ships_and_its_customers_get_updates(monkeypatch, owner):
    monkeypatch.setattr("integrations.ingest.ingest_items", lambda *, items, received_via: [])
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    theme.tracker_issues = ["LIN-142"]
    theme.save()
    asked(theme, make_customer(name="Acme", account_owner=owner))
    delivery = WebhookDelivery.objects.create(
        source="linear",
        delivery_id="d-1",
        event="Issue.update",
        body=raw("linear_issue_state_changed.json").decode(),
        payload=payload("linear_issue_state_changed.json"),
    )

    deliveries.process_delivery(delivery_id=delivery.pk)
    process_all()

    update = CustomerUpdate.objects.get()
    assert (update.customer.name, update.owner, update.theme_id) == ("Acme", owner, theme.pk)
