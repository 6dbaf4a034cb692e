"""The admin of community listening (``integrations.community``): the watches (which community, which brand and
product queries, how the last fetch went, "Fetch now") and the authors, where a person matches an author to a
customer — their items then carry that customer instead of sitting in the "community" segment.

Registered by one import in ``integrations/admin.py``. Authors are never added or deleted by hand: fetches create
them; only their customer is edited, through ``community.match_author`` (every door uses the service).
"""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from unfold.decorators import action, display

from feedbackhub.admin_tools import HubModelAdmin, queue_from_admin
from integrations import community
from integrations.community_tasks import FETCH_EXPIRES, fetch_community_watch
from integrations.models import CommunityAuthor, CommunityWatch


@admin.register(CommunityWatch)
class CommunityWatchAdmin(HubModelAdmin):
    """One row per community listened to: its queries, whether it runs, its last fetch and error."""

    list_display = ["name", "source", "enabled", "query_list", "last_fetched_at", "counts", "error_start"]
    list_filter = ["source", "enabled"]
    search_fields = ["name", "base_url"]
    fields = ["name", "source", "base_url", "queries", "enabled", "last_fetched_at", "last_result", "last_error"]
    readonly_fields = ["last_fetched_at", "last_result", "last_error", "cursor"]
    actions = ["fetch_now"]
    actions_detail = ["fetch_one"]
    offers_saved_views = False

    def get_fields(self, request, obj=None):
        return [*self.fields, "cursor"] if obj is not None else self.fields[:5]

    def has_fetch_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("integrations.change_communitywatch")

    @action(description="Fetch now", permissions=["fetch"])
    def fetch_now(self, request, queryset: QuerySet) -> None:
        self._queue(request, list(queryset.values_list("pk", "name")))

    @action(description="Fetch now", url_path="fetch-now", icon="sync", permissions=["fetch"])
    def fetch_one(self, request, object_id: str):
        watch = self.get_object(request, object_id)
        if watch is not None:
            self._queue(request, [(watch.pk, watch.name)])
        return HttpResponseRedirect(reverse("admin:integrations_communitywatch_change", args=[object_id]))

    def _queue(self, request, watches: list[tuple[int, str]]) -> None:
        queued = [
            name
            for pk, name in watches
            if queue_from_admin(
                self,
                request,
                partial(fetch_community_watch.apply_async, (pk,), expires=FETCH_EXPIRES, retry=False),
                what=f"the fetch of {name}",
            )
        ]
        if queued:
            text = f"Fetch queued for {', '.join(queued)}: its result shows here when it ends."
            self.message_user(request, text, messages.SUCCESS)

    @admin.display(description="queries")
    def query_list(self, obj: CommunityWatch) -> str:
        return ", ".join(obj.queries)

    @admin.display(description="last fetch")
    def counts(self, obj: CommunityWatch) -> str:
        result = obj.last_result or {}
        if "fetched" not in result:
            return "—"
        text = f"{result['fetched']} fetched, {result.get('created', 0)} new items, {result['off_topic']} off topic"
        if result.get("backlog"):  # the page budget stopped a query: its older posts are read by the next run
            text += f"; older posts left for the next run ({', '.join(result['backlog'])})"
        if result.get("unreachable"):
            text += f"; {len(result['unreachable'])} window(s) the source could not serve (see last result)"
        return text

    @display(description="error", label={"error": "danger"})
    def error_start(self, obj: CommunityWatch) -> tuple[str, str] | str:
        return ("error", Truncator(obj.last_error).chars(80)) if obj.last_error else ""


class MatchedFilter(admin.SimpleListFilter):
    """Matched to a customer, or still in the community segment."""

    title = "customer"
    parameter_name = "matched"

    def lookups(self, request, model_admin):
        return [("yes", "Matched to a customer"), ("no", "Community (not matched)")]

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            return queryset.filter(customer__isnull=self.value() == "no")
        return queryset


@admin.register(CommunityAuthor)
class CommunityAuthorAdmin(HubModelAdmin):
    """Community authors; set a customer to match one (their items follow), clear it to unmatch."""

    list_display = ["handle", "source", "customer", "posts", "first_seen_at", "profile"]
    list_filter = ["source", MatchedFilter]
    list_select_related = ["customer"]
    search_fields = ["handle"]
    autocomplete_fields = ["customer"]
    fields = ["handle", "source", "profile", "customer", "posts", "first_seen_at", "items"]
    readonly_fields = ["handle", "source", "profile", "posts", "first_seen_at", "items"]
    ordering = ["-posts", "handle"]
    offers_saved_views = False

    def has_add_permission(self, request) -> bool:
        return False  # authors come from the fetches

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # their items keep pointing at them by handle

    def save_model(self, request, obj, form, change) -> None:
        if "customer" not in form.changed_data:
            return
        stored = CommunityAuthor.objects.get(pk=obj.pk)
        changed = community.match_author(author=stored, customer=form.cleaned_data["customer"])
        who = f"“{stored.customer}”" if stored.customer else "nobody (community segment)"
        self.message_user(request, f"{obj.handle} now attributed to {who}: {changed} item(s) updated.")

    @admin.display(description="profile")
    def profile(self, obj: CommunityAuthor) -> str:
        if not obj.profile_url:
            return "—"
        return format_html('<a href="{}" rel="noopener" target="_blank">{}</a>', obj.profile_url, obj.handle)

    @admin.display(description="feedback items")
    def items(self, obj: CommunityAuthor) -> int:
        return community.author_items(obj).count()
