"""Choices of escalations (seed 004 "Auto-Escalation System") and survey responses (seed 001 "NPS/Surveys")."""

from django.db import models


class Metric(models.TextChoices):
    """What an escalation rule watches; each is one SQL check in ``insights.escalations``."""

    NPS_DETRACTOR = "nps_detractor", "NPS detractor (score ≤ threshold)"
    USAGE_DROP = "usage_drop", "Usage drop (% over the period)"
    INACTIVITY = "inactivity", "No activity (days)"
    NEGATIVE_HIGH_ARR = "negative_high_arr", "Negative feedback from a high-ARR account (ARR ≥ threshold)"
    ENTERPRISE_CHURN_SIGNAL = "enterprise_churn_signal", "Churn signal from an enterprise account"
    COMPETITOR_MENTION = "competitor_mention", "Competitor mention"
    THEME_CRITICAL_MASS = "theme_critical_mass", "Theme reaches N items (time to verify)"
    ERRORS_UP_SENTIMENT_DOWN = "errors_up_sentiment_down", "Errors rise while sentiment falls (technical metrics)"


class Comparison(models.TextChoices):
    GTE = "gte", "≥"
    GT = "gt", ">"
    LTE = "lte", "≤"
    LT = "lt", "<"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Action(models.TextChoices):
    CS_ALERT = "cs_alert", "CS alert"
    CHURN_ALERT = "churn_alert", "Churn alert"
    PM_TIME_TO_VERIFY = "pm_time_to_verify", "PM: time to verify"
    SALES_ALERT = "sales_alert", "Sales alert"


class EscalationStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS (0–10)"
    CSAT = "csat", "CSAT (1–5)"


class ProductEventName(models.TextChoices):
    """The product events the loop knows (seed 004 "Journey Surveys" triggers); any other slug is a custom event."""

    VALUE_DELIVERED = "value_delivered", "Value delivered"
    FEATURE_COMPLETED = "feature_completed", "Feature completed"
    REPORT_SENT = "report_sent", "Report sent"
    CAMPAIGN_ENDED = "campaign_ended", "Campaign ended"
    SUPPORT_CONTACT_CLOSED = "support_contact_closed", "Support contact closed"
    EXPERIMENT_EXPOSURE = "experiment_exposure", "Experiment exposure"


class ExperimentKind(models.TextChoices):
    """A/B: each subject sees its variant. Shadow: everyone sees the control; the others are computed and logged."""

    AB = "ab", "A/B"
    SHADOW = "shadow", "Shadow"


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"
    CONCLUDED = "concluded", "Concluded"


class ExperimentAnalysis(models.TextChoices):
    """Declared before the start: a fixed horizon (no winner before the planned end) or sequential (peek freely)."""

    FIXED_HORIZON = "fixed_horizon", "Fixed horizon"
    SEQUENTIAL = "sequential", "Sequential (always-valid)"


class MetricKind(models.TextChoices):
    PROPORTION = "proportion", "Proportion (converted or not)"
    MEAN = "mean", "Mean (of a numeric property)"


class Correction(models.TextChoices):
    """How p-values are adjusted when several metrics or variants are tested at once."""

    HOLM = "holm", "Holm (family-wise error)"
    BH = "bh", "Benjamini-Hochberg (false discovery rate)"


class QuestionKind(models.TextChoices):
    """What a journey survey question asks (seed 004 "Journey Surveys")."""

    NPS = "nps", "NPS (0–10)"
    CSAT = "csat", "CSAT (1–5)"
    CHOICE = "choice", "Single choice"
    TEXT = "text", "Free text"


class InvitationStatus(models.TextChoices):
    """Where one invitation to answer a journey survey is: waiting for its delay, sent, skipped or answered.

    "Opened" is a time (``opened_at``), not a status: an opened invitation is still ``sent`` until answered."""

    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    ANSWERED = "answered", "Answered"


class SkipReason(models.TextChoices):
    COOLDOWN = "cooldown", "Contact surveyed within the cooldown"
    NO_ADDRESS = "no_address", "No e-mail address or Slack destination"
    INACTIVE = "inactive", "Survey switched off or out of its dates when due"


class RetroKind(models.TextChoices):
    SPRINT = "sprint", "Sprint"
    DEPLOYMENT = "deployment", "Deployment window"


class RetroStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Tracker(models.TextChoices):
    LINEAR = "linear", "Linear"
    GITHUB = "github", "GitHub"


class BacklogStatus(models.TextChoices):
    """A retrospective's backlog item: only proposed (dry run, the default), pushed to the tracker, or failed."""

    DRY_RUN = "dry_run", "Dry run (not pushed)"
    PUSHED = "pushed", "Pushed"
    FAILED = "failed", "Failed"


class SampleSource(models.TextChoices):
    """How a technical metric sample arrived (seed 003 "Correlation with technical metrics")."""

    API = "api", "API"
    CSV = "csv", "CSV import"
    PROMETHEUS = "prometheus", "Prometheus text file"


class DealOutcome(models.TextChoices):
    """How a deal or an account ended (win/loss records, seed 001 "Win/Loss Analysis")."""

    WON = "won", "Won"
    LOST = "lost", "Lost to a competitor or no decision"
    CHURNED = "churned", "Churned"
