"""Build the demo company (``load_demo``) and bulk scale data (``seed_scale``) from ``vocabulary``.

Both draw from one seeded ``random.Random``: the same seed and the same day give the same content. Dates are
offsets from today's midnight (UTC), so the demo always looks current. The row generators (``CustomerFactory``,
``FeedbackFactory``) are shared: the demo turns their output into model instances, the scale loader streams it
to PostgreSQL with COPY.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import math
import random
import secrets
import string
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.choices import Industry, Language, Lifecycle, Region, Tier
from customers.models import HEALTH_AT_RISK_BELOW, Customer, UsageSnapshot
from feedback.choices import Category, Sentiment, Source, Status
from feedback.models import FeedbackItem
from feedbackhub.demo import vocabulary as V
from launches.choices import ChecklistTeam, LaunchStatus
from launches.models import ChecklistItem, Launch
from launches.services import create_launch, set_item_done
from themes.choices import ThemeStatus
from themes.models import Theme, ThemeVerification
from themes.services import create_theme, refresh_rollups

DEMO_SEED = 20_240_917
DEMO_CUSTOMERS = 240
DEMO_FEEDBACK = 5_000
DEMO_USAGE_CUSTOMERS = 60
DEMO_USAGE_DAYS = 30
DUPLICATE_SHARE = 0.05
UNTRIAGED_SHARE = 0.105
THEME_LINK_SHARE = 0.8  # share of triaged items of a themed topic that a PM linked to the theme
FOREIGN_LANGUAGE_SHARE = 0.5  # share of a French/German account's written feedback in its own language
BATCH_SIZE = 1_000

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(number: int, width: int = 0) -> str:
    """``number`` in base 62 (0-9A-Za-z), left-padded with zeros to ``width``."""
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = BASE62[remainder] + digits
    return (digits or "0").rjust(width, "0")


@functools.lru_cache(maxsize=65_536)
def ascii_slug(text: str, separator: str = "-") -> str:
    """Lower-case ASCII slug: accents dropped, anything else but letters and digits becomes ``separator``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    return separator.join(words)


class Weighted:
    """A fast weighted choice over fixed options (one ``random()`` and a bisect per draw)."""

    __slots__ = ("values", "cumulative", "total")

    def __init__(self, weights: Mapping[Any, float]):
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> Any:
        """One value, drawn in proportion to its weight."""
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def spread(*, rng: random.Random, weights: Mapping[Hashable, float], count: int) -> list:
    """``count`` draws from ``weights`` that contain every value at least once (when ``count`` allows), shuffled."""
    values = list(weights)[:count]
    picker = Weighted(weights)
    values += [picker.pick(rng) for _ in range(count - len(values))]
    rng.shuffle(values)
    return values


