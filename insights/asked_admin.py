"""The questions asked of the hub (``AskedQuestion``), as a list product ops reads: what leadership and sales have
been asking, which questions abstained ("not enough evidence": a gap in the feedback base), and each past answer
opened again, with its cited items linked and an "Ask again" link to the question box (``insights.ask_admin``).

Read-only: a question is a record of what was asked and answered (superusers may delete one). Who sees the list
follows who may ask (``ask_admin.may_ask``), and which rows follow the Ask page's own "recent questions": everyone's
for whole-book roles, only their own for a sales/CS person (an answer quotes the accounts it was given for).

Fast at 100k questions: the hub's estimated-count paginator (no ``COUNT(*)``), the page in the order of
``asked_question_created_idx``, and the columns read from the answer (cited items, best score) computed in SQL on the
page's rows only, so the answers' JSON is not loaded for the list.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import F, FloatField, Func, IntegerField, JSONField, QuerySet, Value
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from feedback.models import FeedbackItem
from feedbackhub.admin_tools import HubModelAdmin
from feedbackhub.formatting import change_url, money
from insights.ask_admin import URL_NAME, asked_visible_to, may_ask
from insights.ask_answer import CITATION, NO_THEME, OFFLINE
from insights.models import AskedQuestion
from themes.models import Theme

MISTRAL_FAILED = f"{OFFLINE}; "  # written_by of an answer Mistral refused or failed (the extractive one was given)
ITEMS_LINKED = 200  # cited/quoted ids checked for existence on one answer's page (an answer cites at most ~30)


class WrittenByFilter(admin.SimpleListFilter):
    """Who wrote the text, as three fixed choices: no ``SELECT DISTINCT`` over the table (each failure's message
    makes its ``written_by`` unique)."""

    title = "written by"
    parameter_name = "written"

    def lookups(self, request, model_admin):
        return [
            ("offline", "Offline (extractive)"),
            ("mistral", "Mistral"),
            ("fallback", "Mistral refused or failed (extractive given)"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "offline":
            return queryset.filter(written_by=OFFLINE)
        if value == "mistral":
            return queryset.exclude(written_by__startswith=OFFLINE)
        if value == "fallback":
            return queryset.filter(written_by__startswith=MISTRAL_FAILED)
        return queryset


@admin.register(AskedQuestion)
class AskedQuestionAdmin(HubModelAdmin):
    """Every question asked through the box, the API or ``manage.py ask``, newest first."""

    list_display = [
        "question_text",
        "asker",
        "created_at",
        "abstained",
        "strength",
        "cited",
        "writer",
        "duration",
    ]
    list_display_links = ["question_text"]
    list_filter = ["abstained", WrittenByFilter, "created_at"]
    search_fields = ["question"]
    list_select_related = ["asked_by"]
    ordering = ["-created_at", "-id"]
    fieldsets = [
        (None, {"fields": ["question", "asked_by", "created_at", "writer", "seconds", "ask_links"]}),
        ("Filters", {"fields": ["filters_applied"]}),
        ("Answer", {"fields": ["answer_text", "figures", "groups", "nearest", "citations"]}),
    ]
    readonly_fields = [
        "question",
        "asked_by",
        "created_at",
        "writer",
        "seconds",
        "ask_links",
        "filters_applied",
        "answer_text",
        "figures",
        "groups",
        "nearest",
        "citations",
    ]

    # --- Who sees what ---------------------------------------------------------------------------------------------

    def has_module_permission(self, request) -> bool:
        return may_ask(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return may_ask(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # asked through the question box, the API or the command

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a record of what was answered

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def get_queryset(self, request) -> QuerySet:
        """The questions this user may see again; the list reads neither the answers nor the filters (``figures``)."""
        queryset = asked_visible_to(request.user).order_by(*self.ordering)
        if _is_changelist(request):  # a question's own page reads the whole answer
            queryset = queryset.defer("answer", "filters")
        return queryset

    def get_changelist_instance(self, request):
        """The page's rows with their figures from the answer, read in one more query for those rows only: computed
        in the page's own query, a search the planner sorts (a seq scan, then the top 50) computed them for every
        row it matched: a word in all of 100k questions took 1.3 s, 0.15 s so (the unfiltered list: 65 ms)."""
        changelist = super().get_changelist_instance(request)
        changelist.result_list = rows = list(changelist.result_list)
        figures = page_figures([row.pk for row in rows])
        for row in rows:
            row.cited_count, row.best_score = figures.get(row.pk, (0, None))
        return changelist

    # --- Columns ---------------------------------------------------------------------------------------------------

    @admin.display(description="question", ordering="question")
    def question_text(self, obj: AskedQuestion) -> str:
        return str(obj)

    @admin.display(description="asked by", ordering="asked_by__username")
    def asker(self, obj: AskedQuestion) -> str:
        return _person(obj.asked_by)

    @admin.display(description="best match")
    def strength(self, obj: AskedQuestion) -> str:
        """The evidence strength, as ``page_figures`` read it."""
        best = getattr(obj, "best_score", None)
        return "—" if best is None else f"{best:.2f}"

    @admin.display(description="cited items")
    def cited(self, obj: AskedQuestion) -> int:
        if hasattr(obj, "cited_count"):
            return obj.cited_count
        return len((obj.answer or {}).get("citations") or [])

    @admin.display(description="written by", ordering="written_by")
    def writer(self, obj: AskedQuestion) -> str:
        return obj.written_by or "—"

    @admin.display(description="seconds", ordering="seconds")
    def duration(self, obj: AskedQuestion) -> str:
        return f"{obj.seconds:.2f}"

    # --- The answer, readable ----------------------------------------------------------------------------------------

    @admin.display(description="again")
    def ask_links(self, obj: AskedQuestion) -> str:
        page = reverse(f"admin:{URL_NAME}")
        return format_html(
            '<a href="{}">Ask again</a> (the question box, filled in) · <a href="{}">Open on the Ask page</a>',
            f"{page}?{urlencode(ask_again_params(obj))}",
            f"{page}?shown={obj.pk}",
        )

    @admin.display(description="filters")
    def filters_applied(self, obj: AskedQuestion) -> str:
        rows = (obj.answer or {}).get("filters_applied") or []
        if not rows:
            return "All feedback"
        return format_html_join(
            " · ",
            "{}{}",
            ((row.get("label", ""), " (read from the question)" if row.get("source") == "question" else "")
             for row in rows),
        )  # fmt: skip

    @admin.display(description="text")
    def answer_text(self, obj: AskedQuestion) -> str:
        text = (obj.answer or {}).get("answer_text") or ""
        if not text:
            return "—"
        existing = _existing_items(obj)
        linked = CITATION.sub(lambda found: _item_link(int(found.group(1)), existing, bracket=True), escape(text))
        return format_html('<div style="white-space:pre-line;line-height:1.5">{}</div>', mark_safe(linked))

    @admin.display(description="figures")
    def figures(self, obj: AskedQuestion) -> str:
        answer = obj.answer or {}
        totals = answer.get("totals") or {}
        head = "Not enough evidence (abstained)" if obj.abstained else "Answered"
        if not totals:
            return head
        return format_html(
            "{} · {} items · {} unique customers · {} ARR",
            head,
            totals.get("items", 0),
            totals.get("customers", 0),
            money(totals.get("arr")),
        )

    @admin.display(description="by theme")
    def groups(self, obj: AskedQuestion) -> str:
        groups = (obj.answer or {}).get("groups") or []
        if not groups:
            return "—"
        existing = _existing_items(obj)
        return format_html_join("", "{}", ((_group_html(group, existing),) for group in groups))

    @admin.display(description="nearest items (not evidence)")
    def nearest(self, obj: AskedQuestion) -> str:
        rows = (obj.answer or {}).get("nearest") or []
        if not rows:
            return "—"
        existing = _existing_items(obj)
        return format_html_join("", "{}", ((_quote_html(row, existing),) for row in rows))

    @admin.display(description="cited items")
    def citations(self, obj: AskedQuestion) -> str:
        ids = (obj.answer or {}).get("citations") or []
        if not ids:
            return "None"
        existing = _existing_items(obj)
        return mark_safe(" ".join(_item_link(item_id, existing) for item_id in ids))


def page_figures(ids: list[int]) -> dict[int, tuple[int, float | None]]:
    """id → (cited items, best match) of the questions ``ids``, computed in SQL from their answers: the evidence
    strength when an answer states it, else the best score among its quoted and nearest items (the best hit, which is
    the strength retrieval judged)."""
    if not ids:
        return {}
    rows = AskedQuestion.objects.filter(pk__in=ids).values_list(
        "pk",
        Coalesce(
            Func(KeyTransform("citations", "answer"), function="jsonb_array_length"),
            Value(0),
            output_field=IntegerField(),
        ),
        Cast(KT("answer__strength"), FloatField()),
        Func(F("answer"), Value("lax $.**.score"), function="jsonb_path_query_array", output_field=JSONField()),
    )
    figures = {}
    for pk, cited, stated, scores in rows:
        found = [score for score in scores or [] if isinstance(score, int | float) and not isinstance(score, bool)]
        figures[pk] = (cited, stated if stated is not None else (max(found) if found else None))
    return figures


def ask_again_params(obj: AskedQuestion) -> list[tuple[str, str]]:
    """The question box's query string for ``obj``: the question and the filters it was asked with (stored values)."""
    params = [("question", obj.question)]
    for name, value in (obj.filters or {}).items():
        if value is True:
            params.append((name, "on"))
        elif value not in (None, "", False):
            params.append((name, str(value)))
    return params


