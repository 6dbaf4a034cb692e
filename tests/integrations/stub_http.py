"""A stub vendor API on 127.0.0.1: canned JSON answers by path, and a record of every request it was sent."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class StubApi:
    """``routes[(method, path)]`` → the JSON to answer, a ``(status, json)`` pair, or a function of the request."""

    routes: dict[tuple[str, str], object] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def answer(self, request: Seen) -> tuple[int, object]:
        route = self.routes.get((request.method, request.path))
        if route is None:
            return 404, {"error": f"no stub for {request.method} {request.path}"}
        if callable(route):
            route = route(request)
        return route if isinstance(route, tuple) else (200, route)


def serve(stub: StubApi):
    """Start ``stub`` on a free port of 127.0.0.1; returns the server (``shutdown()`` it)."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Seen(self.command, parts.path, parse_qs(parts.query), dict(self.headers), self.rfile.read(length))
            stub.seen.append(request)
            status, payload = stub.answer(request)
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _handle

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(name="stub_api")
def stub_api_fixture():
    """A stub vendor API on 127.0.0.1 (set ``stub_api.routes``; read ``stub_api.seen``)."""
    stub = StubApi()
    server = serve(stub)
    yield stub
    server.shutdown()
    server.server_close()