def midnight(day: date) -> datetime:
    """The start of ``day`` in UTC: the anchor every generated date counts back from."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --------------------------------------------------------------------------------------------------------------
# Customers


@dataclass(slots=True)
class Account:
    """What feedback generation needs to know about one customer."""

    id: int | None
    name: str
    domain: str | None
    industry: str
    region: str
    language: str
    tier: str
    arr: Decimal
    lifecycle: str
    use_case: str
    customer_since: date | None
    crm_id: str | None
    health: int | None

    @property
    def at_risk(self) -> bool:
        """Same rule as ``Customer.is_at_risk``."""
        return self.lifecycle == Lifecycle.AT_RISK or (self.health is not None and self.health < HEALTH_AT_RISK_BELOW)

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any], *, id: int | None = None) -> Account:
        """An account from ``CustomerFactory.make`` output (or a customer row as a dict)."""
        return cls(
            id=id if id is not None else fields.get("id"),
            name=fields["name"],
            domain=fields["domain"],
            industry=fields["industry"],
            region=fields["region"],
            language=fields["language"],
            tier=fields["tier"],
            arr=fields["arr"],
            lifecycle=fields["lifecycle_stage"],
            use_case=fields["primary_use_case"],
            customer_since=fields["customer_since"],
            crm_id=fields["crm_id"],
            health=fields["health_score"],
        )


ACCOUNT_FIELDS = (
    "id", "name", "domain", "industry", "region", "language", "tier", "arr", "lifecycle_stage", "primary_use_case",
    "customer_since", "crm_id", "health_score",
)  # fmt: skip


class CustomerFactory:
    """Draws believable customers: segments, ARR in the tier's band, dates and health consistent with lifecycle.

    With ``token`` (scale data), domains and CRM ids embed it and the row index, so they never collide with
    existing rows; without it (the demo), names, domains and CRM ids are kept unique among the customers drawn.
    """

    def __init__(self, *, rng: random.Random, today: date, owners_by_region: Mapping[str, Sequence[int]], token=""):
        self.rng, self.today, self.token = rng, today, token
        self.owners_by_region = owners_by_region
        self.owner_turn: dict[str, int] = {}
        self.industries = Weighted(V.INDUSTRY_WEIGHTS)
        self.regions = Weighted(V.REGION_WEIGHTS)
        self.tiers = Weighted(V.TIER_WEIGHTS)
        self.lifecycles = Weighted(V.LIFECYCLE_WEIGHTS)
        self.languages = {region: Weighted(w) for region, w in V.LANGUAGE_WEIGHTS_BY_REGION.items()}
        self.plans = {tier: Weighted(w) for tier, w in V.PLAN_WEIGHTS_BY_TIER.items()}
        self.use_cases = {industry: Weighted(w) for industry, w in V.USE_CASE_WEIGHTS_BY_INDUSTRY.items()}
        self.taken: set[str] = set()

    def make(
        self,
        index: int,
        *,
        industry: str | None = None,
        region: str | None = None,
        tier: str | None = None,
        lifecycle: str | None = None,
    ) -> dict[str, Any]:
        """Field values of one customer (``account_owner_id`` included, no ``id``)."""
        rng, today = self.rng, self.today
        industry = industry or self.industries.pick(rng)
        region = region or self.regions.pick(rng)
        tier = tier or self.tiers.pick(rng)
        lifecycle = lifecycle or self.lifecycles.pick(rng)
        name, domain, crm_id = self._identity(index, industry=industry, region=region)

        low, high = V.TIER_ARR_BANDS[tier]
        arr = round(math.exp(rng.uniform(math.log(low), math.log(high))), -2)
        if lifecycle in (Lifecycle.PROSPECT, Lifecycle.CHURNED):
            arr = 0  # no contract (yet, or any more); the tier is the band they were sold in
        if lifecycle == Lifecycle.PROSPECT:
            since = None
        elif lifecycle == Lifecycle.ONBOARDING:
            since = today - timedelta(days=rng.randint(5, 75))
        else:
            since = today - timedelta(days=rng.randint(150, 1600))
        if lifecycle == Lifecycle.AT_RISK:
            renewal = today + timedelta(days=rng.randint(10, 120))
        elif since is None or lifecycle == Lifecycle.CHURNED:
            renewal = None
        else:
            renewal = next_anniversary(since, today)
        health_range = V.HEALTH_BY_LIFECYCLE.get(lifecycle)
        return {
            "name": name,
            "domain": domain,
            "industry": industry,
            "region": region,
            "language": self.languages[region].pick(rng),
            "tier": tier,
            "arr": Decimal(int(arr)),
            "plan": self.plans[tier].pick(rng),
            "lifecycle_stage": lifecycle,
            "primary_use_case": self.use_cases[industry].pick(rng),
            "account_owner_id": self._owner(region),
            "customer_since": since,
            "health_score": rng.randint(*health_range) if health_range else None,
            "renewal_date": renewal,
            "crm_id": crm_id,
        }

    def _identity(self, index: int, *, industry: str, region: str) -> tuple[str, str, str]:
        rng = self.rng
        roots, suffixes = V.NAME_ROOTS_BY_REGION[region], V.NAME_SUFFIXES_BY_INDUSTRY[industry]
        for attempt in itertools.count():
            base = f"{rng.choice(roots)} {rng.choice(suffixes)}"
            if self.token or base not in self.taken or attempt > 20:
                break
        name = base
        if base in self.taken:
            name = f"{base} {rng.choice(V.LEGAL_SUFFIXES_BY_REGION[region])}"
            if name in self.taken:
                name = f"{base} Holdings {index}"
        elif industry != Industry.GOVERNMENT and rng.random() < 0.3:
            name = f"{base} {rng.choice(V.LEGAL_SUFFIXES_BY_REGION[region])}"
        if self.token:
            return name, f"{ascii_slug(base)}-{self.token}{index:x}{V.CUSTOMER_DOMAIN_SUFFIX}", self._scale_crm(index)
        self.taken.add(base)
        self.taken.add(name)
        domain = f"{ascii_slug(base)}{V.CUSTOMER_DOMAIN_SUFFIX}"
        if domain in self.taken:
            domain = f"{ascii_slug(name)}{V.CUSTOMER_DOMAIN_SUFFIX}"
        while domain in self.taken:
            domain = f"{ascii_slug(name)}-{rng.randint(2, 99)}{V.CUSTOMER_DOMAIN_SUFFIX}"
        self.taken.add(domain)
        crm_id = ""
        while not crm_id or crm_id in self.taken:
            crm_id = "001Dn00000" + "".join(rng.choices(BASE62, k=6))
        self.taken.add(crm_id)
        return name, domain, crm_id

    def _scale_crm(self, index: int) -> str:
        return f"001{self.token.upper()}{base62(index, 8)}"

    def _owner(self, region: str) -> int | None:
        owners = self.owners_by_region.get(region) or ()
        if not owners:
            return None
        turn = self.owner_turn.get(region, 0)
        self.owner_turn[region] = turn + 1
        return owners[turn % len(owners)]


def next_anniversary(since: date, today: date) -> date:
    """The first anniversary of ``since`` after ``today`` (29 February becomes 28 February)."""
    year = today.year
    while True:
        try:
            candidate = since.replace(year=year)
        except ValueError:
            candidate = date(year, 2, 28)
        if candidate > today:
            return candidate
        year += 1


# --------------------------------------------------------------------------------------------------------------
# Feedback

TIER_WEIGHT = {Tier.STRATEGIC_PARTNER: 3, Tier.ENTERPRISE: 3, Tier.MID_MARKET: 2, Tier.STARTUP: 1}
SEVERITY_WEIGHT = {"critical": 4, "high": 3, "medium": 2, "low": 1}
PRIORITY_LEVELS = ("low", "medium", "high", "critical")
ACCOUNT_FEEDBACK_WEIGHT = {
    Tier.STRATEGIC_PARTNER: 4.0,
    Tier.ENTERPRISE: 2.5,
    Tier.MID_MARKET: 1.2,
    Tier.STARTUP: 0.7,
}
LIFECYCLE_FEEDBACK_WEIGHT = {
    Lifecycle.PROSPECT: 0.35,
    Lifecycle.ONBOARDING: 0.9,
    Lifecycle.ACTIVE: 1.0,
    Lifecycle.AT_RISK: 1.4,
    Lifecycle.CHURNED: 0.5,
    Lifecycle.EXPANSION: 1.2,
}
# Business hours (UTC) of each region, for believable received_at times.
REGION_UTC_HOURS = {
    Region.NORTH_AMERICA: (13, 24),
    Region.EUROPE: (7, 17),
    Region.UK: (8, 18),
    Region.APAC: (0, 10),
    Region.LATAM: (12, 22),
    Region.MIDDLE_EAST: (5, 15),
}
CURRENCY_BY_REGION = {Region.EUROPE: "€", Region.UK: "£"}
NO_CUSTOMER_SHARE = {Source.GITHUB: 0.55}  # community issues come from people who are not (known) customers
DEFAULT_NO_CUSTOMER_SHARE = 0.02
UNTRIAGED_WINDOW_DAYS = 30  # untriaged items are the recent ones
CHURN_FROM_AT_RISK = 0.7  # share of churn signals that come from accounts already at risk


def _affinity(topic: V.Topic, account: Account) -> float:
    """How much more often ``account`` raises ``topic`` than an average account (product of its segment factors)."""
    factor = 1.0
    for attribute, weights in topic.affinity.items():
        factor *= weights.get(getattr(account, attribute), 1.0)
    return factor


def _big_number(rng: random.Random) -> str:
    value = rng.choice((12, 25, 40, 80, 120, 250, 480, 750, 1200, 2500, 4800))
    return f"{value / 1000:g}M" if value >= 1000 else f"{value}k"


class Slots(dict):
    """The slot values of one verbatim, drawn lazily on first use (a template only pays for the slots it has)."""

    def __init__(self, *, rng: random.Random, account: Account | None, language: str, product: str, day: date):
        super().__init__()
        self.rng, self.account, self.language, self.product, self.day = rng, account, language, product, day

    def __missing__(self, key: str) -> str:
        rng = self.rng
        choices = V.CHOICE_SLOTS.get(key)
        if choices is not None:
            value = rng.choice(choices)
        elif key in ("model", "model_id"):
            self["model"], self["model_id"] = rng.choice(V.MODELS_BY_PRODUCT[self.product])
            return self[key]
        else:
            value = self._computed(key)
        self[key] = value
        return value

    def _computed(self, key: str) -> str:  # noqa: C901 - one flat dispatch reads better than a table of lambdas
        rng, account = self.rng, self.account
        if key == "n":
            return str(rng.randint(2, 12))
        if key == "big_n":
            return _big_number(rng)
        if key == "pct":
            return str(rng.randint(12, 60))
        if key == "pct_small":
            return str(rng.randint(2, 9))
        if key == "pct_high":
            return str(rng.randint(80, 99))
        if key == "drop_pct":
            return str(rng.randint(21, 68))
        if key == "ms":
            return str(rng.randrange(1500, 9000, 100))
        if key == "ms_small":
            return str(rng.randrange(250, 900, 10))
        if key == "secs":
            return f"{rng.uniform(3, 14):.1f}"
        if key == "hours":
            return str(rng.randint(6, 30))
        if key == "hours_small":
            return str(rng.randint(1, 4))
        if key == "rpm":
            return f"{rng.choice((300, 600, 1200, 2000, 5000)):,}"
        if key == "tpm":
            return rng.choice(("500k", "1M", "2M", "5M"))
        if key == "seats":
            return f"{rng.choice((50, 120, 300, 800, 1500, 4000)):,}"
        if key == "util_pct":
            return str(rng.randint(8, 30))
        if key == "active":
            return f"{int(self['seats'].replace(',', '')) * int(self['util_pct']) // 100:,}"
        if key == "amount":
            currency = CURRENCY_BY_REGION.get(account.region if account else "", "$")
            return f"{currency}{rng.choice((2400, 4800, 7900, 12400, 18600, 27500, 41000, 85000)):,}"
        if key == "days":
            return str(rng.randint(3, 21))
        if key == "weeks":
            return str(rng.randint(2, 10))
        if key == "pages":
            return str(rng.randrange(80, 600, 10))
        if key == "ctx":
            return rng.choice(("32", "64", "100"))
        if key == "mp":
            return str(rng.randint(20, 60))
        if key == "rps":
            return str(rng.choice((5, 10, 25, 50, 100, 200)))
        if key == "request_id":
            return f"{rng.getrandbits(64):016x}"
        if key == "job_id":
            return f"ftjob-{rng.getrandbits(32):08x}"
        if key == "batch_id":
            return f"batch_{rng.getrandbits(40):010x}"
        if key == "from_n":
            return f"{rng.randrange(20_000, 2_000_000, 1_000):,}"
        if key == "to_n":
            start = int(self["from_n"].replace(",", ""))
            return f"{start * (100 - int(self['drop_pct'])) // 100:,}"
        if key == "inactive_days":
            return str(rng.randint(14, 30))
        if key == "since_date":
            days = int(self["inactive_days"]) if "inactive_days" in self else rng.randint(8, 20)
            return f"{self.day - timedelta(days=days):%d %b}"
        if key == "rotation_days":
            return rng.choice(("30", "60", "90"))
        if key == "batch_inputs":
            return rng.choice(("64", "128", "256"))
        if key == "file_limit":
            return rng.choice(("200", "500", "1,000"))
        if key == "key_count":
            return rng.choice(("50", "100", "200"))
        if key == "workflow":
            use_case = account.use_case if account and account.use_case else rng.choice(list(V.WORKFLOWS_BY_USE_CASE))
            return rng.choice(V.WORKFLOWS_BY_USE_CASE[use_case][self.language])
        if key == "company":
            return account.name if account else "a community user"
        if key == "person":
            return rng.choice(V.FIRST_NAMES_BY_LANGUAGE[account.language if account else Language.ENGLISH])
        raise KeyError(key)


@dataclass(slots=True)
class Draft:
    """One generated feedback item before it becomes a row."""

    topic: str
    body: str  # the customer's words, without the framing of the source
    language: str
    account: Account | None
    received_at: datetime
    source: str
    source_id: str
    source_url: str
    verbatim: str
    summary: str
    reporter_email: str
    category: str
    product: str
    product_area: str
    severity: str
    priority: str
    sentiment_score: float | None
    sentiment_label: str
    tags: list[str]
    status: str
    raw_payload: dict
    triaged_at: datetime | None
    themes: tuple = ()

    @property
    def triaged(self) -> bool:
        """Whether the triage has processed the item."""
        return self.triaged_at is not None

    def model_fields(self) -> dict[str, Any]:
        """Keyword arguments of the ``FeedbackItem`` (duplicate_of and themes aside)."""
        return {
            "received_at": self.received_at,
            "source": self.source,
            "source_id": self.source_id,
            "source_url": self.source_url,
            "verbatim": self.verbatim,
            "summary": self.summary,
            "reporter_email": self.reporter_email,
            "customer_id": self.account.id if self.account else None,
            "category": self.category,
            "product": self.product,
            "product_area": self.product_area,
            "severity": self.severity,
            "priority": self.priority,
            "sentiment_score": self.sentiment_score,
            "sentiment_label": self.sentiment_label,
            "tags": self.tags,
            "status": self.status,
            "raw_payload": self.raw_payload,
            "triaged_at": self.triaged_at,
        }


class SourceIds:
    """Realistic, unique ids per source: each embeds a per-source counter (and ``prefix``, the run token)."""

    def __init__(self, *, rng: random.Random, prefix: str = ""):
        self.rng, self.prefix = rng, prefix
        self.counters = {
            Source.ZENDESK: 41_200,
            Source.INTERCOM: 215_460_000,
            Source.CALL: 6_823_001_000,
            Source.LINEAR: 300,
            Source.CRM: 0,
            Source.EMAIL: 0,
            Source.IN_APP: 0,
            Source.NPS: 0,
            Source.USAGE: 0,
            Source.MANUAL: 0,
            Source.SLACK: 0,
        }
        self.github = dict(V.GITHUB_REPOS)
        self.github_repos = Weighted(V.GITHUB_REPOS)
        self.channels: dict[str, str] = {}

    def _next(self, source: str, low: int = 1, high: int = 1) -> int:
        value = self.counters[source] + (self.rng.randint(low, high) if high > low else low)
        self.counters[source] = value
        return value

    def make(self, *, source: str, received_at: datetime, account: Account | None, draft: Draft, subject: str):
        """(source id, source url, raw payload) of one item."""
        email = draft.reporter_email
        rng, p = self.rng, self.prefix
        epoch = int(received_at.timestamp())
        if source == Source.ZENDESK:
            n = self._next(source, 1, 7)
            return (
                f"ZD-{p}{n}",
                f"https://support-demo.zendesk.com/agent/tickets/{p}{n}",
                {
                    "ticket": {
                        "id": n,
                        "subject": subject,
                        "priority": rng.choice(("low", "normal", "high", "urgent")),
                        "via": {"channel": rng.choice(("email", "web", "api"))},
                        "requester": {"email": email},
                    }
                },
            )
        if source == Source.INTERCOM:
            n = self._next(source, 1, 40)
            return (
                f"conv_{p}{n}",
                f"https://app.intercom.com/a/inbox/demo/inbox/conversation/{p}{n}",
                {
                    "type": "conversation",
                    "id": str(n),
                    "created_at": epoch,
                    "author": {"email": email},
                    "state": "open",
                },
            )
        if source == Source.SLACK:
            seq = self._next(source) % 1_000_000
            key = account.name if account else "community"
            channel = self.channels.get(key)
            if channel is None:
                channel = self.channels[key] = "C0" + "".join(rng.choices(string.digits + string.ascii_uppercase, k=9))
            name = f"ext-{ascii_slug(account.name) if account else 'community'}"[:80]
            return (
                f"{channel}-{p}{epoch}.{seq:06d}",
                f"https://demo-hub.slack.com/archives/{channel}/p{epoch}{seq:06d}",
                {
                    "channel": channel,
                    "channel_name": name,
                    "ts": f"{epoch}.{seq:06d}",
                    "user": "U0" + "".join(rng.choices(string.digits + string.ascii_uppercase, k=9)),
                    "reaction": V.SLACK_REACTIONS.get(draft.category, "mega"),
                },
            )
        if source == Source.CALL:
            n = self._next(source, 11, 997)
            return (
                f"gong:{p}{n}",
                f"https://app.gong.io/call?id={p}{n}",
                {"call_id": str(n), "provider": "gong", "duration_s": rng.randint(900, 3600), "title": subject},
            )
        if source == Source.CRM:
            n = self._next(source, 1, 9)
            task_id = f"00TDn{p}{base62(n, 10)}"
            return (
                task_id,
                f"https://demo-hub.lightning.force.com/lightning/r/Task/{task_id}/view",
                {"object": "Task", "account_id": account.crm_id if account else None, "subject": subject},
            )
        if source == Source.LINEAR:
            n = self._next(source, 1, 3)
            return (
                f"SUP-{p}{n}",
                f"https://linear.app/demo-hub/issue/SUP-{p}{n}",
                {"identifier": f"SUP-{n}", "team": "Support", "state": "Triage", "title": subject},
            )
        if source == Source.GITHUB:
            repo = self.github_repos.pick(rng)
            n = self.github[repo] = self.github[repo] + rng.randint(1, 4)
            return (
                f"mistralai/{repo}#{p}{n}",
                f"https://github.com/mistralai/{repo}/issues/{p}{n}",
                {
                    "repository": f"mistralai/{repo}",
                    "number": n,
                    "state": "open",
                    "title": subject,
                    "user": {"login": rng.choice(V.GITHUB_HANDLES)},
                },
            )
        if source == Source.EMAIL:
            n = self._next(source)
            host = account.domain if account and account.domain else "mail.example"
            message_id = f"<{p}{rng.getrandbits(48):012x}.{n}@{host}>"
            return message_id, "", {"message_id": message_id, "from": email, "subject": subject, "to": "support"}
        if source == Source.IN_APP:
            n = self._next(source)
            page = V.IN_APP_PAGES.get(draft.product_area, "/chat")
            return f"fbw_{p}{n:07d}", "", {"widget": "console-feedback", "page": page, "email": email}
        if source == Source.NPS:
            n = self._next(source)
            response = f"tf_{p}{rng.getrandbits(40):010x}{n:x}"
            quarter = f"{received_at.year}-Q{(received_at.month - 1) // 3 + 1}"
            return (
                response,
                "",
                {"survey": f"NPS {quarter}", "response_id": response, "score": draft.raw_payload["score"]},
            )
        if source == Source.USAGE:
            n = self._next(source)
            crm = account.crm_id if account else "anon"
            return f"usage:{p}{crm}:{received_at:%Y-%m-%d}:{n}", "", {"metric": "api_requests", "window": "7d"}
        n = self._next(Source.MANUAL)
        return f"manual-{p}{n:05d}", "", {"entered_via": "admin"}


def priority_for(*, severity: str, account: Account | None, category: str, rng: random.Random) -> str:
    """Seed 002's score: tier × 3 + severity × 2 + revenue, boosted for at-risk accounts; a PM overrides ~8 %."""
    tier = TIER_WEIGHT.get(account.tier, 1) if account else 1
    arr = account.arr if account else 0
    revenue = 3 if arr >= 1_000_000 else 2 if arr >= 250_000 else 1
    score = tier * 3 + SEVERITY_WEIGHT[severity] * 2 + revenue + (2 if account and account.at_risk else 0)
    level = 3 if score >= 18 else 2 if score >= 14 else 1 if score >= 10 else 0
    if category == Category.PRAISE:
        level = 0
    elif category == Category.QUESTION:
        level = min(level, 1)
    if rng.random() < 0.08:
        level = min(3, max(0, level + rng.choice((-1, 1))))
    return PRIORITY_LEVELS[level]


