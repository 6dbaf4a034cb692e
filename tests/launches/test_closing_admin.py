"""The account owner's customer updates in the admin: their own list, overdue in red, the drafted message editable,
"Mark told" and "Skip" through ``launches.closing``; the loop's figures on the list and on the theme page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from feedbackhub.roles import SALES_CS
from launches.models import CustomerUpdate
from tests.api_support import make_user
from tests.factories import make_customer, make_feedback, make_theme
from themes.choices import ThemeStatus

pytestmark = pytest.mark.django_db

ROWS = 20
QUERY_BUDGET = 12
CHANGELIST = "admin:launches_customerupdate_changelist"


def make_update(theme, *, owner=None, status="to_tell", due_in: int = 5, name: str = "") -> CustomerUpdate:
    customer = make_customer(account_owner=owner, **({"name": name} if name else {}))
    return CustomerUpdate.objects.create(
        theme=theme,
        customer=customer,
        owner=owner,
        message=f"Hi {customer.name} team, it shipped.",
        due_on=timezone.localdate() + timedelta(days=due_in),
        status=status,
        told_at=timezone.now() if status == "told" else None,
    )


@pytest.fixture
def theme():
    return make_theme(name="Okta SSO", status=ThemeStatus.SHIPPED)


@pytest.fixture
def olivia(django_user_model):
    return django_user_model.objects.create_user(username="olivia", first_name="Olivia", is_staff=True)


def test_given_updates_when_the_list_opens_then_rows_render_within_the_budget_with_the_figures(
    admin_client, theme, olivia, django_assert_max_num_queries
):
    updates = [make_update(theme, owner=olivia) for _ in range(ROWS)]
    late = make_update(theme, owner=olivia, due_in=-3, name="Late Corp")
    make_update(theme, status="told", due_in=-3, name="Told Corp")

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = admin_client.get(reverse(CHANGELIST))

    rows = list(response.context["cl"].result_list)
    assert rows[0] == late and len(rows) == ROWS + 2  # to tell first, the most urgent first
    assert {u.pk for u in updates} < {row.pk for row in rows}
    page = response.content.decode()
    assert page.count('class="fh-overdue"') == 1 and "3 days late" in page  # a told one is never late
    assert "Feedback addressed · All shipped themes:" in page and "5% of customers told (1 of 22" in page


def test_given_the_my_updates_filter_then_only_the_users_own_are_listed(client, theme, olivia, django_user_model):
    mine = make_update(theme, owner=olivia)
    make_update(theme, owner=django_user_model.objects.create_user(username="omar"))
    make_update(theme)
    olivia.is_superuser = True
    olivia.save()
    client.force_login(olivia)

    response = client.get(reverse(CHANGELIST), {"whose": "mine"})

    assert list(response.context["cl"].result_list) == [mine]


def test_given_selected_updates_when_marked_told_then_who_and_when_are_recorded(admin_client, admin_user, theme):
    to_tell, skipped, other = make_update(theme), make_update(theme, status="skipped"), make_update(theme)

    admin_client.post(
        reverse(CHANGELIST), {"action": "mark_told_selected", "_selected_action": [to_tell.pk, skipped.pk]}
    )

    for update in (to_tell, skipped):
        update.refresh_from_db()
        assert (update.status, update.told_by) == ("told", admin_user) and update.told_at is not None
    other.refresh_from_db()
    assert other.status == "to_tell"


def test_given_selected_updates_when_skipped_then_told_ones_stay_told(admin_client, theme):
    to_tell, told = make_update(theme), make_update(theme, status="told")

    admin_client.post(reverse(CHANGELIST), {"action": "skip_selected", "_selected_action": [to_tell.pk, told.pk]})

    assert dict(CustomerUpdate.objects.values_list("pk", "status")) == {to_tell.pk: "skipped", told.pk: "told"}


def test_given_the_change_form_when_the_message_is_edited_and_marked_told_then_both_are_saved(
    admin_client, admin_user, theme
):
    update = make_update(theme)
    url = reverse("admin:launches_customerupdate_change", args=[update.pk])
    page = admin_client.get(url).content.decode()
    assert "Save and mark told" in page and "it shipped." in page

    response = admin_client.post(
        url, {"message": "Dear Acme, SSO is live.", "launches_customerupdate_save_and_mark_told": "1"}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    update.refresh_from_db()
    assert (update.message, update.status, update.told_by) == ("Dear Acme, SSO is live.", "told", admin_user)


def test_given_the_admin_then_updates_are_never_added_or_deleted_by_hand(admin_client, theme):
    update = make_update(theme)

    assert admin_client.get(reverse("admin:launches_customerupdate_add")).status_code == 403
    assert admin_client.get(reverse("admin:launches_customerupdate_delete", args=[update.pk])).status_code == 403


def test_given_a_sales_user_then_only_updates_of_their_accounts_are_listed(client, theme, django_user_model):
    sam = make_user(django_user_model, "sam", groups=[SALES_CS])
    sam.user_permissions.add(Permission.objects.get(codename="view_customerupdate"))
    own = make_update(theme, owner=sam)
    make_update(theme, owner=django_user_model.objects.create_user(username="olga"))
    client.force_login(sam)

    response = client.get(reverse(CHANGELIST))

    assert list(response.context["cl"].result_list) == [own]


def test_given_a_shipped_theme_then_its_page_shows_the_loop_figures(admin_client, theme):
    make_update(theme, status="told")
    make_update(theme)
    make_feedback(status="shipped").themes.add(theme)

    page = admin_client.get(reverse("admin:themes_theme_change", args=[theme.pk])).content.decode()

    assert "50% of customers told (1 of 2)" in page and "100% of feedback items shipped (1 of 1)" in page
    assert reverse(CHANGELIST) + f"?theme__id__exact={theme.pk}" in page


def test_given_a_theme_not_shipped_then_its_page_says_so(admin_client):
    theme = make_theme(status=ThemeStatus.IN_PROGRESS)

    page = admin_client.get(reverse("admin:themes_theme_change", args=[theme.pk])).content.decode()

    assert "Not shipped yet" in page
