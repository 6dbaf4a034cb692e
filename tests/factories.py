"""Small builders for test rows (plain functions: each test states what matters and defaults the rest)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from customers.choices import Industry, Lifecycle, Region, Tier
from customers.models import Customer
from feedback.choices import Source
from feedback.models import FeedbackItem
from launches.choices import LaunchType
from launches.models import Launch
from launches.services import create_launch
from themes.services import create_theme

_sequence = itertools.count(1)


def make_customer(**fields) -> Customer:
    n = next(_sequence)
    defaults = {
        "name": f"Company {n}",
        "domain": f"company{n}.example",
        "industry": Industry.TECHNOLOGY,
        "region": Region.EUROPE,
        "tier": Tier.ENTERPRISE,
        "arr": Decimal("100000"),
        "lifecycle_stage": Lifecycle.ACTIVE,
        "health_score": 80,
    }
    return Customer.objects.create(**{**defaults, **fields})


def make_feedback(**fields) -> FeedbackItem:
    n = next(_sequence)
    defaults = {
        "received_at": timezone.now(),
        "source": Source.ZENDESK,
        "source_id": f"ZD-{n}",
        "verbatim": f"The API returns 500 errors on batch jobs ({n})",
    }
    return FeedbackItem.objects.create(**{**defaults, **fields})


def make_theme(**fields):
    n = next(_sequence)
    return create_theme(**{"name": f"Theme {n}", **fields})


def make_launch(**fields) -> Launch:
    n = next(_sequence)
    defaults = {
        "name": f"Launch {n}",
        "launch_type": LaunchType.ENTERPRISE_FEATURE,
        "target_date": date.today() + timedelta(days=30),
    }
    return create_launch(**{**defaults, **fields})
