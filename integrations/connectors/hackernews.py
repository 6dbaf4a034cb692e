"""Hacker News through its public search API (Algolia, https://hn.algolia.com/api): stories and comments that name
the brand and product queries, newest first.

``GET /search_by_date?query=<q>&tags=(story,comment)&numericFilters=created_at_i>=<unix>&hitsPerPage=100&page=<n>``
answers ``{"hits": [...], "nbHits", "page", "nbPages", "hitsPerPage", ...}``, pages counted from 0. A hit has
``objectID``, ``author``, ``created_at``/``created_at_i``, ``_tags`` (``story`` or ``comment``, ``author_<h>``,
``story_<id>``); a story ``title``, ``url``, ``story_text`` (HTML, Ask/Show HN); a comment ``comment_text`` (HTML),
``story_id``, ``parent_id``, ``story_title``, ``story_url``. No key is needed; the API allows 10,000 requests an hour
per address, far above a few queries every half hour.

``created_at_i>=`` (not ``>``): the cursor keeps the newest second it saw and the ids seen in it, so a post made in
that same second but indexed a moment later is still found next time, and the ones already taken are left out
(``integrations.community``).

Algolia serves at most 1,000 hits of one search (``page * hitsPerPage`` stops at ``paginationLimitedTo``; ``nbPages``
counts only the pages it serves, ``nbHits`` all the matches). When a window has more (a first fetch of a busy month, a
launch day, a watch switched back on after weeks), ``search`` reads the pages it can and then narrows the window
instead of the page: the same search with ``created_at_i<=<the oldest second read>`` added, the hits of that second
already taken left out by ``objectID``, until a window is read whole or the page budget (``page_budget`` requests per
query and run, 3,000 hits at 100 a page) is spent. Then the search says where it got to (``SearchPage.reached``) and
``integrations.community`` keeps the rest of the window as the query's backlog for the next run. Only more than 1,000
hits in one second could not be read this way; that is said in the result (``unreachable``), never skipped quietly.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from integrations.connectors.base import ConnectorError, from_iso, from_unix, html_to_text
from integrations.connectors.community_base import CommunityConnector, CommunityPost, Reach, SearchPage, shape_error

HITS_PER_PAGE = 100
PAGE_BUDGET = 30  # search requests per query and run: 3,000 hits; the API allows 10,000 requests an hour
ITEM_URL = "https://news.ycombinator.com/item?id={}"
PROFILE_URL = "https://news.ycombinator.com/user?id={}"


class HackerNewsConnector(CommunityConnector):
    """Hacker News stories and comments found by Algolia's search by date."""

    source = "hackernews"
    default_base_url = "https://hn.algolia.com/api/v1"
    page_budget = PAGE_BUDGET

    def auth_headers(self) -> dict[str, str]:
        return {}  # public API

    def search(
        self,
        query: str,
        *,
        since: datetime | None,
        until: datetime | None = None,
        seen: Collection[str] = (),
        max_pages: int | None = None,
    ) -> SearchPage:
        """Stories and comments matching ``query`` created between ``since`` and ``until`` (inclusive, second
        precision), newest first; past Algolia's 1,000-hit cap by narrowing the window (the module's docstring)."""
        budget, pages = self.budget(max_pages), 0
        lower = f"created_at_i>={int(since.timestamp())}" if since is not None else None
        upper = int(until.timestamp()) if until is not None else None
        params: dict[str, Any] = {
            "query": query,
            "tags": "(story,comment)",
            "hitsPerPage": self.options.get("hits_per_page", HITS_PER_PAGE),
        }
        taken, posts, reach, unreachable = set(seen), [], Reach(), []
        while True:  # one window a turn: [since, upper], narrowed while the cap leaves hits unread
            bounds = [bound for bound in (lower, upper is not None and f"created_at_i<={upper}") if bound]
            window = {**params, "numericFilters": ",".join(bounds) or None}
            taken_before, page, received = len(taken), 0, 0
            while True:
                if pages >= budget:
                    return reach.page(posts, pages=pages, unreachable=unreachable)
                answer = self._page(query, {**window, "page": page})
                pages, page, received = pages + 1, page + 1, received + len(answer["hits"])
                for hit in answer["hits"]:
                    object_id = str(hit.get("objectID"))
                    reach.saw(from_unix(hit.get("created_at_i")), object_id)
                    if object_id not in taken:
                        taken.add(object_id)
                        if post := self.post(hit):
                            posts.append(post)
                if not answer["hits"] or page >= int(answer.get("nbPages") or 0):
                    break
            if int(answer.get("nbHits") or 0) <= received or reach.at is None:  # the window is read whole
                return SearchPage(posts, pages=pages, unreachable=unreachable)
            oldest = int(reach.at.timestamp())
            if len(taken) == taken_before:  # the cap is all hits of one second, read already: step below it
                unreachable.append(
                    f"“{query}”: more than {received} posts at {reach.at.isoformat()}; "
                    "the search serves no more of that second, the rest of it is left out"
                )
                oldest -= 1
            upper = oldest

    def _page(self, query: str, params: dict) -> dict:
        try:
            answer = self.http.get("search_by_date", **params)
        except ConnectorError as exc:
            reason = "rate limited (HTTP 429)" if exc.status == 429 else str(exc)
            raise ConnectorError(
                f"Hacker News search for “{query}”: {reason}; the next run tries again.",
                status=exc.status,
                retryable=exc.retryable,
            ) from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("hits"), list):
            raise shape_error("Hacker News search", "no list of hits")
        return answer

    def post(self, raw: dict) -> CommunityPost | None:
        """A story (title, then its text) or a comment (its text; the story's title kept as the thread)."""
        author, object_id = raw.get("author"), raw.get("objectID")
        created = from_unix(raw.get("created_at_i")) or from_iso(raw.get("created_at"))
        if not author or not object_id or created is None:
            return None  # deleted or dead: no author, or a record without its time
        tags = raw.get("_tags") or []
        if "comment" in tags or raw.get("comment_text") is not None:
            text, summary, thread = html_to_text(raw.get("comment_text")), "", raw.get("story_title") or ""
        else:
            title = (raw.get("title") or "").strip()
            body = html_to_text(raw.get("story_text"))
            text, summary, thread = "\n\n".join(part for part in (title, body) if part), title, title
        if not text:
            return None
        return CommunityPost(
            source=self.source,
            source_id=str(object_id),
            author=str(author),
            created_at=created,
            text=text,
            summary=summary,
            title=thread,
            url=ITEM_URL.format(object_id),
            profile_url=PROFILE_URL.format(author),
            raw={key: value for key, value in raw.items() if key != "_highlightResult"},  # markup of the match only
        )
