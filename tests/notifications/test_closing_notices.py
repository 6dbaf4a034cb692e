"""Close the loop, the notification side: when customer updates are created, each account owner gets one email
listing their customers to tell, CS hears of customers with no owner, and the changelog line goes to the product
channel; all in the outbox, once."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from feedbackhub import events
from feedbackhub.models import DomainEvent
from launches.choices import LaunchStatus
from launches.models import CustomerUpdate, Launch
from notifications.choices import Channel, Kind
from notifications.models import Notification
from tests.factories import make_customer, make_feedback, make_launch, make_theme
from themes.choices import ThemeStatus
from themes.models import Theme

pytestmark = pytest.mark.django_db


def process_all() -> None:
    while events.process_pending():
        pass


def asked(theme, customer) -> None:
    make_feedback(customer=customer, verbatim=f"{customer.name} wants it").themes.add(theme)


@pytest.fixture
def owners(django_user_model):
    olivia = django_user_model.objects.create_user(username="olivia", first_name="Olivia", email="olivia@example.com")
    omar = django_user_model.objects.create_user(username="omar", first_name="Omar", email="omar@example.com")
    return olivia, omar


@pytest.fixture
def hub_url(settings):
    settings.HUB_BASE_URL = "https://hub.example.com"
    settings.PRODUCT_CHANNEL = "product-news"
    settings.CS_CHANNEL = "cs-team"
    return settings.HUB_BASE_URL


def test_given_a_theme_shipped_then_each_owner_gets_one_email_and_the_changelog_is_posted_once(owners, hub_url):
    olivia, omar = owners
    theme = make_theme(name="Okta SSO", status=ThemeStatus.IN_PROGRESS)
    for customer in [
        make_customer(name="Acme", account_owner=olivia),
        make_customer(name="Globex", account_owner=olivia),
        make_customer(name="Hooli", account_owner=omar),
    ]:
        asked(theme, customer)

    Theme.objects.filter(pk=theme.pk).update(status=ThemeStatus.SHIPPED)
    process_all()
    process_all()  # a second sweep finds nothing left to do

    emails = {n.recipient: n for n in Notification.objects.filter(channel=Channel.EMAIL)}
    assert set(emails) == {"olivia@example.com", "omar@example.com"}
    to_olivia = emails["olivia@example.com"]
    assert to_olivia.kind == Kind.CUSTOMER_UPDATE and to_olivia.subject == "Tell 2 customers: “Okta SSO” shipped"
    acme = CustomerUpdate.objects.get(customer__name="Acme")
    assert "Hi Olivia" in to_olivia.body and "Acme" in to_olivia.body and "Globex" in to_olivia.body
    assert "Hooli" not in to_olivia.body
    assert hub_url + reverse("admin:launches_customerupdate_change", args=[acme.pk]) in to_olivia.body
    assert to_olivia.key == f"customer_updates:{theme.pk}:{olivia.pk}:{acme.pk}"
    (changelog,) = Notification.objects.filter(channel=Channel.SLACK)
    assert (changelog.key, changelog.kind, changelog.recipient) == (
        f"changelog:theme:{theme.pk}",
        "changelog",
        "product-news",
    )
    assert changelog.body.startswith("Shipped: Okta SSO. 3 customers asked for it")


def test_given_a_launch_then_the_changelog_names_it(owners, hub_url):
    theme = make_theme(name="Batch API", status=ThemeStatus.IN_PROGRESS)
    asked(theme, make_customer(account_owner=owners[0]))
    launch = make_launch(name="Batch API v2", themes=[theme])

    Launch.objects.filter(pk=launch.pk).update(status=LaunchStatus.SHIPPED, shipped_on=timezone.localdate())
    process_all()

    changelog = Notification.objects.get(kind=Kind.CHANGELOG)
    assert changelog.body.startswith("Shipped: Batch API (Batch API v2). 1 customer asked for it")
    assert "with Batch API v2" in Notification.objects.get(channel=Channel.EMAIL).body


def test_given_a_re_ship_with_a_new_customer_then_only_their_owner_hears_and_no_second_changelog(owners, hub_url):
    olivia, omar = owners
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)
    asked(theme, make_customer(name="Acme", account_owner=olivia))
    Theme.objects.filter(pk=theme.pk).update(status=ThemeStatus.SHIPPED)
    process_all()

    asked(theme, make_customer(name="Hooli", account_owner=olivia))
    DomainEvent.objects.create(  # shipped again (its own transaction in production: its own event)
        name="theme.shipped", key="theme.shipped:again", payload={"theme_id": theme.pk, "at": "2027-01-04T10:00:00Z"}
    )
    process_all()

    emails = Notification.objects.filter(channel=Channel.EMAIL).order_by("id")
    assert [("Acme" in n.body, "Hooli" in n.body) for n in emails] == [(True, False), (False, True)]
    assert Notification.objects.filter(kind=Kind.CHANGELOG).count() == 1


def test_given_customers_with_no_owner_then_cs_is_told_in_its_channel(owners, hub_url, django_user_model):
    no_email = django_user_model.objects.create_user(username="noemail")
    gone = django_user_model.objects.create_user(username="gone", email="gone@example.com", is_active=False)
    theme = make_theme(name="Audit logs", status=ThemeStatus.IN_PROGRESS)
    asked(theme, make_customer(name="Orphan Corp"))
    asked(theme, make_customer(name="Mailless Inc", account_owner=no_email))
    asked(theme, make_customer(name="Left Behind", account_owner=gone))

    Theme.objects.filter(pk=theme.pk).update(status=ThemeStatus.SHIPPED)
    process_all()

    unowned = Notification.objects.get(recipient="cs-team")
    assert unowned.channel == Channel.SLACK and "3 customers" in unowned.body
    assert all(name in unowned.body for name in ["Orphan Corp", "Mailless Inc", "Left Behind"])
    assert not Notification.objects.filter(channel=Channel.EMAIL).exists()


def test_given_a_theme_with_no_feedback_then_only_the_changelog_line_is_posted(hub_url):
    theme = make_theme(name="Dark mode", status=ThemeStatus.IN_PROGRESS)

    Theme.objects.filter(pk=theme.pk).update(status=ThemeStatus.SHIPPED)
    process_all()

    (only,) = Notification.objects.all()
    assert only.kind == Kind.CHANGELOG and "No customer feedback is linked to it." in only.body
