"""Integration records: the API tokens integrations authenticate with, and the webhook deliveries they send."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from feedback.choices import Category, Priority, Product
from feedback.models import FeedbackItem
from integrations.choices import (
    CaptureKind,
    CommunitySource,
    DeliveryStatus,
    OutboundKind,
    OutboundStatus,
    Scope,
    SyncStatus,
    UnsignedCaptures,
    WebhookSource,
)

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


class CaptureKey(models.Model):
    """One product's key for the in-product widget: a publishable key in the host page's ``<script>`` tag, the origins
    allowed to use it, and the secret the host app signs identity tokens with (never sent to a browser).

    A capture without a valid identity token is taken as anonymous or refused, per ``unsigned``; a forged or expired
    token never names a customer.
    """

    name = models.CharField(max_length=100, help_text="Where it is embedded, e.g. “Le Chat web app”.")
    product = models.CharField(max_length=20, choices=Product.choices)
    public_key = models.CharField(max_length=40, unique=True, editable=False, help_text="pk_… in the script tag.")
    signing_secret = models.CharField(
        max_length=64, editable=False, help_text="The host app signs identity tokens with it (HMAC-SHA256)."
    )
    allowed_origins = ArrayField(
        models.CharField(max_length=200),
        default=list,
        blank=True,
        help_text="Exact origins that may post with this key, e.g. https://app.example.com (scheme, host, port).",
    )
    unsigned = models.CharField(
        "captures without identity", max_length=10, choices=UnsignedCaptures.choices, default=UnsignedCaptures.ANONYMOUS
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_key})"


class CaptureSignal(models.Model):
    """Thumbs and zero-result searches counted per key, day, kind and feature or query: one row, not one item each."""

    key = models.ForeignKey(CaptureKey, on_delete=models.CASCADE, related_name="signals")
    day = models.DateField()
    kind = models.CharField(max_length=14, choices=CaptureKind.choices)
    feature = models.CharField(max_length=100, blank=True)
    query = models.CharField(max_length=200, blank=True, help_text="A search that found nothing, normalised.")
    count = models.PositiveIntegerField(default=0)
    last_page = models.CharField(max_length=500, blank=True)
    last_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "-count", "id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "day", "kind", "feature", "query"], name="capture_signal_unique"),
        ]
        indexes = [models.Index(fields=["kind", "-day"], name="capture_signal_kind_day_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.feature or self.query} ×{self.count} on {self.day}"


class OutboundRule(models.Model):
    """When a feedback item matches, open a tracker issue for it (seed 001 "Bugs auto-create Linear issues").

    Empty conditions match anything. A rule is a dry run until ``enabled``: it records what it would have opened.
    """

    name = models.CharField(max_length=100)
    kind = models.CharField(
        max_length=14, choices=[c for c in OutboundKind.choices if c[0] != OutboundKind.CRM_ADDRESSED]
    )
    categories = ArrayField(models.CharField(max_length=20, choices=Category.choices), default=list, blank=True)
    priorities = ArrayField(models.CharField(max_length=10, choices=Priority.choices), default=list, blank=True)
    products = ArrayField(models.CharField(max_length=20, choices=Product.choices), default=list, blank=True)
    target = models.CharField(max_length=200, help_text="Linear team id, or the GitHub repository as owner/name.")
    enabled = models.BooleanField(default=False, help_text="Off: dry run, nothing is sent.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Rules are tried in this order; first match wins.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class OutboundAction(models.Model):
    """One write to another system, stored before it is sent (the outbox): a tracker issue for an item, or "feedback
    addressed" on a customer's CRM account when a theme ships. ``key`` makes it happen once however often it is asked
    for (``tracker:<item id>``: never two tracker issues for one item; ``crm:<theme id>:<customer id>``).
    """

    key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=14, choices=OutboundKind.choices)
    rule = models.ForeignKey(OutboundRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions")
    item = models.ForeignKey(
        "feedback.FeedbackItem", on_delete=models.CASCADE, null=True, blank=True, related_name="outbound_actions"
    )
    theme = models.ForeignKey(
        "themes.Theme", on_delete=models.CASCADE, null=True, blank=True, related_name="outbound_actions"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, null=True, blank=True, related_name="outbound_actions"
    )
    status = models.CharField(max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.PENDING)
    payload = models.JSONField(default=dict, blank=True, help_text="What is (or would be) sent.")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    external_id = models.CharField(max_length=100, blank=True, help_text="The issue's id in the tracker.")
    external_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"], name="outbound_due_idx", condition=models.Q(status="pending")
            ),
            models.Index(fields=["item"], name="outbound_item_idx", condition=models.Q(item__isnull=False)),
            models.Index(fields=["kind", "status", "-created_at"], name="outbound_kind_status_idx"),
            # The admin at scale (0008): the list in its order, each filter in that order, the rules' counts
            # (index-only per rule and status), and the exact searches on key and external id.
            models.Index(fields=["-created_at", "-id"], name="outbound_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="outbound_status_created_idx"),
            models.Index(fields=["kind", "-created_at", "-id"], name="outbound_kind_created_idx"),
            models.Index(fields=["rule", "-created_at", "-id"], name="outbound_rule_created_idx"),
            models.Index(fields=["rule", "status"], name="outbound_rule_status_idx"),
            models.Index(Upper("key"), name="outbound_key_upper_idx"),
            models.Index(Upper("external_id"), name="outbound_external_id_upper_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display().lower()})"


class CommunityWatch(models.Model):
    """One community listened to (Hacker News, a Discourse forum) with the brand and product queries to look for."""

    source = models.CharField(max_length=12, choices=CommunitySource.choices)
    name = models.CharField(max_length=100)
    base_url = models.URLField(max_length=300, help_text="The search API (HN Algolia) or the forum's address.")
    queries = ArrayField(models.CharField(max_length=100), default=list, help_text="Brand and product terms.")
    enabled = models.BooleanField(default=True)
    cursor = models.JSONField(default=dict, blank=True, help_text="How far each query has been fetched.")
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "name"]
        verbose_name_plural = "community watches"

    def __str__(self) -> str:
        return self.name


class CommunityAuthor(models.Model):
    """Someone who posted in a community: in the "community" segment unless matched to a customer."""

    source = models.CharField(max_length=12, choices=CommunitySource.choices)
    handle = models.CharField(max_length=100)
    profile_url = models.URLField(max_length=300, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="community_authors"
    )
    first_seen_at = models.DateTimeField(default=timezone.now)
    posts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["source", "handle"]
        constraints = [models.UniqueConstraint(fields=["source", "handle"], name="community_author_unique")]

    def __str__(self) -> str:
        return f"{self.handle} ({self.get_source_display()})"
