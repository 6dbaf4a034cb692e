"""A Discourse forum through its search API: posts that name the brand and product queries, newest first.

``GET <forum>/search.json?q=<"query"> after:<YYYY-MM-DD> order:latest&page=<n>`` (pages from 1, 50 posts each)
answers ``posts`` (``id``, ``username``, ``created_at``, ``blurb``, ``topic_id``, ``post_number``…), ``topics``
(``id``, ``title``, ``slug``…) and ``grouped_search_result.more_full_page_results`` (true while another page follows).

- ``after:`` is a day (Discourse: ``posts.created_at > <that date>``, in the forum's time zone): the search asks from
  the day *before* the cursor's time and the posts at or before the cursor are dropped here (``integrations.community``
  keeps the newest time and the ids seen at it), so a time-zone offset loses nothing and nothing is taken twice.
- Full text: a blurb is an excerpt around the match, about 200 characters, with ``...`` where Discourse cut it
  (``Search::GroupedSearchResults.blurb_for``: ``TextHelper.excerpt``/``truncate``, omission ``...``). A blurb that
  starts or ends with ``...`` is fetched whole (``GET /posts/<id>.json``, its ``cooked`` HTML as text, quotes of
  other posts left out: they are someone else's words); a short post's blurb is its whole text and costs no call.
- ``Api-Key``/``Api-Username`` headers are sent when given (``settings.CONNECTORS["discourse"]``: ``token``,
  ``username``); a public forum needs none.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime, timedelta

from integrations.connectors.base import ConnectorError, from_iso, html_to_text
from integrations.connectors.community_base import MAX_PAGES, CommunityConnector, CommunityPost, SearchPage, shape_error

OMISSION = "..."
_QUOTE = re.compile(r"<aside[^>]*class=\"[^\"]*quote[^\"]*\"[^>]*>.*?</aside>", re.IGNORECASE | re.DOTALL)


class DiscourseConnector(CommunityConnector):
    """The posts of one Discourse forum (its address is the watch's ``base_url``)."""

    source = "discourse"

    def auth_headers(self) -> dict[str, str]:
        if not self.token:
            return {}
        return {"Api-Key": self.token, "Api-Username": self.options.get("username") or "system"}

    def search(
        self, query: str, *, since: datetime | None, seen: Collection[str] = (), max_pages: int = MAX_PAGES
    ) -> SearchPage:
        """Posts matching ``query`` created at or after ``since``, newest first (full text where the blurb is cut)."""
        terms = f'"{query}"' if " " in query.strip() else query.strip()  # a phrase, not any of its words
        if since is not None:
            terms += f" after:{(since - timedelta(days=1)).date().isoformat()}"
        terms += " order:latest"
        posts: list[CommunityPost] = []
        for page in range(1, max_pages + 1):
            answer = self._get(query, "search.json", q=terms, page=page)
            records, topics = answer.get("posts"), answer.get("topics") or []
            if not isinstance(records, list) or not isinstance(topics, list):
                raise shape_error("Discourse search", "no list of posts")
            by_id = {topic.get("id"): topic for topic in topics if isinstance(topic, dict)}
            for record in records:
                if not isinstance(record, dict):
                    raise shape_error("Discourse search", "a post that is not an object")
                created = from_iso(record.get("created_at"))
                if since is not None and created is not None and created < since:
                    return SearchPage(posts)  # newest first: the rest is older still (and needs no full text)
                if f"{self.forum_key}:{record.get('id')}" in seen:
                    continue  # taken at the cursor's instant: no need to read it whole again
                if post := self.post({**record, "topic": by_id.get(record.get("topic_id"), {})}):
                    posts.append(post)
            if not (answer.get("grouped_search_result") or {}).get("more_full_page_results"):
                return SearchPage(posts)
        return SearchPage(posts, truncated=True)

    def post(self, raw: dict) -> CommunityPost | None:
        """A search result as a post; a blurb Discourse cut is replaced by the post's whole text."""
        username, post_id, created = raw.get("username"), raw.get("id"), from_iso(raw.get("created_at"))
        if not username or post_id is None or created is None:
            return None
        topic = raw.get("topic") or {}
        blurb = (raw.get("blurb") or "").strip()
        text = self._full_text(post_id) if blurb.startswith(OMISSION) or blurb.endswith(OMISSION) else None
        text = text or html_to_text(raw.get("cooked") or blurb)
        if not text:
            return None
        title = (topic.get("title") or "").strip()
        slug, topic_id, number = topic.get("slug") or "topic", raw.get("topic_id"), raw.get("post_number") or 1
        return CommunityPost(
            source=self.source,
            source_id=f"{self.forum_key}:{post_id}",
            author=str(username),
            created_at=created,
            text=text,
            summary=title if number == 1 else "",
            title=title,
            url=f"{self.base_url}/t/{slug}/{topic_id}/{number}" if topic_id else f"{self.base_url}/p/{post_id}",
            profile_url=f"{self.base_url}/u/{username}",
            raw=raw,
        )

    @property
    def forum_key(self) -> str:
        """The forum's host: post ids are unique within a forum only, so the item's source id carries it."""
        return re.sub(r"^https?://", "", self.base_url).split("/")[0]

    def _full_text(self, post_id) -> str:
        answer = self._get(f"post {post_id}", f"posts/{post_id}.json")
        return html_to_text(_QUOTE.sub("", answer.get("cooked") or "")) or (answer.get("raw") or "").strip()

    def _get(self, what: str, path: str, **params) -> dict:
        try:
            answer = self.http.get(path, **params)
        except ConnectorError as exc:
            reason = "rate limited (HTTP 429)" if exc.status == 429 else str(exc)
            raise ConnectorError(
                f"Discourse {self.forum_key}, “{what}”: {reason}; the next run tries again.",
                status=exc.status,
                retryable=exc.retryable,
            ) from exc
        if not isinstance(answer, dict):
            raise shape_error(f"Discourse {self.forum_key}", "not a JSON object")
        return answer
