"""Models of the hub itself (not of a domain app): saved views of the admin changelists."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse

NAME_MAX_LENGTH = 80
QUERY_MAX_LENGTH = 2000  # a changelist URL's query string (filters, search, sort, columns), normalised


class SavedView(models.Model):
    """A named filter, search, sort and set of columns of one admin changelist, its owner's, shareable with roles.

    A saved view is only a query string: opening it runs the changelist's own permission checks and row scoping.
    Written through ``feedbackhub.saved_views`` (the service normalises the query and checks who may save what).
    """

    name = models.CharField(max_length=NAME_MAX_LENGTH)
    owner = models.ForeignKey(  # no index of its own: the unique constraint's index starts with it
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views", db_index=False
    )
    app_label = models.CharField(max_length=100)
    model_name = models.CharField(max_length=100)
    query = models.CharField(
        max_length=QUERY_MAX_LENGTH,
        blank=True,
        help_text="The changelist's query string without '?': filters, search (q), sort (o), columns (cols).",
    )
    shared_with = models.ManyToManyField(
        Group, blank=True, related_name="saved_views", help_text="Roles whose members see this view (read-only)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["app_label", "model_name", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                "owner",
                "app_label",
                "model_name",
                Lower("name"),
                name="savedview_owner_changelist_name_uniq",
                violation_error_message="You already have a view with this name on this list.",
            ),
        ]
        indexes = [
            # "Views of this changelist", in name order: the owner's and the shared ones are both read through it.
            models.Index(fields=["app_label", "model_name", "name", "id"], name="savedview_changelist_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The changelist with this view applied ("" when the admin it belongs to is gone)."""
        try:
            url = reverse(f"admin:{self.app_label}_{self.model_name}_changelist")
        except NoReverseMatch:
            return ""
        return f"{url}?{self.query}" if self.query else url
