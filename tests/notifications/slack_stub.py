"""A scripted stand-in for Slack: a real HTTP server on 127.0.0.1 (random port) in a thread.

It answers incoming-webhook posts (``/hooks/<name>``) and ``/api/chat.postMessage`` with the scripted replies, in
order (then 200 "ok" for a webhook, ``{"ok": true}`` for the API), and records every POST with its JSON body and the
status it was answered with, so a test can count how many times a message was *accepted*.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Reply:
    """One scripted answer: status, body (a dict is sent as JSON, a str as text), headers, a delay before it."""

    status: int = 200
    body: object = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Post:
    """One POST the stub received, and how it answered."""

    path: str
    headers: dict[str, str]
    body: dict
    status: int
    accepted: bool


@dataclass
class SlackStub:
    replies: list[Reply] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def next_reply(self, path: str) -> Reply:
        with self._lock:
            if self.replies:
                return self.replies.pop(0)
        return Reply(body={"ok": True}) if path.startswith("/api/") else Reply()

    def webhook(self, name: str = "product") -> str:
        return f"{self.url}/hooks/{name}"

    def accepted(self, text: str) -> int:
        """How many POSTs carrying ``text`` Slack accepted (2xx, and not ``{"ok": false}``)."""
        return sum(1 for post in self.posts if post.accepted and post.body.get("text") == text)

    def carrying(self, text: str) -> list[Post]:
        return [post for post in self.posts if post.body.get("text") == text]


def serve(stub: SlackStub) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"_raw": raw.decode(errors="replace")}
            reply = stub.next_reply(self.path)
            if reply.delay:
                time.sleep(reply.delay)
            payload = json.dumps(reply.body).encode() if isinstance(reply.body, dict) else str(reply.body).encode()
            refused = isinstance(reply.body, dict) and reply.body.get("ok") is False
            accepted = 200 <= reply.status < 300 and not refused
            stub.posts.append(Post(self.path, dict(self.headers), body, reply.status, accepted))
            try:
                self.send_response(reply.status)
                content_type = "application/json" if isinstance(reply.body, dict) else "text/plain"
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (a timeout test)
                pass

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(name="slack")
def slack_fixture(settings):
    """The stub, with the "product" webhook pointing at it and its API as SLACK_API_URL (no bot token)."""
    stub = SlackStub()
    server = serve(stub)
    settings.SLACK_WEBHOOKS = {"product": stub.webhook("product")}
    settings.SLACK_API_URL = f"{stub.url}/api"
    settings.SLACK_BOT_TOKEN = ""
    yield stub
    server.shutdown()
    server.server_close()
