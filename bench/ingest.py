"""`python -m bench.ingest`: items per second through POST /api/feedback/ingest/, against a per-item ORM baseline.

Runs on the bench's servers and data (.data/bench, seeded by `make bench`: about 1M feedback items and 50,000
customers, so the indexes are those of a real table). Each batch is 1,000 new items with realistic text, a third
naming a customer by CRM id, a third by e-mail domain, a third unknown; the whole request is timed through Django's
test client (token check, JSON parsing, validation, customer matching, the upsert, the outbox). Then the same
batches are sent again (the update path: a retried delivery). The baseline is what a save() per item costs:
``update_or_create`` on (source, source_id) for BASELINE items. Everything it adds is deleted at the end.
The triage message is not sent (``publish_triage`` is stubbed): one small Redis write per batch.

BENCH_INGEST_BATCHES (default 8) batches of 1,000.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
os.environ.setdefault("FEEDBACKHUB_DATA_DIR", str(BASE_DIR / ".data" / "bench"))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackhub.settings")
sys.path.insert(0, str(BASE_DIR))

BATCH = 1_000
BASELINE = 300
PREFIX = "bench-ingest-"
TEXT = (
    "the batch endpoint times out when we send more than ten thousand requests and our nightly jobs fail "
    "we need a way to retry safely the dashboard shows stale usage numbers and billing does not match"
)
WORDS = TEXT.split(" ")


def items(run: str, batch: int, customers: list[tuple[str | None, str | None]]) -> list[dict]:
    """One batch of realistic standard items (text of 40-80 words, tags, a source payload)."""
    made = []
    for n in range(BATCH):
        crm_id, domain = customers[(batch * BATCH + n) % len(customers)]
        words = [WORDS[(n * 7 + k) % len(WORDS)] for k in range(40 + n % 40)]
        item = {
            "source": "zendesk",
            "source_id": f"{PREFIX}{run}-{batch}-{n}",
            "received_at": "2026-11-30T09:15:00Z",
            "verbatim": " ".join(words).capitalize() + ".",
            "summary": " ".join(words[:8]),
            "source_url": f"https://acme.zendesk.com/agent/tickets/{batch * BATCH + n}",
            "tags": ["api", "batch"][: n % 3],
            "sentiment_score": round((n % 21) / 10 - 1, 1),
            "raw_payload": {"ticket": {"id": batch * BATCH + n, "via": {"channel": "web"}, "priority": "normal"}},
        }
        if n % 3 == 0 and crm_id:
            item["customer_crm_id"] = crm_id
        elif n % 3 == 1 and domain:
            item["reporter_email"] = f"user{n}@{domain}"
        else:
            item["reporter_email"] = f"user{n}@unknown-{n % 50}.example"
        made.append(item)
    return made


def run(batches: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings

    from customers.models import Customer
    from feedback.models import FeedbackItem
    from integrations import ingest
    from integrations.services import create_token

    ingest.publish_triage = lambda item_ids: None
    user, _ = get_user_model().objects.get_or_create(username="bench-ingest", defaults={"is_superuser": True})
    key = create_token(name="Bench ingest", owner=user, scopes=["ingest"]).key
    customers = list(Customer.objects.order_by("?").values_list("crm_id", "domain")[:2_000]) or [(None, None)]
    run_id = uuid.uuid4().hex[:8]
    warm_up, *bodies = [json.dumps({"items": items(run_id, b, customers)}) for b in range(batches + 1)]
    client = Client(HTTP_HOST="localhost")
    print(f"{FeedbackItem.objects.count():,} feedback items, {len(customers):,} customers sampled, {batches} batches")

    def send(body: str) -> float:
        started = time.perf_counter()
        response = client.post(
            "/api/feedback/ingest/", data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and response.json()["rejected"] == 0, response.content[:500]
        return elapsed

    try:
        with override_settings(DEBUG=False):
            send(warm_up)  # connections, caches and code paths warm: the first request is ~2x slower
            created = [send(body) for body in bodies]
            updated = [send(body) for body in bodies]
            started = time.perf_counter()
            for n in range(BASELINE):
                FeedbackItem.objects.update_or_create(
                    source="zendesk",
                    source_id=f"{PREFIX}{run_id}-baseline-{n}",
                    defaults={"received_at": "2026-11-30T09:15:00Z", "verbatim": f"Baseline item {n}"},
                )
            baseline = BASELINE / (time.perf_counter() - started)
        size = len(bodies[0]) / 1024
        for label, times in (("new items (insert)", created), ("same batch again (update)", updated)):
            rate = BATCH / statistics.median(times)
            print(
                f"{label:28} median {statistics.median(times) * 1000:6.0f} ms / {BATCH:,} items "
                f"= {rate:6,.0f} items/s  (x{rate / baseline:.0f} the baseline; {size:,.0f} KB a batch)"
            )
        print(f"{'baseline: save() per item':28} {baseline:6,.0f} items/s (update_or_create, {BASELINE} items)")
    finally:
        with connection.cursor() as cursor:
            mine = "SELECT id FROM feedback_feedbackitem WHERE source_id LIKE %s"
            cursor.execute(f"DELETE FROM integrations_pendingtriage WHERE item_id IN ({mine})", [f"{PREFIX}{run_id}-%"])
            cursor.execute(f"DELETE FROM feedback_feedbackitem WHERE id IN ({mine})", [f"{PREFIX}{run_id}-%"])
        user.api_tokens.all().delete()


def main() -> None:
    from feedbackhub import embedded

    started = embedded.ensure_services(quiet=True)
    try:
        import django

        django.setup()
        run(batches=int(os.environ.get("BENCH_INGEST_BATCHES", 8)))
    finally:
        if started:
            embedded.stop_services()


if __name__ == "__main__":
    main()
