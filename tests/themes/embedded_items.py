"""Feedback items with real offline vectors for the theme tests: the banking77 fixture's messages by intent."""

from __future__ import annotations

import csv
from pathlib import Path

from ai.providers import get_provider
from feedback import services
from feedback.models import FeedbackItem
from tests.factories import make_feedback

FIXTURE = Path(__file__).parent.parent / "fixtures" / "themes" / "banking77_sample.csv"


def messages() -> dict[str, list[str]]:
    """The fixture's 8 messages of each intent, by intent (in file order)."""
    by_intent: dict[str, list[str]] = {}
    with FIXTURE.open(newline="") as handle:
        for row in csv.DictReader(handle):
            by_intent.setdefault(row["cluster"], []).append(row["text"])
    return by_intent


def embedded_items(texts: list[str], **fields) -> list[FeedbackItem]:
    """One item per text, embedded into the offline space (the real model, stored in pgvector)."""
    items = [make_feedback(verbatim=text, **fields) for text in texts]
    services.embed_pending(provider=get_provider("offline"))
    return items
