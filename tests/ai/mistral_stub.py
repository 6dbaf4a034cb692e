"""A scripted stand-in for the Mistral API: a real HTTP server on 127.0.0.1 (random port) in a thread.

The SDK talks to it through ``server_url`` over real sockets (httpx2, which respx cannot intercept). Each test scripts
the answers in order with :meth:`MistralStub.reply`; every request is recorded (path, headers, JSON body, time), so a
test can assert what was sent and when. With the script exhausted the stub answers 500, so an unexpected call shows.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """One scripted answer: a status, a JSON body (or raw text), headers, and a delay before answering."""

    status: int = 200
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    """One request the stub received."""

    path: str
    headers: dict[str, str]
    body: dict
    at: float


def chat(content: object, *, model: str = "mistral-small-2506") -> Reply:
    """A 200 chat completion whose message is ``content`` (a dict/list is sent as its JSON text, a str as is)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return Reply(
        body={
            "id": "cmpl-stub",
            "object": "chat.completion",
            "model": model,
            "created": 1_700_000_000,
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        }
    )


def embeddings(vectors: list[list[float]], *, model: str = "mistral-embed") -> Reply:
    """A 200 embeddings answer with one vector per input, in order."""
    return Reply(
        body={
            "id": "embd-stub",
            "object": "list",
            "model": model,
            "usage": {"prompt_tokens": 10, "total_tokens": 10},
            "data": [{"object": "embedding", "embedding": v, "index": i} for i, v in enumerate(vectors)],
        }
    )


def error(status: int, *, retry_after: str | None = None) -> Reply:
    """An API error answer (JSON body), with a Retry-After header when given."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Reply(status=status, body={"object": "error", "message": f"stub error {status}"}, headers=headers)


class MistralStub:
    """The server, its script and its record; use as a context manager."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - the http.server hook name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with stub._lock:
                    stub.requests.append(
                        Recorded(self.path, dict(self.headers), json.loads(raw or b"{}"), time.monotonic())
                    )
                    reply = stub.script.pop(0) if stub.script else error(500)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = payload.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass

            def log_message(self, *args):  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def reply(self, *replies: Reply) -> MistralStub:
        """Append answers to the script, in order."""
        with self._lock:
            self.script.extend(replies)
        return self

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def __enter__(self) -> MistralStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
