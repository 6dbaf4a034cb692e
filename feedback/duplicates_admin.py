"""Duplicate suggestions in the admin: the review queue, and each item's suggested duplicates and related items.

- **Duplicate suggestions** (the queue): pending first, both texts side by side, the similarity and the customers;
  Confirm / Reject on each row and as bulk actions, Undo on a confirmed row. Every decision goes through
  ``feedback.duplicates`` (confirm merges through ``services.merge_duplicates``).
- **The item's page** gains a "Duplicates" section: what this item may duplicate or relate to, and the newer items
  suggested as its duplicates, with links and the same buttons (bounded: ``SHOWN`` rows each, two queries).

Imported once by ``feedback/admin.py`` (after ``FeedbackItemAdmin`` is defined).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from unfold.decorators import action, display

from feedback import duplicates
from feedback.admin import FeedbackItemAdmin
from feedback.models import DuplicateSuggestion, FeedbackItem
from feedbackhub.admin_tools import HubModelAdmin
from feedbackhub.formatting import link, pill

Kind, Decision = DuplicateSuggestion.Kind, DuplicateSuggestion.Decision
DECISION_COLOURS = {Decision.PENDING: "amber", Decision.CONFIRMED: "green", Decision.REJECTED: "grey"}
KIND_COLOURS = {Kind.DUPLICATE: "red", Kind.RELATED: "blue"}
TEXT_CHARS = 280  # of each verbatim in the queue
SHOWN = 20  # suggestions listed per side on an item's page
CHANGE_FEEDBACK = "feedback.change_feedbackitem"  # confirming or undoing merges items


def _excerpt(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else f"{text[: TEXT_CHARS - 1]}…"


def _button(url: str, label: str, *, danger: bool = False) -> str:
    """A POST button that works inside the page's own form (the changelist or the change form): ``formaction``."""
    colour = "#b91c1c" if danger else "#1d4ed8"
    return format_html(
        '<button type="submit" formaction="{}" formmethod="post" formnovalidate '
        'style="padding:.1rem .6rem;border:1px solid {};color:{};border-radius:.375rem;margin:.1rem">{}</button>',
        url,
        colour,
        colour,
        label,
    )


def decision_buttons(suggestion: DuplicateSuggestion, *, back: str = "") -> str:
    """Confirm / Reject for a pending suggestion, Undo for a confirmed one (POST to the queue's views)."""
    suffix = f"?next={back}" if back else ""
    if suggestion.decision == Decision.PENDING:
        confirm = reverse("admin:feedback_duplicatesuggestion_decide", args=[suggestion.pk, "confirm"])
        reject = reverse("admin:feedback_duplicatesuggestion_decide", args=[suggestion.pk, "reject"])
        return _button(confirm + suffix, "Confirm") + _button(reject + suffix, "Reject", danger=True)
    if suggestion.decision == Decision.CONFIRMED:
        undo = reverse("admin:feedback_duplicatesuggestion_decide", args=[suggestion.pk, "undo"])
        return _button(undo + suffix, "Undo merge", danger=True)
    return ""


