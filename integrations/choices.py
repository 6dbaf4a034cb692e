"""Choices of the integrations app."""

from django.db import models


class Scope(models.TextChoices):
    """What an API token may do: read records, write records, push feedback in."""

    READ = "read", "Read"
    WRITE = "write", "Write"
    INGEST = "ingest", "Ingest"


class DeliveryStatus(models.TextChoices):
    """Where a received webhook is: queued on arrival, then processed or failed (``integrations.tasks``)."""

    QUEUED = "queued", "Queued"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"
    IGNORED = "ignored", "Ignored (nothing to take in)"


class WebhookSource(models.TextChoices):
    """The sources with a webhook endpoint (``/api/webhooks/<source>/``) and a connector of their own."""

    INTERCOM = "intercom", "Intercom"
    ZENDESK = "zendesk", "Zendesk"
    SLACK = "slack", "Slack"
    GITHUB = "github", "GitHub"
    LINEAR = "linear", "Linear"
    CALL = "call", "Call transcripts"
    CRM = "crm", "CRM account sync"


class SyncStatus(models.TextChoices):
    """How a connector's last scheduled sync ended (``integrations.sync``)."""

    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class CaptureKind(models.TextChoices):
    """What the in-product widget captured (seed 001 "The best 'survey' is part of the product")."""

    FEATURE = "feature", "Feedback on this feature"
    THUMBS_UP = "thumbs_up", "Thumbs up after a task"
    THUMBS_DOWN = "thumbs_down", "Thumbs down after a task"
    ZERO_RESULTS = "zero_results", "Search that found nothing"
    CANCELLATION = "cancellation", "Cancellation reason"
    ERROR = "error", "Error page: what were you trying to do?"


# Captures counted per feature or query (``CaptureSignal``) rather than stored one item each.
AGGREGATED_CAPTURES = (CaptureKind.THUMBS_UP, CaptureKind.THUMBS_DOWN, CaptureKind.ZERO_RESULTS)


class UnsignedCaptures(models.TextChoices):
    """What a capture key does with a capture that carries no valid identity token."""

    ANONYMOUS = "anonymous", "Accept as anonymous"
    REFUSE = "refuse", "Refuse"


class OutboundKind(models.TextChoices):
    """What an outbound action writes to another system."""

    LINEAR_ISSUE = "linear_issue", "Linear issue"
    GITHUB_ISSUE = "github_issue", "GitHub issue"
    CRM_ADDRESSED = "crm_addressed", "CRM: feedback addressed"


class OutboundStatus(models.TextChoices):
    """Where an outbound action is: written first (the outbox), then sent with retries."""

    DRY_RUN = "dry_run", "Dry run (not sent: rule off)"
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"


class CommunitySource(models.TextChoices):
    """Public communities the hub listens to (``integrations/connectors/``)."""

    HACKER_NEWS = "hackernews", "Hacker News"
    DISCOURSE = "discourse", "Discourse forum"
