"""Community listening (seed 001, "Monitor where your users hang out"): fetch a watch's queries incrementally, keep
the posts that name them, take them in as feedback, and keep their authors in the "community" segment until a person
matches one to a customer.

- Incremental: ``CommunityWatch.cursor`` holds, per query, ``{"newest": <ISO time>, "ids": [<source ids at it>]}``:
  the newest post time the query has seen and the posts seen at that instant. The next fetch asks from that time
  (inclusive) and leaves those ids out; a first fetch looks back ``INITIAL_LOOKBACK``. A query that fails keeps its
  cursor (its error goes to ``last_error``; the next run asks again from the same point: nothing is lost), the
  others move on.
- A page budget per query and run (the connector's ``page_budget``): searches read newest first, so a run the budget
  stops has read the newest part of the window and not the oldest. The cursor then keeps that oldest part as the
  query's ``backlog`` (``{"since", "until", "ids", "resume"}``: the window still to read, ``until`` the oldest
  instant read, ``ids`` the posts taken at its edges, ``resume`` where the connector's search of it stopped). The
  next run gives the backlog half its budget, then reads what is new since ``newest`` with the rest, then the backlog
  again with what is left (``_read``): a backlog advances every run (a search resumed reads at least one page
  further) and never holds new posts back. When what is new
  is cut short too, its unread part becomes a second window, so ``backlog`` is a list of windows, oldest first, all
  older than ``newest``: the cursor never moves past a post nobody read; a busy query catches up over a few runs
  instead of skipping. Such a run logs it and says so: ``truncated`` (the queries), ``backlog`` (their windows left,
  ``since`` and ``until``) in the result, and a line of progress; ``unreachable`` lists what a vendor could not serve
  at all (``SearchPage.unreachable``).
- Relevance: search engines match loosely, so a post is kept only when its own text names the query as a phrase
  (``connectors.community_base.mentions``); the rest are counted ``off_topic``. The cursor still moves past them.
- Dedupe by (source, source_id): the same post found by two queries is one item (``duplicates`` counts the extra
  finds); a post already stored (an earlier run, another watch of the same forum) is not ingested again
  (``already_stored``), so it does not go back to triage.
- Ingestion: ``integrations.ingest.ingest_items`` with source ``hackernews``/``discourse``, like every other door:
  triaged, embedded and themed like the rest. A community item has no e-mail or domain, so it has no customer
  unless its author is matched.
- Authors: one ``CommunityAuthor`` per (source, handle), its ``posts`` counting the items taken in. Matching an
  author to a customer (``match_author``, the admin's door) sets that customer on the author's items that had none
  (or had the author's previous customer); items a person attributed otherwise keep theirs.
- One worker per watch: a fetch holds a PostgreSQL session advisory lock on the watch's row (``busy`` otherwise).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Least
from django.utils import timezone

from customers.models import Customer
from feedback.models import FeedbackItem
from feedback.services import assign_customer_many
from feedbackhub.advisory_lock import advisory_lock
from integrations.choices import CommunitySource
from integrations.connectors.base import from_iso
from integrations.connectors.community_base import CommunityConnector, CommunityPost, as_item, mentions
from integrations.connectors.discourse import DiscourseConnector
from integrations.connectors.hackernews import HackerNewsConnector
from integrations.ingest import CREATED, REJECTED, UPDATED, ingest_items
from integrations.models import CommunityAuthor, CommunityWatch

log = logging.getLogger(__name__)

INITIAL_LOOKBACK = timedelta(days=30)  # a new query's first fetch: the last month, not the community's history
LOCK_NAMESPACE = 0x434D  # "CM": the first key of the advisory lock a running fetch holds (the second is the watch id)
MAX_ERROR_LENGTH = 2000
SUCCEEDED, FAILED, PARTIAL, BUSY = "succeeded", "failed", "partial", "busy"
CONNECTORS: dict[str, type[CommunityConnector]] = {
    CommunitySource.HACKER_NEWS: HackerNewsConnector,
    CommunitySource.DISCOURSE: DiscourseConnector,
}


@dataclass
class WatchOutcome:
    """What one fetch of one watch did: ``succeeded``, ``partial`` (some queries failed), ``failed`` or ``busy``."""

    watch: int
    status: str
    result: dict = field(default_factory=dict)
    error: str = ""


def connector_for(watch: CommunityWatch) -> CommunityConnector:
    """The watch's connector. A Discourse API key (``settings.CONNECTORS["discourse"]``: ``base_url``, ``token``,
    ``username``) is sent only to the forum it was issued for."""
    options = settings.CONNECTORS.get(watch.source, {})
    same_forum = (options.get("base_url") or "").rstrip("/") == watch.base_url.rstrip("/")
    credentials = {"token": options.get("token", ""), "username": options.get("username", "")} if same_forum else {}
    return CONNECTORS[watch.source](base_url=watch.base_url, **credentials)


def enabled_watches() -> list[int]:
    """The ids of the watches the periodic fetch runs, in a stable order."""
    return list(CommunityWatch.objects.filter(enabled=True).order_by("pk").values_list("pk", flat=True))


def fetch_watch(
    *,
    watch: CommunityWatch,
    connector: CommunityConnector | None = None,
    progress: Callable[[str], None] | None = None,
) -> WatchOutcome:
    """Fetch what is new for each of ``watch``'s queries and take it in; the outcome is also stored on the watch.

    Never raises for a vendor's failure: it is stored in ``last_error`` and the next run tries again.
    """
    say = progress or (lambda line: None)
    with _watch_lock(watch.pk) as held:
        if not held:
            return WatchOutcome(watch=watch.pk, status=BUSY)
        watch.refresh_from_db()  # the run that held the lock before may have moved the cursor
        try:
            cursor, found, stats, failures = _search(watch, connector or connector_for(watch), say)
            result = {**stats, **take_in(watch=watch, posts=list(found.values()))}
        except Exception as error:  # noqa: BLE001 - a database or programming error: kept on the watch, cursor kept
            message = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
            log.warning("Community watch %s failed: %s", watch.pk, message, exc_info=True)
            CommunityWatch.objects.filter(pk=watch.pk).update(last_fetched_at=timezone.now(), last_error=message)
            return WatchOutcome(watch=watch.pk, status=FAILED, error=message)
        error = "\n".join(f"{query}: {message}" for query, message in failures.items())[:MAX_ERROR_LENGTH]
        result["failed"] = failures
        CommunityWatch.objects.filter(pk=watch.pk).update(
            cursor=cursor, last_fetched_at=timezone.now(), last_result=result, last_error=error
        )
        watch.cursor, watch.last_result, watch.last_error = cursor, result, error
        status = SUCCEEDED if not failures else FAILED if len(failures) == len(watch.queries) else PARTIAL
        say(
            f"{watch.name}: {result['fetched']} fetched, {result['off_topic']} off topic, {result['duplicates']} "
            f"duplicates, {result['already_stored']} already stored, {result['created']} created"
            + (f", {len(failures)} query(ies) failed" if failures else "")
            + "."
        )
        return WatchOutcome(watch=watch.pk, status=status, result=result, error=error)


@dataclass
class _Read:
    """One query's searches in one run: every post they returned, those not taken before, and its new cursor."""

    state: dict
    posts: list[CommunityPost] = field(default_factory=list)
    fresh: list[CommunityPost] = field(default_factory=list)
    truncated: bool = False
    unreachable: list[str] = field(default_factory=list)


