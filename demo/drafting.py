"""Feedback drafting: what customers say, through which source, and what triage made of it, consistently.

``FeedbackFactory`` draws ``Draft`` items from the vocabulary's topics: the account that says it (segments that care
about the topic say it more), the words (filled templates, in the account's language for written sources), the
source's framing and ids, the triage fields (category, severity, seed 002's priority score, sentiment) and theme links.
It touches no database: the demo turns drafts into model instances, the scale loader into COPY rows.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from ai import lexicon
from customers.choices import Language, Lifecycle, Region, Tier
from demo.accounts import Account
from demo.draw import Weighted, ascii_slug, midnight
from demo.safety import PAYLOAD_MARK
from demo.slots import Slots
from demo.sources import SourceIds
from demo.vocabulary import VOCABULARY as V
from demo.vocabulary import Topic
from feedback import priority
from feedback.choices import Category, Priority, Sentiment, Source, Status

DUPLICATE_SHARE = 0.05
UNTRIAGED_SHARE = 0.105
THEME_LINK_SHARE = 0.8  # share of triaged items of a themed topic that a PM linked to the theme
FOREIGN_LANGUAGE_SHARE = 0.5  # share of a French/German account's written feedback in its own language

ACCOUNT_FEEDBACK_WEIGHT = {
    Tier.STRATEGIC_PARTNER: 4.0,
    Tier.ENTERPRISE: 2.5,
    Tier.MID_MARKET: 1.2,
    Tier.STARTUP: 0.7,
}
LIFECYCLE_FEEDBACK_WEIGHT = {
    Lifecycle.PROSPECT: 0.35,
    Lifecycle.ONBOARDING: 0.9,
    Lifecycle.ACTIVE: 1.0,
    Lifecycle.AT_RISK: 1.4,
    Lifecycle.CHURNED: 0.5,
    Lifecycle.EXPANSION: 1.2,
}
# Business hours (UTC) of each region, for believable received_at times.
REGION_UTC_HOURS = {
    Region.NORTH_AMERICA: (13, 24),
    Region.EUROPE: (7, 17),
    Region.UK: (8, 18),
    Region.APAC: (0, 10),
    Region.LATAM: (12, 22),
    Region.MIDDLE_EAST: (5, 15),
}
NO_CUSTOMER_SHARE = {Source.GITHUB: 0.55}  # community issues come from people who are not (known) customers
DEFAULT_NO_CUSTOMER_SHARE = 0.02
UNTRIAGED_WINDOW_DAYS = 30  # untriaged items are the recent ones
CHURN_FROM_AT_RISK = 0.7  # share of churn signals that come from accounts already at risk


def _affinity(topic: Topic, account: Account) -> float:
    """How much more often ``account`` raises ``topic`` than an average account (product of its segment factors)."""
    factor = 1.0
    for attribute, weights in topic.affinity.items():
        factor *= weights.get(getattr(account, attribute), 1.0)
    return factor


@dataclass(slots=True)
class Draft:
    """One generated feedback item before it becomes a row."""

    topic: str
    body: str  # the customer's words, without the framing of the source
    language: str
    account: Account | None
    received_at: datetime
    source: str
    source_id: str
    source_url: str
    verbatim: str
    summary: str
    reporter_email: str
    category: str
    product: str
    product_area: str
    severity: str
    priority: str
    sentiment_score: float | None
    sentiment_label: str
    tags: list[str]
    status: str
    raw_payload: dict
    triaged_at: datetime | None
    themes: tuple = ()
    churn_signal: bool = False  # a churn-signal category or a churn cue in the words (``ai.lexicon.churn_cues``)

    @property
    def triaged(self) -> bool:
        """Whether the triage has processed the item."""
        return self.triaged_at is not None

    def model_fields(self) -> dict[str, Any]:
        """Keyword arguments of the ``FeedbackItem`` (duplicate_of and themes aside). A triaged draft carries what
        triage sets beside the category: its language, the churn flag and the competitors it names (``ai.lexicon``, as
        the offline triage finds them); an untriaged one leaves them for the triage."""
        triaged = self.triaged_at is not None
        return {
            "language": self.language if triaged else "",
            "churn_signal": triaged and self.churn_signal,
            "competitors": lexicon.competitors_in(self.verbatim) if triaged else [],
            "received_at": self.received_at,
            "source": self.source,
            "source_id": self.source_id,
            "source_url": self.source_url,
            "verbatim": self.verbatim,
            "summary": self.summary,
            "reporter_email": self.reporter_email,
            "customer_id": self.account.id if self.account else None,
            "category": self.category,
            "product": self.product,
            "product_area": self.product_area,
            "severity": self.severity,
            "priority": self.priority,
            "sentiment_score": self.sentiment_score,
            "sentiment_label": self.sentiment_label,
            "tags": self.tags,
            "status": self.status,
            "raw_payload": self.raw_payload,
            "triaged_at": self.triaged_at,
        }


PRIORITY_LEVELS = (Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL)


def priority_for(*, severity: str, account: Account | None, churn_signal: bool, rng: random.Random) -> str:
    """Seed 002's priority, by the hub's own formula (``feedback.priority``), as triage sets it; then a PM moves
    ~8 % of them one level, as people do."""
    customer = None
    if account is not None:
        customer = SimpleNamespace(
            tier=account.tier, arr=account.arr, lifecycle_stage=account.lifecycle, health_score=account.health
        )
    computed = priority.priority_for(severity=severity, customer=customer, churn_signal=churn_signal)
    level = PRIORITY_LEVELS.index(computed.priority)
    if rng.random() < 0.08:
        level = min(3, max(0, level + rng.choice((-1, 1))))
    return PRIORITY_LEVELS[level]


class FeedbackFactory:
    """Draws feedback items: topic, account, words, source, triage fields and theme links, consistently.

    ``themes_by_topic`` maps a topic key to the themes it feeds as ``(theme reference, theme status)``; the
    reference (a Theme or an id) is handed back in ``Draft.themes``. Every raw payload carries the demo's mark
    (``safety.PAYLOAD_MARK``) with ``mark``, the name of the generator, as its value.
    """

    def __init__(
        self,
        *,
        rng: random.Random,
        accounts: Sequence[Account],
        today: date,
        themes_by_topic: Mapping[str, Sequence[tuple[Any, str]]],
        id_prefix: str = "",
        untriaged_share: float = UNTRIAGED_SHARE,
        mark: str = "load_demo",
    ):
        self.rng, self.accounts, self.themes_by_topic, self.mark = rng, accounts, themes_by_topic, mark
        self.anchor = midnight(today)
        self.untriaged_share = untriaged_share
        self.ids = SourceIds(rng=rng, prefix=id_prefix)
        self.topics = Weighted({topic: topic.weight for topic in V.topics})
        base = [ACCOUNT_FEEDBACK_WEIGHT[a.tier] * LIFECYCLE_FEEDBACK_WEIGHT[a.lifecycle] for a in accounts]
        self.account_picker = Weighted(dict(enumerate(base))) if accounts else None
        # Each topic comes more from the segments it matters to (on-prem from governments, Codestral from developers).
        self.topic_accounts = {
            topic.key: Weighted(
                {index: weight * _affinity(topic, accounts[index]) for index, weight in enumerate(base)}
            )
            for topic in V.topics
            if accounts and topic.affinity
        }
        at_risk = {index: weight for index, weight in enumerate(base) if accounts[index].at_risk}
        self.at_risk_accounts = Weighted(at_risk) if at_risk else None
        self.sources = {
            (topic.key, category): Weighted({s: w for s, w in weights.items() if s not in topic.exclude_sources})
            for topic in V.topics
            for category, weights in V.source_weights_by_category.items()
        }
        self.written_sources = {
            category: Weighted(
                {s: w for s, w in weights.items() if s in V.customer_written_sources} or {Source.EMAIL: 1}
            )
            for category, weights in V.source_weights_by_category.items()
        }
        self.severities = {category: Weighted(w) for category, w in V.severity_weights_by_category.items()}
        self.statuses = {status: Weighted(w) for status, w in V.status_weights_by_theme_status.items()}
        self.signal_statuses = Weighted(V.status_weights_of_signals)
        self.products = {topic.key: Weighted(topic.products) for topic in V.topics}
        self.areas = {topic.key: Weighted(topic.areas) for topic in V.topics}
        self.tag_sets = {  # every choice of 1 to 3 of the topic's tags
            topic.key: [combo for size in (1, 2, 3) for combo in itertools.combinations(topic.tags, size)]
            for topic in V.topics
        }

    def restart(self, *, rng: random.Random, id_prefix: str) -> None:
        """Continue with another random stream and another source-id prefix (one chunk of scale data)."""
        self.rng = rng
        self.ids = SourceIds(rng=rng, prefix=id_prefix)

    # -- one item

    def make(self) -> Draft:
        """A new original item."""
        rng = self.rng
        topic: Topic = self.topics.pick(rng)
        picker = self.topic_accounts.get(topic.key, self.account_picker)
        account = self.accounts[picker.pick(rng)] if picker else None
        language = Language.ENGLISH
        foreign = getattr(topic, account.language, ()) if account and account.language in ("fr", "de") else ()
        if foreign and rng.random() < FOREIGN_LANGUAGE_SHARE:
            body, language = rng.choice(foreign), account.language
            source = self.written_sources[body.category].pick(rng)
        else:
            body = rng.choice(topic.bodies)
            source = self._source(topic, body.category)
            if body.category == Category.CHURN_SIGNAL and self.at_risk_accounts and rng.random() < CHURN_FROM_AT_RISK:
                account = self.accounts[self.at_risk_accounts.pick(rng)]
        if account and rng.random() < NO_CUSTOMER_SHARE.get(source, DEFAULT_NO_CUSTOMER_SHARE):
            account = None
        untriaged = rng.random() < self.untriaged_share
        received_at = self._received_at(account, window_days=UNTRIAGED_WINDOW_DAYS if untriaged else 365)
        product = body.product or self.products[topic.key].pick(rng)
        slots = Slots(rng=rng, account=account, language=language, product=product, day=received_at.date())
        words = body.text.format_map(slots)
        low, high = body.sentiment or V.sentiment_by_category[body.category]
        score = round(rng.uniform(low, high), 2)
        severity = self.severities[body.category].pick(rng)
        churn = body.category == Category.CHURN_SIGNAL or bool(lexicon.churn_cues(words))  # as the offline triage
        themes = ()
        candidates = self.themes_by_topic.get(topic.key)
        if candidates and not untriaged and rng.random() < THEME_LINK_SHARE:
            themes = (rng.choice(candidates),)
        draft = Draft(
            topic=topic.key,
            body=words,
            language=language,
            account=account,
            received_at=received_at,
            source=source,
            source_id="",
            source_url="",
            verbatim="",
            summary=body.summary.format_map(slots)[:300],
            reporter_email=self._email(account, source),
            category=body.category,
            product=product,
            product_area=body.area or self.areas[topic.key].pick(rng),
            severity=severity,
            priority=priority_for(severity=severity, account=account, churn_signal=churn, rng=rng),
            sentiment_score=score,
            sentiment_label=Sentiment.for_score(score),
            tags=self._tags(topic, account, language, severity),
            status=(
                self.signal_statuses
                if body.category == Category.BEHAVIORAL
                else self.statuses[themes[0][1] if themes else None]
            ).pick(rng),
            raw_payload={},
            triaged_at=min(received_at + timedelta(minutes=2 + 238 * rng.random()), self.anchor),
            themes=tuple(ref for ref, _ in themes),
            churn_signal=churn,
        )
        self._frame(draft, slots)
        if untriaged:
            self._untriage(draft)
        return draft

    def make_duplicate(self, original: Draft) -> Draft:
        """The same problem reported again later, often by the same account through another channel."""
        rng, topic = self.rng, V.topics_by_key[original.topic]
        account, words = original.account, original.body
        signal = original.category == Category.BEHAVIORAL  # the words name the account: it stays the same
        if not signal and (account is None or rng.random() < 0.3) and self.account_picker:
            account = self.accounts[self.account_picker.pick(rng)]
        if original.language != Language.ENGLISH:
            source = self.written_sources[original.category].pick(rng)
        else:
            source = self._source(topic, original.category)
            words = rng.choice(V.duplicate_leads.get(original.category, ("",))) + words
        latest = self.anchor - timedelta(hours=1)
        received_at = min(original.received_at + timedelta(days=rng.uniform(1, 20)), latest)
        score = max(-1.0, min(1.0, round(original.sentiment_score + rng.uniform(-0.1, 0.1), 2)))
        draft = Draft(
            topic=original.topic,
            body=words,
            language=original.language,
            account=account,
            received_at=received_at,
            source=source,
            source_id="",
            source_url="",
            verbatim="",
            summary=original.summary,
            reporter_email=self._email(account, source),
            category=original.category,
            product=original.product,
            product_area=original.product_area,
            severity=original.severity,
            priority=original.priority,
            sentiment_score=score,
            sentiment_label=Sentiment.for_score(score),
            tags=list(original.tags),
            status=original.status,
            raw_payload={},
            triaged_at=min(received_at + timedelta(minutes=2 + 238 * rng.random()), self.anchor),
            themes=original.themes,
            churn_signal=original.churn_signal,
        )
        slots = Slots(
            rng=rng, account=account, language=original.language, product=original.product, day=received_at.date()
        )
        self._frame(draft, slots)
        return draft

    # -- parts

    def _source(self, topic: Topic, category: str) -> str:
        roll = self.rng.random()
        for source, share in topic.source_bias:
            if roll < share:
                return source
            roll -= share
        return self.sources[topic.key, category].pick(self.rng)

    def _received_at(self, account: Account | None, *, window_days: int) -> datetime:
        rng, anchor = self.rng, self.anchor
        days_back = window_days * rng.random() ** 1.25  # more feedback recently: the programme is growing
        if account and account.customer_since:
            tenure = (anchor.date() - account.customer_since).days
            if days_back > tenure:
                days_back = tenure * rng.random()
        start, end = REGION_UTC_HOURS[account.region] if account else (0, 24)
        seconds = start * 3600 + int(rng.random() * (end - start) * 3600)  # business hours of the account's region
        return anchor - timedelta(days=int(days_back) + 1, seconds=-seconds)  # always before the anchor

    def _email(self, account: Account | None, source: str) -> str:
        if account is None or not account.domain or source == Source.USAGE:
            return ""
        first = self.rng.choice(V.first_names_by_language[account.language])
        last = self.rng.choice(V.last_names_by_language[account.language])
        return f"{ascii_slug(first, '')}.{ascii_slug(last, '')}@{account.domain}"

    def _tags(self, topic: Topic, account: Account | None, language: str, severity: str) -> list[str]:
        rng = self.rng
        tags = list(rng.choice(self.tag_sets[topic.key]))
        if account and account.tier in (Tier.ENTERPRISE, Tier.STRATEGIC_PARTNER) and rng.random() < 0.3:
            tags.append("enterprise")
        if severity in ("critical", "high") and rng.random() < 0.3:
            tags.append("production")
        if language != Language.ENGLISH:
            tags.append(f"lang-{language}")
        return tags

    def _frame(self, draft: Draft, slots: Slots) -> None:
        """Wrap the customer's words the way the source records them; fill source id, url and payload."""
        rng, source, language, words = self.rng, draft.source, draft.language, draft.body
        slots["body"] = words
        if source in (Source.INTERCOM, Source.ZENDESK, Source.EMAIL):
            opener = rng.choice(V.openers[language])
            closer = rng.choice(V.closers[language]).format_map(slots)
            text = " ".join(part for part in (opener, words, closer) if part)
        elif source == Source.SLACK:
            text = slots["slack_opener"] + words + (" 🙏" if rng.random() < 0.15 else "")
        elif source == Source.NPS:
            nps = max(0, min(10, round((draft.sentiment_score + 1) * 5 + rng.uniform(-1, 1))))
            draft.raw_payload = {"score": nps}
            text = f"NPS {nps}/10 — {words}"
        elif source == Source.CALL:
            text = rng.choice(V.call_frames).format_map(slots)
        elif source == Source.CRM:
            text = rng.choice(V.crm_frames).format_map(slots)
        elif source == Source.LINEAR:
            text = rng.choice(V.linear_frames).format_map(slots)
        elif source == Source.MANUAL:
            text = rng.choice(V.manual_frames).format_map(slots)
        elif source == Source.GITHUB and rng.random() < 0.5:
            text = f"{words}\n\nEnvironment: {slots['env']}"
        else:
            text = words
        draft.verbatim = text
        subject = words if len(words) <= 80 else words[:77].rsplit(" ", 1)[0] + "…"
        draft.source_id, draft.source_url, draft.raw_payload = self.ids.make(
            source=source, received_at=draft.received_at, account=draft.account, draft=draft, subject=subject
        )
        draft.raw_payload[PAYLOAD_MARK] = self.mark

    @staticmethod
    def _untriage(draft: Draft) -> None:
        """Blank what the triage fills in: the item waits in the queue."""
        draft.category = draft.product = draft.product_area = draft.severity = draft.priority = ""
        draft.summary = draft.sentiment_label = ""
        draft.sentiment_score, draft.triaged_at = None, None
        draft.tags, draft.themes, draft.status = [], (), Status.NEW
