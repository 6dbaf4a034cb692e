"""A Discourse forum through its search API: posts that name the brand and product queries, newest first.

``GET <forum>/search.json?q=<"query"> after:<YYYY-MM-DD> order:latest&page=<n>`` (pages from 1, 50 posts each)
answers ``posts`` (``id``, ``username``, ``created_at``, ``blurb``, ``topic_id``, ``post_number``…), ``topics``
(``id``, ``title``, ``slug``…) and ``grouped_search_result.more_full_page_results`` (true while another page follows).

- ``after:`` is a day (Discourse: ``posts.created_at > <that date>``, in the forum's time zone): the search asks from
  the day *before* the cursor's time and the posts at or before the cursor are dropped here (``integrations.community``
  keeps the newest time and the ids seen at it), so a time-zone offset loses nothing and nothing is taken twice.
- Discourse serves 10 pages of one search (``SearchController::PAGE_LIMIT``; page 11 is an HTTP 400), 500 posts.
  When a window has more, ``search`` narrows it with ``before:<day>`` (``posts.created_at <`` that day's midnight,
  also a day in the forum's time zone): two days past the oldest post read, so that no offset cuts it off, the posts
  newer than it (read already) passed over without a call, the ones at it left out by id. When those days alone hold
  more than 500 matching posts (or 10 pages reached nothing older), the window narrows a day at a time; only then
  can posts be out of reach, and that is said in the result (``unreachable``). A window is never taken as read while
  its pages reached no post older than the ones read.
- The page budget (``page_budget``, 10 search requests per query and run, as before: forums rate-limit anonymous
  searches) ends a run; ``integrations.community`` keeps the rest of the window for the next one, with where the
  search got to (``SearchPage.resume``: the ``before:`` day in use and the last page of it read). The next run asks
  that same query from that page on, so it does not pay again for the pages of newer posts a narrowed window starts
  with (a busy forum's two days of margin can fill all 10 pages, and the run would never get past them). Those pages
  are stable: posts are only added at the newest end (pages shift towards older ones: posts seen again are passed
  over), or deleted. The resumed search asks the last page read once more and checks that it still shows a post read
  already; when it does not (deletions moved unread posts onto pages read), it reads the window from page 1 again.
  With a budget of one page it trusts the pages instead (it has no page to spare).
- Full text: a blurb is an excerpt around the match, about 200 characters, with ``...`` where Discourse cut it
  (``Search::GroupedSearchResults.blurb_for``: ``TextHelper.excerpt``/``truncate``, omission ``...``). A blurb that
  starts or ends with ``...`` is fetched whole (``GET /posts/<id>.json``, its ``cooked`` HTML as text, quotes of
  other posts left out: they are someone else's words); a short post's blurb is its whole text and costs no call.
- ``Api-Key``/``Api-Username`` headers are sent when given (``settings.CONNECTORS["discourse"]``: ``token``,
  ``username``); a public forum needs none.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, timedelta

from integrations.connectors.base import ConnectorError, from_iso, html_to_text
from integrations.connectors.community_base import CommunityConnector, CommunityPost, Reach, SearchPage, shape_error

OMISSION = "..."
PAGE_LIMIT = 10  # Discourse's SearchController::PAGE_LIMIT: the last page of one search it serves
BEFORE_MARGIN = timedelta(days=2)  # ``before:`` this far past the oldest post read: any time zone keeps it in
_QUOTE = re.compile(r"<aside[^>]*class=\"[^\"]*quote[^\"]*\"[^>]*>.*?</aside>", re.IGNORECASE | re.DOTALL)


class DiscourseConnector(CommunityConnector):
    """The posts of one Discourse forum (its address is the watch's ``base_url``)."""

    source = "discourse"

    def auth_headers(self) -> dict[str, str]:
        if not self.token:
            return {}
        return {"Api-Key": self.token, "Api-Username": self.options.get("username") or "system"}

    def search(
        self,
        query: str,
        *,
        since: datetime | None,
        until: datetime | None = None,
        seen: Collection[str] = (),
        max_pages: int | None = None,
        resume: Mapping | None = None,
    ) -> SearchPage:
        """Posts matching ``query`` created between ``since`` and ``until`` (inclusive), newest first (full text
        where the blurb is cut); past the 10-page limit by narrowing the window; from ``resume`` (the ``before:`` day
        and page a cut-short search of this window got to) when given (the module's docstring)."""
        terms = f'"{query}"' if " " in query.strip() else query.strip()  # a phrase, not any of its words
        if since is not None:
            terms += f" after:{(since - timedelta(days=1)).date().isoformat()}"
        budget, pages, bound = self.budget(max_pages), 0, until  # bound: the newest instant still to read
        before = _day(until) + BEFORE_MARGIN if until is not None else None
        first, check = 1, False  # the window's first page to ask; whether it must show a post read already
        if resume:
            before = date.fromisoformat(resume["before"]) if resume.get("before") else None
            done = min(max(int(resume.get("page") or 0), 0), PAGE_LIMIT - 1)
            check = done > 0 and budget > 1  # ask the last page read again: it shows that no post moved past it
            first = done if check else done + 1
        taken, posts, reach, unreachable = set(seen), [], Reach(), []
        while True:  # one window a turn, narrowed while the forum has more than its pages serve
            window = f"{terms} before:{before.isoformat()}" if before is not None else terms
            done = first - 1  # the window's pages read whole
            for page in range(first, PAGE_LIMIT + 1):
                if pages >= budget:
                    resume = {"before": before.isoformat() if before else None, "page": done}
                    return reach.page(posts, pages=pages, unreachable=unreachable, resume=resume)
                answer = self._get(query, "search.json", q=f"{window} order:latest", page=page)
                pages += 1
                records, topics = answer.get("posts"), answer.get("topics") or []
                if not isinstance(records, list) or not isinstance(topics, list):
                    raise shape_error("Discourse search", "no list of posts")
                if not all(isinstance(record, dict) for record in records):
                    raise shape_error("Discourse search", "a post that is not an object")
                if check and not any(self._read_already(record, bound, taken) for record in records):
                    break  # posts deleted since moved unread ones onto pages read: the window again from page 1
                check, by_id = False, {topic.get("id"): topic for topic in topics if isinstance(topic, dict)}
                for record in records:
                    created, key = from_iso(record.get("created_at")), f"{self.forum_key}:{record.get('id')}"
                    if since is not None and created is not None and created < since:
                        return SearchPage(posts, pages=pages, unreachable=unreachable)  # the rest is older still
                    if bound is not None and created is not None and created > bound:
                        continue  # read in a wider window or an earlier run already (or newer than the window)
                    reach.saw(created, key)
                    if key in taken:
                        continue  # taken already (at the window's edges): no need to read it whole again
                    taken.add(key)
                    if post := self.post({**record, "topic": by_id.get(record.get("topic_id"), {})}):
                        posts.append(post)
                done = page
                if not (answer.get("grouped_search_result") or {}).get("more_full_page_results"):
                    return SearchPage(posts, pages=pages, unreachable=unreachable)
            else:
                point = reach.at or bound  # the oldest instant read: the next window ends there
                if point is None:
                    unreachable.append(f"“{query}”: the forum's search served no dated post in {PAGE_LIMIT} pages")
                    return SearchPage(posts, pages=pages, unreachable=unreachable)
                bound, narrower = point, _day(point) + BEFORE_MARGIN
                if before is not None and narrower >= before:
                    # The margin's days alone hold more than the pages serve (or nothing older was reached). A day
                    # less, said out loud: in a forum whose time zone is ahead of UTC, posts of the day before
                    # ``point`` made before it may be out of reach.
                    narrower = before - timedelta(days=1)
                    unreachable.append(
                        f"“{query}”: more than {PAGE_LIMIT} pages of posts just after {point.isoformat()}; asking "
                        f"before:{narrower.isoformat()} instead, posts of the day before {point.isoformat()} may be "
                        "missed"
                    )
                before = narrower
            first, check = 1, False

    def _read_already(self, record: dict, bound: datetime | None, taken: Collection[str]) -> bool:
        """Whether ``record`` is a post an earlier page of this window showed: newer than ``bound``, or taken at it."""
        created = from_iso(record.get("created_at"))
        if bound is None or created is None:
            return False
        return created > bound or (created == bound and f"{self.forum_key}:{record.get('id')}" in taken)

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


def _day(moment: datetime) -> date:
    """The UTC day of ``moment``."""
    return moment.astimezone(UTC).date()
