"""Technical metrics from files: a CSV export and a Prometheus text-format scrape, turned into the samples
``insights.technical.record_samples`` takes (the API's format), each with the file line it came from.

Parsing only: nothing here writes. A line that cannot be read is returned as a ``LineError`` (line number and reason)
and the others go on; the validation of the figures is the API's, in ``record_samples``.

**CSV** (UTF-8, a header line, comma-separated; ``CSV_COLUMNS``): ``product``, ``period_start``, ``period_end``,
``requests``, ``errors`` are required; ``customer_domain``, ``customer_crm_id``, ``customer`` (hub id),
``latency_p50_ms``, ``latency_p95_ms`` optional (an empty cell: not given). An unknown or repeated column is refused
before any line is read (``FileFormatError``).

**Prometheus text exposition format** (version 0.0.4; prometheus_client is not a dependency, so this is a small
parser of the lines we accept). The metrics read, each with the labels ``product`` (required) and ``customer`` (the
account's domain; absent or empty: all customers) and optionally ``customer_crm_id``::

    feedbackhub_requests_total{customer="acme.com",product="mistral_large"} 120000 1733400000000
    feedbackhub_errors_total{customer="acme.com",product="mistral_large"} 240 1733400000000
    feedbackhub_latency_p50_ms{customer="acme.com",product="mistral_large"} 180 1733400000000
    feedbackhub_latency_p95_ms{customer="acme.com",product="mistral_large"} 950 1733400000000
    feedbackhub_request_duration_seconds{customer="acme.com",product="mistral_large",quantile="0.95"} 0.95

- The counters' values are the counts *of the period* (export ``increase(…[1h])`` through a recording rule or a
  federation dump), not a process's lifetime totals: the file does not hold the previous scrape to subtract.
- Counters are summed over any other label (``instance``, ``code``…); a gauge or quantile seen twice for one
  account, product and period is refused (a latency cannot be added up).
- The period: ``--period-start``/``--period-end`` given, every line belongs to it (timestamps ignored); otherwise
  each line's timestamp (milliseconds) is the end of its period and ``period`` long (default one hour), so a file
  may hold several periods. A line with neither is refused.
- Comments (``# HELP``, ``# TYPE``) and blank lines are skipped; other metric names are skipped and counted.
- A series needs ``feedbackhub_requests_total``; without ``feedbackhub_errors_total`` it had no errors (exporters
  often leave a zero counter out).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

CSV_REQUIRED = ("product", "period_start", "period_end", "requests", "errors")
CSV_OPTIONAL = ("customer_domain", "customer_crm_id", "customer", "latency_p50_ms", "latency_p95_ms")
CSV_COLUMNS = CSV_REQUIRED + CSV_OPTIONAL
CSV_INTEGERS = ("requests", "errors", "customer")
CSV_NUMBERS = ("latency_p50_ms", "latency_p95_ms")

REQUESTS, ERRORS = "feedbackhub_requests_total", "feedbackhub_errors_total"
P50, P95 = "feedbackhub_latency_p50_ms", "feedbackhub_latency_p95_ms"
DURATION = "feedbackhub_request_duration_seconds"  # a summary: quantile="0.5" and "0.95", in seconds
QUANTILES = {"0.5": "latency_p50_ms", "0.95": "latency_p95_ms"}
GAUGES = {P50: "latency_p50_ms", P95: "latency_p95_ms"}
ACCOUNT_LABELS = {"customer": "customer_domain", "customer_crm_id": "customer_crm_id"}

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE_LINE = re.compile(rf"^(?P<name>{NAME})(?:\{{(?P<labels>.*)\}})?\s+(?P<value>\S+)(?:\s+(?P<ts>-?\d+))?\s*$")
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')
ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


class FileFormatError(ValueError):
    """The file as a whole cannot be read (its header, its encoding): nothing in it is taken."""


@dataclass
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class Parsed:
    """Samples in the API's format, the file line(s) each came from, the lines that could not be read, and what was
    skipped on purpose (comments, other metrics)."""

    items: list[dict] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    skipped: int = 0


# --- CSV ----------------------------------------------------------------------------------------------------------


def parse_csv(text: str) -> Parsed:
    """The CSV file's samples; ``FileFormatError`` when its header is wrong."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise FileFormatError("The file is empty: no header line.")
    columns = [cell.strip().lower() for cell in header]
    if repeated := sorted({name for name in columns if columns.count(name) > 1}):
        raise FileFormatError(f"Columns appear twice: {', '.join(repeated)}.")
    if unknown := [name for name in columns if name not in CSV_COLUMNS]:
        raise FileFormatError(f"Unknown columns: {', '.join(unknown)} (known: {', '.join(CSV_COLUMNS)}).")
    if missing := [name for name in CSV_REQUIRED if name not in columns]:
        raise FileFormatError(f"Missing columns: {', '.join(missing)} (required: {', '.join(CSV_REQUIRED)}).")
    parsed = Parsed()
    for cells in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            parsed.skipped += 1
            continue
        if len(cells) != len(columns):
            parsed.errors.append(LineError(number, f"{len(cells)} cells for {len(columns)} columns."))
            continue
        item, problems = {}, []
        for name, cell in zip(columns, cells, strict=True):
            cell = cell.strip()
            if cell == "":
                continue
            try:
                item[name] = _csv_value(name, cell)
            except ValueError as error:
                problems.append(f"{name}: {error}")
        if problems:
            parsed.errors.append(LineError(number, "; ".join(problems)))
            continue
        parsed.items.append(item)
        parsed.lines.append(f"line {number}")
    return parsed


