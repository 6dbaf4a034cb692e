"""Launch API serializers: launches get their checklist from ``launches.services``; items are ticked by their team."""

from __future__ import annotations

from rest_framework import exceptions, serializers

from feedbackhub.api import HubModelSerializer
from launches import services
from launches.models import ChecklistItem, Launch


class LaunchSerializer(HubModelSerializer):
    """A launch with its checklist progress. Its checklist follows its type and target date (launches.services)."""

    items_total = serializers.IntegerField(read_only=True, help_text="Checklist items.")
    items_done = serializers.IntegerField(read_only=True, help_text="Checklist items ticked.")
    items_overdue = serializers.IntegerField(read_only=True, help_text="Open items past their due date.")

    class Meta:
        model = Launch
        fields = [
            "id",
            "name",
            "description",
            "launch_type",
            "status",
            "team",
            "owner",
            "start_date",
            "target_date",
            "shipped_on",
            "themes",
            "tracker_keys",
            "items_total",
            "items_done",
            "items_overdue",
            "created_at",
            "updated_at",
        ]

    def create(self, validated_data):
        themes = validated_data.pop("themes", ())
        return services.create_launch(themes=themes, **validated_data)

    def update(self, instance, validated_data):
        """As the admin: a new type regenerates the checklist, a moved target date shifts the open items' due dates."""
        launch_type, target_date = instance.launch_type, instance.target_date
        launch = super().update(instance, validated_data)
        moved = launch.target_date != target_date
        services.launch_changed(launch=launch, type_changed=launch.launch_type != launch_type, target_moved=moved)
        return launch


class ChecklistItemSerializer(HubModelSerializer):
    """One item of a launch's checklist. ``done`` ticks it (``launches.services.set_item_done``): its team only."""

    done = serializers.BooleanField(required=False, help_text="Tick or untick; who and when are recorded.")

    class Meta:
        model = ChecklistItem
        fields = ["id", "launch", "team", "title", "position", "owner", "due_date", "done", "done_by", "done_at"]
        read_only_fields = ["done_by", "done_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "done" in self.fields:
            data["done"] = instance.done_at is not None
        return data

    def validate(self, attrs):
        attrs = super().validate(attrs)
        item = self.instance
        if item is not None and "launch" in attrs and attrs["launch"].pk != item.launch_id:
            raise serializers.ValidationError({"launch": ["An item stays on its launch: add one to the other launch."]})
        done = attrs.get("done")
        if done is None or (item is not None and done == item.is_done):
            return attrs
        user = self.context["request"].user
        # The team rule, for the item as stored and as it would be saved (as the admin's checklist form).
        candidates = [item] if item is not None else []
        if "team" in attrs:
            candidates.append(ChecklistItem(team=attrs["team"], title=attrs.get("title") or getattr(item, "title", "")))
        for candidate in candidates:
            if reason := services.tick_refusal(user, candidate):
                raise exceptions.PermissionDenied(reason)
        return attrs

    def create(self, validated_data):
        done = validated_data.pop("done", None)
        item = super().create(validated_data)
        if done:
            services.set_item_done(item=item, done=True, user=self.context["request"].user)
        return item

    def update(self, instance, validated_data):
        done = validated_data.pop("done", None)
        item = super().update(instance, validated_data)
        if done is not None:
            services.set_item_done(item=item, done=done, user=self.context["request"].user)
        return item
