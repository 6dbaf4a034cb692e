"""The KPI dashboard: each figure against hand-worked data (business from the CRM and its history, operational from
feedback, escalations, invitations and customer updates), what the job stores (n, window, computed_at, targets,
missing figures with their reason, trends with gaps, personas side by side), and the page that only reads them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from celery.signals import before_task_publish
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from customers.choices import Lifecycle, Plan
from feedback.choices import Status
from feedback.models import FieldOverride
from feedback.services import change_status
from feedbackhub.roles import PRODUCT_OPS, SALES_CS
from insights import kpi_sections, kpis, metrics
from insights.metrics import Window
from insights.models import DashboardFigure, Escalation, EscalationRule, JourneySurvey, SurveyInvitation
from launches.models import CustomerUpdate
from tests.factories import make_customer, make_feedback, make_theme
from tests.insights.test_metrics import event
from themes.choices import ThemeStatus

pytestmark = pytest.mark.django_db
URL = "/admin/insights/kpis/"


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def few(monkeypatch):
    """Every figure shown from one data point (the rule itself is tested on its own)."""
    monkeypatch.setattr(metrics, "MIN_N", 1)


def by_key(key: str) -> dict:
    return {item["key"]: item for item in DashboardFigure.objects.get(key=key).data}


def test_given_accounts_that_changed_when_business_figures_are_read_then_each_compares_now_with_the_start(now):
    since = timezone.localdate() - timedelta(days=100)
    converted = make_customer(plan=Plan.FREE, customer_since=since)
    make_customer(plan=Plan.FREE, customer_since=since, usage_change_30d=5)
    upsold = make_customer(plan=Plan.PRO, customer_since=since)
    expanded = make_customer(customer_since=since)
    churned = make_customer(customer_since=since)
    make_customer(customer_since=timezone.localdate() - timedelta(days=5))  # a customer for 5 days: not counted
    make_customer(customer_since=since, lifecycle_stage=Lifecycle.PROSPECT)  # never live
    converted.plan, converted.usage_change_30d = Plan.PRO, 15
    converted.save()
    upsold.plan = Plan.ENTERPRISE
    upsold.save()
    expanded.arr = Decimal("150000")
    expanded.save()
    churned.lifecycle_stage = Lifecycle.CHURNED
    churned.save()

    counts = kpi_sections.business_figures(window=Window.last(30, now=now))

    assert (counts["free_then"], counts["converted"]) == (2, 1)
    assert (counts["live_then"], counts["retained"]) == (5, 4)
    assert (counts["paid_then"], counts["upsold"], counts["expanded"]) == (3, 1, 1)
    assert (counts["arr_then"], counts["arr_now"]) == (500_000, 450_000)  # net revenue retention 90 %
    assert (counts["usage_n"], counts["usage_grew"]) == (2, 1)


@pytest.fixture
def loop(now):
    """Feedback decided or not, triaged with and without a person's edit; escalations; survey invitations; updates."""
    decided = make_feedback(received_at=now - timedelta(days=3), triaged_at=now)
    change_status(item=decided, status=Status.VALIDATED)  # decided now: 3 days after it came in
    shipped = make_feedback(received_at=now - timedelta(days=5), status=Status.SHIPPED, triaged_at=now)
    FieldOverride.objects.create(feedback=shipped, field="category", ai_value="bug", human_value="question")
    make_feedback(received_at=now - timedelta(days=1))  # undecided, untriaged
    make_feedback(received_at=now - timedelta(days=2), duplicate_of=decided)  # a duplicate: its original counts
    make_feedback(received_at=now - timedelta(days=40), status=Status.WONT_DO)  # before the window
    rule = EscalationRule.objects.create(name="Detractor", metric="nps_detractor", threshold=6)
    for n, hours, ago in [(1, 2, 1), (2, 6, 2), (3, 1, 40)]:
        resolved_at = now - timedelta(days=ago)
        Escalation.objects.create(
            rule=rule,
            condition_key=f"c{n}",
            severity="high",
            summary="s",
            status="resolved",
            opened_at=resolved_at - timedelta(hours=hours),
            resolved_at=resolved_at,
        )
    survey = JourneySurvey.objects.create(key="ttv", name="TTV", trigger_event="value_delivered", questions=[])
    account = make_customer()
    for n, answered in enumerate([True, False, False]):
        SurveyInvitation.objects.create(
            survey=survey,
            customer=account,
            contact=f"p{n}@x.io",
            nonce=f"n{n}",
            due_at=now,
            sent_at=now - timedelta(days=1),
            status="answered" if answered else "sent",
            answered_at=now if answered else None,
        )
    recent, older = make_theme(status=ThemeStatus.SHIPPED), make_theme(status=ThemeStatus.SHIPPED)
    recent.shipped_at, older.shipped_at = now - timedelta(days=3), now - timedelta(days=60)
    recent.save(), older.save()
    for theme, status in [(recent, "told"), (recent, "to_tell"), (older, "told")]:
        CustomerUpdate.objects.create(
            theme=theme,
            customer=make_customer(),
            message="m",
            due_on=timezone.localdate(),
            status=status,
            told_at=now if status == "told" else None,
        )


