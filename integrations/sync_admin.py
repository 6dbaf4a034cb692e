"""The admin page of the connectors' 15-minute sync (``integrations.sync``): per source, how far it got, how its last
run went and why it failed; "Sync now" queues a run (after fixing a credential, say) instead of waiting for beat.

Nothing here is edited by hand: the rows are written by the sync itself (a source gets its row on its first run).
"""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.text import Truncator
from unfold.decorators import action, display

from feedbackhub.admin_tools import HubModelAdmin, ReadOnlyAdminMixin, queue_from_admin
from integrations import sync
from integrations.choices import SyncStatus
from integrations.models import ConnectorSync
from integrations.tasks import SYNC_EXPIRES, sync_connector


@admin.register(ConnectorSync)
class ConnectorSyncAdmin(ReadOnlyAdminMixin, HubModelAdmin):
    """One row per source that has synced: its watermark, last run, counts and error."""

    list_display = ["source", "status", "configured", "synced_until", "last_finished_at", "counts", "error_start"]
    list_filter = ["last_status"]
    readonly_fields = [
        "source",
        "configured",
        "synced_until",
        "last_started_at",
        "last_finished_at",
        "last_status",
        "failures",
        "last_result",
        "last_error",
    ]
    fields = readonly_fields
    actions = ["sync_now"]
    actions_detail = ["sync_one"]
    offers_saved_views = False

    def has_sync_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("integrations.view_connectorsync") and request.user.is_staff

    # --- Actions: queue a run now ------------------------------------------------------------------------------------

    @action(description="Sync now", permissions=["sync"])
    def sync_now(self, request, queryset: QuerySet) -> None:
        self._queue(request, list(queryset.values_list("source", flat=True)))

    @action(description="Sync now", url_path="sync-now", icon="sync", permissions=["sync"])
    def sync_one(self, request, object_id: str):
        row = self.get_object(request, object_id)
        if row is not None:
            self._queue(request, [row.source])
        return HttpResponseRedirect(reverse("admin:integrations_connectorsync_change", args=[object_id]))

    def _queue(self, request, sources: list[str]) -> None:
        ready = [
            source
            for source in sources
            if sync.is_configured(source)
            and queue_from_admin(
                self,
                request,
                partial(sync_connector.apply_async, (source,), expires=SYNC_EXPIRES, retry=False),
                what=f"the {source} sync",
            )
        ]
        if ready:
            self.message_user(request, f"Sync queued for {', '.join(ready)}.", messages.SUCCESS)
        if skipped := sorted(source for source in set(sources) if not sync.is_configured(source)):
            self.message_user(
                request, f"Not configured (no credentials in the settings): {', '.join(skipped)}.", messages.WARNING
            )

    # --- Columns -----------------------------------------------------------------------------------------------------

    @display(description="last run", label={SyncStatus.SUCCEEDED: "success", SyncStatus.FAILED: "danger"})
    def status(self, obj: ConnectorSync) -> tuple[str, str]:
        if not obj.last_status:
            return "", "running" if obj.last_started_at else "never"
        label = obj.get_last_status_display()
        return obj.last_status, f"{label} ({obj.failures} in a row)" if obj.failures > 1 else label

    @admin.display(description="configured", boolean=True)
    def configured(self, obj: ConnectorSync) -> bool:
        return sync.is_configured(obj.source)

    @admin.display(description="items")
    def counts(self, obj: ConnectorSync) -> str:
        result = obj.last_result or {}
        if "fetched" not in result:
            return "—"
        taken = ", ".join(f"{result[key]} {key}" for key in ("created", "updated", "rejected") if result.get(key))
        return f"{result['fetched']} fetched" + (f": {taken}" if taken else "")

    @admin.display(description="error")
    def error_start(self, obj: ConnectorSync) -> str:
        return Truncator(obj.last_error).chars(80)
