"""The weekly digest (seed 001, "Weekly Digest"; issue 9): one for the product channel, one per account owner.

``write_weekly_digests(period_end)`` reads the week's figures once for the whole book (``digest_facts``,
``digest_owner_facts``), then writes each digest: Mistral (mistral-large) when it is the configured provider, from the
facts and the prompt ``ai/prompts/digest.txt``; otherwise, or when Mistral fails (logged), the hub's templates
(``notifications/templates/notifications/digest_*.md``) from the same facts. Each digest is stored (``Digest``: the
Markdown, the facts, the writer, the word count) and put in the outbox in one transaction: the product digest to the
product Slack channel (mrkdwn and Block Kit), an owner's by email (Markdown reads as plain text).

The week. Digests go out on Fridays (beat, 16:00 UTC) and cover the seven full days before: Friday to Thursday, so
every item is in exactly one digest, whatever the time the job runs that Friday (``default_period_end``). A digest is
written once per week and audience (``Digest``'s unique constraint; outbox keys ``digest:<period_end>:product`` and
``digest:<period_end>:owner:<id>``): running the job again writes and sends nothing already written.

Under 500 words. A template digest that comes out longer is rendered again with shorter lists (``TRIM_ORDER``: the
least decisive first, down to each list's minimum); a provider's digest over the limit is refused and the template one
used (``ai.providers.mistral.digest_text``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ai.types import DIGEST_WORD_LIMIT, DigestFacts, word_count
from notifications import digest_facts, digest_owner_facts
from notifications.choices import Channel, DigestAudience, Kind
from notifications.digest_markup import to_slack_blocks, to_slack_text
from notifications.models import Digest
from notifications.services import enqueue

logger = logging.getLogger(__name__)

DIGEST_WEEKDAY = 4  # Friday: the digest covers the seven days before it (seed 001: "Weekly (Fridays) Send digest")
OFFLINE_WRITER = "offline (templates)"
# List lengths of a template digest, and the shortest each may become when the words run out.
LIMITS = {
    "decisions": (4, 1),
    "top_themes": (5, 3),
    "coverage": (3, 0),
    "high_value": (3, 0),
    "churn": (3, 0),
    "wins": (2, 0),
    "expansions": (2, 0),
    "verbatims": (3, 2),
    "verbatim_words": (60, 25),
    "shipped": (3, 1),
    "told": (5, 0),
    "asked": (3, 1),
    "to_tell": (3, 1),
}
# Which list gives way first when a digest is too long: what a reader can find elsewhere before what needs a decision.
TRIM_ORDER = [
    "told",
    "expansions",
    "wins",
    "high_value",
    "shipped",
    "coverage",
    "churn",
    "asked",
    "to_tell",
    "verbatim_words",
    "top_themes",
    "decisions",
    "verbatims",
]
TRIM_STEP = {"verbatim_words": 10}


def default_period_end(today: date | None = None) -> date:
    """The Thursday before the last Friday on or before ``today``: the week the last Friday's digest covers."""
    today = today or timezone.localdate()
    friday = today - timedelta(days=(today.weekday() - DIGEST_WEEKDAY) % 7)
    return friday - timedelta(days=1)


def period_for(period_end: date) -> digest_facts.Period:
    return digest_facts.Period(start=period_end - timedelta(days=6), end=period_end)


def week_text(period: digest_facts.Period) -> str:
    """``4–10 Dec 2026`` (``28 Nov – 4 Dec 2026`` across months)."""
    start, end = period.start, period.end
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%b %Y}"
    return f"{start.day} {start:%b} – {end.day} {end:%b %Y}" if start.year == end.year else f"{start} – {end}"


def public(value):
    """``value`` without the keys starting with ``_`` (the rows' owners): what is stored and what a provider reads."""
    if isinstance(value, dict):
        return {key: public(item) for key, item in value.items() if not key.startswith("_")}
    if isinstance(value, list):
        return [public(item) for item in value]
    return value


def tidy(markdown: str) -> str:
    """Template output as clean Markdown: no trailing spaces, one blank line around headings, none inside a list."""
    lines: list[str] = []
    for line in markdown.splitlines():
        line = line.rstrip()
        if not line and (not lines or not lines[-1]):
            continue
        if line.startswith("- ") and len(lines) >= 2 and not lines[-1] and lines[-2].startswith("- "):
            lines.pop()
        if line and lines and lines[-1].startswith("#"):
            lines.append("")
        lines.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def render_template_digest(template: str, *, title: str, facts: dict, word_limit: int = DIGEST_WORD_LIMIT) -> str:
    """The template digest under ``word_limit`` words: rendered with the full lists, then shorter ones if needed."""
    limits = {key: full for key, (full, _) in LIMITS.items()}
    while True:
        text = tidy(render_to_string(template, {"title": title, "f": facts, "limits": limits}))
        if word_count(text) < word_limit:
            return text
        for key in TRIM_ORDER:
            if limits[key] > LIMITS[key][1]:
                limits[key] = max(LIMITS[key][1], limits[key] - TRIM_STEP.get(key, 1))
                break
        else:  # every list at its minimum and still too long (never seen: each line is bounded); cut it
            logger.warning("Template digest %r still %d words at the shortest lists; cut", title, word_count(text))
            return cut_to_words(text, word_limit - 1)


