"""Community listening past the search APIs' caps (Algolia serves 1,000 hits of one search, Discourse 10 pages):
a query with more new posts is read by narrowing the time window, and a run its page budget stops keeps the rest of
the window as a backlog that the next run reads first. Every post is taken exactly once; nothing is skipped, and
what a vendor cannot serve at all is said. Stub APIs on 127.0.0.1 with the real response shapes
(``community_stub``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from feedback.models import FeedbackItem
from integrations import community
from integrations.connectors.discourse import DiscourseConnector
from integrations.connectors.hackernews import HackerNewsConnector
from integrations.models import CommunityAuthor, CommunityWatch
from tests.integrations.community_stub import (
    DISCOURSE_SEARCH,
    HN_PATH,
    CommunityStub,
    discourse_crowd,
    hn_at,
    hn_crowd,
    iso,
    serve,
)

pytestmark = pytest.mark.django_db

QUERY = "Codestral"
TOTAL = 2_350


@pytest.fixture
def stub():
    """Both stub APIs, empty: each test puts its crowd in."""
    api = CommunityStub()
    server = serve(api)
    yield api
    server.shutdown()
    server.server_close()


@pytest.fixture
def newest() -> datetime:
    return datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
def hn_watch(stub):
    return CommunityWatch.objects.create(
        source="hackernews", name="Hacker News", base_url=f"{stub.url}/api/v1", queries=[QUERY]
    )


@pytest.fixture
def forum_watch(stub):
    return CommunityWatch.objects.create(source="discourse", name="Forum", base_url=stub.url, queries=[QUERY])


def fetch_hn(watch: CommunityWatch, lines: list[str] | None = None, **options) -> community.WatchOutcome:
    """A fetch with the connector's ``options`` (``page_budget``, ``hits_per_page``); progress lines into ``lines``."""
    connector = HackerNewsConnector(base_url=watch.base_url, **options)
    say = lines.append if lines is not None else None
    return community.fetch_watch(watch=watch, connector=connector, progress=say)


def searches(stub: CommunityStub, path: str) -> list[dict]:
    return [params for seen_path, params in stub.seen if seen_path == path]


def stored(source: str) -> set[str]:
    return set(FeedbackItem.objects.filter(source=source).values_list("source_id", flat=True))


def fetch_forum(watch: CommunityWatch, **options) -> community.WatchOutcome:
    return community.fetch_watch(watch=watch, connector=DiscourseConnector(base_url=watch.base_url, **options))


def forum_key(stub: CommunityStub, post: dict) -> str:
    return f"{stub.url.removeprefix('http://')}:{post['id']}"


