"""Stub Hacker News (Algolia) and Discourse search APIs on 127.0.0.1, serving ``tests/fixtures/community``.

They behave as the real ones do where the connectors depend on it: Algolia matches every word of the query anywhere
(loosely: a word of the record starting with it), honours ``numericFilters`` (``created_at_i>=N``, ``>``, ``<``…,
comma-separated: all of them), ``tags=(story,comment)``, ``hitsPerPage`` and ``page`` (from 0, ``nbPages``) and serves
no hit past ``hn_cap`` (its ``paginationLimitedTo``, 1,000: ``nbPages`` counts the pages it serves, ``nbHits`` every
match); Discourse matches a quoted phrase or a word in the topic's title or the post's whole text (quotes included),
honours ``after:YYYY-MM-DD`` (created after that day's midnight, UTC here) and ``before:YYYY-MM-DD`` (created before
it), ``order:latest`` and ``page`` (from 1, ``more_full_page_results``; past ``page_limit``, 10, an HTTP 400 as its
``SearchController`` answers), and answers ``/posts/<id>.json``. ``fail(path, params)`` may answer instead: a status
and raw bytes (a 500, a 429, bad JSON).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "community"
HN_PATH, DISCOURSE_SEARCH = "/api/v1/search_by_date", "/search.json"
_NUMERIC = re.compile(r"^(\w+)(>=|<=|>|<|=)(\d+)$")
_TAG = re.compile(r"<[^>]+>")


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def iso(moment: datetime, *, millis: bool = False) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds" if millis else "seconds")
    return text.replace("+00:00", "Z")


@dataclass
class CommunityStub:
    """The state both stub APIs serve from (change it between fetches), and every request they were sent."""

    hn_hits: list[dict] = field(default_factory=list)
    posts: list[dict] = field(default_factory=list)  # Discourse search posts
    topics: dict[int, dict] = field(default_factory=dict)
    full_posts: dict[str, dict] = field(default_factory=dict)  # /posts/<id>.json answers
    per_page: int = 50  # Discourse's full-page search size
    page_limit: int = 10  # Discourse's SearchController::PAGE_LIMIT
    hn_cap: int = 1000  # Algolia's paginationLimitedTo
    fail: Callable[[str, dict], tuple[int, bytes] | None] | None = None
    seen: list[tuple[str, dict]] = field(default_factory=list)
    url: str = ""

    # --- fixtures, shifted so the newest record is an hour old ----------------------------------------------------

    def load_hacker_news(self) -> None:
        hits = fixture("hackernews_search_by_date.json")["hits"]
        shift = _shift(max(hit["created_at_i"] for hit in hits))
        self.hn_hits = [hn_at(hit, datetime.fromtimestamp(hit["created_at_i"], tz=UTC) + shift) for hit in hits]

    def load_discourse(self) -> None:
        answer, full = fixture("discourse_search.json"), fixture("discourse_posts.json")
        shift = _shift(max(_when(post["created_at"]).timestamp() for post in answer["posts"]))
        self.posts = [
            {**post, "created_at": iso(_when(post["created_at"]) + shift, millis=True)} for post in answer["posts"]
        ]
        self.topics = {topic["id"]: topic for topic in answer["topics"]}
        self.full_posts = full

    # --- answers ----------------------------------------------------------------------------------------------------

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, bytes]:
        self.seen.append((path, params))
        if self.fail and (failure := self.fail(path, params)):
            return failure
        if path == HN_PATH:
            return 200, json.dumps(self._hacker_news(params)).encode()
        if path == DISCOURSE_SEARCH:
            if int(params.get("page", 1)) > self.page_limit:
                return 400, json.dumps({"errors": ["page parameter must not be greater than 10"]}).encode()
            return 200, json.dumps(self._discourse(params)).encode()
        if match := re.fullmatch(r"/posts/(\d+)\.json", path):
            post = self.full_posts.get(match.group(1))
            return (200, json.dumps(post).encode()) if post else (404, b'{"errors":["not found"]}')
        return 404, b'{"error":"no such path"}'

    def _hacker_news(self, params: dict[str, str]) -> dict:
        words = re.findall(r"\w+", params.get("query", "").lower())
        kinds = set(params.get("tags", "(story,comment)").strip("()").split(","))
        filters = [_NUMERIC.match(part.strip()) for part in params.get("numericFilters", "").split(",") if part]
        hits = [
            hit
            for hit in self.hn_hits
            if set(hit["_tags"]) & kinds
            and all(_compare(hit.get(m.group(1)), m.group(2), int(m.group(3))) for m in filters)
            and _all_words(
                words, " ".join(str(hit.get(k) or "") for k in ("title", "comment_text", "story_text", "url"))
            )
        ]
        hits.sort(key=lambda hit: (hit["created_at_i"], hit["objectID"]), reverse=True)
        size, page = int(params.get("hitsPerPage", 20)), int(params.get("page", 0))
        envelope = fixture("hackernews_search_by_date.json")
        served = hits[: self.hn_cap]
        pages = -(-len(served) // size)
        return {
            **envelope,
            "hits": served[page * size : (page + 1) * size],
            "nbHits": len(hits),
            "nbPages": pages,
            "page": page,
            "hitsPerPage": size,
            "query": params.get("query", ""),
        }

    def _discourse(self, params: dict[str, str]) -> dict:
        terms = params.get("q", "")
        after = re.search(r"after:(\d{4}-\d{2}-\d{2})", terms)
        before = re.search(r"before:(\d{4}-\d{2}-\d{2})", terms)
        phrase = re.search(r'"([^"]+)"', terms)
        term = (phrase.group(1) if phrase else re.sub(r"\w+:\S+", "", terms).strip()).lower()
        since = datetime.fromisoformat(after.group(1)).replace(tzinfo=UTC) if after else None
        until = datetime.fromisoformat(before.group(1)).replace(tzinfo=UTC) if before else None
        found = [
            post
            for post in self.posts
            if (since is None or _when(post["created_at"]) > since)
            and (until is None or _when(post["created_at"]) < until)
            and term in f"{self.topics[post['topic_id']]['title']} {self._text(post)}".lower()
        ]
        found.sort(key=lambda post: post["created_at"], reverse=True)
        page = int(params.get("page", 1))
        chunk = found[(page - 1) * self.per_page : page * self.per_page]
        more = len(found) > page * self.per_page
        answer = fixture("discourse_search.json")
        answer["posts"] = chunk
        answer["topics"] = [self.topics[tid] for tid in dict.fromkeys(post["topic_id"] for post in chunk)]
        answer["grouped_search_result"] |= {"more_full_page_results": True if more else None, "term": terms}
        answer["grouped_search_result"]["post_ids"] = [post["id"] for post in chunk]
        return answer

    def _text(self, post: dict) -> str:
        full = self.full_posts.get(str(post["id"]))
        return _TAG.sub(" ", full["cooked"]) if full else post["blurb"]


def hn_at(hit: dict, moment: datetime, **changes) -> dict:
    """A copy of ``hit`` created at ``moment`` (both time fields), with ``changes``."""
    new = copy.deepcopy(hit) | changes
    new["created_at_i"], new["created_at"] = int(moment.timestamp()), iso(moment)
    return new


def _shift(newest_timestamp: float) -> timedelta:
    newest = datetime.fromtimestamp(newest_timestamp, tz=UTC)
    target = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=1)
    return timedelta(seconds=round((target - newest).total_seconds()))


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _compare(value, operator: str, number: int) -> bool:
    if value is None:
        return False
    return {">=": value >= number, "<=": value <= number, ">": value > number, "<": value < number}.get(
        operator, value == number
    )


def _all_words(words: list[str], text: str) -> bool:
    present = re.findall(r"\w+", _TAG.sub(" ", text).lower())
    return all(any(token.startswith(word) for token in present) for word in words)


def serve(stub: CommunityStub):
    """Start ``stub`` on a free port of 127.0.0.1; returns the server (``shutdown()`` it)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            parts = urlsplit(self.path)
            params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            status, body = stub.answer(parts.path, params)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- crowds: more matching posts than one search serves ---------------------------------------------------------


