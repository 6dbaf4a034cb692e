"""What the community connectors (Hacker News, Discourse) share: the post they hand over, the search protocol, and the
test that a post really names one of the brand or product queries.

A community is not an account's support channel: nobody there is a customer until a person says so. So a community
connector does not read "everything since a time" as the other connectors do; it *searches* for the brand and product
terms a ``CommunityWatch`` lists (seed 001, "Monitor where your users hang out"), one query at a time, newest first,
down to the cursor the watch keeps for that query (``integrations.community``).

Search engines match loosely: Algolia's HN search matches every word of the query anywhere in the record, with typo
tolerance ("Mistral AI" finds a comment about the mistral wind that says "AI" three lines later); Discourse stems.
``mentions`` keeps a post only when its own text names a query as a phrase (case-insensitive, whole words, any run of
spaces or hyphens between the words): "le-chat" and "Le  Chat" count, "mistral wind … AI" does not.

Search APIs serve only so many results of one query (Algolia: 1,000 hits; Discourse: 10 pages), so a connector that
reaches that cap narrows the window (up to the oldest instant read so far) and goes on; what one run reads is bounded
by a page budget instead (``page_budget``). A search the budget stops says so (``SearchPage.truncated``) and where it
got to (``reached``, ``reached_ids``, and for a connector whose narrowing is coarser than its posts' times, such as
Discourse's days, ``resume``: the narrowed query and page it stopped at): the caller keeps the rest of the window for
the next run and hands ``resume`` back to the search that reads it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import ClassVar

from integrations.connectors.base import Connector, ConnectorError, StandardItem, item

MAX_PAGES = 10  # the default page budget: search requests per query and run (a connector may set its own)


@dataclass
class CommunityPost:
    """One post or comment a search found, in the hub's words: who, when, what (plain text), where."""

    source: str  # feedback.choices.Source (hackernews, discourse)
    source_id: str
    author: str  # the community handle (a CommunityAuthor)
    created_at: datetime
    text: str  # the post's own words, plain text (a story: its title, then its text)
    summary: str = ""  # the post's own title (a story, a topic's first post); blank: the text's first line
    title: str = ""  # the thread's title (a comment: the story it answers)
    url: str = ""
    profile_url: str = ""
    raw: dict = field(default_factory=dict)  # the vendor's record, as received


@dataclass
class SearchPage:
    """What one query brought back: its posts (newest first) and whether the page budget cut it short.

    ``truncated``: the budget ran out before the window was read. Then everything newer than ``reached`` in the window
    was read, and at ``reached`` itself the posts ``reached_ids`` (the rest of the window, ``reached`` included minus
    those ids, is still to read); ``resume``, when the connector gives one, is where its next search of that rest
    starts (``search(resume=…)``), so pages already read are not paid for again. ``unreachable``: what the vendor could
    not serve at all (more posts in one instant than its cap), said rather than skipped silently.
    """

    posts: list[CommunityPost]
    truncated: bool = False
    reached: datetime | None = None
    reached_ids: set[str] = field(default_factory=set)
    pages: int = 0  # search requests spent
    unreachable: list[str] = field(default_factory=list)
    resume: dict = field(default_factory=dict)


class Reach:
    """How far down a newest-first read got: the oldest instant seen and the ids seen at it."""

    def __init__(self) -> None:
        self.at: datetime | None = None
        self.ids: set[str] = set()

    def saw(self, when: datetime | None, source_id: str) -> None:
        if when is None:
            return
        if self.at is None or when < self.at:
            self.at, self.ids = when, {source_id}
        elif when == self.at:
            self.ids.add(source_id)

    def page(
        self, posts: list[CommunityPost], *, pages: int, unreachable: list[str], resume: dict | None = None
    ) -> SearchPage:
        """The search stopped by its budget at this point (``resume``: where the connector's next search starts)."""
        return SearchPage(
            posts,
            truncated=True,
            reached=self.at,
            reached_ids=set(self.ids),
            pages=pages,
            unreachable=unreachable,
            resume=dict(resume or {}),
        )


class CommunityConnector(Connector):
    """A community search: ``search(query, since)`` → posts created at or after ``since`` (all when None)."""

    source: ClassVar[str]
    page_budget: ClassVar[int] = MAX_PAGES

    def authenticate(self) -> None:
        """Public communities need no credentials: one cheap search proves the address answers."""
        self.search("FeedbackHub", since=None, max_pages=1)

    def search(
        self,
        query: str,
        *,
        since: datetime | None,
        until: datetime | None = None,
        seen: Collection[str] = (),
        max_pages: int | None = None,
    ) -> SearchPage:
        """Posts matching ``query`` created at or after ``since`` and at or before ``until`` (None: no bound), newest
        first; ``seen``: source ids taken already (at the window's edges) that may be left out, and need no further
        call. At most ``max_pages`` search requests (default: the options' ``page_budget``, else the class's).

        A connector that returns ``SearchPage.resume`` also takes ``resume=`` (that dict, from the run before) and
        starts there; one that never returns it is never given one (Hacker News: its narrowing is exact)."""
        raise NotImplementedError

    def budget(self, max_pages: int | None) -> int:
        return max(1, int(max_pages or self.options.get("page_budget") or self.page_budget))

    def fetch_since(self, when: datetime | None) -> list[StandardItem]:
        """The connector protocol over the queries given as ``queries=[…]``: posts that name one, as items."""
        posts = {}
        for query in self.options.get("queries", []):
            for post in self.search(query, since=when).posts:
                if mentions(post.text, [query]):
                    posts[post.source_id] = post
        return [as_item(post, queries=mentions(post.text, self.options["queries"])) for post in posts.values()]

    def transform(self, raw: dict) -> StandardItem | None:
        post = self.post(raw)
        return as_item(post, queries=[]) if post else None

    def post(self, raw: dict) -> CommunityPost | None:
        """One vendor record as a post; None when it has no words (deleted, or a link with no title)."""
        raise NotImplementedError


def as_item(post: CommunityPost, *, queries: list[str]) -> StandardItem:
    """The standard item of ``post``: the author and the queries it names kept under ``_community`` in the payload
    (``integrations.community`` finds an author's items by it when a person matches the author to a customer)."""
    tags = ["community", *(f"mentions:{slug(query)}" for query in queries)]
    return item(
        post.source,
        post.source_id,
        received_at=post.created_at,
        verbatim=post.text,
        summary=post.summary,
        source_url=post.url,
        tags=tags,
        raw_payload={**post.raw, "_community": {"author": post.author, "queries": queries, "thread": post.title}},
    )


@lru_cache(maxsize=256)
def _phrase(query: str) -> re.Pattern:
    words = [re.escape(word) for word in re.split(r"[\s\-]+", query.strip()) if word]
    return re.compile(r"(?<!\w)" + r"[\s\-]+".join(words) + r"(?!\w)", re.IGNORECASE)


def mentions(text: str, queries: list[str]) -> list[str]:
    """The queries ``text`` names as a phrase (whole words, case-insensitive), in the order given."""
    return [query for query in queries if query.strip() and _phrase(query).search(text or "")]


def slug(query: str) -> str:
    """A query as a tag: lower-case words joined by hyphens ("La Plateforme" → "la-plateforme")."""
    return "-".join(re.findall(r"\w+", query.lower()))[:38]


def shape_error(source: str, what: str) -> ConnectorError:
    """The vendor answered JSON, but not the shape its API documents (a proxy's page, a changed API)."""
    return ConnectorError(f"{source}: unexpected answer ({what}); is the address the search API?", retryable=True)
