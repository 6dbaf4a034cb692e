"""Customers: the accounts feedback comes from, drawn consistently (segments, ARR, dates, health), and their usage.

``CustomerFactory`` draws the field values of a customer; the demo turns them into ``Customer`` rows, the scale
loader streams them with COPY. ``Account`` is what feedback drafting needs to know about one customer.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from customers.choices import Industry, Lifecycle
from customers.models import Customer, UsageSnapshot
from customers.rules import is_at_risk
from demo.draw import BASE62, Weighted, ascii_slug, base62, spread
from demo.safety import CUSTOMER_DOMAIN_SUFFIX
from demo.vocabulary import VOCABULARY as V

DEMO_CUSTOMERS = 240
DEMO_USAGE_CUSTOMERS = 60
DEMO_USAGE_DAYS = 30
BATCH_SIZE = 1_000


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
        """The customers' one at-risk rule (``customers.rules``)."""
        return is_at_risk(lifecycle_stage=self.lifecycle, health_score=self.health)

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
    Every domain ends with the demo's mark, ``safety.CUSTOMER_DOMAIN_SUFFIX``.
    """

    def __init__(self, *, rng: random.Random, today: date, owners_by_region: Mapping[str, Sequence[int]], token=""):
        self.rng, self.today, self.token = rng, today, token
        self.owners_by_region = owners_by_region
        self.owner_turn: dict[str, int] = {}
        self.industries = Weighted(V.industry_weights)
        self.regions = Weighted(V.region_weights)
        self.tiers = Weighted(V.tier_weights)
        self.lifecycles = Weighted(V.lifecycle_weights)
        self.languages = {region: Weighted(w) for region, w in V.language_weights_by_region.items()}
        self.plans = {tier: Weighted(w) for tier, w in V.plan_weights_by_tier.items()}
        self.use_cases = {industry: Weighted(w) for industry, w in V.use_case_weights_by_industry.items()}
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

        low, high = V.tier_arr_bands[tier]
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
        health_range = V.health_by_lifecycle.get(lifecycle)
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
        roots, suffixes = V.name_roots_by_region[region], V.name_suffixes_by_industry[industry]
        for attempt in itertools.count():
            base = f"{rng.choice(roots)} {rng.choice(suffixes)}"
            if self.token or base not in self.taken or attempt > 20:
                break
        name = base
        if base in self.taken:
            name = f"{base} {rng.choice(V.legal_suffixes_by_region[region])}"
            if name in self.taken:
                name = f"{base} Holdings {index}"
        elif industry != Industry.GOVERNMENT and rng.random() < 0.3:
            name = f"{base} {rng.choice(V.legal_suffixes_by_region[region])}"
        if self.token:
            return name, f"{ascii_slug(base)}-{self.token}{index:x}{CUSTOMER_DOMAIN_SUFFIX}", self._scale_crm(index)
        self.taken.add(base)
        self.taken.add(name)
        domain = f"{ascii_slug(base)}{CUSTOMER_DOMAIN_SUFFIX}"
        if domain in self.taken:
            domain = f"{ascii_slug(name)}{CUSTOMER_DOMAIN_SUFFIX}"
        while domain in self.taken:
            domain = f"{ascii_slug(name)}-{rng.randint(2, 99)}{CUSTOMER_DOMAIN_SUFFIX}"
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


def create_customers(
    *, rng: random.Random, today: date, owners_by_region: Mapping[str, Sequence[int]]
) -> list[Customer]:
    """``DEMO_CUSTOMERS`` accounts covering every value of every segment."""
    factory = CustomerFactory(rng=rng, today=today, owners_by_region=owners_by_region)
    count = DEMO_CUSTOMERS
    industries = spread(rng=rng, weights=V.industry_weights, count=count)
    regions = spread(rng=rng, weights=V.region_weights, count=count)
    tiers = spread(rng=rng, weights=V.tier_weights, count=count)
    lifecycles = spread(rng=rng, weights=V.lifecycle_weights, count=count)
    customers = [
        Customer(
            **factory.make(
                index, industry=industries[index], region=regions[index], tier=tiers[index], lifecycle=lifecycles[index]
            )
        )
        for index in range(count)
    ]
    return Customer.objects.bulk_create(customers, batch_size=BATCH_SIZE)


def create_usage(*, rng: random.Random, today: date, customers: Sequence[Customer]) -> int:
    """30 days of usage for a subset of accounts: most steady, some dropping > 20 %, a few silent for 14+ days."""
    paying = [c for c in customers if c.lifecycle_stage not in (Lifecycle.PROSPECT, Lifecycle.CHURNED)]
    flagged = [c for c in paying if c.lifecycle_stage == Lifecycle.AT_RISK]  # the at-risk stage, not the health rule
    silent = rng.sample(flagged, min(5, len(flagged)))
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