def cut_to_words(text: str, limit: int) -> str:
    kept, count = [], 0
    for line in text.splitlines():
        count += word_count(line)
        if count > limit:
            break
        kept.append(line)
    return "\n".join(kept).strip() + "\n"


@dataclass(frozen=True)
class Written:
    body: str
    writer: str


def compose(*, provider, audience: str, period, title: str, facts: dict, recipient: str, template: str) -> Written:
    """The digest's Markdown, by the provider when it writes digests, else (or when it fails) by the templates."""
    if provider is not None:
        title_words = word_count(f"# {title}")
        draft = provider.write_digest(
            DigestFacts(
                audience=audience,
                period_start=period.start.isoformat(),
                period_end=period.end.isoformat(),
                sections=facts,
                recipient=recipient,
                word_limit=DIGEST_WORD_LIMIT - title_words - 1,
            )
        )
        if draft is not None:
            return Written(body=f"# {title}\n\n{draft.text.strip()}\n", writer=draft.model)
        logger.warning("The %s digest of %s is written from the templates (the provider wrote none)", audience, title)
    return Written(body=render_template_digest(template, title=title, facts=facts), writer=OFFLINE_WRITER)


def digest_provider():
    """The provider that writes digests: the configured one unless it is the offline provider (its answer is the
    templates, so its models are not even loaded)."""
    if settings.AI_PROVIDER == "offline":
        return None
    from ai.providers import get_provider

    provider = get_provider()
    return provider if hasattr(provider, "write_digest") else None


def write_weekly_digests(period_end: date | None = None, *, provider=None) -> list[Digest]:
    """Write, store and send the week's digests not written yet; returns those this call wrote.

    ``period_end``: the last day covered (default: the Thursday before the last Friday). ``provider``: the writer
    (default: the configured provider; ``digest_provider``).
    """
    period = period_for(period_end or default_period_end())
    provider = provider if provider is not None else digest_provider()
    done = set(Digest.objects.filter(period_end=period.end).values_list("audience", "owner_id"))
    previous = (
        Digest.objects.filter(audience=DigestAudience.PRODUCT, period_end__lt=period.end)
        .order_by("-period_end")
        .values("facts", "period_end")
        .first()
    ) or {"facts": None, "period_end": None}
    week = digest_facts.read_week(period, previous=previous["facts"], previous_end=previous["period_end"])
    owner_sections = digest_owner_facts.read_owner_sections(period)
    written = []
    when = week_text(period)
    if (DigestAudience.PRODUCT, None) not in done:
        facts = public(week.product())
        title = f"Weekly digest: {when}"
        text = compose(
            provider=provider,
            audience=DigestAudience.PRODUCT,
            period=period,
            title=title,
            facts=facts,
            recipient="",
            template="notifications/digest_product.md",
        )
        written += store(
            period=period, audience=DigestAudience.PRODUCT, owner=None, title=title, facts=facts, text=text
        )
    owners = (
        get_user_model()
        .objects.filter(pk__in=digest_owner_facts.owners(week, owner_sections), is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    for owner in owners:
        if (DigestAudience.ACCOUNT_OWNER, owner.pk) in done:
            continue
        name = owner.get_full_name() or owner.get_username()
        facts = public(digest_owner_facts.owner_facts(week, owner_sections, owner.pk))
        title = f"Your accounts this week: {when}"
        text = compose(
            provider=provider,
            audience=DigestAudience.ACCOUNT_OWNER,
            period=period,
            title=title,
            facts=facts,
            recipient=name,
            template="notifications/digest_owner.md",
        )
        written += store(
            period=period, audience=DigestAudience.ACCOUNT_OWNER, owner=owner, title=title, facts=facts, text=text
        )
    return written


def store(*, period, audience: str, owner, title: str, facts: dict, text: Written) -> list[Digest]:
    """Save the digest and its outbox message together, once per week and audience (a second writer finds it)."""
    with transaction.atomic():
        digest, created = Digest.objects.get_or_create(
            period_end=period.end,
            audience=audience,
            owner=owner,
            defaults={
                "period_start": period.start,
                "title": title,
                "body": text.body,
                "facts": facts,
                "writer": text.writer[:80],
                "word_count": word_count(text.body),
            },
        )
        if not created:
            return []
        if owner is None:
            enqueue(
                key=f"digest:{period.end}:product",
                kind=Kind.DIGEST,
                channel=Channel.SLACK,
                recipient=settings.PRODUCT_CHANNEL,
                subject=title,
                body=to_slack_text(text.body),
                blocks=to_slack_blocks(text.body, title=title),
            )
        else:
            enqueue(
                key=f"digest:{period.end}:owner:{owner.pk}",
                kind=Kind.DIGEST,
                channel=Channel.EMAIL,
                recipient=owner.email,
                subject=title,
                body=text.body,
            )
    return [digest]


def queue_weekly_digests() -> bool:
    """Send the digest job to a worker now (the admin's button); False when the broker is unreachable."""
    from notifications import tasks

    try:
        tasks.write_weekly_digests.delay()
    except Exception:  # noqa: BLE001 — kombu raises several kinds of connection errors; the caller says so plainly
        logger.warning("weekly digests not queued: broker unreachable", exc_info=True)
        return False
    return True