def test_given_the_loop_when_kpis_refresh_then_operational_figures_are_right_with_their_targets(loop, few, now):
    kpis.refresh_kpis(now=now)

    ops = by_key("kpi:30:operations")
    assert (ops["decision_coverage"]["value"], ops["decision_coverage"]["n"]) == (pytest.approx(200 / 3, abs=1e-3), 3)
    assert ops["decision_coverage"]["target"]["value"] == 90
    assert (ops["processing_time"]["value"], ops["processing_time"]["n"]) == (pytest.approx(3, abs=0.01), 1)
    assert (ops["automation_coverage"]["value"], ops["automation_coverage"]["n"]) == (50, 2)
    assert (ops["escalation_resolution"]["value"], ops["escalation_resolution"]["n"]) == (4, 2)
    assert (ops["response_rate"]["value"], ops["response_rate"]["n"]) == (pytest.approx(100 / 3, abs=1e-3), 3)
    assert (ops["told_rate"]["value"], ops["told_rate"]["n"], ops["told_rate"]["target"]["value"]) == (50, 2, 95)
    assert by_key("kpi:90:operations")["told_rate"]["n"] == 3  # the theme shipped 60 days ago joins
    assert ops["decision_coverage"]["window"]["days"] == 30


def test_given_product_events_when_kpis_refresh_then_user_success_and_personas_side_by_side(few, now):
    a, b, c = make_customer(), make_customer(), make_customer()
    start = now - timedelta(days=2)
    event(a, "signed_up", start, persona="analyst")
    event(a, "value_delivered", start + timedelta(minutes=20), persona="analyst")
    for podcaster in (b, c):
        event(podcaster, "signed_up", start, persona="podcaster")
        event(podcaster, "value_delivered", start + timedelta(minutes=40), persona="podcaster")
    event(b, "support_contact_closed", start, persona="podcaster", resolution_hours=3)

    kpis.refresh_kpis(now=now)

    users = by_key("kpi:30:users")
    assert (users["time_to_value"]["value"], users["time_to_value"]["n"]) == (40, 3)
    assert users["nps"]["value"] is None and users["nps"]["reason"] == "too few data points (n=0)"
    assert by_key("kpi:30:operations")["support_resolution"]["value"] == 3
    comparison = DashboardFigure.objects.get(key="kpi:30:personas").data
    assert comparison["personas"] == ["podcaster", "analyst"]  # the most data points first
    ttv = next(row for row in comparison["rows"] if row["key"] == "time_to_value")
    assert [cell["value"] for cell in ttv["cells"]] == [40, 20, 40]  # podcaster, analyst, all


def test_given_no_cac_when_kpis_refresh_then_ltv_cac_is_missing_with_the_reason_and_every_figure_is_dated(now):
    kpis.refresh_kpis(now=now)

    business = by_key("kpi:30:business")
    assert business["ltv_cac"]["value"] is None
    assert "no customer acquisition cost" in business["ltv_cac"]["reason"]
    stored = DashboardFigure.objects.filter(key__startswith="kpi:")
    assert {row.key for row in stored} >= {"kpi:30:business", "kpi:90:users", "kpi:30:personas", "kpi:trends"}
    assert {row.computed_at for row in stored} == {now}
    for item in business.values():
        assert {"n", "window", "reason", "target", "unit"} <= set(item)


def test_given_fewer_points_than_the_minimum_when_a_figure_is_made_then_no_value_but_the_reason():
    window = Window.last(30)

    low = kpis.figure("x", "X", value=50.0, n=9, unit="%", window=window)
    enough = kpis.figure("x", "X", value=50.0, n=10, unit="%", window=window)

    assert (low["value"], low["reason"]) == (None, "too few data points (n=9)")
    assert (enough["value"], enough["reason"]) == (50.0, "")


