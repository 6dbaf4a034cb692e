"""Airtable-like grid editing (?grid=edit): status, category and priority edited in the list, through the services."""

import pytest
from django.urls import reverse

from feedback.choices import Category, Priority, Status
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db
URL = reverse("admin:feedback_feedbackitem_changelist")


def grid_post(items, **changes_by_pk) -> dict:
    data = {
        "form-TOTAL_FORMS": str(len(items)),
        "form-INITIAL_FORMS": str(len(items)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, item in enumerate(items):
        values = {"id": item.pk, "status": item.status, "category": item.category, "priority": item.priority}
        values["themes"] = [theme.pk for theme in item.themes.all()]
        values.update(changes_by_pk.get(f"i{item.pk}", {}))
        data.update({f"form-{index}-{key}": value for key, value in values.items()})
    return data


def test_given_the_list_when_opening_the_grid_then_status_category_and_priority_are_editable(admin_client):
    make_feedback()

    plain = admin_client.get(URL).content.decode()
    grid = admin_client.get(URL, {"grid": "edit"}).content.decode()

    assert 'name="form-0-status"' not in plain and "Edit in grid" in plain
    assert 'name="form-0-status"' in grid and 'name="form-0-priority"' in grid and "Done editing" in grid


def test_given_the_grid_when_saving_allowed_changes_then_they_are_stored(admin_client):
    item = make_feedback()

    admin_client.post(
        f"{URL}?grid=edit",
        grid_post(
            [item], **{f"i{item.pk}": {"status": Status.REVIEWING, "category": Category.BUG, "priority": Priority.HIGH}}
        ),
    )

    item.refresh_from_db()
    assert (item.status, item.category, item.priority) == (Status.REVIEWING, Category.BUG, Priority.HIGH)


def test_given_the_grid_when_a_row_jumps_the_workflow_then_the_row_shows_the_allowed_moves_and_nothing_is_saved(
    admin_client,
):
    item, other = make_feedback(), make_feedback()

    response = admin_client.post(
        f"{URL}?grid=edit",
        grid_post(
            [item, other],
            **{f"i{item.pk}": {"status": Status.SHIPPED}, f"i{other.pk}": {"priority": Priority.LOW}},
        ),
    )

    assert "Cannot move feedback from New to Shipped; allowed:" in response.content.decode()
    item.refresh_from_db()
    other.refresh_from_db()
    assert item.status == Status.NEW and other.priority == ""  # one bad row: the grid saves nothing


def test_given_a_user_who_may_only_view_then_no_grid_is_offered(client, django_user_model):
    from django.contrib.auth.models import Group

    from feedbackhub.roles import ENGINEERING

    engineer = django_user_model.objects.create_user(username="eng", is_staff=True)
    engineer.groups.add(Group.objects.get(name=ENGINEERING))
    client.force_login(engineer)
    make_feedback()

    page = client.get(URL, {"grid": "edit"}).content.decode()

    assert 'name="form-0-status"' not in page and "Edit in grid" not in page


def test_given_items_with_themes_when_opening_the_grid_then_their_themes_are_chosen_without_a_query_per_row(
    admin_client,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_theme

    sso, audit = make_theme(name="SSO"), make_theme(name="Audit logs")

    def grid_queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = admin_client.get(URL, {"grid": "edit"}).content.decode()
        return len(queries.captured_queries), html

    make_feedback().themes.add(sso)
    one_row, _ = grid_queries()
    for _ in range(4):
        make_feedback().themes.add(sso, audit)
    five_rows, html = grid_queries()

    assert five_rows == one_row  # the theme names come from the rows' prefetched themes
    assert 'name="form-0-themes"' in html
    assert html.count(f'<option value="{audit.pk}" selected>Audit logs</option>') == 4


def test_given_the_grid_when_a_rows_themes_change_then_they_are_linked_through_the_service(admin_client):
    from tests.factories import make_theme

    sso, audit = make_theme(name="SSO"), make_theme(name="Audit logs")
    item = make_feedback()
    item.themes.add(sso)
    type(sso).objects.filter(pk__in=[sso.pk, audit.pk]).update(rollups_dirty=False)

    data = grid_post([item])
    data["form-0-themes"] = [audit.pk]
    admin_client.post(f"{URL}?grid=edit", data)

    assert list(item.themes.all()) == [audit]
    sso.refresh_from_db()
    audit.refresh_from_db()
    assert sso.rollups_dirty and audit.rollups_dirty  # set_themes marks both themes' rollups stale
