"""In-product capture (seed 001 "The best 'survey' is part of the product"): the rules behind ``POST /api/capture/``.

A host product embeds the widget (``integrations/static/integrations/capture-widget.js``) with its publishable key;
every capture it sends comes through ``accept_capture``. The view (``integrations.capture_views``) stays thin: it
asks these functions, in this order, and answers with what they say.

- **Key and origin**: ``key_for`` finds the ``CaptureKey`` by its ``pk_…`` public key; ``origin_allowed`` compares
  the request's ``Origin`` with the key's ``allowed_origins`` exactly (scheme, host, port: ``http://localhost:8001``
  is not ``http://localhost:8002``). A browser on another origin gets no CORS grant and its POST a 403.
- **Throttles**: ``throttled`` counts captures per key and per client IP in fixed one-minute windows of the shared
  Redis cache (``CAPTURE_KEY_RATE``, ``CAPTURE_IP_RATE`` settings). Redis down: let through and logged, as the API's
  token throttle does (``integrations.throttles``) — a capture lost to an outage is worse than a burst let in.
- **Identity**: ``verify_identity`` checks the token the host app signed (``make_identity_token``). A bad token is
  refused with what is wrong with it (``IdentityError``), never read as anonymous: a forged token must not name a
  customer, and must not be quietly accepted either. No token: anonymous or refused, per ``CaptureKey.unsigned``.
- **Storing**: free text (feedback on a feature, a cancellation reason, an error page's answer) becomes a feedback
  item through the ingestion every door uses (``integrations.ingest.ingest_items``, source ``in_app``), so it is
  matched, stored idempotently and queued for triage through the ``PendingTriage`` outbox, its feature named (from
  which ingestion stamps the maturity, ``feedback.maturity``). Thumbs and zero-result searches are counted, one
  ``CaptureSignal`` row per key, day, kind and feature or query (``INSERT … ON CONFLICT DO UPDATE count + 1``).

The identity token is ``<payload>.<signature>``: ``payload = base64url(JSON {"user": id, "account": id, "exp":
unix seconds})`` and ``signature = base64url(HMAC-SHA256(key secret, payload))``, both without ``=`` padding, the
HMAC taken over the payload's base64url text as sent. ``account`` is the customer's ``crm_id`` in the hub (the id
the host app's CRM sync already shares with us); a valid token for an account the hub does not know stores the
capture without a customer, in product ops' "needs a customer" queue.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import secrets
import string
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from feedback.choices import Source
from integrations import ingest
from integrations.choices import AGGREGATED_CAPTURES, CaptureKind, UnsignedCaptures
from integrations.models import CaptureKey, CaptureSignal

log = logging.getLogger(__name__)

PUBLIC_KEY_PREFIX = "pk_"
PUBLIC_KEY_PATTERN = re.compile(r"pk_[A-Za-z0-9]{24}")
KEY_ALPHABET = string.ascii_letters + string.digits
SECRET_BYTES = 32  # 256 bits, as the HMAC's block of SHA-256 wants no more
DEFAULT_KEY_RATE = "600/min"  # a whole product's users share it
DEFAULT_IP_RATE = "20/min"  # one person clicks a few times a minute at most
MAX_QUERY = 200  # CaptureSignal.query
MAX_FEATURE = 100  # FeedbackItem.feature, CaptureSignal.feature
MAX_CLAIM = 100  # the user and account claims
MAX_PAGE = 500  # FeedbackItem.source_url, CaptureSignal.last_page
PAGE_LINK = URLValidator(schemes=["http", "https"])
CAPTURE_TAG = "in-product"
clock = time.time  # the throttles' clock (tests move it by hand)
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")  # each part of an identity token (ASCII: HMAC and compare_digest need it)

# A key, day, kind, feature and query: counted once more, or a new row counted once.
SIGNAL_SQL = """
INSERT INTO {table} AS s (key_id, day, kind, feature, query, count, last_page, last_at)
VALUES (%s, %s, %s, %s, %s, 1, %s, %s)
ON CONFLICT ON CONSTRAINT capture_signal_unique DO UPDATE SET
    count = s.count + 1, last_page = EXCLUDED.last_page, last_at = GREATEST(s.last_at, EXCLUDED.last_at)