class FeedbackFactory:
    """Draws feedback items: topic, account, words, source, triage fields and theme links, consistently.

    ``themes_by_topic`` maps a topic key to the themes it feeds as ``(theme reference, theme status)``; the
    reference (a Theme or an id) is handed back in ``Draft.themes``.
    """

    def __init__(
        self,
        *,
        rng: random.Random,
        accounts: Sequence[Account],
        today: date,
        themes_by_topic: Mapping[str, Sequence[tuple[Any, str]]],
        id_prefix: str = "",
        untriaged_share: float = UNTRIAGED_SHARE,
    ):
        self.rng, self.accounts, self.themes_by_topic = rng, accounts, themes_by_topic
        self.anchor = midnight(today)
        self.untriaged_share = untriaged_share
        self.ids = SourceIds(rng=rng, prefix=id_prefix)
        self.topics = Weighted({topic: topic.weight for topic in V.TOPICS})
        base = [ACCOUNT_FEEDBACK_WEIGHT[a.tier] * LIFECYCLE_FEEDBACK_WEIGHT[a.lifecycle] for a in accounts]
        self.account_picker = Weighted(dict(enumerate(base))) if accounts else None
        # Each topic comes more from the segments it matters to (on-prem from governments, Codestral from developers).
        self.topic_accounts = {
            topic.key: Weighted(
                {index: weight * _affinity(topic, accounts[index]) for index, weight in enumerate(base)}
            )
            for topic in V.TOPICS
            if accounts and topic.affinity
        }
        at_risk = {index: weight for index, weight in enumerate(base) if accounts[index].at_risk}
        self.at_risk_accounts = Weighted(at_risk) if at_risk else None
        self.sources = {
            (topic.key, category): Weighted({s: w for s, w in weights.items() if s not in topic.exclude_sources})
            for topic in V.TOPICS
            for category, weights in V.SOURCE_WEIGHTS_BY_CATEGORY.items()
        }
        self.written_sources = {
            category: Weighted(
                {s: w for s, w in weights.items() if s in V.CUSTOMER_WRITTEN_SOURCES} or {Source.EMAIL: 1}
            )
            for category, weights in V.SOURCE_WEIGHTS_BY_CATEGORY.items()
        }
        self.severities = {category: Weighted(w) for category, w in V.SEVERITY_WEIGHTS_BY_CATEGORY.items()}
        self.statuses = {status: Weighted(w) for status, w in V.STATUS_WEIGHTS_BY_THEME_STATUS.items()}
        self.signal_statuses = Weighted(V.STATUS_WEIGHTS_OF_SIGNALS)
        self.products = {topic.key: Weighted(topic.products) for topic in V.TOPICS}
        self.areas = {topic.key: Weighted(topic.areas) for topic in V.TOPICS}
        self.tag_sets = {  # every choice of 1 to 3 of the topic's tags
            topic.key: [combo for size in (1, 2, 3) for combo in itertools.combinations(topic.tags, size)]
            for topic in V.TOPICS
        }

    def restart(self, *, rng: random.Random, id_prefix: str) -> None:
        """Continue with another random stream and another source-id prefix (one chunk of scale data)."""
        self.rng = rng
        self.ids = SourceIds(rng=rng, prefix=id_prefix)

    # -- one item

    def make(self) -> Draft:
        """A new original item."""
        rng = self.rng
        topic: V.Topic = self.topics.pick(rng)
        picker = self.topic_accounts.get(topic.key, self.account_picker)
        account = self.accounts[picker.pick(rng)] if picker else None
        language = Language.ENGLISH
        foreign = getattr(topic, account.language, ()) if account and account.language in ("fr", "de") else ()
        if foreign and rng.random() < FOREIGN_LANGUAGE_SHARE:
            body, language = rng.choice(foreign), account.language
            source = self.written_sources[body.category].pick(rng)
        else:
            body = rng.choice(topic.bodies)
            source = self._source(topic, body.category)
            if body.category == Category.CHURN_SIGNAL and self.at_risk_accounts and rng.random() < CHURN_FROM_AT_RISK:
                account = self.accounts[self.at_risk_accounts.pick(rng)]
        if account and rng.random() < NO_CUSTOMER_SHARE.get(source, DEFAULT_NO_CUSTOMER_SHARE):
            account = None
        untriaged = rng.random() < self.untriaged_share
        received_at = self._received_at(account, window_days=UNTRIAGED_WINDOW_DAYS if untriaged else 365)
        product = body.product or self.products[topic.key].pick(rng)
        slots = Slots(rng=rng, account=account, language=language, product=product, day=received_at.date())
        words = body.text.format_map(slots)
        low, high = body.sentiment or V.SENTIMENT_BY_CATEGORY[body.category]
        score = round(rng.uniform(low, high), 2)
        severity = self.severities[body.category].pick(rng)
        themes = ()
        candidates = self.themes_by_topic.get(topic.key)
        if candidates and not untriaged and rng.random() < THEME_LINK_SHARE:
            themes = (rng.choice(candidates),)
        draft = Draft(
            topic=topic.key,
            body=words,
            language=language,
            account=account,
            received_at=received_at,
            source=source,
            source_id="",
            source_url="",
            verbatim="",
            summary=body.summary.format_map(slots)[:300],
            reporter_email=self._email(account, source),
            category=body.category,
            product=product,
            product_area=body.area or self.areas[topic.key].pick(rng),
            severity=severity,
            priority=priority_for(severity=severity, account=account, category=body.category, rng=rng),
            sentiment_score=score,
            sentiment_label=Sentiment.for_score(score),
            tags=self._tags(topic, account, language, severity),
            status=(
                self.signal_statuses
                if body.category == Category.BEHAVIORAL
                else self.statuses[themes[0][1] if themes else None]
            ).pick(rng),
            raw_payload={},
            triaged_at=min(received_at + timedelta(minutes=2 + 238 * rng.random()), self.anchor),
            themes=tuple(ref for ref, _ in themes),
        )
        self._frame(draft, slots)
        if untriaged:
            self._untriage(draft)
        return draft

    def make_duplicate(self, original: Draft) -> Draft:
        """The same problem reported again later, often by the same account through another channel."""
        rng, topic = self.rng, V.TOPICS_BY_KEY[original.topic]
        account, words = original.account, original.body
        signal = original.category == Category.BEHAVIORAL  # the words name the account: it stays the same
        if not signal and (account is None or rng.random() < 0.3) and self.account_picker:
            account = self.accounts[self.account_picker.pick(rng)]
        if original.language != Language.ENGLISH:
            source = self.written_sources[original.category].pick(rng)
        else:
            source = self._source(topic, original.category)
            words = rng.choice(V.DUPLICATE_LEADS.get(original.category, ("",))) + words
        latest = self.anchor - timedelta(hours=1)
        received_at = min(original.received_at + timedelta(days=rng.uniform(1, 20)), latest)
        score = max(-1.0, min(1.0, round(original.sentiment_score + rng.uniform(-0.1, 0.1), 2)))
        draft = Draft(
            topic=original.topic,
            body=words,
            language=original.language,
            account=account,
            received_at=received_at,
            source=source,
            source_id="",
            source_url="",
            verbatim="",
            summary=original.summary,
            reporter_email=self._email(account, source),
            category=original.category,
            product=original.product,
            product_area=original.product_area,
            severity=original.severity,
            priority=original.priority,
            sentiment_score=score,
            sentiment_label=Sentiment.for_score(score),
            tags=list(original.tags),
            status=original.status,
            raw_payload={},
            triaged_at=min(received_at + timedelta(minutes=2 + 238 * rng.random()), self.anchor),
            themes=original.themes,
        )
        slots = Slots(
            rng=rng, account=account, language=original.language, product=original.product, day=received_at.date()
        )
        self._frame(draft, slots)
        return draft

    # -- parts

    def _source(self, topic: V.Topic, category: str) -> str:
        roll = self.rng.random()
        for source, share in topic.source_bias:
            if roll < share:
                return source
            roll -= share
        return self.sources[topic.key, category].pick(self.rng)

    def _received_at(self, account: Account | None, *, window_days: int) -> datetime:
        rng, anchor = self.rng, self.anchor
        days_back = window_days * rng.random() ** 1.25  # more feedback recently: the programme is growing
        if account and account.customer_since:
            tenure = (anchor.date() - account.customer_since).days
            if days_back > tenure:
                days_back = tenure * rng.random()
        start, end = REGION_UTC_HOURS[account.region] if account else (0, 24)
        seconds = start * 3600 + int(rng.random() * (end - start) * 3600)  # business hours of the account's region
        return anchor - timedelta(days=int(days_back) + 1, seconds=-seconds)  # always before the anchor

    def _email(self, account: Account | None, source: str) -> str:
        if account is None or not account.domain or source == Source.USAGE:
            return ""
        first = self.rng.choice(V.FIRST_NAMES_BY_LANGUAGE[account.language])
        last = self.rng.choice(V.LAST_NAMES_BY_LANGUAGE[account.language])
        return f"{ascii_slug(first, '')}.{ascii_slug(last, '')}@{account.domain}"

    def _tags(self, topic: V.Topic, account: Account | None, language: str, severity: str) -> list[str]:
        rng = self.rng
        tags = list(rng.choice(self.tag_sets[topic.key]))
        if account and account.tier in (Tier.ENTERPRISE, Tier.STRATEGIC_PARTNER) and rng.random() < 0.3:
            tags.append("enterprise")
        if severity in ("critical", "high") and rng.random() < 0.3:
            tags.append("production")
        if language != Language.ENGLISH:
            tags.append(f"lang-{language}")
        return tags

    def _frame(self, draft: Draft, slots: Slots) -> None:
        """Wrap the customer's words the way the source records them; fill source id, url and payload."""
        rng, source, language, words = self.rng, draft.source, draft.language, draft.body
        slots["body"] = words
        if source in (Source.INTERCOM, Source.ZENDESK, Source.EMAIL):
            opener = rng.choice(V.OPENERS[language])
            closer = rng.choice(V.CLOSERS[language]).format_map(slots)
            text = " ".join(part for part in (opener, words, closer) if part)
        elif source == Source.SLACK:
            text = slots["slack_opener"] + words + (" 🙏" if rng.random() < 0.15 else "")
        elif source == Source.NPS:
            nps = max(0, min(10, round((draft.sentiment_score + 1) * 5 + rng.uniform(-1, 1))))
            draft.raw_payload = {"score": nps}
            text = f"NPS {nps}/10 — {words}"
        elif source == Source.CALL:
            text = rng.choice(V.CALL_FRAMES).format_map(slots)
        elif source == Source.CRM:
            text = rng.choice(V.CRM_FRAMES).format_map(slots)
        elif source == Source.LINEAR:
            text = rng.choice(V.LINEAR_FRAMES).format_map(slots)
        elif source == Source.MANUAL:
            text = rng.choice(V.MANUAL_FRAMES).format_map(slots)
        elif source == Source.GITHUB and rng.random() < 0.5:
            text = f"{words}\n\nEnvironment: {slots['env']}"
        else:
            text = words
        draft.verbatim = text
        subject = words if len(words) <= 80 else words[:77].rsplit(" ", 1)[0] + "…"
        draft.source_id, draft.source_url, draft.raw_payload = self.ids.make(
            source=source, received_at=draft.received_at, account=draft.account, draft=draft, subject=subject
        )

    @staticmethod
    def _untriage(draft: Draft) -> None:
        """Blank what the triage fills in: the item waits in the queue."""
        draft.category = draft.product = draft.product_area = draft.severity = draft.priority = ""
        draft.summary = draft.sentiment_label = ""
        draft.sentiment_score, draft.triaged_at = None, None
        draft.tags, draft.themes, draft.status = [], (), Status.NEW


