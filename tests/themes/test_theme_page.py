"""The theme page shows its verbatims and who asked by segment, with significance."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.choices import Industry, Region, Tier
from feedback import services as feedback_services
from tests.factories import make_customer, make_feedback, make_theme
from themes import selectors, services
from themes.models import Theme

pytestmark = pytest.mark.django_db

# Session, user, the theme, its checklist, its verbatims, who asked by segment (one grouped query), its history;
# three to spare. Whatever the number of steps, verbatims, customers or segments: nothing is read per row.
PAGE_QUERY_BUDGET = 10


@pytest.fixture
def busy_theme(django_user_model):
    """A theme asked about by 25 customers across segments, with ticked steps (each by someone) and duplicates."""
    theme = make_theme(name="SSO everywhere")
    checkers = [django_user_model.objects.create_user(username=f"checker-{n}") for n in range(3)]
    for step, checker in zip(theme.verification_steps.order_by("position"), checkers, strict=False):
        step.done_at, step.done_by = timezone.now(), checker
        step.save()
    tiers, industries, regions = list(Tier), list(Industry), list(Region)
    for n in range(25):
        customer = make_customer(tier=tiers[n % len(tiers)], industry=industries[n % 6], region=regions[n % 5])
        original = make_feedback(customer=customer, verbatim=f"SSO please ({n})")
        original.themes.add(theme)
        make_feedback(customer=customer, duplicate_of=original).themes.add(theme)
    return theme


def test_given_theme_with_feedback_when_opening_its_page_then_verbatims_and_segments_are_shown(
    admin_client, django_assert_max_num_queries
):
    theme = make_theme(name="Audit logs")
    enterprise = [make_customer(tier=Tier.ENTERPRISE, arr=Decimal("200000")) for _ in range(12)]
    make_customer(tier=Tier.MID_MARKET)
    for customer in enterprise[:6]:
        make_feedback(customer=customer, verbatim=f"We need audit logs for SOC2 ({customer.name})").themes.add(theme)
    original = make_feedback(customer=enterprise[0], verbatim="Audit log export please")
    original.themes.add(theme)
    make_feedback(customer=enterprise[1], verbatim="duplicate words", duplicate_of=original).themes.add(theme)

    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        response = admin_client.get(reverse("admin:themes_theme_change", args=[theme.pk]))

    page = response.content.decode()
    assert "We need audit logs for SOC2" in page and "Audit log export please" in page
    assert "duplicate words" not in page  # duplicates are not read twice
    enterprise_row = re.search(rf"<td>{re.escape(Tier.ENTERPRISE.label)}</td>(.*?)</tr>", page, re.S).group(1)
    assert re.search(r'<td class="n">7</td>', enterprise_row)  # data points: 7 originals
    assert "6 / 12" in enterprise_row  # accounts asking of the segment's accounts
    assert "Under-represented: needs 5+ data points" not in enterprise_row  # 12 accounts: directional, 7 ≥ 5
    assert "Directional only" in enterprise_row
    assert f"?themes__id__exact={theme.pk}" in page


def test_given_a_busy_theme_when_opening_its_page_then_it_stays_within_the_query_budget(
    admin_client, busy_theme, django_assert_max_num_queries
):
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        response = admin_client.get(reverse("admin:themes_theme_change", args=[busy_theme.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("SSO please (") == 20  # the latest twenty verbatims
    assert "checker-0" in page  # who ticked a step


def test_given_a_busy_theme_when_opening_its_page_then_the_theme_row_is_read_once(admin_client, busy_theme):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:themes_theme_change", args=[busy_theme.pk]))

    assert response.status_code == 200
    table = f'FROM "{Theme._meta.db_table}"'
    theme_reads = [query["sql"] for query in queries.captured_queries if table in query["sql"]]
    assert len(theme_reads) == 1, "\n\n".join(theme_reads)


def segments_shown(theme: Theme) -> dict[str, dict[str, tuple]]:
    return {
        dimension["key"]: {s.value: (s.items, s.customers, s.segment_size, s.arr) for s in dimension["segments"]}
        for dimension in selectors.theme_segments(theme=theme)
    }


def test_given_refreshed_rollups_when_opening_the_theme_page_then_segments_are_read_from_them_not_counted(
    admin_client, busy_theme
):
    counted_live = segments_shown(busy_theme)
    services.refresh_rollups(theme_ids=[busy_theme.pk])
    busy_theme.refresh_from_db()

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:themes_theme_change", args=[busy_theme.pk]))

    assert response.status_code == 200
    assert not [query for query in queries.captured_queries if "GROUPING SETS" in query["sql"]]
    assert segments_shown(busy_theme) == counted_live
    assert counted_live["tier"][Tier.ENTERPRISE] == (7, 7, 7, 700000.0)  # 25 accounts over 4 tiers, duplicates out


def test_given_a_theme_flagged_stale_when_opening_its_page_then_segments_are_counted_now(admin_client, busy_theme):
    services.refresh_rollups(theme_ids=[busy_theme.pk])
    newcomer = make_customer(tier=Tier.STARTUP)
    feedback_services.set_themes(item=make_feedback(customer=newcomer, verbatim="Me too"), themes=[busy_theme])

    response = admin_client.get(reverse("admin:themes_theme_change", args=[busy_theme.pk]))

    startup_row = re.search(rf"<td>{re.escape(Tier.STARTUP.label)}</td>(.*?)</tr>", response.content.decode(), re.S)
    assert "7 / 7" in startup_row.group(1)  # the six startups of the fixture and the newcomer, not yet in the rollups