def hn_crowd(
    count: int, *, word: str, newest: datetime, step: timedelta, per_second: int = 3, first_id: int = 47_000_000
) -> list[dict]:
    """``count`` hits naming ``word``, newest first, ``per_second`` of them in each second (so windows and pages cut
    through a second), seconds ``step`` apart: a story with a title and a link, then its comments, as Algolia has
    them."""
    hits = []
    for number in range(count):
        moment = newest - step * (number // per_second)
        object_id, author = str(first_id - number), f"user{number % 40}"
        story = first_id - number + number % per_second
        if number % per_second == 0:
            hit = {
                "_tags": ["story", f"author_{author}", f"story_{object_id}"],
                "author": author,
                "title": f"Show HN: our {word} setup, part {number}",
                "url": f"https://example.com/posts/{number}",
                "story_text": None,
                "points": 3,
                "num_comments": per_second - 1,
                "objectID": object_id,
                "story_id": int(object_id),
            }
        else:
            hit = {
                "_tags": ["comment", f"author_{author}", f"story_{story}"],
                "author": author,
                "comment_text": f"We moved to {word} too (reply {number}).<p>It&#x27;s fast.",
                "objectID": object_id,
                "parent_id": story,
                "story_id": story,
                "story_title": f"Show HN: our {word} setup, part {number - number % per_second}",
            }
        hits.append(hn_at(hit, moment, updated_at=iso(moment)))
    return hits


def discourse_crowd(count: int, *, word: str, newest: datetime, step: timedelta, first_id: int = 90_000) -> tuple:
    """``count`` posts naming ``word`` (short blurbs: the whole text, no call each), newest first, ``step`` apart, ten
    to a topic: (posts, topics by id)."""
    posts, topics = [], {}
    for number in range(count):
        moment, topic_id = newest - step * number, 9_000 + number // 10
        topics.setdefault(
            topic_id,
            {"id": topic_id, "title": f"Notes on {word}, week {number // 10}", "slug": f"notes-{number // 10}"},
        )
        posts.append(
            {
                "id": first_id + number,
                "name": f"Member {number % 25}",
                "username": f"member{number % 25}",
                "avatar_template": f"/user_avatar/forum.example/member{number % 25}/{{size}}/1_2.png",
                "created_at": iso(moment, millis=True),
                "like_count": 0,
                "blurb": f"We use {word} every day, note {number}.",
                "post_number": number % 10 + 1,
                "topic_title_headline": None,
                "topic_id": topic_id,
            }
        )
    return posts, topics