@admin.register(DuplicateSuggestion)
class DuplicateSuggestionAdmin(HubModelAdmin):
    """The review queue: a PM confirms (merges) or rejects each suggested duplicate; related items are listed too."""

    list_display = [
        "decision_pill",
        "kind_pill",
        "new_item",
        "suggested_parent",
        "similarity_percent",
        "customers",
        "created_at",
        "buttons",
    ]
    list_display_links = None
    list_filter = ["decision", "kind"]
    list_select_related = ["item__customer", "parent__customer", "space"]
    sortable_by = []  # pending first, newest first: the queue's one order
    actions = ["confirm_selected", "reject_selected"]
    readonly_fields = [
        "item",
        "parent",
        "kind",
        "similarity",
        "space",
        "decision",
        "merge",
        "decided_by",
        "decided_at",
        "created_at",
    ]
    offers_saved_views = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("item__raw_payload", "parent__raw_payload")

    def get_ordering(self, request: HttpRequest) -> list:
        """Pending first, then newest first."""
        pending_first = Case(
            When(decision=Decision.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return [pending_first.asc(), "-created_at", "-id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def may_decide(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request) and request.user.has_perm(CHANGE_FEEDBACK)

    # --- Columns ------------------------------------------------------------------------------------------------

    @display(description="decision")
    def decision_pill(self, obj: DuplicateSuggestion) -> str:
        return pill(obj.get_decision_display(), DECISION_COLOURS[obj.decision])

    @display(description="kind")
    def kind_pill(self, obj: DuplicateSuggestion) -> str:
        return pill(obj.get_kind_display(), KIND_COLOURS[obj.kind])

    @display(description="new item")
    def new_item(self, obj: DuplicateSuggestion) -> str:
        return format_html(
            "{}<br><small>{}</small>",
            link(FeedbackItem, obj.item_id, _excerpt(obj.item.verbatim)),
            obj.item.received_at.strftime("%Y-%m-%d"),
        )

    @display(description="may duplicate (older item)")
    def suggested_parent(self, obj: DuplicateSuggestion) -> str:
        return format_html(
            "{}<br><small>{}</small>",
            link(FeedbackItem, obj.parent_id, _excerpt(obj.parent.verbatim)),
            obj.parent.received_at.strftime("%Y-%m-%d"),
        )

    @display(description="similarity")
    def similarity_percent(self, obj: DuplicateSuggestion) -> str:
        return f"{obj.similarity:.0%}"

    @display(description="customers")
    def customers(self, obj: DuplicateSuggestion) -> str:
        names = [item.customer.name if item.customer_id else "—" for item in (obj.item, obj.parent)]
        return format_html("{}<br><small>older: {}</small>", *names)

    @display(description="")
    def buttons(self, obj: DuplicateSuggestion) -> str:
        return decision_buttons(obj)

    # --- Decisions ----------------------------------------------------------------------------------------------

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path("<int:suggestion_id>/<str:decision>/", decide, name="feedback_duplicatesuggestion_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, suggestion_id: int, decision: str):
        """POST: confirm, reject or undo one suggestion through ``feedback.duplicates``; back to where it was asked."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if decision not in {"confirm", "reject", "undo"}:
            raise PermissionDenied
        if not self.may_decide(request):
            raise PermissionDenied
        suggestion = get_object_or_404(DuplicateSuggestion, pk=suggestion_id)
        service = {
            "confirm": duplicates.confirm_suggestion,
            "reject": duplicates.reject_suggestion,
            "undo": duplicates.undo_suggestion,
        }[decision]
        try:
            service(suggestion=suggestion, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            done = {"confirm": "Merged", "reject": "Rejected", "undo": "Undid the merge of"}[decision]
            self.message_user(request, f"{done} #{suggestion.item_id} → #{suggestion.parent_id}.", messages.SUCCESS)
        back = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("admin:feedback_duplicatesuggestion_changelist")
        return HttpResponseRedirect(back or reverse("admin:feedback_duplicatesuggestion_changelist"))

    def _decide(self, request: HttpRequest, queryset: QuerySet, *, confirm: bool) -> None:
        if not request.user.has_perm(CHANGE_FEEDBACK):
            raise PermissionDenied
        chosen = list(queryset.select_related(None).order_by("created_at", "id"))
        result = duplicates.decide_suggestions(suggestions=chosen, confirm=confirm, user=request.user)
        verb = "Merged" if confirm else "Rejected"
        self.message_user(request, f"{verb} {result.done} suggestion(s).", messages.SUCCESS)
        if result.refused:
            self.message_user(request, "Left as they were: " + "; ".join(result.refused), messages.WARNING)

    @action(description="Confirm (merge into the older item)", permissions=["change"])
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, confirm=True)

    @action(description="Reject (not a duplicate)", permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, confirm=False)


# --- The item's page: its suggestions, both ways ----------------------------------------------------------------


def _rows(suggestions: list[DuplicateSuggestion], *, other: str, back: str) -> str:
    return format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                pill(s.get_kind_display(), KIND_COLOURS[s.kind]),
                link(FeedbackItem, getattr(s, f"{other}_id"), _excerpt(getattr(s, other).verbatim)),
                getattr(s, other).customer.name if getattr(s, other).customer_id else "—",
                f"{s.similarity:.0%}",
                pill(s.get_decision_display(), DECISION_COLOURS[s.decision]),
                decision_buttons(s, back=back),
            )
            for s in suggestions
        ),
    )


def _table(title: str, rows: str, more_url: str = "") -> str:
    note = format_html('<p><small><a href="{}">Every one in the queue…</a></small></p>', more_url) if more_url else ""
    return format_html(
        '<p><b>{}</b></p><table style="width:100%"><tr><th>kind</th><th>item</th><th>customer</th>'
        "<th>similarity</th><th>decision</th><th></th></tr>{}</table>{}",
        title,
        rows,
        note,
    )


@admin.display(description="duplicates and related items")
def duplicate_suggestions(self, obj: FeedbackItem | None) -> str:
    """What this item may duplicate or relate to (older items), and the newer items suggested as its duplicates."""
    if obj is None or not obj.pk:
        return "—"
    back = reverse("admin:feedback_feedbackitem_change", args=[obj.pk])
    live = DuplicateSuggestion.objects.exclude(decision=Decision.REJECTED).defer(
        "item__raw_payload", "parent__raw_payload"
    )
    mine = list(live.filter(item=obj).select_related("parent__customer").order_by("kind", "-similarity")[:SHOWN])
    theirs = list(live.filter(parent=obj).select_related("item__customer").order_by("kind", "-similarity")[: SHOWN + 1])
    if not mine and not theirs:
        return "No suggested duplicates or related items."
    parts = []
    if mine:
        parts.append(_table("This item may duplicate or relate to", _rows(mine, other="parent", back=back)))
    if theirs:
        queue = reverse("admin:feedback_duplicatesuggestion_changelist") + f"?parent__exact={obj.pk}"
        more = queue if len(theirs) > SHOWN else ""
        parts.append(
            _table("Newer items suggested as its duplicates", _rows(theirs[:SHOWN], other="item", back=back), more)
        )
    return format_html_join("", "{}", ((part,) for part in parts))


FeedbackItemAdmin.duplicate_suggestions = duplicate_suggestions
FeedbackItemAdmin.readonly_fields = [*FeedbackItemAdmin.readonly_fields, "duplicate_suggestions"]
FeedbackItemAdmin.fieldsets = [*FeedbackItemAdmin.fieldsets, ("Duplicates", {"fields": ["duplicate_suggestions"]})]