def at_hour(hour: int) -> datetime:
    """The latest ``hour``:00 UTC at least an hour ago: where a day boundary falls in a crowd, fixed (``before:`` is
    a day)."""
    moment = datetime.now(tz=UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment if moment <= datetime.now(tz=UTC) - timedelta(hours=1) else moment - timedelta(days=1)


def late_posts(template: dict, newest: datetime, *, first: int, count: int) -> list[dict]:
    """``count`` posts made after ``newest`` (a minute apart, numbered on from ``first``), newest first."""
    return [
        {**template, "id": 95_000 + n, "created_at": iso(newest + timedelta(minutes=n + 1), millis=True)}
        for n in reversed(range(first, first + count))
    ]


def second(hit: dict) -> str:
    return datetime.fromtimestamp(hit["created_at_i"], tz=UTC).isoformat()


# --- Hacker News ------------------------------------------------------------------------------------------------------


def test_given_2350_new_posts_and_a_1000_hit_cap_then_one_run_reads_every_one_by_narrowing_the_window(
    stub, hn_watch, newest
):
    stub.hn_hits = hn_crowd(TOTAL, word=QUERY, newest=newest, step=timedelta(minutes=5))  # 3 a second

    outcome = fetch_hn(hn_watch)

    result = outcome.result
    assert stored("hackernews") == {hit["objectID"] for hit in stub.hn_hits}
    assert (result["fetched"], result["new"], result["created"], result["already_stored"]) == (TOTAL, TOTAL, TOTAL, 0)
    assert (result["truncated"], result["backlog"], result["unreachable"]) == ([], {}, [])
    asked = searches(stub, HN_PATH)
    windows = [params["numericFilters"] for params in asked if params["page"] == "0"]
    lookback = windows[0]
    assert len(asked) == 24  # 10 + 10 + 4 pages of 100
    assert max(int(params["page"]) for params in asked) == 9  # none past the cap
    assert windows[1:] == [  # each from the oldest second read so far (its three hits straddle the page boundary)
        f"{lookback},created_at_i<={stub.hn_hits[999]['created_at_i']}",
        f"{lookback},created_at_i<={stub.hn_hits[1998]['created_at_i']}",
    ]
    assert sum(CommunityAuthor.objects.filter(source="hackernews").values_list("posts", flat=True)) == TOTAL
    hn_watch.refresh_from_db()
    assert hn_watch.cursor[QUERY] == {"newest": newest.isoformat(), "ids": ["46999998", "46999999", "47000000"]}


def test_given_a_page_budget_that_stops_a_run_then_the_next_runs_take_the_rest_and_the_new_posts_each_once(
    stub, hn_watch, newest, caplog
):
    stub.hn_hits = hn_crowd(TOTAL, word=QUERY, newest=newest, step=timedelta(minutes=5))
    crowd = list(stub.hn_hits)
    caplog.set_level(logging.WARNING, logger="integrations.community")
    lines: list[str] = []

    first = fetch_hn(hn_watch, lines, page_budget=12)  # 10 pages, then 2 of the narrowed window

    hn_watch.refresh_from_db()
    state = hn_watch.cursor[QUERY]
    taken = stored("hackernews")
    assert first.status == community.SUCCEEDED and first.result["truncated"] == [QUERY]
    assert taken == {hit["objectID"] for hit in crowd[:1199]} and first.result["created"] == 1199  # the newest 1,199
    assert state["newest"] == newest.isoformat()
    [backlog] = state["backlog"]  # one window left
    assert backlog["until"] == second(crowd[1198])  # the oldest second read: 1197 and 1198 of its three
    assert backlog["ids"] == sorted([crowd[1197]["objectID"], crowd[1198]["objectID"]])
    assert first.result["backlog"] == {QUERY: [{"since": backlog["since"], "until": second(crowd[1198])}]}
    assert "page budget spent" in caplog.text and "page budget spent" in lines[0]
    template = crowd[1]
    fresh = [  # while the backlog waits: one more in the cursor's own second, three newer
        hn_at(template, newest, objectID="48000000", author="late"),
        *(hn_at(template, newest + timedelta(minutes=n), objectID=f"4800000{n}") for n in (1, 2, 3)),
    ]
    stub.hn_hits += fresh
    runs = [first]

    while runs[-1].result["truncated"] and len(runs) < 6:
        runs.append(fetch_hn(hn_watch, page_budget=12))

    hn_watch.refresh_from_db()
    every = {hit["objectID"] for hit in crowd + fresh}
    assert len(runs) == 3  # the backlog reads 6 pages, the new posts 1, the backlog 5 more; then the rest of it
    assert [run.result["created"] for run in runs] == [1199, 598 + 4 + 497, 56]  # a page repeats the edge second
    assert stored("hackernews") == every
    assert sum(run.result["new"] for run in runs) == len(every)  # no post handed over twice
    assert sum(run.result["already_stored"] for run in runs) == 0
    assert hn_watch.cursor[QUERY] == {"newest": (newest + timedelta(minutes=3)).isoformat(), "ids": ["48000003"]}
    assert fetch_hn(hn_watch).result["new"] == 0


def test_given_more_new_posts_than_the_budget_leaves_while_a_backlog_waits_then_both_windows_are_kept_and_read(
    stub, hn_watch, newest
):
    stub.hn_hits = crowd = hn_crowd(600, word=QUERY, newest=newest, step=timedelta(minutes=5))
    runs = [fetch_hn(hn_watch, page_budget=4)]  # 400 read, 200 left in the backlog
    burst = hn_crowd(
        500, word=QUERY, newest=newest + timedelta(minutes=20), step=timedelta(seconds=5), first_id=48_000_000
    )
    stub.hn_hits = burst + crowd

    runs.append(fetch_hn(hn_watch, page_budget=4))  # 2 pages for the backlog, 2 for the burst: it is cut short too

    hn_watch.refresh_from_db()
    older, newer = hn_watch.cursor[QUERY]["backlog"]  # oldest first, both older than the cursor
    assert len(runs[1].result["backlog"][QUERY]) == 2 and older["until"] < newer["since"] <= newer["until"]
    assert newer["until"] < hn_watch.cursor[QUERY]["newest"] == second(burst[0])
    while runs[-1].result["truncated"] and len(runs) < 8:
        runs.append(fetch_hn(hn_watch, page_budget=4))
    every = {hit["objectID"] for hit in crowd + burst}
    assert len(runs) <= 5 and stored("hackernews") == every
    assert sum(run.result["new"] for run in runs) == len(every)  # each once


def test_given_more_hits_in_one_second_than_the_cap_then_the_rest_of_that_second_is_said_and_older_ones_are_read(
    stub, hn_watch, newest
):
    stub.hn_cap = 10
    crowded = hn_crowd(15, word=QUERY, newest=newest, step=timedelta(0), per_second=15)  # 15 hits in one second
    older = hn_crowd(
        6, word=QUERY, newest=newest - timedelta(hours=1), step=timedelta(minutes=1), per_second=1, first_id=46_000_000
    )
    stub.hn_hits = crowded + older

    outcome = fetch_hn(hn_watch, hits_per_page=5)

    assert stored("hackernews") >= {hit["objectID"] for hit in older}
    assert len(stored("hackernews")) == 16  # 10 of the crowded second, the 6 older ones
    assert outcome.result["truncated"] == [] and len(outcome.result["unreachable"]) == 1
    assert f"more than 10 posts at {newest.isoformat()}" in outcome.result["unreachable"][0]


# --- Discourse --------------------------------------------------------------------------------------------------------


def test_given_700_new_forum_posts_and_a_10_page_limit_then_two_runs_take_every_one_once(stub, forum_watch, newest):
    posts, topics = discourse_crowd(700, word=QUERY, newest=newest, step=timedelta(minutes=59))  # 29 days of it
    stub.posts, stub.topics = posts, topics
    host = stub.url.removeprefix("http://")

    first = community.fetch_watch(watch=forum_watch, connector=DiscourseConnector(base_url=forum_watch.base_url))

    forum_watch.refresh_from_db()
    [backlog] = forum_watch.cursor[QUERY]["backlog"]
    assert first.result["truncated"] == [QUERY] and first.result["created"] == 500  # 10 pages of 50
    oldest_read = datetime.fromisoformat(posts[499]["created_at"])  # before the insert below shifts ``posts``
    assert datetime.fromisoformat(backlog["until"]) == oldest_read
    stub.posts.insert(0, {**posts[0], "id": 99_999, "created_at": iso(newest + timedelta(minutes=2), millis=True)})
    stub.seen.clear()

    second_run = community.fetch_watch(watch=forum_watch, connector=DiscourseConnector(base_url=forum_watch.base_url))

    asked = [params["q"] for params in searches(stub, DISCOURSE_SEARCH)]
    before = (oldest_read.date() + timedelta(days=2)).isoformat()
    assert second_run.result["truncated"] == [] and second_run.result["created"] == 201
    assert asked[0].startswith(f"{QUERY} after:") and f" before:{before} order:latest" in asked[0]
    assert stored("discourse") == {f"{host}:{post['id']}" for post in stub.posts}
    assert first.result["new"] + second_run.result["new"] == 701
    forum_watch.refresh_from_db()
    assert "backlog" not in forum_watch.cursor[QUERY]


def test_given_a_wider_page_budget_then_one_forum_run_narrows_past_the_10_page_limit(stub, forum_watch, newest):
    stub.posts, stub.topics = discourse_crowd(1_234, word=QUERY, newest=newest, step=timedelta(minutes=30))
    connector = DiscourseConnector(base_url=forum_watch.base_url, page_budget=40)

    outcome = community.fetch_watch(watch=forum_watch, connector=connector)

    pages = [int(params["page"]) for params in searches(stub, DISCOURSE_SEARCH)]
    assert outcome.result["truncated"] == [] and outcome.result["created"] == 1_234
    assert max(pages) == 10 and pages.count(1) >= 3  # three windows at least, none asked past page 10
    assert outcome.result["unreachable"] == []


def test_given_more_posts_in_a_day_than_the_forum_serves_then_what_may_be_missed_is_said(stub, forum_watch):
    noon = datetime.now(tz=UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    stub.posts, stub.topics = discourse_crowd(60, word=QUERY, newest=noon, step=timedelta(minutes=1))  # one morning
    stub.per_page = 5  # 50 posts a search at most
    connector = DiscourseConnector(base_url=forum_watch.base_url, page_budget=40)

    outcome = community.fetch_watch(watch=forum_watch, connector=connector)

    assert outcome.result["created"] == 50 and outcome.result["truncated"] == []
    notes = outcome.result["unreachable"]
    assert len(notes) == 2 and all(note.startswith(f"“{QUERY}”: more than 10 pages of posts") for note in notes)
    assert f"before:{noon.date().isoformat()} instead" in notes[-1]


def test_given_a_forum_with_more_posts_in_the_margin_than_10_pages_then_every_run_advances_and_new_posts_are_read(
    stub, forum_watch
):
    """Reviewer's repro A: ~290 posts a day. Resuming a backlog asks ``before:`` two days past it, whose first pages
    are all posts read already: a run that began there every time never got past them (584 of 700, forever)."""
    for hour in (2, 13, 22):  # where the day boundaries fall in the crowd
        FeedbackItem.objects.all().delete()
        forum_watch.cursor = {}
        forum_watch.save()
        newest = at_hour(hour)
        posts, stub.topics = discourse_crowd(700, word=QUERY, newest=newest, step=timedelta(minutes=5))
        stub.posts = list(posts)
        runs, late, cursors = [fetch_forum(forum_watch)], [], []

        while runs[-1].result["truncated"] and len(runs) < 8:
            forum_watch.refresh_from_db()
            cursors.append(forum_watch.cursor[QUERY]["backlog"])
            stub.posts[:0] = more = late_posts(posts[0], newest, first=len(late), count=3)
            late += more
            runs.append(fetch_forum(forum_watch))
            assert {forum_key(stub, post) for post in late} <= stored("discourse")  # the backlog holds none back

        every = {forum_key(stub, post) for post in posts + late}
        assert len(runs) <= 6 and runs[-1].result["truncated"] == [], hour
        assert stored("discourse") == every, hour
        assert sum(run.result["new"] for run in runs) == len(every), hour  # each post read once
        assert all(earlier != later for earlier, later in zip(cursors, cursors[1:], strict=False)), hour  # progress
        forum_watch.refresh_from_db()
        assert "backlog" not in forum_watch.cursor[QUERY]


def test_given_10_pages_of_posts_read_already_then_the_window_is_kept_and_read_on_not_dropped(stub, forum_watch):
    """Reviewer's repro B: 700 posts a minute apart, 30 new ones before the second run. That run's first pages were
    all posts newer than the backlog (nothing dated reached): the window was taken as read and 200 posts lost."""
    newest = at_hour(4)  # 241 posts that day, 459 the day before: a ``before:`` day reaches them
    posts, stub.topics = discourse_crowd(700, word=QUERY, newest=newest, step=timedelta(minutes=1))
    stub.posts = list(posts)
    first = fetch_forum(forum_watch)
    stub.posts[:0] = late = late_posts(posts[0], newest, first=0, count=30)
    runs = [first, fetch_forum(forum_watch)]

    forum_watch.refresh_from_db()
    assert runs[1].result["truncated"] == [QUERY] and runs[1].result["created"] == 30  # the new ones, backlog kept
    assert forum_watch.cursor[QUERY]["backlog"][0]["until"] == first.result["backlog"][QUERY][0]["until"]
    while runs[-1].result["truncated"] and len(runs) < 8:
        runs.append(fetch_forum(forum_watch))

    every = {forum_key(stub, post) for post in posts + late}
    assert len(runs) <= 6 and runs[-1].result["truncated"] == []
    assert stored("discourse") == every and sum(run.result["new"] for run in runs) == len(every)
    notes = [note for run in runs for note in run.result["unreachable"]]
    assert notes and all(note.startswith(f"“{QUERY}”: more than 10 pages of posts just after") for note in notes)


def test_given_a_budget_above_10_then_a_window_of_posts_read_already_is_narrowed_not_given_up(stub, forum_watch):
    newest = at_hour(4)
    posts, stub.topics = discourse_crowd(700, word=QUERY, newest=newest, step=timedelta(minutes=1))
    stub.posts = list(posts)
    runs = [fetch_forum(forum_watch, page_budget=15)]  # 10 pages, then 5 of the narrowed window: all read already
    stub.posts[:0] = late = late_posts(posts[0], newest, first=0, count=30)

    while runs[-1].result["truncated"] and len(runs) < 6:
        runs.append(fetch_forum(forum_watch, page_budget=15))

    every = {forum_key(stub, post) for post in posts + late}
    assert [run.result["truncated"] for run in runs] == [[QUERY], [QUERY], []]
    assert stored("discourse") == every and sum(run.result["new"] for run in runs) == len(every)


def test_given_read_posts_deleted_before_a_search_resumes_then_it_reads_the_window_again_rather_than_skip(stub):
    """A resumed search's pages move up when posts on the pages read are deleted: it asks the last page read again,
    and when that page shows no post read already, it starts the window over instead of skipping what moved."""
    newest = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=1)
    posts, stub.topics = discourse_crowd(300, word=QUERY, newest=newest, step=timedelta(minutes=1))
    stub.posts = list(posts)
    connector, since = DiscourseConnector(base_url=stub.url), newest - timedelta(days=3)
    cut = connector.search(QUERY, since=since, max_pages=3)
    assert cut.truncated and cut.resume == {"before": None, "page": 3} and len(cut.posts) == 150
    stub.posts = posts[:20] + posts[80:]  # 60 of the posts read are deleted

    rest = connector.search(
        QUERY, since=since, until=cut.reached, seen=cut.reached_ids, resume=cut.resume, max_pages=10
    )

    assert not rest.truncated and [post.source_id for post in rest.posts] == [
        forum_key(stub, post) for post in posts[150:]
    ]