# --------------------------------------------------------------------------------------------------------------
# The demo


@dataclass
class DemoResult:
    """What ``load_demo`` created."""

    counts: dict[str, int] = field(default_factory=dict)
    admin_created: bool = False
    seconds: float = 0.0


def demo_loaded() -> bool:
    """Whether the demo data is already there (the admin user and at least one customer exist)."""
    user_model = get_user_model()
    return user_model.objects.filter(username=V.ADMIN_USERNAME).exists() and Customer.objects.exists()


DEMO_TABLES = (Customer, UsageSnapshot, FeedbackItem, Theme, ThemeVerification, Launch, ChecklistItem)


def reset_demo() -> None:
    """Delete all feedback, themes, launches (with checklists), customers, usage and the non-superuser demo users.

    TRUNCATE … CASCADE also empties the tables that point at these (theme links, embeddings, anything added
    later that references them) and restarts their ids, so a reload gives the same ids again.
    """
    tables = [FeedbackItem.themes.through, Launch.themes.through, *DEMO_TABLES]
    names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    get_user_model().objects.filter(username__in=[p.username for p in V.PEOPLE], is_superuser=False).delete()


@transaction.atomic
def load_demo(*, seed: int = DEMO_SEED, today: date | None = None, reset: bool = False) -> DemoResult | None:
    """Load the demo company; None (and no change) when it is already there and ``reset`` is false."""
    started = time.perf_counter()
    if reset:
        reset_demo()
    elif demo_loaded():
        return None
    today = today or timezone.now().date()
    rng = random.Random(seed)
    result = DemoResult()
    users, result.admin_created = _create_users()
    _create_groups(users)
    customers = _create_customers(rng=rng, today=today, users=users)
    usage = _create_usage(rng=rng, today=today, customers=customers)
    themes = _create_themes(rng=rng, today=today, users=users)
    feedback, duplicates, untriaged, links = _create_feedback(rng=rng, today=today, customers=customers, themes=themes)
    refresh_rollups(theme_ids=[theme.pk for theme in themes.values()])
    launches, items, done = _create_launches(rng=rng, today=today, users=users, themes=themes)
    result.counts = {
        "users": len(users) + 1,
        "groups": len(V.GROUPS),
        "customers": len(customers),
        "usage snapshots": usage,
        "feedback items": feedback,
        "  of which duplicates": duplicates,
        "  of which untriaged": untriaged,
        "theme links": links,
        "themes": len(themes),
        "verification steps done": ThemeVerification.objects.filter(
            theme__in=themes.values(), done_at__isnull=False
        ).count(),
        "launches": launches,
        "checklist items": items,
        "checklist items done": done,
    }
    result.seconds = time.perf_counter() - started
    return result


