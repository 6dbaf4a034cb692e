"""Community listening: Hacker News and Discourse fetched incrementally from stub search APIs on 127.0.0.1 serving
real response shapes (``tests/fixtures/community``), off-topic matches left out, one item per post, a failing query
keeping its cursor, and authors in the community segment until matched to a customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from feedback.community_filter import CommunitySegmentFilter
from feedback.models import FeedbackItem
from feedback.services import assign_customer
from integrations import community
from integrations.connectors.discourse import DiscourseConnector
from integrations.connectors.hackernews import HackerNewsConnector
from integrations.models import CommunityAuthor, CommunityWatch
from tests.factories import make_customer
from tests.integrations.community_stub import HN_PATH, CommunityStub, hn_at, serve

pytestmark = pytest.mark.django_db

QUERIES = ["Mistral AI", "Le Chat", "Codestral", "La Plateforme"]
HN_ON_TOPIC = {"46110931", "46110655", "46110512", "46110402", "46108120", "46105544", "46104410"}


@pytest.fixture
def stub():
    """Both stub APIs, loaded with the fixtures (the newest record an hour old)."""
    api = CommunityStub()
    api.load_hacker_news()
    api.load_discourse()
    server = serve(api)
    yield api
    server.shutdown()
    server.server_close()


@pytest.fixture
def hn_watch(stub):
    return CommunityWatch.objects.create(
        source="hackernews", name="Hacker News", base_url=f"{stub.url}/api/v1", queries=QUERIES
    )


@pytest.fixture
def forum_watch(stub):
    return CommunityWatch.objects.create(source="discourse", name="Forum", base_url=stub.url, queries=QUERIES)


def fetch_hn(watch: CommunityWatch) -> community.WatchOutcome:
    """A fetch with two hits a page, so every query pages."""
    return community.fetch_watch(watch=watch, connector=HackerNewsConnector(base_url=watch.base_url, hits_per_page=2))


def fetch_forum(watch: CommunityWatch, stub: CommunityStub) -> community.WatchOutcome:
    stub.per_page = 2
    return community.fetch_watch(watch=watch, connector=DiscourseConnector(base_url=watch.base_url))


def hn_requests(stub: CommunityStub, query: str) -> list[dict]:
    return [params for path, params in stub.seen if path == HN_PATH and params["query"] == query]


# --- Hacker News ------------------------------------------------------------------------------------------------------


def test_given_a_first_fetch_then_posts_naming_a_query_become_one_item_each_and_fuzzy_matches_are_left_out(
    stub, hn_watch
):
    outcome = fetch_hn(hn_watch)

    items = FeedbackItem.objects.filter(source="hackernews")
    result = outcome.result
    assert outcome.status == community.SUCCEEDED
    assert set(items.values_list("source_id", flat=True)) == HN_ON_TOPIC  # not 46110877: the mistral wind and "AI"
    assert (result["fetched"], result["off_topic"], result["duplicates"], result["created"]) == (10, 1, 2, 7)
    assert result["queries"]["Mistral AI"] == {"fetched": 5, "new": 5, "off_topic": 1}
    assert not items.filter(customer__isnull=False).exists()
    first = hn_requests(stub, "Mistral AI")
    assert [params["page"] for params in first] == ["0", "1", "2"]  # five hits, two a page
    assert first[0]["tags"] == "(story,comment)" and first[0]["hitsPerPage"] == "2"
    lookback = int((timezone.now() - community.INITIAL_LOOKBACK).timestamp())
    assert abs(int(first[0]["numericFilters"].removeprefix("created_at_i>=")) - lookback) < 60
    comment = items.get(source_id="46110655")
    assert comment.verbatim.startswith("La Plateforme's usage dashboard still lags two days behind")  # HTML decoded
    assert set(comment.tags) == {"community", "mentions:mistral-ai", "mentions:la-plateforme"}
    assert comment.source_url == "https://news.ycombinator.com/item?id=46110655"
    assert comment.raw_payload["_community"]["author"] == "pmarsh"
    story = items.get(source_id="46105544")
    assert story.summary == "Ask HN: Anyone using Mistral AI in production for EU data residency?"
    assert "clinical note summarisation" in story.verbatim
    assert dict(CommunityAuthor.objects.filter(source="hackernews").values_list("handle", "posts")) == {
        "kvs": 2,
        "pmarsh": 1,
        "throwaway_ml": 1,
        "jdoe_dev": 1,
        "founder_anna": 1,
        "rgbrenner": 1,
    }


def test_given_a_second_fetch_then_it_asks_from_the_cursor_and_takes_only_the_new_posts(stub, hn_watch):
    fetch_hn(hn_watch)
    hn_watch.refresh_from_db()
    codestral = hn_watch.cursor["Codestral"]
    newest = datetime.fromisoformat(codestral["newest"])
    template = next(hit for hit in stub.hn_hits if hit["objectID"] == "46110931")
    stub.hn_hits += [
        hn_at(template, newest, objectID="46110932", author="newbie"),  # the same second as the cursor, not seen yet
        hn_at(template, newest + timedelta(minutes=5), objectID="46120001"),
    ]
    stub.seen.clear()

    outcome = fetch_hn(hn_watch)

    assert codestral["ids"] == ["46110931"]
    assert hn_requests(stub, "Codestral")[0]["numericFilters"] == f"created_at_i>={int(newest.timestamp())}"
    assert (outcome.result["created"], outcome.result["already_stored"]) == (2, 0)
    assert outcome.result["queries"]["Codestral"] == {"fetched": 2, "new": 2, "off_topic": 0}  # 46110931 left out
    assert FeedbackItem.objects.filter(source="hackernews").count() == 9
    assert CommunityAuthor.objects.get(handle="kvs").posts == 3
    hn_watch.refresh_from_db()
    assert hn_watch.cursor["Codestral"]["ids"] == ["46120001"]

    again = fetch_hn(hn_watch)

    assert again.result["created"] == 0 and again.result["new"] == 0


def test_given_the_same_post_on_two_watches_then_it_is_one_item_and_goes_back_to_no_triage(stub, hn_watch):
    fetch_hn(hn_watch)
    other = CommunityWatch.objects.create(
        source="hackernews", name="HN: Codestral", base_url=hn_watch.base_url, queries=["Codestral"]
    )

    outcome = fetch_hn(other)

    assert (outcome.result["already_stored"], outcome.result["created"]) == (3, 0)
    assert FeedbackItem.objects.filter(source="hackernews").count() == 7


def test_given_a_query_answered_with_a_500_then_its_cursor_stays_the_others_move_and_the_next_run_catches_up(
    stub, hn_watch
):
    stub.fail = lambda path, params: (500, b'{"message":"Internal"}') if params.get("query") == "Le Chat" else None

    outcome = fetch_hn(hn_watch)

    hn_watch.refresh_from_db()
    assert outcome.status == community.PARTIAL
    assert "Le Chat" not in hn_watch.cursor and set(hn_watch.cursor) == {"Mistral AI", "Codestral", "La Plateforme"}
    assert "Le Chat: Hacker News search for “Le Chat”: GET search_by_date: HTTP 500" in hn_watch.last_error
    assert not FeedbackItem.objects.filter(source_id="46110512").exists()
    stub.fail = None

    later = fetch_hn(hn_watch)

    hn_watch.refresh_from_db()
    assert later.status == community.SUCCEEDED and hn_watch.last_error == ""
    assert later.result["created"] == 1 and FeedbackItem.objects.filter(source_id="46110512").exists()


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ((429, b'{"message":"Too many requests"}'), "rate limited (HTTP 429); the next run tries again"),
        ((200, b"<html><body>Gateway maintenance</body></html>"), "the answer is not JSON"),
        ((200, b'{"message":"no hits here"}'), "unexpected answer (no list of hits)"),
    ],
)
def test_given_the_vendor_refusing_or_answering_garbage_then_the_error_is_stored_and_nothing_moves(
    stub, hn_watch, failure, message
):
    stub.fail = lambda path, params: failure

    outcome = fetch_hn(hn_watch)

    hn_watch.refresh_from_db()
    assert outcome.status == community.FAILED
    assert hn_watch.cursor == {} and message in hn_watch.last_error
    assert not FeedbackItem.objects.filter(source="hackernews").exists()


# --- Discourse --------------------------------------------------------------------------------------------------------


def test_given_a_forum_then_pages_are_read_cut_blurbs_fetched_whole_and_quotes_are_not_the_authors_words(
    stub, forum_watch
):
    outcome = fetch_forum(forum_watch, stub)

    items = FeedbackItem.objects.filter(source="discourse")
    searched = [params for path, params in stub.seen if path == "/search.json"]
    whole = sorted(path for path, _ in stub.seen if path.startswith("/posts/"))
    host = stub.url.removeprefix("http://")
    assert outcome.status == community.SUCCEEDED
    assert sorted(items.values_list("source_id", flat=True)) == [f"{host}:{n}" for n in (5101, 5102, 5111, 5113)]
    assert (outcome.result["fetched"], outcome.result["off_topic"]) == (5, 1)  # 5104 only quotes "Codestral"
    assert whole == ["/posts/5102.json", "/posts/5104.json"]  # the two cut blurbs, nothing else
    codestral = [params for params in searched if params["q"].startswith("Codestral ")]
    since = (timezone.now() - community.INITIAL_LOOKBACK - timedelta(days=1)).date()
    assert codestral[0]["q"] == f"Codestral after:{since.isoformat()} order:latest"
    assert [params["page"] for params in codestral] == ["1", "2"]
    assert any(params["q"].startswith('"Le Chat" after:') for params in searched)
    reply = items.get(source_id=f"{host}:5102")
    assert reply.verbatim.startswith("Hello, we see the same with Codestral in JetBrains")
    assert "marta_dev" not in reply.verbatim and "ticket 88213" in reply.verbatim
    assert reply.source_url == f"{stub.url}/t/codestral-completions-stop-after-4k-tokens/812/2"
    assert items.get(source_id=f"{host}:5111").summary == "La Plateforme: API keys scoped per project?"


def test_given_a_new_forum_post_then_the_next_fetch_asks_from_the_cursor_day_and_takes_only_it(stub, forum_watch):
    fetch_forum(forum_watch, stub)
    forum_watch.refresh_from_db()
    newest = datetime.fromisoformat(forum_watch.cursor["Codestral"]["newest"])
    stub.posts.append(
        {**stub.posts[-1], "id": 5120, "username": "jlk", "post_number": 4, "blurb": "Codestral 2.1 fixed it for us."}
        | {"created_at": (newest + timedelta(minutes=3)).astimezone(UTC).isoformat().replace("+00:00", "Z")}
    )
    stub.seen.clear()

    outcome = fetch_forum(forum_watch, stub)

    searched = [params["q"] for path, params in stub.seen if path == "/search.json"]
    assert f"Codestral after:{(newest - timedelta(days=1)).date().isoformat()} order:latest" in searched
    assert (outcome.result["created"], outcome.result["new"]) == (1, 1)
    assert not [path for path, _ in stub.seen if path.startswith("/posts/")]  # nothing re-read whole
    assert CommunityAuthor.objects.get(source="discourse", handle="jlk").posts == 2


# --- Authors and the community segment ------------------------------------------------------------------------------


def segment(value: str) -> set[str]:
    chosen = CommunitySegmentFilter(None, {"segment": [value]}, FeedbackItem, None)
    return set(chosen.queryset(None, FeedbackItem.objects.all()).values_list("source_id", flat=True))


def test_given_an_author_matched_to_a_customer_then_their_items_carry_it_and_the_others_stay_community(stub, hn_watch):
    fetch_hn(hn_watch)
    acme = make_customer(name="Acme")
    kvs = CommunityAuthor.objects.get(source="hackernews", handle="kvs")

    changed = community.match_author(author=kvs, customer=acme)

    assert changed == 2
    assert segment("community_matched") == {"46110931", "46108120"}
    assert segment("community") == HN_ON_TOPIC - {"46110931", "46108120"}
    template = next(hit for hit in stub.hn_hits if hit["objectID"] == "46110931")
    stub.hn_hits.append(hn_at(template, timezone.now() - timedelta(minutes=2), objectID="46130000"))

    outcome = fetch_hn(hn_watch)

    assert outcome.result["matched_items"] == 1
    assert FeedbackItem.objects.get(source_id="46130000").customer == acme


def test_given_an_author_unmatched_then_items_a_person_attributed_elsewhere_keep_their_customer(stub, hn_watch):
    fetch_hn(hn_watch)
    acme, initech = make_customer(name="Acme"), make_customer(name="Initech")
    kvs = CommunityAuthor.objects.get(source="hackernews", handle="kvs")
    community.match_author(author=kvs, customer=acme)
    assign_customer(item=FeedbackItem.objects.get(source_id="46108120"), customer=initech)

    changed = community.match_author(author=kvs, customer=None)

    assert changed == 1
    assert FeedbackItem.objects.get(source_id="46110931").customer is None
    assert FeedbackItem.objects.get(source_id="46108120").customer == initech
    assert segment("not_community") == set()


def test_given_the_mention_rule_then_phrases_count_whole_words_in_any_case_and_scattered_words_do_not():
    from integrations.connectors.community_base import mentions

    assert mentions("we love le-chat and LA  PLATEFORME", QUERIES) == ["Le Chat", "La Plateforme"]
    assert mentions("The mistral wind; our AI autopilot", QUERIES) == []
    assert mentions("Codestrals everywhere, lechat", QUERIES) == []