def _is_changelist(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and (match.url_name or "").endswith("_changelist"))


def _person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def _answer_item_ids(obj: AskedQuestion) -> list[int]:
    answer = obj.answer or {}
    ids = list(answer.get("citations") or [])
    for group in answer.get("groups") or []:
        ids += group.get("item_ids") or []
    ids += [row.get("item_id") for row in answer.get("nearest") or []]
    return [int(pk) for pk in dict.fromkeys(ids) if isinstance(pk, int)][:ITEMS_LINKED]


def _existing_items(obj: AskedQuestion) -> set[int]:
    """The answer's items that still exist (a deleted one shows without a link): one query per answer page."""
    cached = getattr(obj, "_existing_items", None)
    if cached is None:
        ids = _answer_item_ids(obj)
        cached = set(FeedbackItem.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
        obj._existing_items = cached
    return cached


def _item_link(item_id: int, existing: set[int], *, bracket: bool = False) -> SafeString:
    text = f"[#{item_id}]" if bracket else f"#{item_id}"
    if item_id not in existing:
        return escape(text)
    return format_html('<a href="{}">{}</a>', change_url(FeedbackItem, item_id), text)


def _quote_html(row: dict, existing: set[int]) -> SafeString:
    tier = f" ({row['tier']})" if row.get("tier") else ""
    return format_html(
        '<blockquote style="margin:.3rem 0;padding-left:.75rem;border-left:3px solid rgba(120,120,140,.35)">'
        "“{}” — {}{} {}</blockquote>",
        row.get("text", ""),
        row.get("customer", ""),
        tier,
        _item_link(int(row.get("item_id") or 0), existing),
    )


def _group_html(group: dict, existing: set[int]) -> SafeString:
    theme = group.get("theme") or None
    name = (
        format_html('<a href="{}">{}</a>', change_url(Theme, theme["id"]), theme.get("name", ""))
        if theme and theme.get("id")
        else NO_THEME
    )
    items = group.get("items", 0)
    customers = group.get("customers", 0)
    return format_html(
        '<div style="border:1px solid rgba(120,120,140,.2);border-radius:.5rem;padding:.5rem .75rem;margin:.4rem 0">'
        "<b>{}</b><div>{} item{} · {} customer{} · {} ARR</div>{}<div>Cited: {}</div></div>",
        name,
        items,
        "" if items == 1 else "s",
        customers,
        "" if customers == 1 else "s",
        money(group.get("arr")),
        format_html_join("", "{}", ((_quote_html(quote, existing),) for quote in group.get("quotes") or [])),
        mark_safe(" ".join(_item_link(int(pk), existing) for pk in group.get("item_ids") or [])),
    )
