"""Theme API serializers: a theme is created through ``themes.services.create_theme`` (with its checklist)."""

from __future__ import annotations

from rest_framework import serializers

from feedbackhub.api import HubModelSerializer
from themes import services
from themes.choices import VerificationStep
from themes.models import Theme


class ThemeSerializer(HubModelSerializer):
    """A theme with its rollups (read-only: the rollup job computes them) and its verification progress."""

    verification_done = serializers.IntegerField(
        read_only=True, source="steps_done", help_text=f"Verification steps ticked, of {len(VerificationStep)}."
    )

    class Meta:
        model = Theme
        fields = [
            "id",
            "name",
            "status",
            "owner",
            "description",
            "problem_statement",
            "tracker_issues",
            "feedback_count",
            "unique_customers",
            "arr_impacted",
            "arr_at_risk",
            "rollups_refreshed_at",
            "rollups_dirty",
            "verification_done",
            "created_at",
            "updated_at",
        ]

    def create(self, validated_data):
        tracker_issues = validated_data.pop("tracker_issues", None)
        theme = services.create_theme(**validated_data)
        if tracker_issues:
            theme.tracker_issues = tracker_issues
            theme.save(update_fields=["tracker_issues", "updated_at"])
        return theme

    def update(self, instance, validated_data):
        theme = super().update(instance, validated_data)
        services.ensure_verification_steps(theme=theme)  # as the admin: a theme always has its checklist
        return theme