def _create_users() -> tuple[dict[str, Any], bool]:
    """The superuser ``admin`` (unless it exists) and the staff of ``vocabulary.PEOPLE``, keyed by username."""
    user_model = get_user_model()
    admin_created = False
    if not user_model.objects.filter(username=V.ADMIN_USERNAME).exists():
        user_model.objects.create_superuser(
            V.ADMIN_USERNAME, f"{V.ADMIN_USERNAME}@{V.STAFF_EMAIL_DOMAIN}", V.ADMIN_PASSWORD
        )
        admin_created = True
    existing = user_model.objects.in_bulk([p.username for p in V.PEOPLE], field_name="username")
    password = make_password(V.DEMO_PASSWORD)  # hashed once: every demo user shares it
    user_model.objects.bulk_create(
        user_model(
            username=person.username,
            first_name=person.first_name,
            last_name=person.last_name,
            email=f"{person.username}@{V.STAFF_EMAIL_DOMAIN}",
            is_staff=True,
            password=password,
        )
        for person in V.PEOPLE
        if person.username not in existing
    )
    users = user_model.objects.in_bulk([p.username for p in V.PEOPLE], field_name="username")
    return users, admin_created


def _create_groups(users: Mapping[str, Any]) -> None:
    """The five roles with their model permissions, and who belongs to which."""
    membership = Group.user_set.through
    rows = []
    for name in V.GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        wanted = V.GROUP_PERMISSIONS[name]
        codenames = [
            f"{action}_{model}" for models in wanted.values() for model, actions in models.items() for action in actions
        ]
        permissions = Permission.objects.filter(content_type__app_label__in=list(wanted), codename__in=codenames)
        group.permissions.set(
            [
                p
                for p in permissions.select_related("content_type")
                if p.content_type.model in wanted[p.content_type.app_label]
            ]
        )
        rows += [
            membership(group_id=group.pk, user_id=users[person.username].pk)
            for person in V.PEOPLE
            if name in person.groups
        ]
    membership.objects.bulk_create(rows, ignore_conflicts=True)


def _owners_by_region(users: Mapping[str, Any]) -> dict[str, list[int]]:
    owners: dict[str, list[int]] = {}
    for person in V.PEOPLE:
        for region in person.regions:
            owners.setdefault(region, []).append(users[person.username].pk)
    return owners


def _create_customers(*, rng: random.Random, today: date, users: Mapping[str, Any]) -> list[Customer]:
    """``DEMO_CUSTOMERS`` accounts covering every value of every segment."""
    factory = CustomerFactory(rng=rng, today=today, owners_by_region=_owners_by_region(users))
    count = DEMO_CUSTOMERS
    industries = spread(rng=rng, weights=V.INDUSTRY_WEIGHTS, count=count)
    regions = spread(rng=rng, weights=V.REGION_WEIGHTS, count=count)
    tiers = spread(rng=rng, weights=V.TIER_WEIGHTS, count=count)
    lifecycles = spread(rng=rng, weights=V.LIFECYCLE_WEIGHTS, count=count)
    customers = [
        Customer(
            **factory.make(
                index, industry=industries[index], region=regions[index], tier=tiers[index], lifecycle=lifecycles[index]
            )
        )
        for index in range(count)
    ]
    return Customer.objects.bulk_create(customers, batch_size=BATCH_SIZE)


def _create_usage(*, rng: random.Random, today: date, customers: Sequence[Customer]) -> int:
    """30 days of usage for a subset of accounts: most steady, some dropping > 20 %, a few silent for 14+ days."""
    paying = [c for c in customers if c.lifecycle_stage not in (Lifecycle.PROSPECT, Lifecycle.CHURNED)]
    at_risk = [c for c in paying if c.lifecycle_stage == Lifecycle.AT_RISK]
    silent = rng.sample(at_risk, min(5, len(at_risk)))
    rest = [c for c in paying if c not in silent]
    dropping = rng.sample([c for c in rest if c.lifecycle_stage in (Lifecycle.AT_RISK, Lifecycle.ACTIVE)], 10)
    steady = rng.sample([c for c in rest if c not in dropping], DEMO_USAGE_CUSTOMERS - len(silent) - len(dropping))
    features = ("chat_completions", "embeddings", "fine_tuning", "codestral_fim", "agents", "batch")
    rows = []
    for customer in [*silent, *dropping, *steady]:
        scale = max(1.0, float(customer.arr) / 10_000)
        base_users = max(3, int(scale * rng.uniform(0.8, 2.5)))
        base_requests = int(scale * rng.uniform(800, 3000))
        mix = {name: rng.random() for name in rng.sample(features, rng.randint(2, 5))}
        silent_days = rng.randint(14, 20) if customer in silent else 0
        drop_days, drop = (rng.randint(7, 12), rng.uniform(0.35, 0.7)) if customer in dropping else (0, 1.0)
        growth = 1.01 if customer.lifecycle_stage == Lifecycle.EXPANSION else 1.0
        for days_back in range(DEMO_USAGE_DAYS, 0, -1):
            day = today - timedelta(days=days_back)
            factor = (0.35 if day.weekday() >= 5 else 1.0) * rng.uniform(0.88, 1.12) * growth ** (30 - days_back)
            if days_back <= drop_days:
                factor *= drop
            if days_back <= silent_days:
                factor = 0.0
            requests = int(base_requests * factor)
            rows.append(
                UsageSnapshot(
                    customer=customer,
                    taken_on=day,
                    active_users=int(base_users * factor),
                    api_requests=requests,
                    tokens_used=requests * rng.randint(600, 1800),
                    features_used={name: int(requests * share) for name, share in mix.items()} if requests else {},
                )
            )
    UsageSnapshot.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


