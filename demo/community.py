"""Demo: community listening — a Hacker News watch and a Discourse forum watch with the brand and product queries,
a dozen public posts of the last two weeks taken in through ``integrations.community.take_in`` (the door a fetch
uses: ingestion, triage, authors), and one author matched to a demo customer so the "community, matched" segment is
not empty.

The Hacker News watch points at the real public API (``listen_community`` fetches it when the machine is online; an
offline fetch stores its error on the watch and loses nothing); the forum is a demo address and its watch is off.
Demo posts have ``demo-`` source ids (no real post has one) and their items carry ``demo.safety.PAYLOAD_MARK``.
Idempotent: posts already stored are skipped, and an author already matched keeps their customer.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from customers.models import Customer
from demo.safety import PAYLOAD_MARK
from feedback.models import FeedbackItem
from integrations import community
from integrations.connectors.community_base import CommunityPost
from integrations.models import CommunityAuthor, CommunityWatch

MARK = "community"
QUERIES = ["Mistral AI", "Le Chat", "Codestral", "La Plateforme"]
FORUM = "https://forum.mistral.demo.example"
FORUM_HOST = "forum.mistral.demo.example"
MATCHED_AUTHOR = "kvs"  # the HN author matched to a demo customer (the first by name)
# (hours ago, author, story title or "" for a comment, text, thread)
HN_POSTS = [
    (
        5,
        "kvs",
        "",
        "We moved our autocomplete from Copilot to Codestral last month. Latency is great, but the VS Code "
        "extension drops the repository context after each reload; re-indexing a 2 GB monorepo every morning kills the "
        "gain.",
        "Mistral AI releases Codestral 2 with a 256k context window",
    ),
    (
        9,
        "pmarsh",
        "",
        "La Plateforme's usage dashboard lags two days behind, which makes budget alerts useless. "
        "Otherwise Mistral AI is the cheapest way we found to run our eval suite.",
        "Mistral AI releases Codestral 2",
    ),
    (
        30,
        "throwaway_ml",
        "",
        "Le Chat's canvas is nice, but there is no way to export it to Markdown: I copy and "
        "paste every section by hand.",
        "Ask HN: What do you use for writing specs with an LLM?",
    ),
    (
        54,
        "founder_anna",
        "Ask HN: Anyone using Mistral AI in production for EU data residency?",
        "We are a Berlin health-tech start-up evaluating Mistral AI for clinical note summarisation. "
        "Do fine-tuned models stay in the EU region, and can we get a DPA without the enterprise plan?",
        "",
    ),
    (
        80,
        "kvs",
        "",
        "Mistral AI's function calling returns malformed JSON about once in fifty calls (a trailing comma "
        "in nested arrays). We retry, but it doubles our p99.",
        "Which LLM APIs are you using in production?",
    ),
    (
        130,
        "rgbrenner",
        "",
        "Codestral FIM is great for Python, but on Kotlin it keeps closing brackets that are already closed.",
        "Code completion models compared on JVM languages",
    ),
    (
        200,
        "eu_cto",
        "",
        "We picked Mistral AI over the US providers for data residency alone; the models being good "
        "was a bonus. Rate limits on La Plateforme are the one thing we keep hitting.",
        "European AI sovereignty",
    ),
]
FORUM_POSTS = [
    (
        3,
        "nadia.k",
        1,
        "Le Chat voice mode loses French accents",
        "Le Chat in French voice mode drops the accents: "
        "« ecole » instead of « école », which breaks our search afterwards.",
    ),
    (
        20,
        "ops_at_initech",
        1,
        "La Plateforme: API keys scoped per project?",
        "Is there a way to have one API key per "
        "project on La Plateforme? Today every key sees every workspace, and our auditors flag it.",
    ),
    (
        44,
        "marta_dev",
        1,
        "Codestral completions stop after 4k tokens",
        "Codestral completions stop after roughly 4k "
        "tokens of context in VS Code. Is the 256k window only for the API?",
    ),
    (
        41,
        "jlk",
        2,
        "Codestral completions stop after 4k tokens",
        "We see the same with Codestral in JetBrains: "
        "completions stop mid-function once the file is longer than about 4,000 tokens. 40 developers affected.",
    ),
    (
        100,
        "li.wei",
        1,
        "Fine-tuning on La Plateforme fails with a vague error",
        "Fine-tuning jobs on La Plateforme "
        "fail after validation with 'internal error' and no detail; the same JSONL works with another provider.",
    ),
]


def load(stdout) -> dict[str, int]:
    """Create the watches, take the posts in, match one author; returns the counts."""
    now = timezone.now().replace(microsecond=0)
    hn = _watch("hackernews", "Hacker News: Mistral brand and products", "https://hn.algolia.com/api/v1", True)
    forum = _watch("discourse", "Community forum (demo)", FORUM, False)
    hn_result = community.take_in(
        watch=hn, posts=[_hn_post(now, number, *post) for number, post in enumerate(HN_POSTS)]
    )
    forum_result = community.take_in(
        watch=forum, posts=[_forum_post(now, number, *post) for number, post in enumerate(FORUM_POSTS)]
    )
    marked = _mark(FeedbackItem.objects.filter(source__in=["hackernews", "discourse"], source_id__contains="demo-"))
    matched = _match_one()
    counts = {
        "community items": hn_result["created"] + forum_result["created"],
        "community authors": CommunityAuthor.objects.count(),
        "items matched through their author": matched,
        "marked": marked,
    }
    stdout.write(
        f"Community: 2 watches; {counts['community items']} posts taken in ({hn_result['already_stored']} + "
        f"{forum_result['already_stored']} already there), {counts['community authors']} authors, "
        f"{matched} items matched to a customer through their author"
    )
    return counts


def _watch(source: str, name: str, base_url: str, enabled: bool) -> CommunityWatch:
    watch, _ = CommunityWatch.objects.get_or_create(
        source=source, base_url=base_url, defaults={"name": name, "queries": QUERIES, "enabled": enabled}
    )
    return watch


def _hn_post(now, number: int, hours: int, author: str, title: str, text: str, thread: str) -> CommunityPost:
    object_id = f"demo-{number + 1}"
    raw = {"objectID": object_id, "author": author, "_tags": ["story" if title else "comment", f"author_{author}"]}
    return CommunityPost(
        source="hackernews",
        source_id=object_id,
        author=author,
        created_at=now - timedelta(hours=hours),
        text=f"{title}\n\n{text}" if title else text,
        summary=title,
        title=title or thread,
        url=f"https://news.ycombinator.com/item?id={object_id}",
        profile_url=f"https://news.ycombinator.com/user?id={author}",
        raw=raw | ({"title": title, "story_text": text} if title else {"comment_text": text, "story_title": thread}),
    )


def _forum_post(now, number: int, hours: int, username: str, post_number: int, title: str, text: str) -> CommunityPost:
    post_id = f"demo-{number + 1}"
    return CommunityPost(
        source="discourse",
        source_id=f"{FORUM_HOST}:{post_id}",
        author=username,
        created_at=now - timedelta(hours=hours),
        text=text,
        summary=title if post_number == 1 else "",
        title=title,
        url=f"{FORUM}/p/{post_id}",
        profile_url=f"{FORUM}/u/{username}",
        raw={"id": post_id, "username": username, "post_number": post_number, "blurb": text[:200]},
    )


def _mark(items) -> int:
    """Mark the community items of the demo as demo data (``demo.safety``), so ``load_demo --reset`` may clear them."""
    rows = [item for item in items.only("raw_payload") if PAYLOAD_MARK not in item.raw_payload]
    for item in rows:
        item.raw_payload = {**item.raw_payload, PAYLOAD_MARK: MARK}
    FeedbackItem.objects.bulk_update(rows, ["raw_payload"])
    return len(rows)


def _match_one() -> int:
    """Match ``MATCHED_AUTHOR`` to the first demo customer by name (once: a matched author keeps their customer)."""
    author = CommunityAuthor.objects.filter(source="hackernews", handle=MATCHED_AUTHOR, customer__isnull=True).first()
    customer = Customer.objects.order_by("name").first()
    if author is None or customer is None:
        return 0
    return community.match_author(author=author, customer=customer)
