"""Saved views of the admin changelists: the one door they are written through, and the reads that carry a rule.

A view is a changelist's query string (filters, search ``q``, sort ``o``, columns ``cols``) under a name. It never
grants access: opening it is opening the changelist with that query, which runs the admin's own permission checks and
row scoping. Who may save: a staff user, for a changelist they may view. Who may share: with their own groups (roles),
superusers with any. Who sees a view: its owner and the members of the groups it is shared with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.models import Group
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from feedbackhub.models import NAME_MAX_LENGTH, QUERY_MAX_LENGTH, SavedView

COLUMNS_VAR = "cols"  # ?cols=name,tier,arr_usd: the changelist's columns, in that order (HubModelAdmin)
# Parameters that describe where the user was, not what they look at: the page, the error flag, a popup's plumbing.
NOISE_PARAMS = frozenset({"p", "e", "_changelist_filters", "_popup", "_to_field", "_sort"})
BLANK_MEANS_ABSENT = frozenset({"q", "o", COLUMNS_VAR})  # a filter's blank value is a value; these are not
MAX_PARAMS = 100


@dataclass(frozen=True)
class CheckedView:
    """What ``check_view`` accepted: the name as stored, the normalised query, the groups to share with."""

    name: str
    query: str
    groups: list[Group]


# --- Reads -----------------------------------------------------------------------------------------------------------


def normalise_query(query: str) -> str:
    """``query`` as stored: no page, error flag or popup plumbing; one ``cols``; parameters in name order.

    Idempotent; the order of repeated values of one parameter is kept (it can matter to a filter).
    """
    try:
        pairs = parse_qsl(query.strip().lstrip("?"), keep_blank_values=True, max_num_fields=MAX_PARAMS)
    except ValueError as error:
        raise ValidationError({"query": f"A view keeps at most {MAX_PARAMS} parameters."}) from error
    columns: list[str] = []
    kept: list[tuple[str, str]] = []
    for key, value in pairs:
        if key in NOISE_PARAMS or (key in BLANK_MEANS_ABSENT and not value.strip()):
            continue
        if key == COLUMNS_VAR:
            columns += [name for name in split_columns(value) if name not in columns]
            continue
        kept.append((key, value))
    if columns:
        kept.append((COLUMNS_VAR, ",".join(columns)))
    kept.sort(key=lambda pair: pair[0])  # stable: repeated values of one key keep their order
    return urlencode(kept, safe=",")


def split_columns(value: str) -> list[str]:
    """The column names of one ``cols`` value (comma-separated; blanks dropped)."""
    return [name for name in (part.strip() for part in value.split(",")) if name]


def changelist_admin(app_label: str, model_name: str) -> admin.ModelAdmin | None:
    """The registered admin of ``app_label.model_name`` if its changelist offers saved views, else None."""
    try:
        model = apps.get_model(app_label, model_name)
        model_admin = admin.site.get_model_admin(model)
    except (LookupError, ValueError, NotRegistered):
        return None
    return model_admin if getattr(model_admin, "offers_saved_views", False) else None


def may_view_changelist(user, model_admin: admin.ModelAdmin) -> bool:
    """Whether ``user`` may open ``model_admin``'s changelist (the admin's own check, not a copy of it)."""
    request = HttpRequest()
    request.user = user
    return bool(user.is_active and user.is_staff and model_admin.has_view_permission(request))


def changelists_for(user) -> list[tuple[str, str]]:
    """``("app_label.model_name", "App: Models")`` of every changelist ``user`` may save a view of, by label."""
    found = []
    for model, model_admin in admin.site._registry.items():
        if getattr(model_admin, "offers_saved_views", False) and may_view_changelist(user, model_admin):
            label = f"{model._meta.app_config.verbose_name}: {model._meta.verbose_name_plural.capitalize()}"
            found.append((f"{model._meta.app_label}.{model._meta.model_name}", label))
    return sorted(found, key=lambda choice: choice[1])


def changelist_url(app_label: str, model_name: str, query: str = "") -> str | None:
    """The changelist's URL with ``query`` (None when there is no such changelist)."""
    try:
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


def _shared_with_user(user) -> Exists:
    through = SavedView.shared_with.through
    return Exists(through.objects.filter(savedview=OuterRef("pk"), group__user=user))


def visible_views(user) -> QuerySet[SavedView]:
    """The views ``user`` may open from the SavedView admin: their own and those shared with their groups (all, for a
    superuser)."""
    if user.is_superuser:
        return SavedView.objects.all()
    return SavedView.objects.filter(Q(owner=user) | _shared_with_user(user))


def changelist_views(*, user, app_label: str, model_name: str) -> list[SavedView]:
    """The views of one changelist ``user`` owns or that are shared with one of their groups, by name: one query.

    Each carries ``shared_names`` (its groups' names, in order) and its owner.
    """
    return list(
        SavedView.objects.filter(app_label=app_label, model_name=model_name)
        .filter(Q(owner=user) | _shared_with_user(user))
        .select_related("owner")
        .only(
            "name",
            "query",
            "app_label",
            "model_name",
            "owner",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
        )
        .annotate(
            shared_names=ArrayAgg(
                "shared_with__name",
                order_by="shared_with__name",
                filter=Q(shared_with__isnull=False),
                default=Value([]),
            )
        )
        .order_by("name", "id")
    )