def _search(watch: CommunityWatch, connector: CommunityConnector, say) -> tuple[dict, dict, dict, dict]:
    """Each query from its cursor: the new cursor, the posts kept (by source id, with the queries that found them),
    the counts, and the failed queries with their errors."""
    cursor, found, failures = dict(watch.cursor or {}), {}, {}
    stats = {"fetched": 0, "new": 0, "off_topic": 0, "duplicates": 0, "truncated": [], "backlog": {}, "queries": {}}
    stats["unreachable"] = []
    for query in watch.queries:
        try:
            read = _read(connector, query, cursor.get(query) or {})
        except Exception as error:  # noqa: BLE001 - this query's cursor stays; the others go on
            failures[query] = str(error)[:500]
            say(f"  “{query}”: failed — {error}")
            continue
        on_topic = [post for post in read.fresh if mentions(post.text, [query])]
        for post in on_topic:
            if post.source_id in found:
                stats["duplicates"] += 1
            found.setdefault(post.source_id, post)
        cursor[query] = read.state
        counts = {"fetched": len(read.posts), "new": len(read.fresh), "off_topic": len(read.fresh) - len(on_topic)}
        stats["queries"][query] = counts
        for key in ("fetched", "new", "off_topic"):
            stats[key] += counts[key]
        for note in read.unreachable:
            log.warning("Community watch %s: %s", watch.pk, note)
            stats["unreachable"].append(note[:300])
        line = f"  “{query}”: {counts['fetched']} fetched, {counts['new']} new, {counts['off_topic']} off topic"
        if read.truncated:
            stats["truncated"].append(query)
            left = [{"since": window["since"], "until": window["until"]} for window in read.state.get("backlog", [])]
            if left:
                stats["backlog"][query] = left
            spans = " and ".join(f"posts from {window['since']} to {window['until']}" for window in left)
            rest = spans or "what is new since the cursor"
            log.warning("Community watch %s, “%s”: page budget spent; %s are read next run.", watch.pk, query, rest)
            line += f" — page budget spent: {rest} are read next run"
        say(line)
    return cursor, found, stats, failures


