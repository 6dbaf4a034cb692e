"""Integration records: the API tokens integrations authenticate with."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from integrations.choices import Scope

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
