"""The notifications outbox and the stored weekly digests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from notifications.choices import Channel, DigestAudience, Kind, Status


class Notification(models.Model):
    """One message to one recipient, written before any delivery is tried (the outbox): nothing is lost while Slack or
    SMTP is down, and ``key`` makes the same event notify once however often it is enqueued.

    ``recipient`` is an email address (email) or a Slack channel/webhook name from ``settings.SLACK_CHANNELS``
    (slack). ``blocks`` is the Slack Block Kit payload, when richer than ``body``.
    """

    key = models.CharField(
        max_length=200, unique=True, help_text="One notification per key: the same event twice is one message."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True, default="")
    body = models.TextField()
    blocks = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_default=Now(), help_text="When the next try is due (backoff).")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(db_default=Now())
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"], name="notification_due_idx", condition=models.Q(status="pending")
            ),
            models.Index(fields=["status", "-created_at"], name="notification_status_idx"),
            models.Index(fields=["kind", "-created_at"], name="notification_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"


class Digest(models.Model):
    """One weekly digest as written (seed 001 "Weekly Digest"): for the product channel, or for one account owner."""

    audience = models.CharField(max_length=20, choices=DigestAudience.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="digests",
        help_text="The account owner it was written for (empty: the product channel's).",
    )
    period_start = models.DateField()
    period_end = models.DateField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown, under 500 words.")
    facts = models.JSONField(default=dict, blank=True, help_text="The figures the digest was written from.")
    writer = models.CharField(max_length=80, help_text="offline (templates) or the Mistral model that wrote it.")
    word_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["-period_end", "audience", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_end", "audience", "owner"], name="digest_once_per_week", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return self.title