def _csv_value(name: str, cell: str):
    """A cell as the JSON type the API expects: whole numbers, numbers, or text."""
    if name in CSV_INTEGERS:
        if not re.fullmatch(r"\d+", cell.replace("_", "")):
            raise ValueError(f"“{cell}” is not a whole number.")
        return int(cell.replace("_", ""))
    if name in CSV_NUMBERS:
        try:
            value = float(cell)
        except ValueError:
            raise ValueError(f"“{cell}” is not a number.") from None
        if not math.isfinite(value):
            raise ValueError(f"“{cell}” is not a finite number.")
        return value
    return cell


# --- Prometheus text format ---------------------------------------------------------------------------------------


def parse_prometheus(
    text: str,
    *,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    period: timedelta = timedelta(hours=1),
) -> Parsed:
    """The scrape's samples, one per account, product and period (see the module's notes)."""
    if (period_start is None) != (period_end is None):
        raise FileFormatError("Give both --period-start and --period-end, or neither (the lines' timestamps).")
    if period <= timedelta(0):
        raise FileFormatError("The period must be positive.")
    parsed = Parsed()
    series: dict[tuple, dict] = {}  # (account label, value, product, start, end) → figures and lines
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            name, labels, value, stamp = _sample(line)
        except ValueError as error:
            parsed.errors.append(LineError(number, str(error)))
            continue
        target = _target(name, labels)
        if target is None:
            parsed.skipped += 1
            continue
        try:
            key = _series_key(labels, stamp, period_start, period_end, period)
        except ValueError as error:
            parsed.errors.append(LineError(number, str(error)))
            continue
        entry = series.setdefault(key, {"figures": {}, "lines": []})
        entry["lines"].append(number)
        problem = _add(entry["figures"], target, value, name)
        if problem:
            parsed.errors.append(LineError(number, problem))
    for (label, account, product, start, end), entry in series.items():
        figures, numbers = entry["figures"], entry["lines"]
        where = f"line {numbers[0]}" if len(numbers) == 1 else f"lines {', '.join(map(str, numbers))}"
        if "requests" not in figures:
            parsed.errors.append(
                LineError(numbers[0], f"no {REQUESTS} for product “{product}”{_of(account)} in this period.")
            )
            continue
        item = {
            "product": product,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "requests": _count(figures["requests"]),
            "errors": _count(figures.get("errors", 0)),
            **{name: figures[name] for name in ("latency_p50_ms", "latency_p95_ms") if name in figures},
        }
        if account:
            item[label] = account
        parsed.items.append(item)
        parsed.lines.append(where)
    return parsed


def _of(account: str) -> str:
    return f" of “{account}”" if account else " (all customers)"


def _sample(line: str) -> tuple[str, dict[str, str], float, int | None]:
    """A sample line's metric name, labels, value and timestamp (ms, or None)."""
    match = SAMPLE_LINE.match(line)
    if not match:
        raise ValueError(f"not a Prometheus sample line: “{line[:80]}”.")
    labels = _labels(match.group("labels") or "")
    text = match.group("value")
    try:
        value = float(text)  # Prometheus writes NaN, +Inf, -Inf as Python reads them
    except ValueError:
        raise ValueError(f"the value “{text}” is not a number.") from None
    stamp = match.group("ts")
    return match.group("name"), labels, value, int(stamp) if stamp is not None else None


def _labels(text: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    position = 0
    text = text.strip()
    while position < len(text):
        match = LABEL.match(text, position)
        if not match:
            raise ValueError(f"cannot read the labels at “{text[position : position + 40]}”.")
        name, value = match.group(1), re.sub(r"\\.", lambda m: ESCAPES.get(m.group(0), m.group(0)), match.group(2))
        if name in labels:
            raise ValueError(f"the label {name} appears twice.")
        labels[name] = value
        position = match.end()
    return labels


def _target(name: str, labels: dict[str, str]) -> str | None:
    """The sample field a metric line fills, or None for a metric this import does not read."""
    if name == REQUESTS:
        return "requests"
    if name == ERRORS:
        return "errors"
    if name in GAUGES:
        return GAUGES[name]
    if name == DURATION:
        return QUANTILES.get(labels.get("quantile", ""))
    return None


def _series_key(labels, stamp, period_start, period_end, period) -> tuple:
    product = labels.get("product", "")
    if not product:
        raise ValueError('no product label: every line names its product (product="mistral_large").')
    label, account = next(((key, labels[name]) for name, key in ACCOUNT_LABELS.items() if labels.get(name)), ("", ""))
    if period_start is not None:
        return (label, account, product, period_start, period_end)
    if stamp is None:
        raise ValueError("no timestamp: give the period with --period-start and --period-end.")
    end = datetime.fromtimestamp(stamp / 1000, tz=UTC)
    return (label, account, product, end - period, end)


def _add(figures: dict, target: str, value: float, name: str) -> str | None:
    """Add one line's value to its series; a problem's description, or None."""
    if not math.isfinite(value) or value < 0:
        return f"{name} is {value:g}: a count or latency is a finite number ≥ 0."
    if target in ("requests", "errors"):
        if not float(value).is_integer():
            return f"{name} is {value:g}: a counter of the period is a whole number."
        figures[target] = figures.get(target, 0) + value
        return None
    if target in figures:
        return f"{name}: a second {target} for this series and period (a latency cannot be added up)."
    figures[target] = value * 1000 if name == DURATION else value
    return None


def _count(value: float) -> int:
    return int(value)


def describe(errors: Iterable[LineError]) -> list[str]:
    return [str(error) for error in errors]
