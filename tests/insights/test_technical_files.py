"""Technical metrics from files: the CSV and Prometheus text parsers (``insights.technical_files``) with bad lines,
and ``manage.py import_technical_metrics``: valid lines stored, bad ones listed by number, an error status, and a
second run that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from insights.models import TechnicalSample
from insights.technical_files import FileFormatError, parse_csv, parse_prometheus
from tests.factories import make_customer

CSV = """product,customer_domain,period_start,period_end,requests,errors,latency_p50_ms,latency_p95_ms
mistral_large,acme.example,2026-11-20T08:00:00Z,2026-11-20T09:00:00Z,12000,36,180,950
mistral_large,,2026-11-20T08:00:00Z,2026-11-20T09:00:00Z,90000,120,,
le_chat,acme.example,2026-11-20T08:00:00Z,2026-11-20T09:00:00Z,twelve,1,,
le_chat,acme.example,2026-11-20T08:00:00Z,2026-11-20T09:00:00Z,100,1
codestral,acme.example,2026-11-20T08:00:00Z,2026-11-20T09:00:00Z,100,200,,
"""

PROM = """# HELP feedbackhub_requests_total Requests served in the period.
# TYPE feedbackhub_requests_total counter
feedbackhub_requests_total{customer="acme.example",product="mistral_large",instance="a"} 7000 1795165200000
feedbackhub_requests_total{customer="acme.example",product="mistral_large",instance="b"} 5000 1795165200000
feedbackhub_errors_total{customer="acme.example",product="mistral_large",code="500"} 30 1795165200000
feedbackhub_errors_total{customer="acme.example",product="mistral_large",code="503"} 6 1795165200000
feedbackhub_request_duration_seconds{customer="acme.example",product="mistral_large",quantile="0.5"} 0.18 1795165200000
feedbackhub_request_duration_seconds{customer="acme.example",product="mistral_large",quantile="0.95"} 0.95 1795165200000
feedbackhub_requests_total{product="le_chat"} 40000 1795165200000
process_cpu_seconds_total 12.5
feedbackhub_requests_total{customer="acme.example"} 10 1795165200000
feedbackhub_requests_total{product="codestral",customer="acme.example"} 1e3
feedbackhub_requests_total{product="pixtral" 5 1795165200000
feedbackhub_errors_total{product="embed"} 3 1795165200000
feedbackhub_latency_p95_ms{product="le_chat"} 700 1795165200000
feedbackhub_latency_p95_ms{product="le_chat"} 710 1795165200000
"""
END = datetime(2026, 11, 20, 9, tzinfo=UTC)  # 1795165200000 ms


def test_given_a_csv_then_its_lines_become_samples_and_a_bad_cell_or_row_names_its_line():
    parsed = parse_csv(CSV)

    assert [item["product"] for item in parsed.items] == ["mistral_large", "mistral_large", "codestral"]
    assert parsed.items[0] == {
        "product": "mistral_large",
        "customer_domain": "acme.example",
        "period_start": "2026-11-20T08:00:00Z",
        "period_end": "2026-11-20T09:00:00Z",
        "requests": 12000,
        "errors": 36,
        "latency_p50_ms": 180.0,
        "latency_p95_ms": 950.0,
    }
    assert "customer_domain" not in parsed.items[1]  # an empty cell: not given (all customers)
    assert parsed.lines == ["line 2", "line 3", "line 6"]
    assert [str(error) for error in parsed.errors] == [
        "line 4: requests: “twelve” is not a whole number.",
        "line 5: 6 cells for 8 columns.",
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "empty"),
        ("product,period_start,period_end,requests", "Missing columns: errors"),
        ("product,period_start,period_end,requests,errors,colour", "Unknown columns: colour"),
        ("product,product,period_start,period_end,requests,errors", "twice: product"),
    ],
)
def test_given_a_csv_with_a_wrong_header_then_the_file_is_refused(header, message):
    with pytest.raises(FileFormatError, match=message):
        parse_csv(header + "\n")


def test_given_a_prometheus_scrape_then_counters_are_summed_quantiles_read_and_bad_lines_named():
    parsed = parse_prometheus(PROM)

    by_product = {item["product"]: item for item in parsed.items}
    assert by_product["mistral_large"] == {
        "product": "mistral_large",
        "customer_domain": "acme.example",
        "period_start": (END - timedelta(hours=1)).isoformat(),
        "period_end": END.isoformat(),
        "requests": 12000,
        "errors": 36,
        "latency_p50_ms": 180.0,
        "latency_p95_ms": 950.0,
    }
    assert by_product["le_chat"]["requests"] == 40000 and by_product["le_chat"]["errors"] == 0
    assert "customer_domain" not in by_product["le_chat"]  # no customer label: all customers
    assert set(by_product) == {"mistral_large", "le_chat"}
    assert parsed.skipped == 1  # process_cpu_seconds_total
    assert [str(error) for error in parsed.errors] == [
        'line 11: no product label: every line names its product (product="mistral_large").',
        "line 12: no timestamp: give the period with --period-start and --period-end.",
        'line 13: not a Prometheus sample line: “feedbackhub_requests_total{product="pixtral" 5 1795165200000”.',
        "line 16: feedbackhub_latency_p95_ms: a second latency_p95_ms for this series and period (a latency "
        "cannot be added up).",
        "line 14: no feedbackhub_requests_total for product “embed” (all customers) in this period.",
    ]


def test_given_a_prometheus_scrape_and_a_period_then_every_line_is_in_it_timestamps_or_not():
    start, end = datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)

    parsed = parse_prometheus(
        'feedbackhub_requests_total{product="codestral",customer="acme.example"} 1e3\n'
        'feedbackhub_errors_total{product="codestral",customer="acme.example"} 2 1795165200000\n'
        'feedbackhub_latency_p50_ms{product="codestral",customer="acme.example"} NaN\n',
        period_start=start,
        period_end=end,
    )

    assert parsed.items == [
        {
            "product": "codestral",
            "customer_domain": "acme.example",
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "requests": 1000,
            "errors": 2,
        }
    ]
    assert [error.line for error in parsed.errors] == [3]  # NaN is no latency


def test_given_escaped_label_values_then_they_are_read_unescaped():
    parsed = parse_prometheus('feedbackhub_requests_total{product="le_chat",customer="a\\"b.example"} 3 1795165200000')

    assert parsed.items[0]["customer_domain"] == 'a"b.example'


@pytest.mark.django_db
def test_given_a_csv_file_when_importing_then_valid_lines_are_stored_bad_ones_listed_and_a_rerun_changes_nothing(
    tmp_path,
):
    make_customer(domain="acme.example")
    path = tmp_path / "samples.csv"
    path.write_text(CSV)
    out = StringIO()

    with pytest.raises(CommandError, match="3 line\\(s\\) rejected"):
        call_command("import_technical_metrics", str(path), stdout=out, verbosity=0)
    again = StringIO()
    with pytest.raises(CommandError):
        call_command("import_technical_metrics", str(path), stdout=again, verbosity=0)

    assert TechnicalSample.objects.count() == 2
    assert set(TechnicalSample.objects.values_list("source", flat=True)) == {"csv"}
    text = out.getvalue()
    assert "line 4: requests: “twelve” is not a whole number." in text
    assert "line 6: errors: 200 errors for 100 requests: at most the requests." in text
    assert "2 created, 0 updated, 0 unchanged (stored)" in text
    assert "0 created, 0 updated, 2 unchanged (stored)" in again.getvalue()


@pytest.mark.django_db
def test_given_a_prometheus_file_and_a_period_when_importing_then_it_is_stored_with_its_source(tmp_path):
    make_customer(domain="acme.example")
    path = tmp_path / "scrape.prom"
    path.write_text(PROM.split("process_cpu")[0])

    call_command(
        "import_technical_metrics",
        str(path),
        "--period-start=2026-11-20T08:00Z",
        "--period-end=2026-11-20T09:00Z",
        stdout=StringIO(),
        verbosity=0,
    )

    rows = TechnicalSample.objects.order_by("product")
    assert [(row.product, row.customer_id is None, row.requests, row.source) for row in rows] == [
        ("le_chat", True, 40000, "prometheus"),
        ("mistral_large", False, 12000, "prometheus"),
    ]


@pytest.mark.django_db
def test_given_a_dry_run_then_nothing_is_stored(tmp_path):
    path = tmp_path / "samples.csv"
    path.write_text(CSV.splitlines()[0] + "\n" + CSV.splitlines()[2] + "\n")
    out = StringIO()

    call_command("import_technical_metrics", str(path), "--dry-run", stdout=out, verbosity=0)

    assert "1 created" in out.getvalue() and "would be stored" in out.getvalue()
    assert not TechnicalSample.objects.exists()
