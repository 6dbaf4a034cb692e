"""What the outside world does to the cluster: an integration posting feedback batches to the API, and Slack (a
stub incoming webhook that records every message it is sent).

The feedback is real customer text: the 2,000 English app reviews the offline classifier ships with
(``ai/seed/minibar_garmin_connect.en.csv``), cycled, each copy numbered as a ticket.
"""

from __future__ import annotations

import csv
import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REVIEWS = Path(__file__).resolve().parents[2] / "ai" / "seed" / "minibar_garmin_connect.en.csv"


@cache
def reviews() -> list[str]:
    with REVIEWS.open(newline="", encoding="utf-8") as handle:
        return [row["data"].strip() for row in csv.DictReader(handle) if row["data"].strip()]


THEMES = 10


@cache
def theme_texts() -> tuple[str, ...]:
    """What the cluster's themes are about: long reviews ("Great app" is about anything), kept out of the traffic."""
    return tuple([text for text in reviews() if len(text) >= 120][:THEMES])


@cache
def traffic_texts() -> tuple[str, ...]:
    themed = set(theme_texts())
    return tuple(text for text in reviews() if text not in themed)


def item(number: int) -> dict:
    texts = traffic_texts()
    return {
        "source": "intercom",
        "source_id": f"c-{number}",
        "received_at": datetime.now(UTC).isoformat(),
        "verbatim": f"{texts[number % len(texts)]} (ticket {number})",
    }


def tipping_items() -> list[dict]:
    """One more item for each theme: its fifth, the "time to verify" mark (sent while a worker host is cut off)."""
    now = datetime.now(UTC).isoformat()
    return [
        {"source": "zendesk", "source_id": f"tip-{n}", "received_at": now, "verbatim": f"{text} (ticket tip {n})"}
        for n, text in enumerate(theme_texts())
    ]


class Ingester:
    """Posts ``total`` items in batches of ``batch`` to ``base_url``/api/feedback/ingest/, as a load balancer would
    forward them (X-Forwarded-Proto: https). A batch that fails (connection, 5xx) is sent again: ingestion is
    idempotent on (source, source_id), so a retry never doubles an item."""

    def __init__(self, base_url: str, token: str, *, total: int, batch: int = 100):
        self.url = f"{base_url}/api/feedback/ingest/"
        self.token, self.total, self.batch = token, total, batch
        self.accepted = 0  # created, or updated by a retry of a batch the server had stored already
        self.retries = 0
        self.started = self.finished = 0.0

    def post(self, items: list[dict]) -> dict:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"items": items}).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "X-Forwarded-Proto": "https",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def run(self) -> None:
        self.started = time.monotonic()
        for start in range(0, self.total, self.batch):
            items = [item(number) for number in range(start, min(start + self.batch, self.total))]
            for attempt in range(10):
                try:
                    answer = self.post(items)
                    break
                except (urllib.error.URLError, OSError):
                    self.retries += 1
                    time.sleep(1 + attempt)
            else:
                raise RuntimeError(f"the API refused the batch at {start} ten times")
            self.accepted += sum(1 for line in answer["items"] if line["status"] in ("created", "updated"))
        self.finished = time.monotonic()


class SlackStub:
    """An incoming-webhook stand-in on the test process's address: 200 "ok" to every POST, and the texts kept."""

    def __init__(self, host: str):
        self.received: list[str] = []
        received = self.received
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    received.append(json.loads(body).get("text", ""))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_port}/services/T0/B0/cluster"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SlackStub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def repeated(self) -> list[str]:
        return [text for text, count in Counter(self.received).items() if count > 1]
