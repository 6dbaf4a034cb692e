"""Customer export: CS downloads the filtered changelist as CSV or XLSX, with every spreadsheet formula escaped."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from customers.choices import Industry, Region, Tier
from customers.models import Customer
from customers.resources import CustomerResource
from feedbackhub.roles import LAUNCH_OWNERS, SALES_CS
from feedbackhub.sheets import HubResource
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("admin:customers_customer_export")
FORMATS = {"csv": "0", "xlsx": "1"}  # index in SpreadsheetAdmin's export formats
PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


def export(client, fmt: str, query: str = "") -> list[dict]:
    """POST the export form as the admin's Export button does (filters ride in the query string); rows as dicts."""
    fields = CustomerResource().get_export_order()
    data = {"format": FORMATS[fmt], "resource": "0", **{f"customerresource_{name}": "on" for name in fields}}
    response = client.post(f"{EXPORT_URL}?{query}", data)
    assert response.status_code == 200, response.content[:500]
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(response.content.decode())))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows())
    return [{h.value: cell for h, cell in zip(header, row, strict=True)} for row in rows]


def value(cell):
    """A CSV cell is its text; an XLSX cell is read for its value."""
    return cell.value if isinstance(cell, openpyxl.cell.cell.Cell) else cell


@pytest.fixture
def sales_cs(django_user_model):
    """A Sales / CS person: staff, in the role's group (view customers, nothing more)."""
    user = django_user_model.objects.create_user(username="cs", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=SALES_CS))
    return user


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(username="olga", first_name="Olga", last_name="Owner")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_given_a_tier_filter_and_a_search_when_exporting_then_only_the_changelists_rows_are_exported(
    fmt, admin_client, owner
):
    wanted = make_customer(
        name="Acme North",
        tier=Tier.ENTERPRISE,
        industry=Industry.RETAIL,
        region=Region.UK,
        arr=Decimal("250000"),
        account_owner=owner,
        renewal_date=date(2027, 3, 31),
        health_score=35,
    )
    make_customer(name="Globex", tier=Tier.ENTERPRISE)  # right tier, not found by the search
    make_customer(name="Acme Small", tier=Tier.STARTUP)  # found by the search, wrong tier

    rows = export(admin_client, fmt, "tier__exact=enterprise&q=acme")

    assert [value(row["Company"]) for row in rows] == [wanted.name]
    row = {key: value(cell) for key, cell in rows[0].items()}
    assert row["Tier"] == "Enterprise ($100k+)"
    assert row["Industry"] == "Retail"
    assert row["Region"] == "UK"
    assert row["Account owner"] == "Olga Owner"
    assert row["Health score"] in ("35", 35)
    assert row["At risk"] == "yes"
    assert str(row["Renewal date"]).startswith("2027-03-31")
    assert {"Language", "Plan", "Lifecycle stage", "Primary use case", "ARR (USD)"} <= set(row)


def test_given_an_xlsx_export_then_arr_and_health_are_numbers_not_text(admin_client):
    make_customer(name="Numbers Inc", arr=Decimal("1234.5"), health_score=80)

    (row,) = export(admin_client, "xlsx")

    assert row["ARR (USD)"].data_type == "n" and float(row["ARR (USD)"].value) == 1234.5
    assert row["Health score"].data_type == "n" and row["Health score"].value == 80


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("prefix", PREFIXES, ids=["equals", "plus", "minus", "at", "tab", "carriage-return"])
def test_given_text_starting_like_a_formula_when_exporting_then_the_cell_is_quoted_text(fmt, prefix, admin_client):
    name = f'{prefix}HYPERLINK("http://evil.example","x")'
    make_customer(name=name, crm_id=f"{prefix}CRM")

    (row,) = export(admin_client, fmt)

    read = {"csv": str, "xlsx": lambda text: text.replace("\r", "\n")}[fmt]  # XML reads a carriage return as \n
    assert value(row["Company"]) == read("'" + name)
    assert value(row["CRM id"]) == read(f"'{prefix}CRM")
    if fmt == "xlsx":
        assert row["Company"].data_type == "s"  # text, never a formula cell


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_given_a_negative_number_when_exporting_then_it_stays_a_number(fmt):
    # ARR cannot be negative in the database (a check constraint): the resource is fed an unsaved account.
    account = Customer(name="Refunds Ltd", industry=Industry.RETAIL, region=Region.UK, tier=Tier.STARTUP)
    account.arr = Decimal("-1200.50")

    dataset = CustomerResource().export(queryset=[account], force_native_type=fmt == "xlsx")

    arr = dataset.dict[0]["ARR (USD)"]
    assert arr == (Decimal("-1200.50") if fmt == "xlsx" else "-1200.50")


def test_given_a_sales_cs_user_when_exporting_customers_then_the_export_is_allowed(client, sales_cs):
    make_customer(name="Their account", account_owner=sales_cs)
    client.force_login(sales_cs)

    assert client.get(EXPORT_URL).status_code == 200
    assert [value(row["Company"]) for row in export(client, "csv")] == ["Their account"]


def test_given_a_staff_user_who_may_not_view_customers_when_exporting_then_it_is_refused(client, django_user_model):
    launch_owner = django_user_model.objects.create_user(username="lo", password="x", is_staff=True)
    launch_owner.groups.add(Group.objects.get(name=LAUNCH_OWNERS))
    client.force_login(launch_owner)

    assert client.get(EXPORT_URL).status_code == 403
    assert client.post(EXPORT_URL, {"format": "0", "resource": "0"}).status_code == 403


def test_given_the_customer_changelist_then_its_export_button_keeps_the_filters(admin_client):
    make_customer(name="Acme North", tier=Tier.ENTERPRISE)

    response = admin_client.get(
        reverse("admin:customers_customer_changelist"), {"tier__exact": "enterprise", "q": "acme"}
    )

    assert f"{EXPORT_URL}?q=acme&amp;tier__exact=enterprise" in response.content.decode()


def test_given_every_admin_that_exports_then_its_resources_escape_through_the_hub_base():
    exporting = {
        model._meta.label: model_admin.get_export_resource_classes(None)
        for model, model_admin in admin.site._registry.items()
        if hasattr(model_admin, "get_export_resource_classes")
    }

    assert {"customers.Customer", "feedback.FeedbackItem"} <= set(exporting)
    assert {
        label for label, classes in exporting.items() if not all(issubclass(c, HubResource) for c in classes)
    } == set()