RETURNING s.id, s.count
"""


# --- keys and origins ------------------------------------------------------------------------------------------------


def normalize_origin(text: str) -> str:
    """``HTTPS://App.Example.com:443/`` → ``https://app.example.com``: the form a browser's ``Origin`` header has.

    Raises ``ValidationError`` for anything that is not an origin (a path, a query, a wildcard, no scheme).
    """
    text = (text or "").strip()
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError as error:
        raise ValidationError(f"{text!r} has an invalid port.") from error
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname or "*" in text:
        raise ValidationError(f"{text!r} is not an origin: write scheme://host[:port], e.g. https://app.example.com.")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError(f"{text!r} is not an origin: leave out the path, query and credentials.")
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}[scheme]
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def clean_origins(origins: Iterable[str]) -> list[str]:
    """Each origin normalised, blanks and repeats left out (``ValidationError`` naming every bad one)."""
    cleaned, errors = [], []
    for text in origins:
        if not (text or "").strip():
            continue
        try:
            origin = normalize_origin(text)
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        if origin not in cleaned:
            cleaned.append(origin)
    if errors:
        raise ValidationError(errors)
    return cleaned


def new_public_key() -> str:
    """``pk_`` and 24 letters or digits (about 143 bits): public, but not guessable from another key."""
    return PUBLIC_KEY_PREFIX + "".join(secrets.choice(KEY_ALPHABET) for _ in range(24))


def new_secret() -> str:
    """The signing secret: 256 random bits, url-safe (the host app keeps it in its environment)."""
    return secrets.token_urlsafe(SECRET_BYTES)  # 43 characters: fits signing_secret (64)


def create_capture_key(
    *, name: str, product: str, allowed_origins: Iterable[str] = (), unsigned: str = UnsignedCaptures.ANONYMOUS
) -> CaptureKey:
    """A new key for one product: a ``pk_…`` public key for the script tag and a secret for its identity tokens."""
    key = CaptureKey(
        name=name,
        product=product,
        allowed_origins=clean_origins(allowed_origins),
        unsigned=unsigned,
        public_key=new_public_key(),
        signing_secret=new_secret(),
    )
    key.full_clean()
    key.save()
    return key


@transaction.atomic
def rotate_secret(*, key: CaptureKey, user=None) -> str:
    """A new signing secret for ``key``: tokens signed with the old one are refused from now on. Logged in the admin
    history under ``user`` (the message only, never the secret), whichever door asks."""
    key.signing_secret = new_secret()
    key.save(update_fields=["signing_secret"])
    if user is not None and user.pk is not None:
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=CaptureKey.objects.filter(pk=key.pk),
            action_flag=CHANGE,
            change_message="Signing secret rotated.",
        )
    return key.signing_secret


def key_for(public_key: str) -> CaptureKey | None:
    """The key a script tag names (switched off or not), or None for anything that is not one."""
    if not PUBLIC_KEY_PATTERN.fullmatch(public_key or ""):
        return None
    return CaptureKey.objects.filter(public_key=public_key).first()


def origin_allowed(key: CaptureKey | None, origin: str | None) -> bool:
    """Whether a browser page on ``origin`` may post with ``key``: active, and the origin listed exactly."""
    return bool(key and key.active and origin and origin in key.allowed_origins)


def script_tag(*, key: CaptureKey, hub_url: str) -> str:
    """The ``<script>`` tag a host product embeds (identity and feature filled in by the host app)."""
    return (
        f'<script src="{hub_url.rstrip("/")}/api/capture/widget.js" data-key="{key.public_key}" '
        'data-identity="IDENTITY_TOKEN" data-feature="FEATURE" async></script>'
    )


# --- throttles -------------------------------------------------------------------------------------------------------


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/min"`` → (600, 60): requests and the window in seconds."""
    count, period = rate.split("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def throttled(*, key: CaptureKey, ip: str, now: float | None = None) -> int | None:
    """Seconds to wait when the key or the IP is past its rate this window (the longer wait), else None.

    Fixed windows (one ``INCR`` each, however busy the key): a client may send up to twice the rate across a
    window's edge, which is fine for abuse control and costs Redis no list of timestamps per key.
    """
    now = clock() if now is None else now
    waits = []
    for scope, ident, rate in (
        ("key", str(key.pk), getattr(settings, "CAPTURE_KEY_RATE", DEFAULT_KEY_RATE)),
        ("ip", ip or "unknown", getattr(settings, "CAPTURE_IP_RATE", DEFAULT_IP_RATE)),
    ):
        limit, window = parse_rate(rate)
        start = int(now // window) * window
        name = f"capture:throttle:{scope}:{ident}:{start}"
        try:
            cache.add(name, 0, timeout=window + 1)
            count = cache.incr(name)
        except (RedisError, OSError, ValueError):
            log.warning("Capture rate not checked: the cache (Redis) is unreachable; letting the capture through.")
            continue
        if count > limit:
            waits.append(max(1, int(start + window - now + 0.999)))
    return max(waits) if waits else None


# --- identity tokens -------------------------------------------------------------------------------------------------


class IdentityError(Exception):
    """The identity token is refused; the message says why (the capture is refused, never taken as anonymous)."""


@dataclass(frozen=True)
class Identity:
    """Who the host app says is asking: its user id and the account's CRM id."""

    user: str
    account: str


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    return _b64encode(hmac.new(secret.encode(), payload.encode("ascii"), hashlib.sha256).digest())


def make_identity_token(secret: str, user_id: str | int, account_id: str | int, expires_at: datetime | int) -> str:
    """The token a host app puts in ``data-identity`` for its signed-in user (made on its server, with the secret)."""
    exp = int(expires_at.timestamp()) if isinstance(expires_at, datetime) else int(expires_at)
    claims = {"user": str(user_id), "account": str(account_id), "exp": exp}
    payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_signature(secret, payload)}"


def verify_identity(*, key: CaptureKey, token: str, now: float | None = None) -> Identity:
    """The identity a token proves for ``key``; ``IdentityError`` saying what is wrong with it otherwise."""
    now = time.time() if now is None else now
    parts = (token or "").split(".")
    if len(parts) != 2 or not all(BASE64URL.fullmatch(part) for part in parts):  # ASCII only from here on
        raise IdentityError("The identity token is malformed: expected <payload>.<signature> in base64url.")
    payload, signature = parts
    if not hmac.compare_digest(_signature(key.signing_secret, payload), signature):
        raise IdentityError(
            "The identity token's signature does not match this key's secret (forged, or signed for another key)."
        )
    try:
        claims = json.loads(_b64decode(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise IdentityError("The identity token's payload is not base64url-encoded JSON.") from error
    if not isinstance(claims, dict):
        raise IdentityError("The identity token's payload is not a JSON object.")
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int):
        raise IdentityError("The identity token has no 'exp' (expiry, unix seconds).")
    if exp <= now:
        expired = datetime.fromtimestamp(exp, tz=UTC).isoformat()
        raise IdentityError(f"The identity token expired at {expired} ({int(now - exp)} s ago): make a new one.")
    values = {}
    for claim in ("user", "account"):
        value = claims.get(claim)
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
            raise IdentityError(f"The identity token has no '{claim}' id.")
        if len(str(value)) > MAX_CLAIM:
            raise IdentityError(f"The identity token's '{claim}' is longer than {MAX_CLAIM} characters.")
        values[claim] = str(value).strip()
    return Identity(**values)


def identity_for(*, key: CaptureKey, token: str | None) -> Identity | None:
    """The capture's identity: proven by ``token``, or None (anonymous) when the key takes unsigned captures.

    ``IdentityError`` for a token that does not verify, and for a missing token on a key that refuses unsigned ones.
    """
    if token:
        return verify_identity(key=key, token=token)
    if key.unsigned == UnsignedCaptures.REFUSE:
        raise IdentityError("This key takes signed captures only: the page must send an identity token.")
    return None


# --- storing captures ------------------------------------------------------------------------------------------------


def clean_page(page: str) -> str:
    """The page a capture came from as kept: an http(s) address cut to ``MAX_PAGE`` characters, or "" for any other.

    Host pages are intranet names (``http://intranet/app``), hosts with underscores and long paths, all of which a
    strict URL check refuses; refusing the capture for them would lose what the person wrote, so the page is only
    ever dropped (``javascript:``, ``data:``, no host), never a reason for a 400.
    """
    page = (page or "").strip()
    try:
        parts = urlsplit(page)
    except ValueError:
        return ""
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc or any(c.isspace() for c in page):
        return ""
    return page[:MAX_PAGE]


def page_link(page: str) -> str:
    """``page`` when the item's ``source_url`` (a strict URL field, as every other door fills it) takes it, else ""."""
    try:
        PAGE_LINK(page)
    except ValidationError:
        return ""
    return page


def normalize_query(text: str) -> str:
    """A search as counted: trimmed, spaces collapsed, lower case, cut to ``MAX_QUERY`` characters."""
    return " ".join((text or "").split()).lower()[:MAX_QUERY]


@dataclass(frozen=True)
class Accepted:
    """What a capture became: a feedback item (free text) or a count on a signal row (thumbs, searches)."""

    kind: str
    item_id: int | None = None
    customer_id: int | None = None
    signal_id: int | None = None
    count: int | None = None


def accept_capture(*, key: CaptureKey, capture: dict, identity: Identity | None) -> Accepted:
    """Store one validated capture (``capture_views.CaptureSerializer``'s data) of ``key`` from ``identity``."""
    if capture["kind"] in AGGREGATED_CAPTURES:
        return record_signal(
            key=key,
            kind=capture["kind"],
            feature=capture.get("feature", ""),
            query=capture.get("query", ""),
            page=capture.get("page", ""),
        )
    return capture_feedback(key=key, capture=capture, identity=identity)


def record_signal(
    *, key: CaptureKey, kind: str, feature: str = "", query: str = "", page: str = "", at: datetime | None = None
) -> Accepted:
    """Count one thumbs or zero-result search on its row (key, day, kind, feature, query): one statement, no race."""
    if kind not in AGGREGATED_CAPTURES:
        raise ValueError(f"{kind} is not counted: only {', '.join(AGGREGATED_CAPTURES)} are.")
    at = at or timezone.now()
    query = normalize_query(query) if kind == CaptureKind.ZERO_RESULTS else ""
    sql = SIGNAL_SQL.format(table=connection.ops.quote_name(CaptureSignal._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [key.pk, timezone.localdate(at), kind, feature[:MAX_FEATURE], query, page[:MAX_PAGE], at])
        signal_id, count = cursor.fetchone()
    return Accepted(kind=kind, signal_id=signal_id, count=count)


def capture_feedback(*, key: CaptureKey, capture: dict, identity: Identity | None) -> Accepted:
    """Free text as an ``in_app`` feedback item through ingestion, with its feature and maturity, queued for triage.

    ``source_id`` is ``<public key>:<user or anon>:<capture id>``: the widget's retry of one capture updates it
    instead of adding another, and nobody but that user (with a valid token) can reach the row again.
    """
    kind = capture["kind"]
    feature = capture.get("feature", "")
    capture_id = capture.get("capture_id") or uuid.uuid4().hex
    who = identity.user if identity else "anon"
    payload = {
        "capture": kind,
        "key": key.public_key,
        "feature": feature,
        "task": capture.get("task", ""),
        "user": identity.user if identity else None,
        "account": identity.account if identity else None,
        "page": capture.get("page", ""),  # kept whole here even when source_url cannot take it (intranet hosts)
    }
    item = {
        "source": Source.IN_APP,
        "source_id": f"{key.public_key}:{who}:{capture_id}"[:255],
        "received_at": timezone.now(),
        "verbatim": capture["text"],
        "source_url": page_link(capture.get("page", "")),
        "product": key.product,
        "tags": [CAPTURE_TAG, kind.replace("_", "-")],
        "raw_payload": payload,
    }
    if feature:
        item["feature"] = feature  # ingestion stamps the maturity from it (feedback.maturity)
    if identity:
        item["customer_crm_id"] = identity.account
    [result] = ingest.ingest_items(items=[item], received_via=f"capture:{key.public_key}")
    if result.status == ingest.REJECTED:  # the serializer let through what ingestion refuses: a bug, say it
        raise ValidationError(dict(result.errors))
    return Accepted(kind=kind, item_id=result.id, customer_id=result.customer)


def update_capture_key(*, key: CaptureKey, **fields) -> CaptureKey:
    """Change a key's name, product, allowed origins, unsigned mode or switch (its public key and secret stay)."""
    editable = {"name", "product", "allowed_origins", "unsigned", "active"}
    if unknown := set(fields) - editable:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}.")
    if "allowed_origins" in fields:
        fields["allowed_origins"] = clean_origins(fields["allowed_origins"])
    for name, value in fields.items():
        setattr(key, name, value)
    key.full_clean()
    key.save(update_fields=[*fields])
    return key