def _create_themes(*, rng: random.Random, today: date, users: Mapping[str, Any]) -> dict[str, Theme]:
    """The 20 themes (through ``create_theme``, so each has its checklist), with verification partly ticked."""
    themes: dict[str, Theme] = {}
    for spec in V.THEMES:
        theme = create_theme(
            name=spec.name,
            description=spec.description,
            problem_statement=spec.problem_statement,
            owner=users[spec.owner],
            status=spec.status,
        )
        theme.tracker_issues = list(spec.tracker_issues)
        themes[spec.topic] = theme
    Theme.objects.bulk_update(themes.values(), ["tracker_issues"])
    ticked_by_status = {
        ThemeStatus.HYPOTHESIS: (0, 2),
        ThemeStatus.VALIDATED: (6, 8),
        ThemeStatus.IN_PROGRESS: (7, 8),
        ThemeStatus.SHIPPED: (8, 8),
    }
    segments = ("financial services", "healthcare", "EU enterprise", "North American mid-market", "APAC", "tech")
    steps = []
    for spec in V.THEMES:
        theme = themes[spec.topic]
        low, high = ticked_by_status[ThemeStatus(spec.status)]
        ticked = rng.randint(low, high)
        started = midnight(today) - timedelta(days=rng.randint(60, 240))
        for step in ThemeVerification.objects.filter(theme=theme).order_by("position"):
            if step.position >= ticked:
                break
            asked = rng.randint(12, 30)
            step.done_by = theme.owner
            step.done_at = min(midnight(today), started + timedelta(days=step.position * rng.randint(3, 9)))
            step.notes = rng.choice(V.VERIFICATION_NOTES).format(
                n=asked, k=rng.randint(asked // 2 + 1, asked), segment=rng.choice(segments)
            )
            steps.append(step)
    ThemeVerification.objects.bulk_update(steps, ["done_by", "done_at", "notes"])
    return themes


def _create_feedback(
    *, rng: random.Random, today: date, customers: Sequence[Customer], themes: Mapping[str, Theme]
) -> tuple[int, int, int, int]:
    """``DEMO_FEEDBACK`` items: originals, then ~5 % duplicates of older triaged ones; links to themes by topic."""
    accounts = [Account.from_fields(customer.__dict__, id=customer.pk) for customer in customers]
    factory = FeedbackFactory(
        rng=rng,
        accounts=accounts,
        today=today,
        themes_by_topic={topic: [(theme, theme.status)] for topic, theme in themes.items()},
    )
    duplicates = round(DEMO_FEEDBACK * DUPLICATE_SHARE)
    originals = [factory.make() for _ in range(DEMO_FEEDBACK - duplicates)]
    cutoff = midnight(today) - timedelta(days=25)
    eligible = [draft for draft in originals if draft.triaged and draft.received_at < cutoff]
    copies = [(factory.make_duplicate(original), original) for original in rng.sample(eligible, duplicates)]

    through = FeedbackItem.themes.through
    # Into an empty table (a fresh database, or after --reset), inserting without indexes and building them after
    # is faster; on top of other feedback (scale data, say), rebuilding its indexes would cost more than it saves.
    empty = not FeedbackItem.objects.exists()
    with indexes_dropped(tables=[FeedbackItem._meta.db_table, through._meta.db_table]) if empty else nullcontext():
        objects = FeedbackItem.objects.bulk_create(
            [FeedbackItem(**draft.model_fields()) for draft in originals], batch_size=BATCH_SIZE
        )
        object_of = {id(draft): obj for draft, obj in zip(originals, objects, strict=True)}
        copy_objects = FeedbackItem.objects.bulk_create(
            [FeedbackItem(**copy.model_fields(), duplicate_of=object_of[id(original)]) for copy, original in copies],
            batch_size=BATCH_SIZE,
        )
        pairs = [
            *zip(originals, objects, strict=True),
            *((copy, obj) for (copy, _), obj in zip(copies, copy_objects, strict=True)),
        ]
        links = [through(feedbackitem_id=obj.pk, theme_id=theme.pk) for draft, obj in pairs for theme in draft.themes]
        through.objects.bulk_create(links, batch_size=BATCH_SIZE)
        # Imported a few minutes after the customer said it; last touched by the triage.
        imported = F("received_at") + timedelta(minutes=3)
        FeedbackItem.objects.filter(pk__in=[obj.pk for _, obj in pairs]).update(
            created_at=imported, updated_at=Coalesce(F("triaged_at"), imported)
        )
    untriaged = sum(1 for draft in originals if not draft.triaged)
    return len(pairs), len(copies), untriaged, len(links)


CHECKLIST_OWNER_ROLES = {
    ChecklistTeam.MARKETING: "nina.petrova",
    ChecklistTeam.LEGAL: "julien.lefevre",
}
CHECKLIST_TEAM_PEOPLE = {
    ChecklistTeam.SALES: ("marcus.reed", "lea.dubois", "oliver.bennett", "hannah.schmidt"),
    ChecklistTeam.SUPPORT: ("hannah.schmidt", "kenji.watanabe"),
    ChecklistTeam.ENGINEERING: ("rafael.costa",),
}


def _create_launches(
    *, rng: random.Random, today: date, users: Mapping[str, Any], themes: Mapping[str, Theme]
) -> tuple[int, int, int]:
    """The 12 launches (through ``create_launch``, so each gets its checklist), owners set, items partly ticked."""
    launches: list[tuple[V.LaunchSpec, Launch]] = []
    for spec in V.LAUNCHES:
        launch = create_launch(
            name=spec.name,
            description=spec.description,
            launch_type=spec.launch_type,
            status=spec.status,
            team=spec.team,
            owner=users[spec.owner],
            start_date=today + timedelta(days=spec.start_offset),
            target_date=today + timedelta(days=spec.target_offset),
            shipped_on=today + timedelta(days=spec.shipped_offset) if spec.shipped_offset is not None else None,
            tracker_keys=list(spec.tracker_keys),
            themes=[themes[topic] for topic in spec.themes],
        )
        launches.append((spec, launch))

    items_total = 0
    owned, ticked = [], []
    for spec, launch in launches:
        items = list(launch.checklist_items.order_by("team", "position"))
        items_total += len(items)
        left_open = rng.choice(items) if spec.status == LaunchStatus.SHIPPED and rng.random() < 0.35 else None
        for item in items:
            if item.team == ChecklistTeam.ENGINEERING and rng.random() < 0.7:
                owner = launch.owner
            else:
                owner = users[CHECKLIST_OWNER_ROLES.get(item.team) or rng.choice(CHECKLIST_TEAM_PEOPLE[item.team])]
            item.owner = owner
            owned.append(item)
            if not _checklist_item_done(rng=rng, spec=spec, item=item, today=today) or item is left_open:
                continue
            ticker = owner if item.team in CHECKLIST_OWNER_ROLES else launch.owner  # launch owners tick for their teams
            last = launch.shipped_on or today - timedelta(days=1)
            day = min(item.due_date - timedelta(days=rng.randint(0, 4)), last)
            done_at = midnight(day) + timedelta(hours=rng.randint(8, 18), minutes=rng.randint(0, 59))
            set_item_done(item=item, done=True, user=ticker, at=done_at)
            ticked.append(item)
    ChecklistItem.objects.bulk_update(owned, ["owner"], batch_size=BATCH_SIZE)
    return len(launches), items_total, len(ticked)


def _checklist_item_done(*, rng: random.Random, spec: V.LaunchSpec, item: ChecklistItem, today: date) -> bool:
    """Shipped launches are (nearly) complete; others are ticked up to about today, less so when at risk."""
    if spec.status == LaunchStatus.SHIPPED:
        return True
    if item.due_date < today:
        return rng.random() < (0.45 if spec.status == LaunchStatus.AT_RISK else 0.9)
    if item.due_date <= today + timedelta(days=14):
        return rng.random() < 0.35
    return rng.random() < 0.08


# --------------------------------------------------------------------------------------------------------------
# Scale data (seed_scale)

CUSTOMER_COLUMNS = (
    "id", "name", "domain", "industry", "region", "language", "tier", "arr", "plan", "lifecycle_stage",
    "primary_use_case", "account_owner_id", "customer_since", "health_score", "renewal_date", "crm_id",
    "created_at", "updated_at",
)  # fmt: skip
FEEDBACK_COLUMNS = (
    "id", "received_at", "source", "source_id", "source_url", "verbatim", "summary", "reporter_email",
    "customer_id", "category", "product", "product_area", "severity", "priority", "sentiment_score",
    "sentiment_label", "tags", "status", "duplicate_of_id", "raw_payload", "triaged_at", "created_at",
    "updated_at",
)  # fmt: skip
RECENT_ORIGINALS_PER_TOPIC = 200  # duplicates point at one of the latest originals of their topic


@dataclass
class TableObject:
    """A secondary index, unique constraint or foreign key of a table, as PostgreSQL defines it."""

    table: str
    name: str
    kind: str  # "index" (definition: CREATE INDEX …) or "constraint" (definition: UNIQUE …, FOREIGN KEY …)
    definition: str


@dataclass
class ScaleReport:
    """What ``seed_scale`` inserted and how long each phase took (seconds)."""

    token: str
    customers: int = 0
    feedback: int = 0
    links: int = 0
    themes: int = 0
    duplicates: int = 0
    indexes: int = 0
    foreign_keys: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        """Wall time of the whole load."""
        return sum(self.timings.values())


SECONDARY_INDEXES_SQL = """
    SELECT idx.tablename, idx.indexname, idx.indexdef, pg_get_constraintdef(con.oid)
    FROM pg_indexes AS idx
    JOIN pg_class AS tbl ON tbl.oid = to_regclass(quote_ident(idx.schemaname) || '.' || quote_ident(idx.tablename))
    JOIN pg_class AS ind ON ind.oid = to_regclass(quote_ident(idx.schemaname) || '.' || quote_ident(idx.indexname))
    LEFT JOIN pg_constraint AS con ON con.conrelid = tbl.oid AND con.conindid = ind.oid AND con.contype IN ('u', 'x')
    WHERE idx.schemaname = current_schema() AND idx.tablename = ANY(%s)
      AND NOT EXISTS (SELECT 1 FROM pg_constraint AS own WHERE own.conindid = ind.oid AND own.contype = 'p')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint AS fk WHERE fk.conindid = ind.oid AND fk.contype = 'f')
    ORDER BY idx.tablename, idx.indexname
"""
FOREIGN_KEYS_SQL = """
    SELECT tbl.relname, con.conname, pg_get_constraintdef(con.oid)
    FROM pg_constraint AS con JOIN pg_class AS tbl ON tbl.oid = con.conrelid
    WHERE con.contype = 'f' AND tbl.relnamespace = current_schema()::regnamespace AND tbl.relname = ANY(%s)
    ORDER BY tbl.relname, con.conname
"""


def secondary_indexes(*, tables: Sequence[str]) -> list[TableObject]:
    """Indexes of ``tables`` (from pg_indexes) but primary keys and unique keys that a foreign key relies on.

    An index that backs a unique constraint is returned as the constraint, so that it is dropped and restored
    as one.
    """
    with connection.cursor() as cursor:
        cursor.execute(SECONDARY_INDEXES_SQL, [list(tables)])
        rows = cursor.fetchall()
    return [
        TableObject(table, name, "constraint", condef) if condef else TableObject(table, name, "index", indexdef)
        for table, name, indexdef, condef in rows
    ]


def foreign_keys(*, tables: Sequence[str]) -> list[TableObject]:
    """Foreign keys of ``tables`` (the rows they check, not the rows pointing at them)."""
    with connection.cursor() as cursor:
        cursor.execute(FOREIGN_KEYS_SQL, [list(tables)])
        return [TableObject(table, name, "constraint", definition) for table, name, definition in cursor.fetchall()]


def drop_objects(objects: Iterable[TableObject]) -> None:
    """Drop each index or constraint."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for obj in objects:
            if obj.kind == "constraint":
                cursor.execute(f"ALTER TABLE {quote(obj.table)} DROP CONSTRAINT {quote(obj.name)}")
            else:
                cursor.execute(f"DROP INDEX {quote(obj.name)}")


def restore_objects(objects: Iterable[TableObject], *, log: Callable[[str], None]) -> None:
    """Recreate each index or constraint from its definition (validating it), logging how long each took."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for obj in objects:
            started = time.perf_counter()
            if obj.kind == "constraint":
                cursor.execute(f"ALTER TABLE {quote(obj.table)} ADD CONSTRAINT {quote(obj.name)} {obj.definition}")
            else:
                cursor.execute(obj.definition)
            log(f"  {obj.name} ({obj.table}) rebuilt in {time.perf_counter() - started:.1f} s")


def fire_pending_constraint_checks() -> None:
    """Run the deferred constraint checks queued so far in this transaction (DDL refuses to run while any wait).

    Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so setting them back to deferred restores their
    normal behaviour for the rest of the transaction.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def indexes_dropped(*, tables: Sequence[str], log: Callable[[str], None] = lambda message: None) -> Iterator[None]:
    """Drop the secondary indexes of ``tables`` for a bulk insert, rebuild them when the block ends.

    Only inside a transaction: if the block raises, the indexes are not rebuilt here, the rollback restores them.
    """
    fire_pending_constraint_checks()
    indexes = secondary_indexes(tables=tables)
    drop_objects(indexes)
    yield
    fire_pending_constraint_checks()
    restore_objects(indexes, log=log)


def lock_tables(tables: Sequence[str], *, log: Callable[[str], None]) -> None:
    """Lock ``tables`` for this transaction alone, saying so when other sessions make us wait."""
    if not tables:
        return
    sql = f"LOCK TABLE {', '.join(map(connection.ops.quote_name, tables))} IN ACCESS EXCLUSIVE MODE"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"{sql} NOWAIT")
    except OperationalError:
        log(f"Waiting for other sessions to release {', '.join(tables)} (a web server, a worker, autovacuum)…")
        with connection.cursor() as cursor:
            cursor.execute(sql)


def reserve_ids(*, table: str, count: int) -> int:
    """Take ``count`` consecutive ids from ``table``'s id sequence; returns the first (the caller holds the lock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(seq, nextval(seq) + %s - 1) FROM pg_get_serial_sequence(%s, 'id') AS seq",
            [count, connection.ops.quote_name(table)],
        )
        last = cursor.fetchone()[0]
    return last - count + 1


