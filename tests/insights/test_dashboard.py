"""The admin home shows the dashboard from precomputed figures: sizes, ages, links, and no scan per page view."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from celery.signals import before_task_publish
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.choices import Industry, Lifecycle
from feedback.choices import Category
from feedbackhub.roles import LAUNCH_OWNERS
from insights import services
from tests.factories import make_customer, make_feedback, make_launch, make_theme

pytestmark = pytest.mark.django_db
BIG_TABLES = ("feedback_feedbackitem", "customers_customer", "themes_theme", "launches_launch")


@pytest.fixture
def computed():
    at_risk = make_customer(name="Umbrella Bank", arr=Decimal("750000"), lifecycle_stage=Lifecycle.AT_RISK)
    theme = make_theme(name="SSO everywhere")
    for _ in range(3):
        make_feedback(customer=at_risk, category=Category.CHURN_SIGNAL, received_at=timezone.now()).themes.add(theme)
    make_launch(name="Codestral 3", target_date=timezone.localdate() + timedelta(days=1))
    services.refresh_dashboard()


def test_given_figures_when_admin_opens_home_then_it_reads_only_the_figures_in_a_few_queries(admin_client, computed):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    touched = [q["sql"] for q in queries.captured_queries if any(table in q["sql"] for table in BIG_TABLES)]
    assert touched == []  # never a scan of the domain tables per page view
    assert len(queries.captured_queries) <= 8


def test_given_figures_when_admin_opens_home_then_each_figure_shows_its_sample_and_age_and_links_to_its_rows(
    admin_client, computed
):
    page = admin_client.get(reverse("admin:index")).content.decode()

    assert "Key figures from 3 feedback items" in page
    assert "updated now" in page or "seconds ago" in page
    assert "3 churn signals</a> from 1 accounts in the last 90 days" in page
    assert reverse("admin:customers_customer_changelist") + "?at_risk=yes" in page
    assert "Umbrella Bank" in page and "$750,000" in page
    assert "SSO everywhere" in page and "Codestral 3" in page
    assert f"?customer__industry__exact={Industry.FINANCIAL_SERVICES}" in page  # coverage links to its rows
    assert "under 15" in page


def test_given_no_figures_yet_when_home_opens_then_it_says_so_and_queues_the_job(admin_client):
    published = []

    def record(sender=None, **kwargs):
        published.append(sender)

    before_task_publish.connect(record)
    try:
        page = admin_client.get(reverse("admin:index")).content.decode()
        admin_client.get(reverse("admin:index"))  # a reload before the job ran queues nothing more
    finally:
        before_task_publish.disconnect(record)

    assert "being computed" in page
    assert published == ["insights.tasks.refresh_dashboard"]


def test_given_a_launch_owner_when_home_opens_then_only_the_parts_they_may_view_are_shown(client, computed):
    user = Group.objects.get(name=LAUNCH_OWNERS).user_set.create(username="lo", is_staff=True)
    client.force_login(user)

    page = client.get(reverse("admin:index")).content.decode()

    assert "Codestral 3" in page  # launches: they may view them
    assert "Umbrella Bank" not in page and "Feedback volume" not in page  # customers and feedback: they may not


def test_given_figures_when_following_every_link_of_the_dashboard_then_each_opens_its_rows(admin_client, computed):
    page = admin_client.get(reverse("admin:index")).content.decode()
    dashboard = page[page.index('id="dashboard"') :]
    links = sorted(set(re.findall(r'href="(/admin/[^"#]+)"', dashboard)))

    answers = {link.replace("&amp;", "&"): admin_client.get(link.replace("&amp;", "&")) for link in links}

    assert len(links) > 20
    broken = {link: r.status_code for link, r in answers.items() if r.status_code != 200}
    assert broken == {}  # a filter the changelist does not allow answers 302 to ?e=1