def shareable_groups(user) -> QuerySet[Group]:
    """The groups ``user`` may share a view with: their own (any, for a superuser), by name."""
    groups = Group.objects.all() if user.is_superuser else Group.objects.filter(user=user)
    return groups.order_by("name")


def may_change(user, view: SavedView) -> bool:
    """Only its owner (or a superuser) renames, re-shares or deletes a view; the others see it read-only."""
    return bool(user.is_active and (user.is_superuser or view.owner_id == user.pk))


# --- Checks ----------------------------------------------------------------------------------------------------------


def check_view(
    *,
    user,
    app_label: str,
    model_name: str,
    name: str,
    query: str,
    share_with: Iterable[Group | int | str] = (),
    view: SavedView | None = None,
) -> CheckedView:
    """Everything ``save_view``/``update_view`` require, as field errors (``name``, ``changelist``, ``query``,
    ``shared_with``) in one ValidationError; ``view`` is the one being changed, if any."""
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = "Give the view a name."
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = f"A view's name has at most {NAME_MAX_LENGTH} characters (this one has {len(name)})."
    model_admin = changelist_admin(app_label, model_name)
    if model_admin is None or not may_view_changelist(user, model_admin):
        errors["changelist"] = "You cannot save a view of this list: it does not exist or you may not open it."
    try:
        query = normalise_query(query or "")
    except ValidationError as error:
        errors.update({key: messages[0] for key, messages in error.message_dict.items()})
    else:
        if len(query) > QUERY_MAX_LENGTH:
            errors["query"] = f"This view's filters are too long to keep ({len(query)} characters, at most "
            errors["query"] += f"{QUERY_MAX_LENGTH}): remove a few."
    groups, share_error = _groups_to_share(user, share_with)
    if share_error:
        errors["shared_with"] = share_error
    if "name" not in errors and "changelist" not in errors and _name_taken(view, user, app_label, model_name, name):
        errors["name"] = (
            f"You already have a view named “{name}” on this list: pick another name, or change that view "
            "from Saved views."
        )
    if errors:
        raise ValidationError(errors)
    return CheckedView(name=name, query=query, groups=groups)


def _groups_to_share(user, share_with: Iterable[Group | int | str]) -> tuple[list[Group], str]:
    wanted = set()
    for group in share_with or ():
        try:
            wanted.add(group.pk if isinstance(group, Group) else int(group))
        except (TypeError, ValueError):
            return [], f"{group!r} is not a role."
    if not wanted:
        return [], ""
    groups = list(Group.objects.filter(pk__in=wanted))
    if len(groups) != len(wanted):
        return [], "One of those roles no longer exists."
    if not user.is_superuser:
        own = set(user.groups.values_list("pk", flat=True))
        foreign = sorted(group.name for group in groups if group.pk not in own)
        if foreign:
            return [], f"You can share a view only with roles you are in; you are not in {', '.join(foreign)}."
    return groups, ""


def _name_taken(view: SavedView | None, user, app_label: str, model_name: str, name: str) -> bool:
    owner_id = view.owner_id if view is not None else user.pk
    others = SavedView.objects.filter(owner_id=owner_id, app_label=app_label, model_name=model_name, name__iexact=name)
    if view is not None and view.pk:
        others = others.exclude(pk=view.pk)
    return others.exists()


# --- Writes ----------------------------------------------------------------------------------------------------------


def save_view(
    *,
    user,
    app_label: str,
    model_name: str,
    name: str,
    query: str,
    share_with: Iterable[Group | int | str] | None = None,
) -> SavedView:
    """Save ``query`` of the changelist ``app_label.model_name`` as ``user``'s view ``name``, shared with
    ``share_with`` (groups or their ids). Raises ValidationError (see ``check_view``)."""
    checked = check_view(
        user=user, app_label=app_label, model_name=model_name, name=name, query=query, share_with=share_with or ()
    )
    try:
        with transaction.atomic():
            view = SavedView.objects.create(
                owner=user, app_label=app_label, model_name=model_name, name=checked.name, query=checked.query
            )
            view.shared_with.set(checked.groups)
    except IntegrityError as error:  # the same name saved a moment ago, from another tab
        raise ValidationError({"name": f"You already have a view named “{checked.name}” on this list."}) from error
    return view


def update_view(
    *, view: SavedView, user, name: str, query: str, share_with: Iterable[Group | int | str] = ()
) -> SavedView:
    """Rename, re-filter or re-share ``view`` (its owner or a superuser only). Raises PermissionDenied or
    ValidationError (see ``check_view``)."""
    if not may_change(user, view):
        raise PermissionDenied("Only the owner of a view can change it.")
    checked = check_view(
        user=user,
        app_label=view.app_label,
        model_name=view.model_name,
        name=name,
        query=query,
        share_with=share_with,
        view=view,
    )
    view.name, view.query = checked.name, checked.query
    try:
        with transaction.atomic():
            view.save()
            view.shared_with.set(checked.groups)
    except IntegrityError as error:
        raise ValidationError({"name": f"You already have a view named “{checked.name}” on this list."}) from error
    return view


def delete_view(*, view: SavedView, user) -> None:
    """Delete ``view`` (its owner or a superuser only)."""
    if not may_change(user, view):
        raise PermissionDenied("Only the owner of a view can delete it.")
    view.delete()
