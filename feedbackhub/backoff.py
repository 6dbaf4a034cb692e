"""The outboxes' retry wait (notifications and the outbound tracker/CRM writes): one formula, one setting."""

from __future__ import annotations

import random

from django.conf import settings

BACKOFF_CAP_SECONDS = 3600
JITTER = 0.2  # ±20 %: a backlog that failed together does not retry together


def backoff_seconds(tries: int) -> float:
    """The wait after ``tries`` failed tries: ``OUTBOX_BACKOFF_SECONDS × 2^tries``, capped, with ±20 % jitter."""
    delay = settings.OUTBOX_BACKOFF_SECONDS * 2 ** min(tries, 20)
    return min(BACKOFF_CAP_SECONDS, delay) * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 — not security
