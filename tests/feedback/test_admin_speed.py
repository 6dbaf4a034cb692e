"""The feedback list offers only what stays fast at 1M rows: the indexed order, and pages no deeper than the cap."""

from datetime import timedelta

import pytest
from django.core.paginator import EmptyPage
from django.urls import reverse
from django.utils import timezone

from feedbackhub.admin_tools import MAX_PAGES, EstimatedCountPaginator
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db


def test_given_the_feedback_list_then_only_the_received_date_is_offered_as_a_sort(admin_client):
    make_feedback()

    response = admin_client.get(reverse("admin:feedback_feedbackitem_changelist"))

    sortable = [header["text"] for header in response.context["result_headers"] if header["sortable"]]
    assert [str(text).lower() for text in sortable] == ["received at"]


def test_given_a_sort_on_another_column_in_the_url_then_the_indexed_order_is_kept(admin_client):
    older, newer = make_feedback(summary="B older"), make_feedback(summary="A newer")

    response = admin_client.get(reverse("admin:feedback_feedbackitem_changelist"), {"o": "2"})  # 2 = the summary

    assert list(response.context["cl"].result_list) == [newer, older]


def test_given_more_rows_than_the_cap_then_the_pager_stops_at_the_last_allowed_page():
    paginator = EstimatedCountPaginator(range((MAX_PAGES + 5) * 10), 10)

    assert paginator.num_pages == MAX_PAGES
    assert paginator.page(MAX_PAGES).number == MAX_PAGES
    with pytest.raises(EmptyPage):
        paginator.page(MAX_PAGES + 1)


def test_given_a_page_past_the_cap_in_the_url_then_the_admin_refuses_it_instead_of_reading_it(admin_client):
    for _ in range(51):  # two pages
        make_feedback()

    response = admin_client.get(reverse("admin:feedback_feedbackitem_changelist"), {"p": str(MAX_PAGES + 1)})

    assert response.status_code == 302 and "e=1" in response.url


def test_given_one_theme_filter_then_the_list_reads_the_theme_links_first_and_lists_each_item_once(admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_theme

    sso, audit = make_theme(name="SSO"), make_theme(name="Audit")
    both = make_feedback(verbatim="SSO and audit logs", received_at=timezone.now() - timedelta(days=2))
    both.themes.add(sso, audit)
    newer = make_feedback(verbatim="SSO again", received_at=timezone.now() - timedelta(days=1))
    newer.themes.add(sso)
    make_feedback(verbatim="Nothing to do with it").themes.add(audit)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:feedback_feedbackitem_changelist"), {"themes__id__exact": sso.pk})

    assert list(response.context["cl"].result_list) == [newer, both]  # newest first, each once
    listing = [q["sql"] for q in queries.captured_queries if 'FROM "feedback_feedbackitem"' in q["sql"]]
    assert listing and all('"feedback_feedbackitem"."id" = ANY(ARRAY(' in sql for sql in listing)
    assert not any("DISTINCT" in sql or 'INNER JOIN "feedback_feedbackitem_themes"' in sql for sql in listing)


def test_given_a_theme_filter_that_is_not_a_theme_id_then_the_list_refuses_it_or_lists_nothing(admin_client):
    from tests.factories import make_theme

    sso = make_theme(name="SSO")
    linked = make_feedback(verbatim="SSO please")
    linked.themes.add(sso)
    make_feedback(verbatim="No theme")
    url = reverse("admin:feedback_feedbackitem_changelist")

    assert admin_client.get(url, {"themes__id__exact": "abc"})["Location"].endswith("?e=1")
    assert list(admin_client.get(url, {"themes__id__exact": sso.pk + 1000}).context["cl"].result_list) == []
