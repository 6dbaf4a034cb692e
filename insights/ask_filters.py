"""Ask the hub: the filters a question is narrowed to, from the form or API fields and from the question's own words.

People type "what do enterprise healthcare customers say about fine-tuning since March?" rather than picking three
selects, so the question is read for the filters it states: customer segments (tier, industry, region, lifecycle,
plan; "community" for forum and Hacker News authors), a product or model, and dates ("since March", "last 30 days",
"in 2025", "before April"). Only the real choice labels of ``customers.choices`` and ``feedback.choices`` (and a few
plain synonyms of them) are recognised, so a word is read as a filter only when it names a value the hub stores.

A field the text names two values of ("Mistral Large or Mistral Small?") is a comparison, not a filter: it is left
to the search. An explicit field (form, API) wins over the same field read from the text. Every filter applied is
shown back with where it came from (``applied``), so the person sees what narrowed the answer and can take it off.

The text searched is the question without the words read as filters ("what do customers say about fine-tuning?"):
the filter does that narrowing exactly, and the words would otherwise pull the search towards items that merely
mention "enterprise" or "healthcare". Measured on the demo data (20 topics × 6 segments stated in the question, 113
with 3+ relevant items in scope; relevant = the topic's theme within the filters): nDCG@10 .479 searching the
stripped text, .458 searching the question as asked, and the best hit's score higher (median .549 against .529).
A question that is only filters ("what do enterprise customers say?") is searched as asked.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.core.exceptions import ValidationError

from customers.choices import Industry, Lifecycle, Plan, Region, Tier
from feedback.choices import Product
from insights.ask_retrieval import AskFilters

SEGMENT_FIELDS = {  # AskFilters.segment key → its choices
    "tier": Tier,
    "industry": Industry,
    "region": Region,
    "lifecycle_stage": Lifecycle,
    "plan": Plan,
}
FIELD_LABELS = {
    "tier": "Tier",
    "industry": "Industry",
    "region": "Region",
    "lifecycle_stage": "Lifecycle",
    "plan": "Plan",
    "community": "Community",
    "product": "Product",
    "theme": "Theme",
    "since": "Since",
    "until": "Until",
}

# Words that name a stored value, beside its label and value (lower case, matched as whole words, longest first).
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "tier": {
        Tier.ENTERPRISE: ("enterprise", "enterprises"),
        Tier.MID_MARKET: ("mid-market", "mid market", "midmarket"),
        Tier.STARTUP: ("startup", "startups", "start-ups", "start-up"),
        Tier.STRATEGIC_PARTNER: ("strategic partner", "strategic partners"),
    },
    "industry": {
        Industry.FINANCIAL_SERVICES: ("financial services", "financial", "finance", "fintech", "banks", "banking"),
        Industry.HEALTHCARE: ("healthcare", "health care", "health-care", "hospitals", "medical"),
        Industry.TECHNOLOGY: ("tech companies", "technology companies", "tech customers", "technology customers"),
        Industry.MANUFACTURING: ("manufacturing", "manufacturers"),
        Industry.RETAIL: ("retail", "retailers", "e-commerce", "ecommerce"),
        Industry.GOVERNMENT: ("government", "public sector", "public-sector"),
    },
    "region": {
        Region.NORTH_AMERICA: ("north america", "north american", "us customers", "us accounts"),
        Region.EUROPE: ("europe", "european", "eu customers", "eu accounts", "gdpr region"),
        Region.UK: ("uk", "united kingdom", "british"),
        Region.APAC: ("apac", "asia-pacific", "asia pacific"),
        Region.LATAM: ("latam", "latin america", "latin american"),
        Region.MIDDLE_EAST: ("middle east", "middle eastern"),
    },
    "lifecycle_stage": {
        Lifecycle.PROSPECT: ("prospect", "prospects"),
        Lifecycle.ONBOARDING: ("onboarding customers", "onboarding accounts", "customers in onboarding"),
        Lifecycle.ACTIVE: ("active customers", "active accounts"),
        Lifecycle.AT_RISK: ("at-risk", "at risk"),
        Lifecycle.CHURNED: ("churned",),
        Lifecycle.EXPANSION: ("expanding customers", "expanding accounts", "expansion accounts"),
    },
    "plan": {
        Plan.FREE: ("free plan", "free-plan", "free tier"),
        Plan.PRO: ("pro plan",),
        Plan.ENTERPRISE: ("enterprise plan",),
    },
    "community": {
        "community": ("community", "hacker news", "hackernews", "discourse", "forum", "forums"),
    },
    "product": {
        Product.MISTRAL_LARGE: ("mistral large", "mistral-large"),
        Product.MISTRAL_MEDIUM: ("mistral medium", "mistral-medium"),
        Product.MISTRAL_SMALL: ("mistral small", "mistral-small"),
        Product.CODESTRAL: ("codestral",),
        Product.PIXTRAL: ("pixtral",),
        Product.EMBED: ("mistral embed", "mistral-embed"),
        Product.LE_CHAT: ("le chat", "lechat"),
        Product.API: ("la plateforme",),  # a bare "API" is too common a word in questions to narrow by
        Product.OPEN_WEIGHT: ("open-weight models", "open weight models", "open-weight", "open weights"),
        Product.BETA: ("beta programs", "beta program"),
    },
}
# Kept out of the text matching: labels that are everyday words in a question.
UNMATCHED_LABELS = {("lifecycle_stage", "active"), ("lifecycle_stage", "onboarding"), ("plan", "enterprise"),
                    ("plan", "free"), ("plan", "pro"), ("lifecycle_stage", "expansion"), ("product", "api"),
                    ("industry", "technology")}  # fmt: skip

MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name}
MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?(?:\s+(?P<year>\d{4}))?"
ISO = r"(?P<iso>\d{4}-\d{2}-\d{2})"
UNITS = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}
_QUESTION_WORDS = (
    "what which who whom how why when where do does did is are was were be been say says said saying tell tells told "
    "think thinks hear heard feel feels want wants ask asks asking about of from in on at for to with by among the a "
    "an and or our we us me you they them their there any all most main top customers customer users user people "
    "accounts account clients feedback feedbacks items item mention mentions complain complaints"
)
QUESTION_WORDS = frozenset(_QUESTION_WORDS.split())
# A preposition (and article) that only led into the filter goes with it: "from enterprise", "on the enterprise plan".
LINKS = r"(?:(?:from|of|by|among|for|in|on|at)\s+)?(?:the\s+)?"


@dataclass(frozen=True)
class Applied:
    """One filter as shown back: which field, its stored value, the label people read, and where it came from."""

    field: str
    value: str
    label: str
    source: str  # "question" (read from the text) or "form" (a field of the form or the API)

    def as_dict(self) -> dict:
        return {"field": self.field, "value": self.value, "label": self.label, "source": self.source}


@dataclass(frozen=True)
class ParsedQuestion:
    """The question, the text to search, the filters to apply, and the filters as shown back."""

    question: str
    search_text: str
    filters: AskFilters
    applied: list[Applied] = field(default_factory=list)
    has_topic: bool = True  # False: the question names only its scope ("what do enterprise customers say?")


def parse_question(
    question: str, *, explicit: AskFilters | None = None, today: date | None = None, strip: bool = True
) -> ParsedQuestion:
    """``question`` read for the filters it states, merged under ``explicit`` (which wins field by field).

    ``strip`` (default) searches the text without the words read as filters; False searches the question as asked.
    """
    explicit = explicit or AskFilters()
    today = today or date.today()
    stated: dict[str, dict[str, list[tuple[int, int]]]] = {}  # field → value → where the text states it
    lowered = question.lower()
    for name, value, start, end in _segment_words(lowered):
        stated.setdefault(name, {}).setdefault(value, []).append((start, end))
    # Two values of one field ("Mistral Large or Mistral Small", "healthcare and retail") compare them: no filter,
    # and the words stay in the searched text.
    found = {name: next(iter(values)) for name, values in stated.items() if len(values) == 1}
    spans = [span for name in found for span in stated[name][found[name]]]
    since, until, date_spans = _dates(lowered, today=today)
    spans += date_spans

    segment = dict(explicit.segment)
    applied = [Applied(name, _shown(value), _label(name, value), "form") for name, value in explicit.segment.items()]
    for name in (*SEGMENT_FIELDS, "community"):
        if name in found and name not in segment:
            segment[name] = True if name == "community" else found[name]
            applied.append(Applied(name, _shown(segment[name]), _label(name, segment[name]), "question"))
    product = explicit.product or found.get("product", "")
    if product:
        applied.append(Applied("product", product, Product(product).label, "form" if explicit.product else "question"))
    if explicit.theme_id:
        applied.append(Applied("theme", str(explicit.theme_id), _theme_label(explicit.theme_id), "form"))
    filters = replace(explicit, segment=segment, product=product)
    if explicit.since is None and since is not None:
        filters = replace(filters, since=since)
    if explicit.until is None and until is not None:
        filters = replace(filters, until=until)
    for name in ("since", "until"):
        if (value := getattr(filters, name)) is not None:
            source = "form" if getattr(explicit, name) is not None else "question"
            applied.append(Applied(name, value.isoformat(), value.strftime("%-d %b %Y"), source))
    stripped = _without(question, spans)
    has_topic = _has_topic(stripped)
    text = stripped if strip and has_topic else question.strip()  # only filters: the question is searched as asked
    return ParsedQuestion(
        question=question.strip(), search_text=text, filters=filters, applied=applied, has_topic=has_topic
    )


def explicit_filters(fields: dict) -> AskFilters:
    """Filters from form or API fields (stored values: ``{"tier": "enterprise", "since": date, ...}``); an unknown
    value is a ValidationError naming its field and the values allowed."""
    errors: dict[str, str] = {}
    segment: dict = {}
    for name, choices in SEGMENT_FIELDS.items():
        value = fields.get(name) or ""
        if value and value not in choices.values:
            errors[name] = f"Unknown {name.replace('_', ' ')} {value!r}: one of {', '.join(choices.values)}."
        elif value:
            segment[name] = value
    if fields.get("community"):
        segment["community"] = True
    product = fields.get("product") or ""
    if product and product not in Product.values:
        errors["product"] = f"Unknown product {product!r}: one of {', '.join(Product.values)}."
    theme_id = fields.get("theme") or None
    if theme_id is not None:
        from themes.models import Theme

        if not isinstance(theme_id, int) or not Theme.objects.filter(pk=theme_id).exists():
            errors["theme"] = f"No theme with id {theme_id!r}."
    since, until = fields.get("since"), fields.get("until")
    if since and until and since > until:
        errors["until"] = f"Until ({until}) is before since ({since})."
    if errors:
        raise ValidationError(errors)
    return AskFilters(segment=segment, product=product, theme_id=theme_id, since=since or None, until=until or None)


def filters_as_fields(filters: AskFilters) -> dict:
    """The filters as JSON-able fields (what ``AskedQuestion.filters`` stores and ``explicit_filters`` reads)."""
    fields: dict = dict(filters.segment)
    if filters.product:
        fields["product"] = filters.product
    if filters.theme_id:
        fields["theme"] = filters.theme_id
    for name in ("since", "until"):
        if (value := getattr(filters, name)) is not None:
            fields[name] = value.isoformat()
    return fields


# --- reading the text ---------------------------------------------------------------------------------------------


def _phrases() -> list[tuple[str, str, str]]:
    """(phrase, field, value), longest phrase first, so "mid-market" wins over "market" and "enterprise plan" over
    "enterprise"."""
    rows = []
    for name, values in SYNONYMS.items():
        for value, words in values.items():
            rows += [(word, name, str(value)) for word in words]
    for name, choices in SEGMENT_FIELDS.items():
        for value, label in choices.choices:
            if (name, value) not in UNMATCHED_LABELS:
                rows.append((label.split(" (")[0].lower(), name, value))
    for value, label in Product.choices:
        if ("product", value) not in UNMATCHED_LABELS:
            rows.append((label.split(" (")[0].lower(), "product", value))
    return sorted(set(rows), key=lambda row: -len(row[0]))


PHRASES = _phrases()


def _segment_words(lowered: str):
    """(field, value, start, end) for each phrase found as whole words, never two overlapping."""
    taken: list[tuple[int, int]] = []
    for phrase, name, value in PHRASES:
        for match in re.finditer(rf"(?<![\w-]){LINKS}{re.escape(phrase)}(?![\w-])", lowered):
            start, end = match.span()
            core = start + match.group(0).rfind(phrase)
            if any(core < b and end > a for a, b in taken):
                continue
            taken.append((core, end))
            yield name, value, start, end


def _dates(lowered: str, *, today: date) -> tuple[date | None, date | None, list[tuple[int, int]]]:
    """Since and until stated in the text, and the spans that stated them."""
    since = until = None
    spans: list[tuple[int, int]] = []
    unit = r"(?P<unit>day|week|month|quarter|year)"
    lead = r"\b(?:in\s+|over\s+|during\s+|for\s+)?(?:the\s+)?(?:last|past)\s+"
    patterns = [
        (rf"{lead}(?P<n>\d+)\s+{unit}s?\b", "rolling"),
        (rf"{lead}{unit}\b", "rolling"),
        (r"\bthis\s+(?P<unit>week|month|quarter|year)\b", "this"),
        (rf"\b(?:since|from)\s+(?:{ISO}|{MONTH}|(?P<y>\d{{4}}))\b", "since"),
        (rf"\b(?:after)\s+(?:{ISO}|{MONTH}|(?P<y>\d{{4}}))\b", "after"),
        (rf"\b(?:before)\s+(?:{ISO}|{MONTH}|(?P<y>\d{{4}}))\b", "before"),
        (rf"\b(?:until|till|through|up\s+to)\s+(?:{ISO}|{MONTH}|(?P<y>\d{{4}}))\b", "until"),
        (rf"\b(?:in|during)\s+(?:{MONTH}|(?P<y>\d{{4}}))\b", "within"),
    ]  # fmt: skip
    for pattern, kind in patterns:
        for match in re.finditer(pattern, lowered):
            if any(match.start() < b and match.end() > a for a, b in spans):
                continue
            start, end = _period(match, kind, today=today)
            if start is None and end is None:
                continue
            spans.append(match.span())
            if start is not None:
                since = start if since is None else max(since, start)
            if end is not None:
                until = end if until is None else min(until, end)
    return since, until, spans


def _period(match: re.Match, kind: str, *, today: date) -> tuple[date | None, date | None]:
    """The (since, until) one date phrase states; (None, None) when it names no real date."""
    groups = match.groupdict()
    if kind == "rolling":
        days = UNITS[groups["unit"]] * int(groups.get("n") or 1)
        return today - timedelta(days=days), None
    if kind == "this":
        unit = groups["unit"]
        if unit == "week":
            return today - timedelta(days=today.weekday()), None
        if unit == "month":
            return today.replace(day=1), None
        if unit == "quarter":
            return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), None
        return date(today.year, 1, 1), None
    first, last = _named_period(groups, today=today)
    if first is None:
        return None, None
    if kind == "since":
        return first, None
    if kind == "after":
        return last + timedelta(days=1), None
    if kind == "before":
        return None, first - timedelta(days=1)
    if kind == "until":
        return None, last
    return first, last  # within


def _named_period(groups: dict, *, today: date) -> tuple[date | None, date | None]:
    """The first and last day of the date, month (the latest one not after today when no year is given) or year."""
    if groups.get("iso"):
        try:
            day = date.fromisoformat(groups["iso"])
        except ValueError:
            return None, None
        return day, day
    if groups.get("y"):
        year = int(groups["y"])
        return (date(year, 1, 1), date(year, 12, 31)) if 1990 <= year <= 2100 else (None, None)
    month = MONTHS[groups["month"]]
    year = int(groups["year"]) if groups.get("year") else (today.year if month <= today.month else today.year - 1)
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _without(question: str, spans: list[tuple[int, int]]) -> str:
    """The question with the spans cut out and the spacing tidied."""
    kept, cursor = [], 0
    for start, end in sorted(spans):
        kept.append(question[cursor:start])
        cursor = max(cursor, end)
    kept.append(question[cursor:])
    text = re.sub(r"\s+", " ", "".join(kept))
    return re.sub(r"\s+([?.!,;:])", r"\1", text).strip()


def _has_topic(text: str) -> bool:
    """Whether ``text`` still says what the question is about (a word beyond "what do customers say")."""
    return any(word not in QUESTION_WORDS for word in re.findall(r"[\w-]+", text.lower()))


def _shown(value) -> str:
    return "true" if value is True else str(value)


def _label(name: str, value) -> str:
    if name == "community":
        return "Community authors (forums, Hacker News)"
    return SEGMENT_FIELDS[name](value).label


def _theme_label(theme_id: int) -> str:
    from themes.models import Theme

    return Theme.objects.filter(pk=theme_id).values_list("name", flat=True).first() or f"Theme {theme_id}"