def test_given_weeks_with_and_without_answers_when_trends_are_computed_then_thin_weeks_are_gaps(now):
    account = make_customer()
    from insights.models import SurveyResponse

    for n in range(10):  # ten answers last week: enough; three the week before: a gap
        SurveyResponse.objects.create(
            kind="nps", score=10, customer=account, external_id=f"a{n}", responded_at=now - timedelta(days=1)
        )
    for n in range(3):
        SurveyResponse.objects.create(
            kind="nps", score=0, customer=account, external_id=f"b{n}", responded_at=now - timedelta(days=8)
        )

    data = kpis.trends(now=now, weeks=3)

    nps = next(series for series in data["series"] if series["key"] == "nps")
    assert [point["value"] for point in nps["points"]] == [None, None, 100]
    assert [point["n"] for point in nps["points"]] == [0, 3, 10]
    assert len(data["weeks"]) == 3


def test_given_the_migrations_then_the_kpi_job_runs_every_15_minutes_and_expires_before_the_next():
    task = PeriodicTask.objects.get(task="insights.tasks.refresh_kpis")

    assert task.interval.every == 900 and task.interval.period == "seconds"
    assert task.expire_seconds == 840 and task.enabled


# --- The page ------------------------------------------------------------------------------------------------------


def test_given_figures_when_the_page_opens_then_it_reads_them_in_a_few_queries(
    admin_client, loop, few, now, django_assert_max_num_queries
):
    kpis.refresh_kpis(now=now)

    with django_assert_max_num_queries(6):
        page = admin_client.get(URL).content.decode()

    for title in ("Business success", "Operational ease", "User success", "Personas side by side", "Weekly trends"):
        assert title in page
    assert "Decision coverage" in page and "67 %" in page and "target ≥ 90 % (seed 003) · missed" in page
    assert "no customer acquisition cost" in page
    assert 'data-type="line"' in page  # the trends are charts
    assert 'aria-current="page">30 days' in page


def test_given_a_window_when_chosen_then_its_figures_show_and_a_strange_one_falls_back(admin_client, loop, few, now):
    kpis.refresh_kpis(now=now)

    ninety = admin_client.get(URL, {"window": 90}).content.decode()
    strange = admin_client.get(URL, {"window": "7; drop"}).content.decode()

    assert 'aria-current="page">90 days' in ninety and "· 90 days ·" in ninety
    assert 'aria-current="page">30 days' in strange


def test_given_no_figures_yet_when_the_page_opens_then_it_says_so_and_queues_the_job_once(admin_client):
    published = []

    def record(sender=None, **kwargs):
        published.append(sender)

    before_task_publish.connect(record)
    try:
        page = admin_client.get(URL).content.decode()
        admin_client.get(URL)
    finally:
        before_task_publish.disconnect(record)

    assert "The KPI figures are being computed" in page
    assert published == ["insights.tasks.refresh_kpis"]


def test_given_roles_when_they_open_the_page_then_product_ops_may_and_sales_may_not(client, django_user_model):
    ops = django_user_model.objects.create_user(username="ops", is_staff=True)
    ops.groups.add(Group.objects.get(name=PRODUCT_OPS))
    sales = django_user_model.objects.create_user(username="sales", is_staff=True)
    sales.groups.add(Group.objects.get(name=SALES_CS))

    client.force_login(ops)
    allowed = client.get(URL)
    client.force_login(sales)
    refused = client.get(URL)

    assert allowed.status_code == 200
    assert refused.status_code == 403
    assert reverse("admin:insights_kpis") == URL


def test_given_demo_accounts_when_the_kpi_demo_loads_twice_then_events_once_and_persona_figures_with_values():
    from demo.kpis import load_kpi_events

    for n in range(60):
        make_customer(name=f"Demo {n}")

    first = load_kpi_events()
    second = load_kpi_events()

    assert first["created"] > 500 and second["created"] == 0 and second["duplicates"] == first["created"]
    comparison = DashboardFigure.objects.get(key="kpi:90:personas").data
    assert sorted(comparison["personas"]) == ["agency", "network", "solo_podcaster"]
    users = by_key("kpi:90:users")
    for key in ("task_completion", "feature_reuse", "time_to_value", "report_accuracy", "renewal_success"):
        assert users[key]["value"] is not None, users[key]


@pytest.mark.parametrize(("minutes", "shown"), [(45, "45 min"), (390, "6.5 h"), (5454, "3.8 days"), (None, "—")])
def test_given_a_duration_in_minutes_then_the_page_says_it_in_minutes_hours_or_days(minutes, shown):
    from insights.kpi_admin import formatted

    assert formatted(minutes, "minutes") == shown
