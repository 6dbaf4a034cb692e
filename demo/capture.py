"""Demo: in-product capture — a capture key for the demo host page (``manage.py capture_demo --port 8001``), thirty
days of thumbs and searches that found nothing, and a few in-app feedback items from signed-in demo accounts.

Everything goes through ``integrations.capture`` (the endpoint's own services): the key by ``create_capture_key``,
the counts by ``record_signal``, the words by ``capture_feedback`` with identities the key's secret proves.
Idempotent: the key is found by name, signals are added only to a key that has none, and the items have fixed
capture ids (a second run updates them). ``load_demo --reset`` must empty ``integrations_capturesignal`` and
``integrations_capturekey``; the items are marked (``demo.safety.PAYLOAD_MARK``) and go with the feedback.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from demo.safety import PAYLOAD_MARK
from feedback.models import FeedbackItem
from integrations import capture
from integrations.choices import CaptureKind
from integrations.models import CaptureKey, CaptureSignal

SEED = 20_261_113
MARK = "capture"
KEY_NAME = "Le Chat web app (demo)"
DEMO_ORIGINS = ["http://127.0.0.1:8001", "http://localhost:8001"]
DAYS = 30
THUMBS = {  # feature: (ups a day, downs a day), on average
    "exports": (6, 4),
    "agents": (9, 2),
    "document upload": (4, 5),
    "fine-tuning jobs": (3, 3),
    "scheduled reports": (5, 1),
}
EMPTY_SEARCHES = {  # query: searches a week, on average
    "cohort retention": 6,
    "sso audit log": 4,
    "export to parquet": 5,
    "batch api pricing": 3,
    "delete workspace": 2,
    "slack alerts": 2,
}
FEEDBACK = [  # (kind, feature, words)
    (CaptureKind.FEATURE, "exports", "Exports over 10,000 rows time out; we split them by hand every Monday."),
    (CaptureKind.FEATURE, "agents", "Could agents keep the conversation history when I hand over to a colleague?"),
    (CaptureKind.ERROR, "document upload", "Trying to upload a 40-page PDF contract for summarisation."),
    (CaptureKind.CANCELLATION, "", "Too expensive: we only use the API a few days a month."),
    (CaptureKind.FEATURE, "scheduled reports", "Please let me schedule the usage report to our finance mailbox."),
]


def load(stdout) -> dict[str, int]:
    """Create the demo key, its signals and in-app feedback; print and return the counts."""
    rng = random.Random(SEED)
    with transaction.atomic():
        key = CaptureKey.objects.filter(name=KEY_NAME).first() or capture.create_capture_key(
            name=KEY_NAME, product="le_chat", allowed_origins=DEMO_ORIGINS
        )
        signals = 0 if key.signals.exists() else _signals(key, rng)
        items = _feedback(key)
    stdout.write(
        f"Capture: key {key.public_key} for {', '.join(key.allowed_origins)}; {signals:,} thumbs and empty searches "
        f"counted on {CaptureSignal.objects.filter(key=key).count()} rows; {items} in-app feedback items"
    )
    return {"capture signals": signals, "in-app feedback": items}


def _signals(key: CaptureKey, rng: random.Random) -> int:
    """Thirty days of thumbs per feature and empty searches per query, counted as the endpoint counts them."""
    now, counted = timezone.now(), 0
    for days_ago in range(DAYS):
        at = now - timedelta(days=days_ago, hours=rng.randint(0, 8))
        for feature, (ups, downs) in THUMBS.items():
            for kind, mean in ((CaptureKind.THUMBS_UP, ups), (CaptureKind.THUMBS_DOWN, downs)):
                for _ in range(rng.randint(0, 2 * mean)):
                    capture.record_signal(key=key, kind=kind, feature=feature, page="http://127.0.0.1:8001/", at=at)
                    counted += 1
        for query, weekly in EMPTY_SEARCHES.items():
            for _ in range(sum(rng.random() < weekly / 7 for _ in range(2))):
                capture.record_signal(key=key, kind=CaptureKind.ZERO_RESULTS, query=query, feature="search", at=at)
                counted += 1
    return counted


def _feedback(key: CaptureKey) -> int:
    """In-app feedback from demo accounts with a CRM id (anonymous when there are none), marked as demo data."""
    accounts = list(Customer.objects.exclude(crm_id=None).order_by("id").values_list("crm_id", flat=True)[:5])
    ids = []
    for n, (kind, feature, words) in enumerate(FEEDBACK):
        account = accounts[n % len(accounts)] if accounts else None
        identity = capture.Identity(user=f"demo-user-{n + 1}", account=account) if account else None
        body = {
            "kind": kind,
            "feature": feature,
            "text": words,
            "page": f"http://127.0.0.1:8001/{feature.replace(' ', '-') or 'billing'}",
            "capture_id": f"demo-capture-{n + 1:04d}",
        }
        ids.append(capture.capture_feedback(key=key, capture=body, identity=identity).item_id)
    items = list(FeedbackItem.objects.filter(pk__in=ids).only("raw_payload"))
    for item in items:
        item.raw_payload = {**item.raw_payload, PAYLOAD_MARK: MARK}
    FeedbackItem.objects.bulk_update(items, ["raw_payload"])
    return len(items)
