"""A fake Linear and GitHub on 127.0.0.1 (random port), for pushing retrospective backlog items over real sockets.

It keeps the issues it created (so a retry can find them) and answers like the trackers: Linear's GraphQL
(``issueCreate`` with the caller's id, refused when the id exists; ``issues(filter: {id: {eq}})``) at ``/graphql``,
GitHub's ``POST /repos/{owner}/{repo}/issues`` and ``GET`` of the same list (newest first). ``fail`` scripts the next
creates: ``"timeout"`` creates the issue, then answers after ``slow`` seconds (the client has given up: the outcome is
unknown to it); ``"500"`` answers 500 without creating anything; ``"401"`` refuses the token.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse


@dataclass
class Seen:
    method: str
    path: str
    body: dict
    headers: dict


class TrackerStub:
    def __init__(self, *, slow: float = 1.0) -> None:
        self.issues: list[dict] = []
        self.requests: list[Seen] = []
        self.fail: list[str] = []
        self.slow = slow
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, payload) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    pass

            def do_GET(self):  # noqa: N802 - the http.server hook name
                with stub._lock:
                    stub.requests.append(Seen("GET", self.path, {}, dict(self.headers)))
                    listed = [issue for issue in reversed(stub.issues) if "number" in issue]
                self._answer(200, listed)

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with stub._lock:
                    stub.requests.append(Seen("POST", self.path, body, dict(self.headers)))
                    creating = "issueCreate" in body.get("query", "") or urlparse(self.path).path.endswith("/issues")
                    failure = stub.fail.pop(0) if creating and stub.fail else ""
                if failure in ("500", "401"):
                    return self._answer(int(failure), {"message": f"stub {failure}"})
                status, payload = stub.handle(self.path, body)
                if failure == "timeout":
                    time.sleep(stub.slow)
                self._answer(status, payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def handle(self, path: str, body: dict) -> tuple[int, object]:
        with self._lock:
            if path == "/graphql":
                query, variables = body.get("query", ""), body.get("variables") or {}
                if "issueCreate" in query:
                    data = variables["input"]
                    if any(issue.get("id") == data["id"] for issue in self.issues):
                        return 200, {"errors": [{"message": "Entity already exists"}]}
                    issue = {
                        "id": data["id"],
                        "identifier": f"RET-{len(self.issues) + 1}",
                        "url": f"https://linear.app/acme/issue/RET-{len(self.issues) + 1}",
                        "title": data["title"],
                        "description": data["description"],
                        "teamId": data["teamId"],
                    }
                    self.issues.append(issue)
                    return 200, {"data": {"issueCreate": {"success": True, "issue": issue}}}
                found = [issue for issue in self.issues if issue.get("id") == variables.get("id")]
                return 200, {"data": {"issues": {"nodes": found[:1]}}}
            number = len(self.issues) + 1
            issue = {
                "number": number,
                "html_url": f"https://github.com/acme/api/issues/{number}",
                "title": body["title"],
                "body": body["body"],
                "labels": body.get("labels", []),
            }
            self.issues.append(issue)
            return 201, issue

    def creates(self) -> list[Seen]:
        return [
            r
            for r in self.requests
            if r.method == "POST" and ("issueCreate" in r.body.get("query", "") or r.path.endswith("/issues"))
        ]

    def __enter__(self) -> TrackerStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
