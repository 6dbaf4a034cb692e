"""Demo data never lands in a real database: with DEBUG off, load_demo and seed_scale refuse and write nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers.choices import Industry, Region, Tier
from customers.models import Customer, UsageSnapshot
from demo import safety
from feedback.models import FeedbackItem
from launches.models import Launch
from themes.models import Theme

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    models = (get_user_model(), Group, Customer, UsageSnapshot, FeedbackItem, Theme, Launch)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.parametrize("args", [(), ("--reset",), ("--reset", "--force")])
def test_given_debug_off_when_loading_the_demo_then_it_refuses_and_writes_nothing(settings, args):
    settings.DEBUG = False
    before = row_counts()

    with pytest.raises(CommandError, match=r"demo data is for development only.*admin/admin superuser"):
        call_command("load_demo", *args, stdout=StringIO())

    assert row_counts() == before
    assert not get_user_model().objects.filter(username="admin").exists()


def test_given_debug_off_and_a_real_customer_when_resetting_with_force_then_it_is_still_there(settings):
    settings.DEBUG = False
    Customer.objects.create(
        name="Acme Corp", domain="acme.com", industry=Industry.RETAIL, region=Region.UK, tier=Tier.STARTUP
    )

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("load_demo", "--reset", "--force", stdout=StringIO())

    assert Customer.objects.filter(domain="acme.com").exists()


def test_given_debug_off_when_seeding_scale_data_then_it_refuses_and_writes_nothing(settings):
    settings.DEBUG = False
    before = row_counts()

    with pytest.raises(CommandError, match=r"DEBUG is off \(production\): scale data is for development"):
        call_command("seed_scale", "--customers", "20", "--feedback", "50", "--workers", "0", stdout=StringIO())

    assert row_counts() == before


def test_given_an_empty_database_then_there_is_nothing_a_reset_would_wrongly_delete():
    assert safety.non_demo_rows() == {}
    safety.check_reset_is_safe()


def test_given_rows_without_the_demo_mark_then_they_are_counted_by_kind():
    Customer.objects.create(name="Acme Corp", industry=Industry.RETAIL, region=Region.UK, tier=Tier.STARTUP)
    Theme.objects.create(name="Offline mode")
    Theme.objects.create(name="Rate limits block production batch workloads")  # a demo theme's name

    assert safety.non_demo_rows() == {"customer": 1, "theme": 1}
    with pytest.raises(safety.NotDemoData, match=r"\(1 customer, 1 theme\)") as error:
        safety.check_reset_is_safe()
    assert error.value.counts == {"customer": 1, "theme": 1}


def test_given_pieces_cut_out_of_a_demo_item_then_they_are_demo_data_and_pieces_of_a_real_item_are_not():
    now = timezone.now()
    demo_call = FeedbackItem.objects.create(
        received_at=now, source="call", source_id="demo-call", verbatim="…", raw_payload={safety.PAYLOAD_MARK: "x"}
    )
    real_call = FeedbackItem.objects.create(received_at=now, source="call", source_id="real-call", verbatim="…")
    for parent in (demo_call, real_call):
        FeedbackItem.objects.create(
            received_at=now,
            source="call",
            source_id=f"{parent.source_id}#1",
            verbatim="Please add SSO.",
            source_item=parent,
            raw_payload={"extract": {"kind": "request"}},
        )

    assert safety.non_demo_rows() == {"feedback item": 2}  # the real call and its piece
