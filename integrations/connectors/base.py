"""The adapter every source follows (seed 002, "Connector Pattern"), the standard item, and a small HTTP client.

A connector knows one vendor: how to prove its credentials (``authenticate``), how to read everything
(``fetch``, the nightly backfill) or what changed since a time (``fetch_since``, the 15-minute sync), and how to turn
one of the vendor's records into the hub's standard item (``transform``, seed 002's "Unified Data Model"). Webhook
deliveries go through the same ``transform``: ``webhook_items`` picks the record out of the delivery. Tracker sources
(GitHub, Linear) also say when an issue changed state (``tracker_change``) — what closes the loop on themes and
launches.

Connectors talk HTTP with the standard library only (``urllib``), so a test points ``base_url`` at a stub server on
127.0.0.1 and nothing else changes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from typing import Any, ClassVar, TypedDict
from urllib import error, parse, request

TIMEOUT_SECONDS = 15
MAX_PAGES = 200  # a runaway cursor stops here instead of looping for ever
MAX_TAG, MAX_TAGS = 50, 50  # what ingestion stores (integrations.api.serializers)


class StandardItem(TypedDict, total=False):
    """One piece of feedback as every source hands it to ``integrations.ingest.ingest_items``."""

    source: str  # feedback.choices.Source
    source_id: str  # unique within the source: ingestion is idempotent on (source, source_id)
    received_at: datetime  # when the customer said it (aware)
    verbatim: str  # their exact words (a call: the whole transcript)
    summary: str
    source_url: str
    reporter_email: str
    customer_crm_id: str
    customer_domain: str
    tags: list[str]
    raw_payload: dict


@dataclass(frozen=True)
class TrackerChange:
    """A tracker issue moved: its key as themes and launches store it (LIN-142, acme/api#42) and its new state."""

    key: str
    state: str  # themes.choices.TrackerState
    title: str = ""
    url: str = ""


class ConnectorError(Exception):
    """The vendor refused or failed. ``retryable``: worth trying again later (network, 429, 5xx)."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class HttpClient:
    """JSON over HTTP with ``urllib``: a base URL, default headers, a timeout; errors become ``ConnectorError``."""

    def __init__(self, base_url: str, *, headers: dict[str, str] | None = None, timeout: float = TIMEOUT_SECONDS):
        self.base_url = base_url.rstrip("/")
        self.headers = {"Accept": "application/json", "User-Agent": "FeedbackHub", **(headers or {})}
        self.timeout = timeout

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """``path`` under the base URL (an absolute URL is kept), with ``params`` as its query string."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"
        query = parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
        return f"{url}{'&' if '?' in url else '?'}{query}" if query else url

    def call(self, method: str, path: str, *, params=None, body=None) -> tuple[Any, dict[str, str]]:
        """The decoded JSON answer and the response headers."""
        data = None if body is None else json.dumps(body).encode()
        headers = {**self.headers, **({"Content-Type": "application/json"} if data is not None else {})}
        req = request.Request(self.url(path, params), data=data, headers=headers, method=method)
        try:
            with request.urlopen(req, timeout=self.timeout) as response:  # noqa: S310 (https/http only, from settings)
                raw = response.read()
                return (json.loads(raw) if raw else {}), dict(response.headers)
        except error.HTTPError as exc:
            retryable = exc.code == 429 or exc.code >= 500
            raise ConnectorError(f"{method} {path}: HTTP {exc.code}", status=exc.code, retryable=retryable) from exc
        except (error.URLError, TimeoutError, ConnectionError) as exc:
            raise ConnectorError(f"{method} {path}: {exc}", retryable=True) from exc
        except ValueError as exc:
            raise ConnectorError(f"{method} {path}: the answer is not JSON") from exc

    def get(self, path: str, **params) -> Any:
        return self.call("GET", path, params=params)[0]

    def post(self, path: str, body: Any, **params) -> Any:
        return self.call("POST", path, params=params, body=body)[0]


class Connector:
    """The adapter of one source. Subclasses set ``source`` and implement the four methods of the protocol."""

    source: ClassVar[str]
    default_base_url: ClassVar[str] = ""

    def __init__(self, *, base_url: str = "", token: str = "", **options: Any):
        self.base_url = base_url or self.default_base_url
        self.token = token
        self.options = options
        self.http = HttpClient(self.base_url, headers=self.auth_headers())

    def auth_headers(self) -> dict[str, str]:
        """Headers that carry the credentials (default: a bearer token)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    # --- the protocol ---------------------------------------------------------------------------------------------

    def authenticate(self) -> None:
        """Prove the credentials with one cheap call; raises ``ConnectorError`` when the vendor refuses them."""
        raise NotImplementedError

    def fetch(self) -> list[StandardItem]:
        """Every record the source has (the backfill)."""
        return self.fetch_since(None)

    def fetch_since(self, when: datetime | None) -> list[StandardItem]:
        """Records created or changed after ``when`` (all of them for None), transformed, non-feedback left out."""
        raise NotImplementedError

    def transform(self, raw: dict) -> StandardItem | None:
        """One vendor record as the standard item; None when the record is not feedback (a bot, an empty message)."""
        raise NotImplementedError

    # --- webhooks -------------------------------------------------------------------------------------------------

    def webhook_items(self, payload: dict, *, event: str = "") -> list[StandardItem]:
        """The feedback a webhook delivery carries (default: the payload is one record)."""
        item = self.transform(payload)
        return [item] if item else []

    def tracker_change(self, payload: dict, *, event: str = "") -> TrackerChange | None:
        """The tracker issue state change a delivery reports, if any (trackers only)."""
        return None


# --- helpers the connectors share --------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)


def html_to_text(value: str | None) -> str:
    """Plain text of an HTML fragment (Intercom bodies): tags dropped, paragraphs and breaks kept as new lines."""
    text = _TAG.sub("", _BREAK.sub("\n", value or ""))
    return "\n".join(line.strip() for line in unescape(text).splitlines() if line.strip())


def first_line(text: str, limit: int = 200) -> str:
    """The first non-blank line of ``text``, cut to ``limit`` characters (a summary when the source has no title)."""
    line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def from_unix(value: Any) -> datetime | None:
    """An aware datetime from Unix seconds (None stays None)."""
    return None if value in (None, "") else datetime.fromtimestamp(float(value), tz=UTC)


def from_iso(value: str | None) -> datetime | None:
    """An aware datetime from ISO 8601 (``Z`` understood; a naive value is taken as UTC)."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def email_domain(email: str | None) -> str:
    """The domain of an e-mail address, lower-case; blank when there is none."""
    return email.rsplit("@", 1)[1].strip().lower() if email and "@" in email else ""


def item(source: str, source_id: Any, *, received_at: datetime | None, verbatim: str, **fields: Any) -> StandardItem:
    """A standard item with the blanks filled: no received time means now, no summary means the first line."""
    text = (verbatim or "").strip()
    email = (fields.pop("reporter_email", "") or "").strip()
    result: StandardItem = {
        "source": source,
        "source_id": str(source_id),
        "received_at": received_at or datetime.now(tz=UTC),
        "verbatim": text,
        "summary": (fields.pop("summary", "") or first_line(text)).strip()[:300],
        "source_url": fields.pop("source_url", "") or "",
        "reporter_email": email,
        "customer_crm_id": fields.pop("customer_crm_id", "") or "",
        "customer_domain": fields.pop("customer_domain", "") or email_domain(email),
        "tags": sorted({tag.strip()[:MAX_TAG] for tag in fields.pop("tags", []) if tag and tag.strip()})[:MAX_TAGS],
        "raw_payload": fields.pop("raw_payload", {}),
    }
    if fields:
        raise TypeError(f"unknown standard item fields: {sorted(fields)}")
    return result
