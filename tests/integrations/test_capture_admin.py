"""The capture admin (keys made with their secret shown once, signals read-only), the demo page and host page, and the
dashboard panel of thumbs per feature and searches that found nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from insights import services as dashboard_services
from insights.models import DashboardFigure
from integrations import capture
from integrations.choices import CaptureKind, UnsignedCaptures
from integrations.management.commands.capture_demo import host_page
from integrations.models import CaptureKey, CaptureSignal

pytestmark = pytest.mark.django_db

ADD = "admin:integrations_capturekey_add"


@pytest.fixture
def key():
    return capture.create_capture_key(name="Le Chat web", product="le_chat", allowed_origins=["https://app.example"])


def test_given_an_admin_adding_a_key_then_the_next_page_shows_the_secret_once_and_the_script_tag(admin_client):
    response = admin_client.post(
        reverse(ADD),
        {
            "name": "Le Chat web",
            "product": "le_chat",
            "allowed_origins": "HTTPS://App.Example.com/\nhttp://127.0.0.1:8001",
            "unsigned": UnsignedCaptures.REFUSE,
            "active": "on",
        },
    )

    key = CaptureKey.objects.get()
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert key.public_key.startswith("pk_") and len(key.signing_secret) >= 40
    assert key.allowed_origins == ["https://app.example.com", "http://127.0.0.1:8001"]
    assert key.unsigned == UnsignedCaptures.REFUSE and key.active
    assert key.signing_secret in page
    assert escape(f'data-key="{key.public_key}"') in page and "/api/capture/widget.js" in page
    later = admin_client.get(reverse("admin:integrations_capturekey_change", args=[key.pk])).content.decode()
    assert key.signing_secret not in later and key.signing_secret[:4] + "…" in later
    assert key.public_key in later


def test_given_an_origin_with_a_path_then_the_form_names_it_and_no_key_is_made(admin_client):
    response = admin_client.post(
        reverse(ADD),
        {"name": "x", "product": "le_chat", "allowed_origins": "https://app.example.com/app", "unsigned": "anonymous"},
    )

    assert response.status_code == 200
    assert "leave out the path" in response.content.decode()
    assert not CaptureKey.objects.exists()


def test_given_a_key_edited_then_its_public_key_and_secret_stay(admin_client, key):
    before = (key.public_key, key.signing_secret)

    admin_client.post(
        reverse("admin:integrations_capturekey_change", args=[key.pk]),
        {"name": "Renamed", "product": "api", "allowed_origins": "https://b.example", "unsigned": "anonymous"},
    )

    key.refresh_from_db()
    assert (key.name, key.allowed_origins, key.active) == ("Renamed", ["https://b.example"], False)
    assert (key.public_key, key.signing_secret) == before


def test_given_signals_then_their_changelist_is_read_only_filterable_and_searchable(
    admin_client, key, django_assert_max_num_queries
):
    for query in ["sso audit log", "sso audit log", "parquet dumps"]:
        capture.record_signal(key=key, kind=CaptureKind.ZERO_RESULTS, query=query)
    capture.record_signal(key=key, kind=CaptureKind.THUMBS_DOWN, feature="sso wizard")
    url = reverse("admin:integrations_capturesignal_changelist")

    with django_assert_max_num_queries(15):
        page = admin_client.get(url, {"kind__exact": "zero_results", "q": "sso"}).content.decode()

    assert "sso audit log" in page and "parquet dumps" not in page and "sso wizard" not in page
    assert admin_client.get(reverse("admin:integrations_capturesignal_add")).status_code == 403


def test_given_the_demo_page_then_it_shows_each_active_key_s_tag_and_the_command(admin_client, key):
    page = admin_client.get(reverse("admin:integrations_capturekey_demo_page")).content.decode()

    assert escape(f'data-key="{key.public_key}"') in page
    assert "manage.py capture_demo --port 8001" in page


def test_given_the_host_page_then_it_embeds_the_hub_s_widget_with_key_and_token(key):
    page = host_page(hub="http://127.0.0.1:8000/", key=key, identity="abc.def", account="ACME").decode()

    assert 'src="http://127.0.0.1:8000/api/capture/widget.js"' in page
    assert f'data-key="{key.public_key}"' in page and 'data-identity="abc.def"' in page
    assert "data-fh-feedback" in page and "data-fh-thumbs" in page and "data-fh-error" in page


# --- the dashboard panel --------------------------------------------------------------------------------------------


def test_given_thumbs_and_empty_searches_then_the_dashboard_figure_counts_the_last_30_days(key):
    now = timezone.now()
    for _ in range(3):
        capture.record_signal(key=key, kind=CaptureKind.THUMBS_DOWN, feature="exports", at=now)
    capture.record_signal(key=key, kind=CaptureKind.THUMBS_UP, feature="exports", at=now - timedelta(days=2))
    capture.record_signal(key=key, kind=CaptureKind.THUMBS_UP, feature="exports", at=now - timedelta(days=40))
    for query, times in [("cohort retention", 4), ("slack alerts", 1)]:
        for _ in range(times):
            capture.record_signal(key=key, kind=CaptureKind.ZERO_RESULTS, query=query, at=now)

    dashboard_services.refresh_dashboard(now=now)

    figure = DashboardFigure.objects.get(key="capture")
    assert figure.data["features"] == [{"feature": "exports", "up": 1, "down": 3, "total": 4, "down_share": 0.75}]
    queries = [(q["query"], q["searches"]) for q in figure.data["queries"]]
    assert queries == [("cohort retention", 4), ("slack alerts", 1)]
    assert figure.sample_size == 9


def test_given_signals_then_the_admin_home_shows_the_panel(admin_client, key):
    capture.record_signal(key=key, kind=CaptureKind.THUMBS_DOWN, feature="exports")
    capture.record_signal(key=key, kind=CaptureKind.ZERO_RESULTS, query="cohort retention")
    dashboard_services.refresh_dashboard()

    page = admin_client.get(reverse("admin:index")).content.decode()

    assert 'aria-label="In-product capture"' in page
    assert "cohort retention" in page and "exports" in page and "100 %" in page


def test_given_no_signals_then_the_panel_says_how_to_get_some(admin_client):
    dashboard_services.refresh_dashboard()

    page = admin_client.get(reverse("admin:index")).content.decode()

    assert "No thumbs or empty searches yet" in page
    assert not CaptureSignal.objects.exists()
