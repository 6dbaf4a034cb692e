"""The pages `make bench` measures, each with its URL in FeedbackHub's admin and in the plain baseline (if any).

Feedback changelist: the default list, every plain choice filter the admin offers (its rarest and its commonest
value), the offered sorts both ways, search, search plus a filter, page 2 and the deepest page the pager links to,
the theme filter with the biggest theme. Customers: default, tier, at risk, search, by ARR. Themes: the list and
the biggest theme's page. One feedback item's change page. The role views, the home dashboard and the launch
calendar and timeline, which have no plain equivalent.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse

from bench.data import Picks, choice_filter_paths
from bench.plain_admin import plain_columns
from customers.models import Customer
from feedback.models import FeedbackItem
from feedbackhub.admin_tools import MAX_PAGES

LIST = "list"  # a changelist of ours with a plain twin: the changelist goals apply
VIEW = "view"  # a role view, dashboard, theme page, calendar, change page: the page goal applies

SEARCH_FEEDBACK = "latency"
SEARCH_CUSTOMERS = "bank"


@dataclass(frozen=True)
class Page:
    """One row of the table."""

    label: str
    kind: str
    ours: str
    plain: str | None = None
    who: str = "admin"  # "admin": the superuser; "sales": the sales user
    plain_capped: bool = False  # the plain page runs for minutes: one request, stopped at the cap


def url(name: str, *args, **params) -> str:
    """``reverse(name, args)`` with ``params`` as the query string."""
    base = reverse(name, args=args)
    return f"{base}?{urlencode(params)}" if params else base


def twin(label: str, name: str, *args, kind: str = LIST, **params) -> Page:
    """A page of our admin (``admin:<name>``) and its plain twin (``plain:<name>``), same arguments and query."""
    return Page(label, kind, url(f"admin:{name}", *args, **params), url(f"plain:{name}", *args, **params))


def column(model_admin: admin.ModelAdmin, name: str) -> int:
    """The 1-based list_display position of ``name`` (the admin's ``?o=`` parameter)."""
    return list(model_admin.list_display).index(name) + 1


def sort_pages(model, name: str, plain_site: admin.AdminSite, *, label: str) -> list[Page]:
    """Sorting by column ``name``, ascending then descending, in both admins (positions may differ)."""
    ours_col = column(admin.site._registry[model], name)
    plain_col = column(plain_site._registry[model], plain_columns(model, [name])[0])
    changelist = f"{model._meta.app_label}_{model._meta.model_name}_changelist"
    return [
        Page(
            f"{label} {arrow}",
            LIST,
            url(f"admin:{changelist}", o=f"{sign}{ours_col}"),
            url(f"plain:{changelist}", o=f"{sign}{plain_col}"),
        )
        for arrow, sign in (("↑", ""), ("↓", "-"))
    ]


def feedback_pages(picks: Picks, plain_site: admin.AdminSite) -> list[Page]:
    ours = admin.site._registry[FeedbackItem]
    changelist = "feedback_feedbackitem_changelist"
    pages = [twin("feedback: default", changelist)]
    for path in choice_filter_paths(ours):
        rarest, commonest = picks.choice_filters[path]
        pages.append(twin(f"feedback: {path}={rarest} (rarest)", changelist, **{f"{path}__exact": rarest}))
        pages.append(twin(f"feedback: {path}={commonest} (commonest)", changelist, **{f"{path}__exact": commonest}))
    for name in ours.sortable_by or ():
        pages += sort_pages(FeedbackItem, name, plain_site, label=f"feedback: sort {name}")
    category = "pain_point"  # the generator never says "latency" in a bug; pain points do (~14k)
    pages += [
        twin(f"feedback: search '{SEARCH_FEEDBACK}'", changelist, q=SEARCH_FEEDBACK),
        twin(f"feedback: search + category={category}", changelist, q=SEARCH_FEEDBACK, category__exact=category),
        twin("feedback: page 2", changelist, p=2),
        twin(f"feedback: page {MAX_PAGES} (deepest linked)", changelist, p=MAX_PAGES),
        twin(f"feedback: theme #{picks.biggest_theme} (biggest)", changelist, themes__id__exact=picks.biggest_theme),
    ]
    return pages


def customer_pages(plain_site: admin.AdminSite) -> list[Page]:
    changelist = "customers_customer_changelist"
    return [
        twin("customers: default", changelist),
        twin("customers: tier=enterprise", changelist, tier__exact="enterprise"),
        twin("customers: at_risk=yes", changelist, at_risk="yes"),
        twin(f"customers: search '{SEARCH_CUSTOMERS}'", changelist, q=SEARCH_CUSTOMERS),
        sort_pages(Customer, "arr_usd", plain_site, label="customers: sort ARR")[1],
    ]


def theme_pages(picks: Picks) -> list[Page]:
    return [
        twin("themes: default", "themes_theme_changelist"),
        twin(f"theme #{picks.biggest_theme} change page", "themes_theme_change", picks.biggest_theme, kind=VIEW),
    ]


def other_pages(picks: Picks) -> list[Page]:
    item = picks.feedback_item
    return [
        Page(
            f"feedback #{item} change page",
            VIEW,
            url("admin:feedback_feedbackitem_change", item),
            url("plain:feedback_feedbackitem_change", item),
            plain_capped=True,
        ),
        Page("feedback: edit in grid", VIEW, url("admin:feedback_feedbackitem_changelist", grid="edit")),
        Page("leadership view", VIEW, url("admin:themes_leadershiptheme_changelist")),
        Page("engineering bugs view", VIEW, url("admin:feedback_bugreport_changelist")),
        Page(
            f"PM product board ({picks.board_product})",
            VIEW,
            url("admin:feedback_productboard_changelist", product=picks.board_product),
        ),
        Page("sales: my accounts' feedback", VIEW, url("admin:feedback_accountfeedback_changelist"), who="sales"),
        Page("home dashboard", VIEW, url("admin:index")),
        Page("launch calendar", VIEW, url("admin:launches_launch_calendar")),
        Page("launch timeline", VIEW, url("admin:launches_launch_timeline")),
    ]


def all_pages(picks: Picks, plain_site: admin.AdminSite) -> list[Page]:
    return [*feedback_pages(picks, plain_site), *customer_pages(plain_site), *theme_pages(picks), *other_pages(picks)]
