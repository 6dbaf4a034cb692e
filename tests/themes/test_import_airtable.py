"""The Airtable base import (manage.py import_airtable): seed 001's three tables, all or nothing, idempotent."""

from __future__ import annotations

import io
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer
from feedback.choices import Category, Source, Status
from feedback.models import FeedbackItem
from themes.choices import ThemeStatus, VerificationStep
from themes.models import Theme

pytestmark = pytest.mark.django_db

AIRTABLE = Path(__file__).resolve().parent.parent / "fixtures" / "airtable"


@pytest.fixture
def base_people(django_user_model):
    """The owners the sample base names: a PM (by name and by e-mail) and two account owners."""
    for username, first, last in [
        ("priya", "Priya", "Shah"),
        ("camille", "Camille", "Laurent"),
        ("jordan", "Jordan", "Miles"),
    ]:
        django_user_model.objects.create_user(
            username=username, first_name=first, last_name=last, email=f"{first}.{last}@example.com".lower()
        )


@pytest.fixture
def base(tmp_path) -> Path:
    """A copy of the sample base that a test may edit."""
    for name in ("themes.csv", "customers.csv", "feedback.csv"):
        shutil.copy(AIRTABLE / name, tmp_path / name)
    return tmp_path


def import_airtable(folder: Path, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    files = {name: folder / f"{name}.csv" for name in ("themes", "customers", "feedback")}
    call_command("import_airtable", **files, **options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def counts() -> tuple[int, int, int]:
    return Theme.objects.count(), Customer.objects.count(), FeedbackItem.objects.count()


def test_given_the_sample_base_when_imported_then_its_three_tables_land_linked(base_people):
    out, err = import_airtable(AIRTABLE, as_of=date(2026, 4, 1))

    assert counts() == (4, 5, 7)
    assert "feedback: created 7, updated 0" in out
    assert "feedback (feedback.csv)" in err and "7/7" in err  # the progress bar
    sso = Theme.objects.get(name="SSO, SCIM and audit logs")
    assert (sso.status, sso.owner) == (ThemeStatus.IN_PROGRESS, None)
    assert Theme.objects.get(name="EU data residency").owner.username == "priya"  # owner given by e-mail
    northwind = Customer.objects.get(name="Northwind Bank")
    assert (northwind.tier, northwind.region, northwind.account_owner.username) == ("enterprise", "europe", "camille")
    assert northwind.customer_since == date(2026, 4, 1) - timedelta(days=420)
    scim = FeedbackItem.objects.get(source=Source.SLACK, source_id="airtable:2")
    assert (scim.category, scim.status, scim.customer.name) == (
        Category.FEATURE_REQUEST,
        Status.REVIEWING,
        "Helix Health",
    )
    assert list(scim.themes.all()) == [sso]
    assert FeedbackItem.objects.get(source_id="airtable:1").source == Source.ZENDESK  # "Support"
    assert sso.rollups_dirty  # linked through set_themes


def test_given_the_sample_base_when_imported_twice_then_the_second_run_adds_nothing_and_keeps_dates(base_people):
    import_airtable(AIRTABLE, as_of=date(2026, 4, 1))
    before = {c.name: c.customer_since for c in Customer.objects.all()}

    out, _ = import_airtable(AIRTABLE, as_of=date(2026, 5, 1))  # a month later: "Days as Customer" is relative

    assert counts() == (4, 5, 7)
    assert "themes: created 0, updated 4" in out and "feedback: created 0, updated 7" in out
    assert {c.name: c.customer_since for c in Customer.objects.all()} == before


def test_given_a_dry_run_then_every_row_is_checked_and_nothing_is_written(base_people):
    out, _ = import_airtable(AIRTABLE, dry_run=True)

    assert "feedback: would create 7" in out
    assert counts() == (0, 0, 0)


def test_given_a_bad_row_then_the_error_names_file_line_and_column_and_nothing_is_written(base, base_people):
    edit(base / "customers.csv", "Helix Health,Healthcare,", "Helix Health,Biotech,")

    with pytest.raises(CommandError) as raised:
        import_airtable(base)

    message = str(raised.value)
    assert "customers.csv:3: Industry: “Biotech” is not an allowed value; use one of: Financial Services" in message
    assert "nothing was written" in message
    assert counts() == (0, 0, 0)  # not even the valid themes, customers or feedback


def test_given_a_forbidden_status_move_on_re_import_then_it_is_refused_with_its_line(base, base_people):
    import_airtable(base)
    edit(base / "feedback.csv", "Fine-tuning UX,New", "Fine-tuning UX,Shipped")  # item 3, on line 4
    edit(base / "themes.csv", "Batch jobs fail", "Batch jobs break")

    with pytest.raises(CommandError) as raised:
        import_airtable(base)

    assert "feedback.csv:4: Status: Cannot move feedback from New to Shipped" in str(raised.value)
    assert FeedbackItem.objects.get(source_id="airtable:3").status == Status.NEW
    assert not Theme.objects.filter(description__contains="break").exists()  # the valid edit was rolled back too


def test_given_a_table_without_a_required_column_then_the_command_says_which(base, base_people):
    edit(base / "feedback.csv", "Verbatim,", "Quote,")

    with pytest.raises(CommandError, match=r"feedback.csv: the feedback table needs the column\(s\) verbatim"):
        import_airtable(base)


def test_given_the_sample_base_when_imported_then_every_new_theme_has_its_verification_checklist(base_people):
    import_airtable(AIRTABLE, as_of=date(2026, 4, 1))

    for theme in Theme.objects.all():
        assert theme.verification_steps.count() == len(VerificationStep), theme.name
