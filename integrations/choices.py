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
