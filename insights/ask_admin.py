"""Ask the hub in the admin (``/admin/ask/``, URL name ``admin:insights_ask``): a question box, the filters as
selects, the answer grouped by theme with its figures and links to the cited items, and the recent questions.

Asking posts to the page, which calls ``insights.ask.ask`` (the one door) and redirects to ``?shown=<id>``: the answer
as it was given, from its stored record, so a reload never asks again and an answer can be shared by its link.
``?question=…&tier=…`` (the stored filter values) fills the box in without asking: the questions-asked list's "Ask
again" (``insights.asked_admin``). Staff who may view feedback items may ask (the answer quotes them). The URL joins
the admin through unfold's ``extra_urls`` hook, as the KPI dashboard's does (the page belongs to no model).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from customers.choices import Industry, Lifecycle, Plan, Region, Tier
from customers.selectors import sees_own_accounts_only
from feedback.choices import Product
from feedback.models import FeedbackItem
from feedbackhub.formatting import change_url, money
from insights.ask import MAX_QUESTION_CHARS, ask, stored_answer
from insights.ask_filters import explicit_filters
from insights.models import AskedQuestion
from themes.models import Theme

URL_NAME = "insights_ask"
RECENT = 12
THEMES_LISTED = 300  # the theme select lists the largest themes; the API takes any theme id


def may_ask(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm("feedback.view_feedbackitem")


def _any(choices) -> list[tuple[str, str]]:
    return [("", "Any"), *choices]


class AskForm(forms.Form):
    """The question and the filters; the question's own words may add more (shown with the answer)."""

    question = forms.CharField(
        max_length=MAX_QUESTION_CHARS,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "What do enterprise healthcare customers say about fine-tuning?"}
        ),
    )
    tier = forms.ChoiceField(choices=_any(Tier.choices), required=False)
    industry = forms.ChoiceField(choices=_any(Industry.choices), required=False)
    region = forms.ChoiceField(choices=_any(Region.choices), required=False)
    lifecycle_stage = forms.ChoiceField(label="Lifecycle", choices=_any(Lifecycle.choices), required=False)
    plan = forms.ChoiceField(choices=_any(Plan.choices), required=False)
    product = forms.ChoiceField(choices=_any(Product.choices), required=False)
    theme = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    community = forms.BooleanField(label="Community authors only", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        largest = Theme.objects.order_by("-feedback_count", "name").values_list("pk", "name")[:THEMES_LISTED]
        self.fields["theme"].choices = [("", "Any"), *sorted(largest, key=lambda row: row[1].lower())]

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["filters"] = explicit_filters({name: cleaned.get(name) for name in self.fields})
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        return cleaned


def ask_view(request: HttpRequest) -> HttpResponse:
    """GET: the box (and ``?shown=<id>``'s answer); POST: ask, then show the answer by its id."""
    if not may_ask(request.user):
        raise PermissionDenied
    page_url = reverse(f"admin:{URL_NAME}")
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            answer = ask(data["question"], filters=data["filters"], user=request.user)
        except ValidationError as error:
            form.add_error("question", error.message_dict.get("question") or error.messages)
        else:
            return HttpResponseRedirect(f"{page_url}?shown={answer.id}")
    shown = _shown(request)
    if shown is not None and request.method == "GET":
        form = AskForm(initial={"question": shown.question, **shown.filters})
    elif request.method == "GET" and request.GET.get("question"):  # "Ask again" from the questions asked: filled in
        form = AskForm(initial={name: request.GET[name] for name in AskForm.base_fields if request.GET.get(name)})
    context = {
        **admin.site.each_context(request),
        "title": "Ask the hub",
        "form": form,
        "answer": _answer_context(shown) if shown else None,
        "recent": asked_visible_to(request.user).select_related("asked_by")[:RECENT],
        "page_url": page_url,
    }
    return TemplateResponse(request, "admin/insights/ask.html", context)


def _shown(request: HttpRequest) -> AskedQuestion | None:
    try:
        pk = int(request.GET.get("shown", ""))
    except ValueError:
        return None
    asked = asked_visible_to(request.user).filter(pk=pk).first()
    if asked is None:
        messages.warning(request, f"No question #{pk}.")
    return asked


def asked_visible_to(user):
    """The questions ``user`` may see again: everyone's for whole-book roles, their own for a sales/CS person (an
    answer quotes the accounts it was given for)."""
    questions = AskedQuestion.objects.all()
    return questions.filter(asked_by=user) if sees_own_accounts_only(user) else questions


def _answer_context(asked: AskedQuestion) -> dict:
    """The stored answer with links to each cited item (a cited item deleted since shows without a link)."""
    answer = stored_answer(asked)
    existing = set(FeedbackItem.objects.filter(pk__in=answer.citations).values_list("pk", flat=True))

    def item_link(item_id: int) -> dict:
        return {"id": item_id, "url": change_url(FeedbackItem, item_id) if item_id in existing else ""}

    groups = [
        {
            "name": group.theme["name"] if group.theme else "No theme yet",
            "theme_url": change_url(Theme, group.theme["id"]) if group.theme else "",
            "items": group.items,
            "customers": group.customers,
            "arr": money(group.arr),
            "cited": [item_link(item_id) for item_id in group.item_ids],
            "quotes": [{**quote, **item_link(quote["item_id"])} for quote in group.quotes],
        }
        for group in answer.groups
    ]
    nearest = [{**row, **item_link(row["item_id"])} for row in answer.nearest]
    return {
        "record": asked,
        "data": answer,
        "groups": groups,
        "nearest": nearest,
        "totals": {**answer.totals, "arr": money(answer.totals.get("arr"))} if answer.totals else None,
        "written_by_model": not answer.written_by.startswith("offline"),
        "citations": [item_link(item_id) for item_id in answer.citations],
    }


def _extra_urls(previous):
    def extra_urls() -> list:
        earlier = previous() if callable(previous) else []
        return [path("ask/", admin.site.admin_view(ask_view), name=URL_NAME), *earlier]

    return extra_urls


if not getattr(admin.site, "_ask_urls_added", False):  # unfold's AdminSite.get_urls calls ``extra_urls()``
    admin.site.extra_urls = _extra_urls(getattr(admin.site, "extra_urls", None))
    admin.site._ask_urls_added = True
