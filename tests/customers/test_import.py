"""Customer import: a dry run with one error per row, then create or update by domain or CRM id, all or nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.choices import Industry, Tier
from customers.models import Customer
from customers.resources import CustomerResource
from feedbackhub.roles import PRODUCT_OPS, SALES_CS
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:customers_customer_import")
PROCESS_URL = reverse("admin:customers_customer_process_import")
HEADER = "Company,Domain,CRM id,Industry,Region,Tier,ARR (USD),Account owner,Renewal date,Health score\n"


def upload(client, content: bytes, name: str = "customers.csv", fmt: str = "0"):
    """The import form's first step: upload and dry run. Returns the response (its context has ``result``)."""
    file = SimpleUploadedFile(name, content)
    return client.post(IMPORT_URL, {"resource": "0", "format": fmt, "import_file": file})


def confirm(client, response):
    """The confirm step, as the preview page's button posts it."""
    return client.post(PROCESS_URL, response.context["confirm_form"].initial)


def dataset(csv_text: str) -> tablib.Dataset:
    return tablib.Dataset().load(HEADER + csv_text, format="csv")


def errors_by_row(result) -> dict[int, str]:
    return {
        row.number: " ".join(" ".join(messages) for messages in row.error_dict.values()) for row in result.invalid_rows
    }


def test_given_a_file_with_bad_rows_when_previewing_then_each_bad_row_has_its_error_and_nothing_is_written(
    admin_client,
):
    content = (
        HEADER
        + "Good Co,good.example,,Retail,UK,Startup,1000,,,\n"
        + "Bad Industry,bad.example,,Fintech,UK,Startup,1000,,,\n"
        + "No Key,,,Retail,UK,Startup,1000,,,\n"
        + "Bad Owner,owner.example,,Retail,UK,Startup,1000,Nobody Known,,\n"
    ).encode()

    response = upload(admin_client, content)

    result = response.context["result"]
    errors = errors_by_row(result)
    assert sorted(errors) == [2, 3, 4]
    assert "“Fintech” is not an allowed value; use one of: Financial Services, Healthcare, Technology" in errors[2]
    assert "domain or a CRM id" in errors[3]
    assert "No user is called “Nobody Known”" in errors[4]
    assert "confirm_form" not in response.context
    assert "use one of: Financial Services" in response.content.decode()
    assert not Customer.objects.exists()


def test_given_a_valid_file_when_previewing_then_nothing_is_written_until_confirmed(admin_client):
    content = (HEADER + "Good Co,good.example,,Retail,UK,Startup,1000,,2027-01-31,70\n").encode()

    response = upload(admin_client, content)

    assert not response.context["result"].has_validation_errors()
    assert not Customer.objects.exists()

    confirm(admin_client, response)

    customer = Customer.objects.get()
    assert (customer.name, customer.domain, customer.industry, customer.arr) == (
        "Good Co",
        "good.example",
        Industry.RETAIL,
        Decimal("1000"),
    )


def test_given_existing_accounts_when_importing_then_rows_update_by_domain_or_crm_id_and_new_ones_are_created(
    admin_client, django_user_model
):
    by_domain = make_customer(name="Acme", domain="acme.example", tier=Tier.STARTUP)
    by_crm = make_customer(name="Globex", domain=None, crm_id="001GLX", tier=Tier.STARTUP)
    owner = django_user_model.objects.create_user(username="olga", first_name="Olga", last_name="Owner")
    content = (
        HEADER
        + "Acme Corp,https://www.ACME.example/about,,Technology,Europe (GDPR),Enterprise,250000,olga,,\n"
        + "Globex,,001GLX,Technology,europe,mid market,90000,Olga Owner,,\n"
        + "Initech,initech.example,,Technology,UK,Startup,1000,,,\n"
    ).encode()

    confirm(admin_client, upload(admin_client, content))
    confirm(admin_client, upload(admin_client, content))  # the same file again: updates, adds nothing

    assert Customer.objects.count() == 3
    by_domain.refresh_from_db()
    by_crm.refresh_from_db()
    assert (by_domain.name, by_domain.tier, by_domain.arr, by_domain.account_owner) == (
        "Acme Corp",
        Tier.ENTERPRISE,
        Decimal("250000"),
        owner,
    )
    assert (by_crm.tier, by_crm.account_owner) == (Tier.MID_MARKET, owner)
    assert Customer.objects.get(domain="initech.example").name == "Initech"


def test_given_a_domain_and_a_crm_id_of_two_accounts_when_importing_then_the_row_is_refused():
    make_customer(name="Acme", domain="acme.example")
    make_customer(name="Globex", crm_id="001GLX")

    result = CustomerResource().import_data(dataset("Acme,acme.example,001GLX,Retail,UK,Startup,1,,,\n"))

    assert "CRM id “001GLX” belongs to “Globex” but domain “acme.example” belongs to “Acme”" in errors_by_row(result)[1]


def test_given_one_bad_row_when_importing_for_real_then_no_row_is_written():
    acme = make_customer(name="Acme", domain="acme.example", tier=Tier.STARTUP)

    result = CustomerResource().import_data(
        dataset("Acme,acme.example,,Retail,UK,Enterprise,1,,,\nNew Co,new.example,,Retail,UK,Startup,-5,,,\n"),
        dry_run=False,
    )

    assert sorted(errors_by_row(result)) == [2]  # negative ARR breaks the check constraint
    acme.refresh_from_db()
    assert acme.tier == Tier.STARTUP
    assert not Customer.objects.filter(domain="new.example").exists()


def test_given_a_product_ops_user_who_may_change_but_not_add_when_importing_then_only_new_rows_are_refused(
    django_user_model,
):
    ops = django_user_model.objects.create_user(username="ops", is_staff=True)
    ops.groups.add(Group.objects.get(name=PRODUCT_OPS))
    acme = make_customer(name="Acme", domain="acme.example", tier=Tier.STARTUP)

    refused = CustomerResource().import_data(
        dataset("Acme,acme.example,,Retail,UK,Enterprise,1,,,\nNew Co,new.example,,Retail,UK,Startup,1,,,\n"),
        user=ops,
    )
    allowed = CustomerResource().import_data(dataset("Acme,acme.example,,Retail,UK,Enterprise,1,,,\n"), user=ops)

    assert list(errors_by_row(refused)) == [2]
    assert "You may not add new customers" in errors_by_row(refused)[2]
    assert not allowed.has_validation_errors()
    acme.refresh_from_db()
    assert acme.tier == Tier.ENTERPRISE


def test_given_a_sales_cs_user_when_opening_the_import_then_it_is_refused(client, django_user_model):
    cs = django_user_model.objects.create_user(username="cs", is_staff=True)
    cs.groups.add(Group.objects.get(name=SALES_CS))
    client.force_login(cs)

    assert client.get(IMPORT_URL).status_code == 403
    assert f'href="{IMPORT_URL}"' not in client.get(reverse("admin:customers_customer_changelist")).content.decode()


def test_given_an_xlsx_file_when_importing_then_it_reads_like_a_csv(admin_client):
    book = openpyxl.Workbook()
    book.active.append(HEADER.strip().split(","))
    book.active.append(["Sheet Co", "sheet.example", None, "Healthcare", "APAC", "Enterprise", 120000, None, None, 55])
    content = io.BytesIO()
    book.save(content)

    confirm(admin_client, upload(admin_client, content.getvalue(), name="customers.xlsx", fmt="1"))

    customer = Customer.objects.get(domain="sheet.example")
    assert (customer.industry, customer.arr, customer.health_score) == (Industry.HEALTHCARE, Decimal("120000"), 55)