def run_token() -> str:
    """A short random token that source ids, domains and CRM ids of one scale run embed (never seeded)."""
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(5))


def _progress(total: int, description: str, enabled: bool):
    if not enabled:
        return nullcontext(None)
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit=" rows", unit_scale=True, dynamic_ncols=True)


# COPY text format: tab-separated, \N for NULL, backslash escapes (https://www.postgresql.org/docs/current/sql-copy.html)
NULL = "\\N"


def escape(text: str) -> str:
    """``text`` with the characters COPY treats specially escaped (most text has none: checked first, fast)."""
    if "\\" in text or "\n" in text or "\t" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return text


def copy_text(value: Any) -> str:
    """One value in COPY text format."""
    if value is None:
        return NULL
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        quoted = ('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"' for item in value)
        return escape("{" + ",".join(quoted) + "}")
    if isinstance(value, dict):
        return escape(json.dumps(value))
    return str(value)


def copy_line(values: Iterable[Any]) -> str:
    """One row in COPY text format, newline included."""
    return "\t".join(map(copy_text, values)) + "\n"


def seed_scale(
    *,
    feedback: int,
    customers: int,
    themes: int,
    batch: int,
    seed: int,
    workers: int = 0,
    progress: bool = True,
    log: Callable[[str], None] = print,
    today: date | None = None,
) -> ScaleReport:
    """Bulk-load scale data with COPY in one transaction; every index that existed before exists afterwards.

    The tables written to are locked and their secondary indexes and foreign keys dropped during the load, then
    rebuilt (the foreign keys validated in one pass each instead of one check per row) and the tables analysed;
    theme rollups are refreshed at the end. A failure or Ctrl-C rolls everything back.

    Feedback is generated in chunks of ``batch`` rows, each from its own seed, by ``workers`` processes (0: in
    this process); the same seed and batch give the same content whatever the number of workers.
    """
    today = today or timezone.now().date()
    rng = random.Random(seed)
    report = ScaleReport(token=run_token())
    links_table = FeedbackItem.themes.through._meta.db_table
    # Only the tables this run writes rows to lose their indexes for the load.
    tables = [Customer._meta.db_table] if customers else []
    tables += [FeedbackItem._meta.db_table, links_table] if feedback else []
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.timings[name] = report.timings.get(name, 0.0) + now - clock
        clock = now

    with transaction.atomic():
        fire_pending_constraint_checks()
        lock_tables(tables, log=log)
        indexes, keys = secondary_indexes(tables=tables), foreign_keys(tables=tables)
        drop_objects([*keys, *indexes])
        report.indexes, report.foreign_keys = len(indexes), len(keys)
        log(
            f"Run token {report.token}: dropped {len(indexes)} secondary indexes and {len(keys)} foreign keys of "
            f"{', '.join(tables)} for the load."
        )
        lap("prepare")

        accounts = _copy_customers(rng=rng, count=customers, today=today, token=report.token, progress=progress)
        report.customers = len(accounts)
        if not accounts and feedback:
            accounts = _existing_accounts()
        lap("customers")

        theme_ids_by_topic = _scale_themes(rng=rng, count=themes, token=report.token) if themes else {}
        report.themes = sum(len(ids) for ids in theme_ids_by_topic.values())
        lap("themes")

        if feedback:
            state = ChunkState(
                accounts=accounts, themes_by_topic=theme_ids_by_topic, today=today, seed=seed, token=report.token
            )
            report.feedback, report.duplicates, report.links = _copy_feedback(
                state=state, count=feedback, batch=batch, workers=workers, progress=progress, links_table=links_table
            )
        lap("feedback")

        log(f"Rebuilding {len(indexes)} indexes, then validating {len(keys)} foreign keys…")
        restore_objects([*indexes, *keys], log=log)
        lap("indexes")
        if tables:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {', '.join(map(connection.ops.quote_name, tables))}")
        lap("analyze")
        theme_ids = [theme_id for ids in theme_ids_by_topic.values() for theme_id, _ in ids]
        refresh_rollups(theme_ids=theme_ids)
        lap("rollups")
    lap("commit")
    return report


