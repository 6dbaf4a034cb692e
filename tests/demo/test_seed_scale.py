"""`manage.py seed_scale`: bulk scale data through COPY, indexes and foreign keys restored afterwards."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Sum

from customers.models import Customer
from demo import safety, scale
from feedback.models import FeedbackItem
from tests.sessions import table_locked_by_another_session
from themes.models import Theme

pytestmark = pytest.mark.django_db


def seed_scale(*args: str) -> str:
    out = StringIO()
    call_command("seed_scale", *args, "--workers", "0", "--verbosity", "0", stdout=out)
    return out.getvalue()


def schema_objects() -> set[tuple[str, ...]]:
    """Every index (name, definition) and constraint (name, definition) of the public schema."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()")
        indexes = {("index", name, definition) for name, definition in cursor.fetchall()}
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = current_schema()::regnamespace"
        )
        constraints = {("constraint", name, definition) for name, definition in cursor.fetchall()}
    return indexes | constraints


def test_given_an_empty_database_when_seeding_then_exactly_the_requested_rows_are_inserted():
    seed_scale("--feedback", "2000", "--customers", "100", "--themes", "10", "--batch", "700")

    assert Customer.objects.count() == 100
    assert FeedbackItem.objects.count() == 2000
    assert Theme.objects.count() == 10
    assert FeedbackItem.objects.filter(customer=None).count() < 200
    assert 0.02 <= FeedbackItem.objects.exclude(duplicate_of=None).count() / 2000 <= 0.08


def test_given_a_seeded_database_then_theme_links_exist_and_rollups_are_refreshed():
    seed_scale("--feedback", "2000", "--customers", "100", "--themes", "10")

    links = FeedbackItem.themes.through.objects
    assert 0.3 <= links.count() / 2000 <= 0.9
    counted = Theme.objects.aggregate(total=Sum("feedback_count"))["total"]
    assert counted == links.filter(feedbackitem__duplicate_of=None).count()
    assert not Theme.objects.filter(rollups_refreshed_at=None).exists()
    assert Theme.objects.filter(arr_impacted__gt=0).exists()


def test_given_the_schema_when_seeding_then_every_index_and_constraint_is_back_afterwards():
    before = schema_objects()

    seed_scale("--feedback", "2000", "--customers", "100", "--themes", "5")

    after = schema_objects()
    assert after == before
    assert any(name == "feedback_unique_source_item" for _, name, _ in after)


def test_given_a_seeded_database_when_seeding_again_then_source_ids_domains_and_crm_ids_do_not_collide():
    seed_scale("--feedback", "1000", "--customers", "50", "--themes", "3")

    seed_scale("--feedback", "1000", "--customers", "50", "--themes", "3")

    assert FeedbackItem.objects.count() == 2000
    assert Customer.objects.count() == 100
    assert not FeedbackItem.objects.values("source", "source_id").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_given_existing_customers_when_seeding_feedback_only_then_it_goes_to_those_customers():
    seed_scale("--customers", "30", "--themes", "0")
    existing = set(Customer.objects.values_list("id", flat=True))

    seed_scale("--feedback", "500", "--themes", "0")

    assert Customer.objects.count() == 30
    assert FeedbackItem.objects.count() == 500
    assert set(FeedbackItem.objects.exclude(customer=None).values_list("customer", flat=True)) <= existing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--feedback", "-5", "--customers", "10"), "--feedback must be 0 or a positive whole number"),
        (("--customers", "-1"), "--customers must be 0 or a positive whole number"),
        (("--customers", "10", "--themes", "-2"), "--themes must be 0 or a positive whole number"),
        (("--customers", "10", "--batch", "0"), "--batch must be a positive whole number"),
        ((), "Nothing to do: pass --feedback N and/or --customers N"),
        (("--feedback", "100"), "pass --customers N"),
        (("--feedback", "lots"), "invalid int value"),
    ],
)
def test_given_bad_arguments_when_seeding_then_it_refuses_with_what_to_do(args, message):
    with pytest.raises(CommandError, match=message):
        seed_scale(*args)

    assert not FeedbackItem.objects.exists() and not Customer.objects.exists()


def test_given_a_failure_during_the_load_when_seeding_then_nothing_is_written(monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("generator crashed")

    monkeypatch.setattr(scale, "_copy_feedback", explode)
    before = schema_objects()

    with pytest.raises(RuntimeError, match="generator crashed"):
        seed_scale("--feedback", "100", "--customers", "20", "--themes", "2")

    assert not Customer.objects.exists() and not Theme.objects.exists()
    assert schema_objects() == before


def test_given_generator_processes_when_seeding_then_the_content_is_the_same_as_in_process():
    def verbatims_after(workers: str) -> list[str]:
        with transaction.atomic():
            call_command(
                "seed_scale", "--feedback", "600", "--customers", "40", "--themes", "3", "--batch", "250",
                "--seed", "7", "--workers", workers, "--verbosity", "0", stdout=StringIO(),
            )  # fmt: skip
            verbatims = list(FeedbackItem.objects.order_by("id").values_list("verbatim", flat=True))
            transaction.set_rollback(True)
        return verbatims

    in_process, two_workers = verbatims_after("0"), verbatims_after("2")

    assert len(in_process) == 600
    assert two_workers == in_process


def test_given_another_session_using_the_table_when_seeding_then_it_says_it_waits_and_then_loads():
    messages: list[str] = []

    with table_locked_by_another_session("customers_customer", release_after=0.5):
        report = scale.seed_scale(
            feedback=0, customers=5, themes=0, batch=100, seed=1, progress=False, log=messages.append
        )

    assert any(message.startswith("Waiting for other sessions to release customers_customer") for message in messages)
    assert report.customers == 5 and Customer.objects.count() == 5


def test_given_scale_data_then_every_row_carries_the_demo_mark_so_a_reset_may_delete_it():
    seed_scale("--feedback", "300", "--customers", "30", "--themes", "25")

    assert safety.non_demo_rows() == {}
    assert Customer.objects.filter(domain__endswith=safety.CUSTOMER_DOMAIN_SUFFIX).count() == 30
    marks = set(FeedbackItem.objects.values_list(f"raw_payload__{safety.PAYLOAD_MARK}", flat=True))
    assert len(marks) == 1 and marks.pop().startswith("seed_scale:")
