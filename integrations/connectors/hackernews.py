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
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from integrations.connectors.base import ConnectorError, from_iso, from_unix, html_to_text
from integrations.connectors.community_base import MAX_PAGES, CommunityConnector, CommunityPost, SearchPage, shape_error

HITS_PER_PAGE = 100
ITEM_URL = "https://news.ycombinator.com/item?id={}"
PROFILE_URL = "https://news.ycombinator.com/user?id={}"


class HackerNewsConnector(CommunityConnector):
    """Hacker News stories and comments found by Algolia's search by date."""

    source = "hackernews"
    default_base_url = "https://hn.algolia.com/api/v1"

    def auth_headers(self) -> dict[str, str]:
        return {}  # public API

    def search(
        self, query: str, *, since: datetime | None, seen: Collection[str] = (), max_pages: int = MAX_PAGES
    ) -> SearchPage:
        """Stories and comments matching ``query`` created at or after ``since`` (second precision), newest first."""
        params: dict[str, Any] = {
            "query": query,
            "tags": "(story,comment)",
            "hitsPerPage": self.options.get("hits_per_page", HITS_PER_PAGE),
        }
        if since is not None:
            params["numericFilters"] = f"created_at_i>={int(since.timestamp())}"
        posts: list[CommunityPost] = []
        for page in range(max_pages):
            answer = self._page(query, {**params, "page": page})
            posts += [
                post for hit in answer["hits"] if str(hit.get("objectID")) not in seen and (post := self.post(hit))
            ]
            if page + 1 >= int(answer.get("nbPages") or 0):
                return SearchPage(posts)
        return SearchPage(posts, truncated=True)

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