def _existing_accounts() -> list[Account]:
    return [Account.from_fields(row) for row in Customer.objects.values(*ACCOUNT_FIELDS).iterator(chunk_size=10_000)]


def _copy_customers(*, rng: random.Random, count: int, today: date, token: str, progress: bool) -> list[Account]:
    """COPY ``count`` customers (ids reserved up front); returns them as accounts for the feedback."""
    if not count:
        return []
    staff = list(get_user_model().objects.filter(is_staff=True).order_by("pk").values_list("pk", flat=True))
    factory = CustomerFactory(rng=rng, today=today, owners_by_region=dict.fromkeys(Region.values, staff), token=token)
    first_id = reserve_ids(table=Customer._meta.db_table, count=count)
    now = timezone.now()
    accounts = []
    sql = f"COPY {connection.ops.quote_name(Customer._meta.db_table)} ({', '.join(CUSTOMER_COLUMNS)}) FROM STDIN"
    step = 10_000
    with _progress(count, "customers", progress) as bar, connection.cursor() as cursor, cursor.copy(sql) as copy:
        for start in range(0, count, step):
            lines = []
            for index in range(start, min(start + step, count)):
                fields = factory.make(index)
                fields.update(id=first_id + index, created_at=now, updated_at=now)
                accounts.append(Account.from_fields(fields))
                lines.append(copy_line(fields[column] for column in CUSTOMER_COLUMNS))
            copy.write("".join(lines))
            if bar is not None:
                bar.update(len(lines))
    return accounts


def _scale_themes(*, rng: random.Random, count: int, token: str) -> dict[str, list[tuple[int, str]]]:
    """``count`` themes spread over the themed topics (via ``create_theme``); topic → [(theme id, status)]."""
    specs = V.THEMES
    owners = list(get_user_model().objects.filter(is_staff=True).order_by("pk")[:20])
    variants = (
        "financial services",
        "healthcare",
        "public sector",
        "retail",
        "EU",
        "North America",
        "APAC",
        "startups",
    )
    by_topic: dict[str, list[tuple[int, str]]] = {}
    for index in range(count):
        spec = specs[index % len(specs)]
        status = spec.status if index < len(specs) else rng.choice(ThemeStatus.values)
        theme = create_theme(
            name=f"{spec.name} — {rng.choice(variants)} [{token}-{index}]",
            description=spec.description,
            problem_statement=spec.problem_statement,
            owner=rng.choice(owners) if owners else None,
            status=status,
        )
        by_topic.setdefault(spec.topic, []).append((theme.pk, status))
    return by_topic


@dataclass
class ChunkState:
    """What every feedback chunk is generated from (sent once to each worker process)."""

    accounts: Sequence[Account]
    themes_by_topic: Mapping[str, Sequence[tuple[int, str]]]
    today: date
    seed: int
    token: str


_chunk_factory: FeedbackFactory | None = None  # per process: built once by start_chunk_worker
_chunk_state: ChunkState | None = None


def start_chunk_worker(state: ChunkState | None) -> None:
    """Prepare this process to generate feedback chunks from ``state`` (None forgets it). No database use."""
    global _chunk_factory, _chunk_state
    if state is None:
        _chunk_factory = _chunk_state = None
        return
    _chunk_state = state
    _chunk_factory = FeedbackFactory(
        rng=random.Random(), accounts=state.accounts, today=state.today, themes_by_topic=state.themes_by_topic
    )


def _feedback_chunk(job: tuple[int, int, int]) -> tuple[bytes, bytes, int]:
    """Rows ``first_id``… of chunk ``index`` as COPY text (feedback, theme links) and the number of duplicates.

    The chunk has its own seed and its own source-id prefix, so chunks can be generated in any process.
    """
    index, first_id, count = job
    state, factory = _chunk_state, _chunk_factory
    rng = random.Random(f"{state.seed}:{index}")
    factory.restart(rng=rng, id_prefix=f"{state.token}-{index:x}-")
    recent: dict[str, list[tuple[int, Draft]]] = {}
    lines, links, duplicates = [], [], 0
    for item_id in range(first_id, first_id + count):
        draft, duplicate_of = factory.make(), None
        pool = recent.get(draft.topic)
        if draft.triaged and pool and rng.random() < DUPLICATE_SHARE:
            duplicate_of, original = rng.choice(pool)
            draft = factory.make_duplicate(original)
            duplicates += 1
        elif draft.triaged:
            pool = recent.setdefault(draft.topic, [])
            if len(pool) < RECENT_ORIGINALS_PER_TOPIC:
                pool.append((item_id, draft))
            else:
                pool[rng.randrange(RECENT_ORIGINALS_PER_TOPIC)] = (item_id, draft)
        links += [f"{item_id}\t{theme_id}\n" for theme_id in draft.themes]
        lines.append(_feedback_line(item_id, draft, duplicate_of))
    return "".join(lines).encode(), "".join(links).encode(), duplicates  # bytes: the cheapest to pickle and send


def _feedback_line(item_id: int, draft: Draft, duplicate_of: int | None) -> str:
    """One feedback row (``FEEDBACK_COLUMNS``) in COPY text format; only free text needs escaping."""
    imported = draft.received_at + timedelta(minutes=3)
    triaged = draft.triaged_at
    score = draft.sentiment_score
    values = (
        str(item_id), draft.received_at.isoformat(), draft.source, escape(draft.source_id),
        draft.source_url, escape(draft.verbatim), escape(draft.summary),
        draft.reporter_email, str(draft.account.id) if draft.account else NULL, draft.category, draft.product,
        draft.product_area, draft.severity, draft.priority, NULL if score is None else str(score),
        draft.sentiment_label, copy_text(draft.tags), draft.status, NULL if duplicate_of is None else str(duplicate_of),
        copy_text(draft.raw_payload), NULL if triaged is None else triaged.isoformat(), imported.isoformat(),
        (triaged or imported).isoformat(),
    )  # fmt: skip
    return "\t".join(values) + "\n"


def _copy_feedback(
    *, state: ChunkState, count: int, batch: int, workers: int, progress: bool, links_table: str
) -> tuple[int, int, int]:
    """COPY ``count`` feedback rows (ids reserved up front, ~5 % duplicates) and their theme links, chunk by chunk."""
    table = FeedbackItem._meta.db_table
    first_id = reserve_ids(table=table, count=count)
    jobs = [(index, first_id + start, min(batch, count - start)) for index, start in enumerate(range(0, count, batch))]
    feedback_sql = f"COPY {connection.ops.quote_name(table)} ({', '.join(FEEDBACK_COLUMNS)}) FROM STDIN"
    links_sql = f"COPY {connection.ops.quote_name(links_table)} (feedbackitem_id, theme_id) FROM STDIN"
    duplicates = links = 0
    with (
        _chunk_results(state=state, jobs=jobs, workers=workers) as results,
        _progress(count, "feedback", progress) as bar,
        connection.cursor() as cursor,
    ):
        for (_, _, size), (rows, link_rows, chunk_duplicates) in zip(jobs, results, strict=True):
            with cursor.copy(feedback_sql) as copy:
                copy.write(rows)
            if link_rows:
                with cursor.copy(links_sql) as copy:
                    copy.write(link_rows)
            duplicates += chunk_duplicates
            links += link_rows.count(b"\n")
            if bar is not None:
                bar.update(size)
    return count, duplicates, links


@contextmanager
def _chunk_results(*, state: ChunkState, jobs: Sequence[tuple[int, int, int]], workers: int) -> Iterator:
    """The chunks' results in order: from ``workers`` spawned processes, or generated here when ``workers`` is 0."""
    if workers <= 0:
        start_chunk_worker(state)
        try:
            yield map(_feedback_chunk, jobs)
        finally:
            start_chunk_worker(None)
        return
    import multiprocessing
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    from feedbackhub.demo import worker

    # Spawned, not forked: a forked child would share this process's open database connection. A worker that
    # fails to start breaks the pool, which raises here instead of waiting forever.
    executor = ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker.start,
        initargs=(pickle.dumps(state),),
    )
    try:
        yield _in_order(executor, jobs, ahead=workers + 1)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _in_order(executor, jobs: Sequence[tuple[int, int, int]], *, ahead: int) -> Iterator[tuple[bytes, bytes, int]]:
    """Results of ``jobs`` in order, with at most ``ahead`` chunks generated but not yet written (bounded memory)."""
    pending: deque = deque()
    remaining = iter(jobs)
    for job in itertools.islice(remaining, ahead):
        pending.append(executor.submit(_feedback_chunk, job))
    while pending:
        result = pending.popleft().result()
        job = next(remaining, None)
        if job is not None:
            pending.append(executor.submit(_feedback_chunk, job))
        yield result
