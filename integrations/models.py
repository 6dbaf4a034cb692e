"""Integration records: the API tokens integrations authenticate with, and the webhook deliveries they send."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from feedback.models import FeedbackItem
from integrations.choices import DeliveryStatus, Scope, SyncStatus, WebhookSource

TOKEN_PREFIX_LENGTH = 8


class ApiToken(models.Model):
    """One integration's key to the API: an owner (whose permissions apply), scopes, and only a hash of the secret.

    The key is ``fbh_<prefix>_<secret>``; the prefix finds the row, the SHA-256 of the whole key is compared. The key
    itself is shown once, when the token is created (``integrations.services.create_token``), and never stored.
    """

    name = models.CharField(max_length=100, help_text="The integration it is for, e.g. “Zendesk production”.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    scopes = ArrayField(models.CharField(max_length=10, choices=Scope.choices), default=list)
    prefix = models.CharField(max_length=TOKEN_PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=Q(scopes__contained_by=Scope.values) & ~Q(scopes=[]), name="apitoken_scopes_known"
            ),
        ]
        indexes = [models.Index(fields=["-created_at", "-id"], name="apitoken_created_idx")]

    def __str__(self) -> str:
        return f"{self.name} (fbh_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        """Whether the token still opens the API (not revoked)."""
        return self.revoked_at is None


class WebhookDelivery(models.Model):
    """One webhook as a source sent it: stored on arrival (signature checked), then processed by a worker.

    ``(source, delivery_id)`` is unique: a delivery sent again (a vendor's retry or a replay) is recognised and not
    processed twice. The raw body is kept byte for byte, so a delivery can be processed again after a fix.
    """

    source = models.CharField(max_length=16, choices=WebhookSource.choices)
    delivery_id = models.CharField(max_length=255, help_text="The vendor's id of this delivery or event.")
    event = models.CharField(max_length=100, blank=True, help_text="What happened, e.g. issues.closed.")
    received_at = models.DateTimeField(auto_now_add=True)
    headers = models.JSONField(default=dict, blank=True, help_text="The delivery headers worth keeping (no secrets).")
    body = models.TextField(blank=True, help_text="The raw body as received.")
    payload = models.JSONField(default=dict, blank=True, help_text="The body parsed (JSON, or a Slack form).")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="What processing did: items taken in, updates.")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["source", "delivery_id"], name="webhook_delivery_unique_id"),
        ]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="webhook_delivery_received_idx"),
            models.Index(
                fields=["received_at"], name="webhook_delivery_queued_idx", condition=models.Q(status="queued")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.event or 'delivery'} {self.delivery_id}"


class PendingTriage(models.Model):
    """An ingested item whose triage message has not reached the broker yet: the ingestion's outbox.

    Written in the ingest transaction, deleted once the message is sent (``integrations.ingest.queue_triage``); the
    rows left when the broker was down are sent by the minute sweep (``integrations.tasks.send_pending_triage``).
    """

    item = models.OneToOneField("feedback.FeedbackItem", on_delete=models.CASCADE, primary_key=True, related_name="+")
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item"]
        verbose_name_plural = "pending triage"

    def __str__(self) -> str:
        return f"Feedback #{self.item_id}, waiting since {self.queued_at:%Y-%m-%d %H:%M}"


class ConnectorSync(models.Model):
    """The 15-minute incremental sync of one connector (``integrations.sync``): how far it got and how it last went.

    ``synced_until`` moves only when a sync succeeds, so a failed run (the vendor down, a credential revoked) is
    caught up by the next one: it fetches from the last success, less an overlap, and ingestion is idempotent.
    """

    source = models.CharField(max_length=16, choices=WebhookSource.choices)
    synced_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the last successful sync started: the next one fetches what changed since.",
    )
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=10, choices=SyncStatus.choices, blank=True)
    last_error = models.TextField(blank=True)
    last_result = models.JSONField(default=dict, blank=True, help_text="Items fetched, created, updated, rejected.")
    failures = models.PositiveIntegerField(default=0, help_text="Failed syncs in a row (0 after a success).")

    class Meta:
        ordering = ["source"]
        constraints = [models.UniqueConstraint(fields=["source"], name="connector_sync_unique_source")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} sync"


class UnmatchedFeedback(FeedbackItem):
    """Product ops' queue: ingested feedback no customer was found for, until someone assigns one."""

    class Meta:
        proxy = True
        verbose_name = "feedback needing a customer"
        verbose_name_plural = "product ops: needs a customer"
