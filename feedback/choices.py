"""Feedback taxonomy (seeds 001 and 002; DESIGN.md "The data")."""

from django.db import models


class Source(models.TextChoices):
    """Where a feedback item came from; ``source`` + ``source_id`` identify it for idempotent ingestion."""

    INTERCOM = "intercom", "Intercom"
    ZENDESK = "zendesk", "Zendesk"
    SLACK = "slack", "Slack"
    CALL = "call", "Call transcript"
    CRM = "crm", "CRM"
    LINEAR = "linear", "Linear"
    GITHUB = "github", "GitHub"
    EMAIL = "email", "Email"
    IN_APP = "in_app", "In-app"
    NPS = "nps", "NPS / survey"
    USAGE = "usage", "Usage analytics"
    MANUAL = "manual", "Manual entry"
    HACKER_NEWS = "hackernews", "Hacker News"
    DISCOURSE = "discourse", "Community forum (Discourse)"
    DESIGN_PARTNER = "design_partner", "Design-partner check-in"
    WIN_LOSS = "win_loss", "Win/loss review"
    INTERVIEW = "interview", "JTBD interview"


# Public places users talk among themselves (seed 001 "Community listening"): their authors are the "community"
# segment unless matched to a customer.
COMMUNITY_SOURCES = (Source.HACKER_NEWS, Source.DISCOURSE)


class Category(models.TextChoices):
    """What kind of feedback it is."""

    BUG = "bug", "Bug"
    FEATURE_REQUEST = "feature_request", "Feature request"
    IMPROVEMENT = "improvement", "Improvement"
    QUESTION = "question", "Question"
    PAIN_POINT = "pain_point", "Pain point"
    COMPLAINT = "complaint", "Complaint"
    PRAISE = "praise", "Praise"
    CHURN_SIGNAL = "churn_signal", "Churn signal"
    BEHAVIORAL = "behavioral", "Behavioural signal"


class Product(models.TextChoices):
    """Model or product the feedback is about (seed 001, "Feedback by Model & Product")."""

    MISTRAL_LARGE = "mistral_large", "Mistral Large"
    MISTRAL_MEDIUM = "mistral_medium", "Mistral Medium"
    MISTRAL_SMALL = "mistral_small", "Mistral Small"
    CODESTRAL = "codestral", "Codestral"
    PIXTRAL = "pixtral", "Pixtral"
    EMBED = "embed", "Mistral Embed"
    LE_CHAT = "le_chat", "Le Chat"
    API = "api", "La Plateforme (API)"
    OPEN_WEIGHT = "open_weight", "Open-weight models"
    BETA = "beta", "Beta programs"


class ProductArea(models.TextChoices):
    """Part of the product (seed 002's triage prompt)."""

    API = "api", "API"
    DASHBOARD = "dashboard", "Dashboard"
    FINE_TUNING = "fine_tuning", "Fine-tuning"
    EMBEDDINGS = "embeddings", "Embeddings"
    BILLING = "billing", "Billing"
    DOCS = "docs", "Docs"
    AUTH = "auth", "Authentication & SSO"
    INFERENCE = "inference", "Inference & deployment"


class Severity(models.TextChoices):
    """How bad the problem is for the customer."""

    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Priority(models.TextChoices):
    """How soon product should act on it."""

    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Sentiment(models.TextChoices):
    """Sentiment direction; the label follows the score (seed 002's bands)."""

    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"

    @classmethod
    def for_score(cls, score: float) -> "Sentiment":
        """Seed 002: 0.5..1 positive, -0.3..0.5 neutral, -1..-0.3 negative."""
        if score >= 0.5:
            return cls.POSITIVE
        if score <= -0.3:
            return cls.NEGATIVE
        return cls.NEUTRAL


class Status(models.TextChoices):
    """Where the item is in the loop."""

    NEW = "new", "New"
    REVIEWING = "reviewing", "Reviewing"
    VALIDATED = "validated", "Validated"
    BUILDING = "building", "Building"
    SHIPPED = "shipped", "Shipped"
    WONT_DO = "wont_do", "Won't do"


# The status workflow: which status may follow which. Moving back one step is allowed (a PM undoing a click);
# "won't do" can be reopened to reviewing.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.REVIEWING, Status.VALIDATED, Status.WONT_DO},
    Status.REVIEWING: {Status.NEW, Status.VALIDATED, Status.WONT_DO},
    Status.VALIDATED: {Status.REVIEWING, Status.BUILDING, Status.WONT_DO},
    Status.BUILDING: {Status.VALIDATED, Status.SHIPPED, Status.WONT_DO},
    Status.SHIPPED: {Status.BUILDING},
    Status.WONT_DO: {Status.REVIEWING},
}


class TimeMaturity(models.TextChoices):
    """How long the customer had been with us when they said it (seed 001 "Feedback maturity", time-based)."""

    DAY_7 = "d7", "First week (day 0–29)"
    DAY_30 = "d30", "Forming habits (day 30–59)"
    DAY_60 = "d60", "Proficient (day 60–119)"
    DAY_120 = "d120", "Power user (day 120–364)"
    DAY_365 = "d365", "Strategic (day 365+)"


class UsageMaturity(models.TextChoices):
    """How many times they had used the feature when they said it (seed 001 "Feedback maturity", usage-based)."""

    USE_1 = "u1", "First uses (1–4)"
    USE_5 = "u5", "Early adoption (5–19)"
    USE_20 = "u20", "Daily frustrations (20–49)"
    USE_50 = "u50", "Hitting limits (50+)"
