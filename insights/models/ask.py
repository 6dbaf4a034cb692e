"""Questions asked of the hub (issue 13, "Ask the hub"): what was asked, with which filters, and the answer given."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AskedQuestion(models.Model):
    """One question and its answer as given: kept so an answer can be shown again and retrieval judged later."""

    question = models.TextField()
    filters = models.JSONField(default=dict, blank=True, help_text="Segment, product, dates, theme.")
    answer = models.JSONField(default=dict, blank=True, help_text="The answer: text, groups, cited item ids.")
    abstained = models.BooleanField(default=False, help_text="Answered “not enough evidence”.")
    written_by = models.CharField(max_length=100, blank=True, help_text="offline (extractive) or the Mistral model.")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at"], name="asked_question_created_idx")]

    def __str__(self) -> str:
        return self.question if len(self.question) <= 80 else f"{self.question[:79]}…"
