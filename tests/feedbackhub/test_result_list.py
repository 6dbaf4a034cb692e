"""The changelist rows drawn per column (feedbackhub.result_list) say exactly what unfold's per-cell renderer says."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from unfold.templatetags import unfold_list

from feedback.choices import Category, Priority, Sentiment, Status
from tests.factories import make_customer, make_feedback, make_launch, make_theme

pytestmark = pytest.mark.django_db


def cells(row_html: str) -> list[tuple[str, str, str]]:
    """(tag, field class, content) of each cell, whitespace squeezed; the utility classes left out."""
    found = re.findall(r'<(td|th) class="([^"]*)"[^>]*>(.*?)</\1>', row_html, re.DOTALL)
    return [
        (
            tag,
            " ".join(name for name in classes.split() if name.startswith(("field-", "action-checkbox", "nowrap"))),
            " ".join(re.sub(r'class="[^"]*"', "", content).split()),
        )
        for tag, classes, content in found
    ]


def unfold_rows(cl) -> list[str]:
    """The rows as unfold's own ``result_list`` draws them (the renderer this one replaces)."""
    return ["".join(str(item) for item in row) for row in unfold_list.results(cl)]


@pytest.fixture
def rows():
    customer = make_customer(name="Acme & Sons <Ltd>")
    theme = make_theme(name="SSO")
    full = make_feedback(
        verbatim="SSO with <script> & quotes \" '",
        customer=customer,
        category=Category.FEATURE_REQUEST,
        priority=Priority.HIGH,
        sentiment_score=-0.6,
        status=Status.NEW,
    )
    full.themes.add(theme)
    make_feedback(verbatim="Nothing known about this one")  # no customer, no category, no priority
    make_feedback(verbatim="Batch jobs crash", customer=customer, category=Category.BUG, severity="critical")
    make_launch(name="SSO for everyone")
    return full


@pytest.mark.parametrize(
    "url",
    [
        "admin:feedback_feedbackitem_changelist",
        "admin:customers_customer_changelist",
        "admin:themes_theme_changelist",
        "admin:launches_launch_changelist",
        "admin:feedback_bugreport_changelist",
    ],
)
def test_given_rows_when_a_changelist_opens_then_each_cell_says_what_unfolds_renderer_says(admin_client, rows, url):
    response = admin_client.get(reverse(url))

    assert response.status_code == 200
    cl = response.context["cl"]
    ours = re.findall(r"<tbody class=\"block relative lg:table-row-group.*?</tbody>", response.content.decode(), re.S)
    assert len(ours) == len(cl.result_list)
    assert [cells(row) for row in ours] == [cells(row) for row in unfold_rows(cl)]
    assert 'class="field-' in ours[0] and "fh-td" in ours[0]  # drawn here: one short cell class


def test_given_the_feedback_list_then_labels_links_and_escaping_are_there(admin_client, rows):
    html = admin_client.get(reverse("admin:feedback_feedbackitem_changelist")).content.decode()

    assert "Acme &amp; Sons &lt;Ltd&gt;" in html and "<Ltd>" not in html
    assert "&lt;script&gt;" in html and "<script> &" not in html
    assert reverse("admin:feedback_feedbackitem_change", args=[rows.pk]) in html
    assert reverse("admin:customers_customer_change", args=[rows.customer_id]) in html
    assert re.search(r">\s*High\s*</span>", html)  # the priority pill
    assert f'name="_selected_action" value="{rows.pk}"' in html
    assert Sentiment.NEGATIVE.label in html


def test_given_the_grid_then_each_rows_fields_are_unfolds_with_the_rows_own_names(admin_client, rows):
    sso = rows.themes.get()
    for _ in range(3):
        make_feedback(status=Status.REVIEWING).themes.add(sso)

    response = admin_client.get(reverse("admin:feedback_feedbackitem_changelist"), {"grid": "edit"})

    cl = response.context["cl"]
    html = response.content.decode()
    ours = re.findall(r"<tbody class=\"block relative lg:table-row-group.*?</tbody>", html, re.S)
    assert [cells(row) for row in ours] == [cells(row) for row in unfold_rows(cl)]
    for index, item in enumerate(cl.result_list):  # each row's widgets carry its own form prefix and value
        assert f'name="form-{index}-status" ' in ours[index] and f'id="id_form-{index}-status"' in ours[index]
        assert f'<option value="{item.status}" selected>' in ours[index]
    assert "fh-td" in ours[0]


def test_given_a_grid_row_with_an_error_then_that_row_shows_it_and_keeps_the_posted_values(admin_client, rows):
    url = reverse("admin:feedback_feedbackitem_changelist") + "?grid=edit"
    items = list(response_items := admin_client.get(url).context["cl"].result_list)
    data = {
        "form-TOTAL_FORMS": str(len(items)),
        "form-INITIAL_FORMS": str(len(items)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, item in enumerate(response_items):
        data |= {f"form-{index}-id": item.pk, f"form-{index}-status": item.status}
        data |= {f"form-{index}-category": item.category, f"form-{index}-priority": item.priority}
        data[f"form-{index}-themes"] = [theme.pk for theme in item.themes.all()]
    data["form-0-status"] = Status.SHIPPED  # New → Shipped skips the workflow

    html = admin_client.post(url, data).content.decode()

    first = re.findall(r"<tbody class=\"block relative lg:table-row-group.*?</tbody>", html, re.S)[0]
    assert "group errors" in first and "Cannot move feedback from New to Shipped" in first
    assert '<option value="shipped" selected>' in first  # the posted value stays, to be corrected


def test_given_an_admin_with_row_actions_or_sections_then_this_renderer_steps_aside(rf, admin_user):
    from feedbackhub.result_list import fast_rows_apply

    class Fake:
        formset = None
        is_popup = False
        model_admin = admin.site._registry[type(make_customer())]

    assert fast_rows_apply(Fake)
    assert not fast_rows_apply(Fake, actions_row=[{"title": "Open"}])
    Fake.is_popup = True
    assert not fast_rows_apply(Fake)