def _read(connector: CommunityConnector, query: str, state: dict) -> _Read:
    """``query``'s backlog (the older windows earlier runs' budgets left) and what is new since its newest post,
    within one page budget; the new cursor never passes a post not read.

    The backlog is read first with half the budget (rounded up), then what is new with the rest, then the backlog
    again with whatever the new posts left (usually most of it: a quiet half hour is one page). So a backlog never
    holds new posts back, and it advances every run: each of its searches resumes where the last one stopped
    (``SearchPage.resume``) and reads at least one page further."""
    budget = connector.budget(None)
    newest, seen = from_iso(state.get("newest")), set(state.get("ids") or [])
    read = _Read(state={key: value for key, value in state.items() if key != "backlog"})
    windows = _windows(state.get("backlog"))
    spent, windows = _drain(connector, query, windows, budget - budget // 2 if windows else 0, read)
    gap = None  # the part of what is new that this run's budget left, a window for the next run
    if spent < budget:
        since = newest or timezone.now() - INITIAL_LOOKBACK
        page = connector.search(query, since=since, seen=seen if newest else (), max_pages=budget - spent)
        spent += page.pages
        read.posts += page.posts
        read.unreachable += page.unreachable
        read.fresh += [post for post in page.posts if _is_new(post, newest, seen)]
        read.state = dict(_advance(read.state, newest, page.posts))
        if page.truncated:
            read.truncated = True
            if page.reached is not None:  # nothing read at all: the cursor stays, the next run asks the same again
                if "newest" not in read.state:  # no post (only dead hits): the top starts where the backlog ends
                    read.state = {"newest": page.reached.isoformat(), "ids": sorted(page.reached_ids)}
                gap = _backlog(since, page.reached, seen | page.reached_ids, page.resume)
    else:  # no page left for what is new (a budget of one page): it waits, the cursor has not passed it
        read.truncated = True
    if windows and spent < budget:
        windows = _drain(connector, query, windows, budget - spent, read)[1]
    windows += [gap] if gap else []
    if windows:
        read.truncated = True
        read.state["backlog"] = windows
    return read


def _drain(connector: CommunityConnector, query: str, windows: list[dict], pages: int, read: _Read):
    """Read the backlog's ``windows`` oldest first with at most ``pages`` searches: (pages spent, the windows left,
    each cut to what is still unread)."""
    spent, left = 0, []
    for window in windows:
        if spent >= pages:
            left.append(window)
            continue
        since, until, ids = from_iso(window["since"]), from_iso(window["until"]), set(window.get("ids") or [])
        resume = {"resume": window["resume"]} if window.get("resume") else {}  # only the connectors that give one
        page = connector.search(query, since=since, until=until, seen=ids, max_pages=pages - spent, **resume)
        spent += page.pages
        read.posts += page.posts
        read.unreachable += page.unreachable
        read.fresh += [post for post in page.posts if since <= post.created_at <= until and post.source_id not in ids]
        if page.truncated:
            left.append(_backlog(since, page.reached or until, ids | page.reached_ids, page.resume))
    return spent, left


def _windows(backlog) -> list[dict]:
    """The backlog's windows, oldest first (a cursor written before there could be several holds one, as a dict)."""
    if not backlog:
        return []
    return [backlog] if isinstance(backlog, dict) else list(backlog)


def _backlog(since: datetime, until: datetime, ids: set[str], resume: dict | None = None) -> dict:
    window = {"since": since.isoformat(), "until": until.isoformat(), "ids": sorted(ids)}
    return {**window, "resume": resume} if resume else window


def _is_new(post: CommunityPost, newest: datetime | None, seen: set[str]) -> bool:
    if newest is None:
        return True
    return post.created_at > newest or (post.created_at == newest and post.source_id not in seen)


def _advance(state: dict, newest: datetime | None, posts: list[CommunityPost]) -> dict:
    """The query's cursor after reading ``posts``: the newest time among them and the ids at it (kept when none)."""
    if not posts:
        return state
    latest = max(post.created_at for post in posts)
    if newest is not None and latest < newest:
        return state
    at_latest = {post.source_id for post in posts if post.created_at == latest}
    if newest is not None and latest == newest:
        at_latest |= set(state.get("ids") or [])
    return {"newest": latest.isoformat(), "ids": sorted(at_latest)}


def take_in(*, watch: CommunityWatch, posts: Iterable[CommunityPost]) -> dict:
    """Ingest the posts not stored yet (as items of the watch's source), count their authors' posts, and give the
    items of matched authors their customer; the counts. The door the fetch and the demo both use."""
    posts = {post.source_id: post for post in posts}
    known = set(
        FeedbackItem.objects.filter(source=watch.source, source_id__in=list(posts)).values_list("source_id", flat=True)
    )
    fresh = [post for source_id, post in posts.items() if source_id not in known]
    items = [as_item(post, queries=mentions(post.text, watch.queries)) for post in fresh]
    results = ingest_items(items=items, received_via=f"community:{watch.pk}") if items else []
    created = {result.source_id: result.id for result in results if result.status == CREATED}
    new_authors, matched = _record_authors(watch.source, [post for post in fresh if post.source_id in created], created)
    rejected = [result.as_dict() for result in results if result.status == REJECTED]
    return {
        "already_stored": len(known),
        "created": len(created),
        "updated": sum(result.status == UPDATED for result in results),
        "rejected": len(rejected),
        "problems": [f"{line['source_id']}: {line['reason']}"[:300] for line in rejected[:20]],
        "new_authors": new_authors,
        "matched_items": matched,
    }


def _record_authors(source: str, posts: list[CommunityPost], item_ids: dict[str, int]) -> tuple[int, int]:
    """Upsert the authors of newly stored ``posts`` (their post counts grow); the items of matched authors get their
    customer. Returns (authors new to the hub, items given a customer)."""
    by_author: dict[str, list[CommunityPost]] = {}
    for post in posts:
        by_author.setdefault(post.author, []).append(post)
    new, matched = 0, 0
    for handle, theirs in sorted(by_author.items()):
        earliest = min(post.created_at for post in theirs)
        author, created = CommunityAuthor.objects.get_or_create(
            source=source,
            handle=handle,
            defaults={"posts": len(theirs), "first_seen_at": earliest, "profile_url": theirs[0].profile_url[:300]},
        )
        new += created
        if not created:
            CommunityAuthor.objects.filter(pk=author.pk).update(
                posts=F("posts") + len(theirs), first_seen_at=Least(F("first_seen_at"), earliest)
            )
        if author.customer_id is not None:
            ids = [item_ids[post.source_id] for post in theirs]
            matched += _set_customer(FeedbackItem.objects.filter(pk__in=ids, customer__isnull=True), author.customer)
    return new, matched


def author_items(author: CommunityAuthor) -> QuerySet[FeedbackItem]:
    """The feedback items ``author`` wrote (found by the handle ``as_item`` keeps in the payload)."""
    return FeedbackItem.objects.filter(
        source=author.source, raw_payload__contains={"_community": {"author": author.handle}}
    )


@transaction.atomic
def match_author(*, author: CommunityAuthor, customer: Customer | None) -> int:
    """Match ``author`` to ``customer`` (None: back to the community segment) and carry it to their items.

    Items without a customer, or with the author's previous customer, follow; an item a person attributed to another
    customer keeps it. Returns how many items changed.
    """
    previous = author.customer_id
    author.customer = customer
    author.save(update_fields=["customer"])
    items = author_items(author)
    following = items.filter(customer__isnull=True) if previous is None else items.filter(customer_id=previous)
    if customer is not None and previous is not None:
        following = items.filter(customer__isnull=True) | following
    return _set_customer(following, customer)


def _set_customer(items: QuerySet[FeedbackItem], customer: Customer | None) -> int:
    """The author's items attributed to ``customer`` through the feedback service (maturity, rollups)."""
    return assign_customer_many(items=items, customer=customer)


def _watch_lock(watch_id: int):
    """A watch: one worker fetches it at a time (``feedbackhub.advisory_lock``)."""
    return advisory_lock(LOCK_NAMESPACE, watch_id)
