"""The API's shared shape: keyset cursor pages on indexed orderings, ``?fields=`` lists, errors that name the field.

Each app's ``api/views.py`` declares a viewset in a few lines (queryset, serializer, filterset, ``orderings``) with
``HubViewSetMixin``; its serializers derive from ``HubModelSerializer``. This module imports nothing of the apps.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import django_filters
from django import forms
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import CheckConstraint, DecimalField, OuterRef, ProtectedError, Q, QuerySet, RestrictedError
from django_filters.fields import DateTimeRangeField, RangeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import CursorPagination
from rest_framework.relations import MANY_RELATION_KWARGS, ManyRelatedField, PrimaryKeyRelatedField
from rest_framework.response import Response
from rest_framework.settings import api_settings

ORDERING_PARAM = "ordering"
FIELDS_PARAM = "fields"
MAX_PAGE_SIZE = 200
BIGINT_MAX = 2**63 - 1
NUMBER_LIMIT = 10**15  # range filters: far past any ARR or count, and never a number PostgreSQL cannot hold


# --- Permissions ---------------------------------------------------------------------------------------------------


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django's model permissions, reads included: reading a table needs its ``view`` permission (as in the admin)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """The schema's name for the API token (``Authorization: Bearer fbh_…``); named by path, not imported."""

    target_class = "integrations.auth.TokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")


# --- Ordering and cursor pages -------------------------------------------------------------------------------------


def _ordering_choices(view) -> dict[str, tuple[str, ...]]:
    """The view's ``orderings``: each ``?ordering=`` value → the whole ORDER BY an index serves.

    Each names non-null columns and ends on a unique one (usually the id), so a cursor position names one row.
    """
    orderings = getattr(view, "orderings", None)
    assert orderings, f"{type(view).__name__} needs an `orderings` dict (first entry: the default)."
    return orderings


class IndexedOrderingFilter(BaseFilterBackend):
    """``?ordering=`` among the view's ``orderings`` only: each is served by an index, so every page stays fast.

    An unknown value is a 400 naming the allowed ones (DRF's OrderingFilter would ignore it silently).
    """

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        choices = _ordering_choices(view)
        value = request.query_params.get(ORDERING_PARAM, "").strip()
        if not value:
            return next(iter(choices.values()))
        if value not in choices:
            raise exceptions.ValidationError(
                {ORDERING_PARAM: [f"Unknown ordering “{value}”: use one of {', '.join(choices)}."]}
            )
        return choices[value]

    def filter_queryset(self, request, queryset, view):
        return queryset.order_by(*self.get_ordering(request, queryset, view))

    def get_schema_operation_parameters(self, view):
        if getattr(view, "action", None) != "list":
            return []
        choices = list(_ordering_choices(view))
        return [
            {
                "name": ORDERING_PARAM,
                "required": False,
                "in": "query",
                "description": f"Order of the list (each served by an index). Default: {choices[0]}.",
                "schema": {"type": "string", "enum": choices},
            }
        ]


class KeysetCursorPagination(CursorPagination):
    """Cursor pages by position in the whole ordering (keyset), so a page costs the same at any depth.

    DRF's cursor keeps only the first ordering column and steps over equal values with an OFFSET capped at
    1,000: the OFFSET grows with the ties, and past 1,000 equal values (new themes at 0 ARR, accounts of one ARR)
    pages repeat rows. Here the cursor holds every column of the ordering (non-null columns ending on a unique one,
    so positions are unique) and the next page starts with ``col1 >= v1 AND (col1 > v1 OR (col1 = v1 AND col2 > v2)
    …)``: an index range scan, whatever the depth.
    """

    page_size = api_settings.PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("-id",)  # the views' ``orderings`` (through IndexedOrderingFilter) decide

    def _get_position_from_instance(self, instance, ordering) -> str:
        values = []
        for field in ordering:
            name = field.lstrip("-")
            value = instance[name] if isinstance(instance, dict) else getattr(instance, name)
            values.append(None if value is None else str(value))
        return json.dumps(values, separators=(",", ":"))

    def paginate_queryset(self, queryset, request, view=None):
        return super().paginate_queryset(_KeysetQuerySet.wrap(queryset, self), request, view)

    def after(self, queryset: QuerySet, position: str, *, reverse: bool) -> QuerySet:
        """``queryset`` narrowed to the rows after ``position`` in the ordering (before it when ``reverse``)."""
        try:
            values = json.loads(position)
        except ValueError as error:
            raise exceptions.NotFound(self.invalid_cursor_message) from error
        if not isinstance(values, list) or len(values) != len(self.ordering) or None in values:
            raise exceptions.NotFound(self.invalid_cursor_message)
        columns = []
        for field, value in zip(self.ordering, values, strict=True):
            descending = field.startswith("-") != reverse
            name = field.lstrip("-")
            try:
                value = _cursor_value(queryset.model, name, value)
            except (DjangoValidationError, ValueError, TypeError, OverflowError) as error:
                raise exceptions.NotFound(self.invalid_cursor_message) from error
            columns.append((name, "lt" if descending else "gt", value))
        later, equal = Q(), Q()
        for name, lookup, value in columns:
            later |= equal & Q(**{f"{name}__{lookup}": value})
            equal &= Q(**{name: value})
        first, lookup, value = columns[0]
        return queryset.filter(Q(**{f"{first}__{lookup}e": value}) & later)


def _cursor_value(model, name: str, raw):
    """A cursor's value for column ``name`` as the database can compare it; raises on one it could not hold.

    A forged cursor fails here (a 404 "Invalid cursor"), never in PostgreSQL: a NUL in a text, an id past bigint,
    a time zone offset past ±16 h (PostgreSQL's limit: the value is compared in UTC).
    """
    if not isinstance(raw, str) or "\x00" in raw:
        raise ValueError("not a text")
    field = model._meta.get_field(name)
    value = field.to_python(raw)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    elif isinstance(value, int) and not -BIGINT_MAX - 1 <= value <= BIGINT_MAX:
        raise ValueError("past bigint")
    elif isinstance(value, Decimal) and isinstance(field, DecimalField) and not _fits(value, field):
        raise ValueError("past the column's digits")
    return value


def _fits(value: Decimal, field: DecimalField) -> bool:
    return value.is_finite() and abs(value) < 10 ** (field.max_digits - field.decimal_places)


class _KeysetQuerySet:
    """A queryset stand-in for DRF's cursor code: its single-column ``filter(col__lt=pos)`` becomes the keyset one.

    Everything else is the real queryset's (ordering, slicing, evaluation).
    """

    def __init__(self, queryset: QuerySet, paginator: KeysetCursorPagination, reverse: bool = False):
        self._queryset, self._paginator, self._reverse = queryset, paginator, reverse

    @classmethod
    def wrap(cls, queryset: QuerySet, paginator: KeysetCursorPagination) -> _KeysetQuerySet:
        return cls(queryset, paginator)

    def order_by(self, *fields) -> _KeysetQuerySet:
        reverse = tuple(fields) != tuple(self._paginator.ordering)
        return type(self)(self._queryset.order_by(*fields), self._paginator, reverse)

    def filter(self, **kwargs):
        (position,) = kwargs.values()
        return self._paginator.after(self._queryset, position, reverse=self._reverse)

    def __getitem__(self, item):
        return self._queryset[item]


# --- Filters every filterset shares ------------------------------------------------------------------------------


class IdField(forms.IntegerField):
    """A row id: a whole number an id column can hold (anything else is a 400, never a database error)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{"min_value": 1, "max_value": BIGINT_MAX, **kwargs})


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """Rows linked to one row, by its id (``?customer=12``)."""

    field_class = IdField


class NumberRangeField(RangeField):
    """``<name>_min`` / ``<name>_max``: numbers within ±10^15 (a huge exponent would overflow PostgreSQL)."""

    def __init__(self, fields=None, *args, **kwargs):
        bounded = {"min_value": -NUMBER_LIMIT, "max_value": NUMBER_LIMIT}
        super().__init__(fields or (forms.DecimalField(**bounded), forms.DecimalField(**bounded)), *args, **kwargs)


class NumberRangeFilter(django_filters.RangeFilter):
    """A numeric range (ARR, counts, scores): ``?arr_min=10000&arr_max=50000``, either end optional."""

    field_class = NumberRangeField


class UtcDateTimeRangeField(DateTimeRangeField):
    """A date-time range compared in UTC: an offset PostgreSQL refuses (past ±16 h) is never sent to it."""

    def compress(self, data_list):
        value = super().compress(data_list)
        if value is None:
            return None
        try:
            start, stop = (None if end is None else end.astimezone(UTC) for end in (value.start, value.stop))
        except OverflowError as error:
            raise forms.ValidationError("Enter a date/time between the years 1 and 9999.", code="invalid") from error
        return slice(start, stop)


class DateTimeRangeFilter(django_filters.DateTimeFromToRangeFilter):
    """``<name>_after`` / ``<name>_before``: a date (midnight) or an ISO 8601 date-time, both ends inclusive."""

    field_class = UtcDateTimeRangeField


# --- Compact lists: ?fields= ---------------------------------------------------------------------------------------


def requested_fields(request) -> set[str] | None:
    """The field names a ``?fields=a,b`` read asks for, or None for all of them (writes always answer in full)."""
    if request is None or request.method not in permissions.SAFE_METHODS:
        return None
    raw = request.query_params.get(FIELDS_PARAM, "")
    names = {name.strip() for name in raw.split(",") if name.strip()}
    return names or None


def wants(request, field: str) -> bool:
    """Whether the response includes ``field`` (views skip a prefetch nobody reads)."""
    names = requested_fields(request)
    return names is None or field in names


class SparseFieldsParameter(BaseFilterBackend):
    """Documents ``?fields=`` in the schema; the serializers do the narrowing (``HubModelSerializer``)."""

    def filter_queryset(self, request, queryset, view):
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": FIELDS_PARAM,
                "required": False,
                "in": "query",
                "description": "Comma-separated fields to return (a compact list), e.g. `id,status`. Default: all.",
                "schema": {"type": "string"},
            }
        ]


# --- Serializers ---------------------------------------------------------------------------------------------------


def _condition_fields(condition) -> list[str]:
    """The model fields a CheckConstraint's Q names, in order (``health_score__lte`` → ``health_score``)."""
    names = []
    for child in getattr(condition, "children", []):
        for name in [child[0].split("__")[0]] if isinstance(child, tuple) else _condition_fields(child):
            if name not in names:
                names.append(name)
    return names


def linked_ids(model, relation: str) -> dict:
    """``annotate(**linked_ids(Model, "themes"))``: each row's linked ids as one array, ``themes_ids``.

    A subquery on the link table's index inside the page's own query: no prefetch query and no related objects
    built (at 1M rows, prefetching the themes of a page of 50 items cost as much as the page itself).
    """
    field = model._meta.get_field(relation)
    through, source, target = field.remote_field.through, field.m2m_field_name(), field.m2m_reverse_field_name()
    links = through.objects.filter(**{source: OuterRef("pk")}).order_by(target).values(target)
    return {f"{relation}_ids": ArraySubquery(links)}


class LinkedIdsField(ManyRelatedField):
    """A many-to-many as a list of ids, read from the ``<name>_ids`` annotation when the view made one."""

    def get_attribute(self, instance):
        ids = getattr(instance, f"{self.field_name}_ids", None)
        return ids if ids is not None else super().get_attribute(instance)

    def to_representation(self, iterable):
        return [item if isinstance(item, int) else self.child_relation.to_representation(item) for item in iterable]


class IdRelatedField(PrimaryKeyRelatedField):
    """A relation by id; its many form is a ``LinkedIdsField``."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        many = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return LinkedIdsField(child_relation=cls(*args, **kwargs), **many)


class HubModelSerializer(serializers.ModelSerializer):
    """A model serializer that answers ``?fields=``, refuses unknown input keys and checks the model's constraints.

    Unknown keys (a typo: ``categroy``) are a 400 naming them instead of being dropped. Check constraints are
    checked before anything is written, each error under the field it names, so the database never answers 500.
    """

    serializer_related_field = IdRelatedField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        names = requested_fields(request)
        if names is None or self.parent is not None:
            return
        unknown = names - set(self.fields)
        if unknown:
            raise exceptions.ValidationError(
                {FIELDS_PARAM: [f"Unknown field(s): {', '.join(sorted(unknown))}. Known: {', '.join(self.fields)}."]}
            )
        for name in set(self.fields) - names:
            self.fields.pop(name)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields) - {"csrfmiddlewaretoken"})  # the browsable API's form
            if unknown:
                raise exceptions.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        self.check_constraints(attrs)
        return attrs

    def check_constraints(self, attrs) -> None:
        """Raise a 400 under the field it names when ``attrs`` (over the saved row) break one of the model's checks.

        The error goes under the last field the condition names (``shipped_on`` for "shipped needs shipped_on").
        Conditions on expressions (a vector's size) are left to the database.
        """
        model = self.Meta.model
        fields = {field.name: field for field in model._meta.concrete_fields}
        values = {}
        if self.instance is not None:
            values = {field.attname: getattr(self.instance, field.attname) for field in fields.values()}
        for name, value in attrs.items():
            if (field := fields.get(name)) is not None:
                values[field.attname] = value.pk if field.is_relation and value is not None else value
        candidate = model(**values)
        errors: dict[str, list[str]] = {}
        for constraint in model._meta.constraints:
            if not isinstance(constraint, CheckConstraint):
                continue
            names = [name for name in _condition_fields(constraint.condition) if name not in {"id", "pk"}]
            if not names or any(name not in fields for name in names):
                continue
            try:
                constraint.validate(model, candidate)
            except DjangoValidationError as error:
                errors.setdefault(names[-1], []).extend(error.messages)
        if errors:
            raise serializers.ValidationError(errors)


def scoped_queryset(field: serializers.Field, queryset: QuerySet) -> None:
    """Point a related field (one or many) at ``queryset``: ids outside it are "does not exist", not a leak."""
    target = getattr(field, "child_relation", field)
    target.queryset = queryset


# --- Viewsets ------------------------------------------------------------------------------------------------------


class HubViewSetMixin:
    """Before a ModelViewSet: keyset pages, filters, ``?ordering=`` and ``?fields=``; each write in one transaction.

    Views declare ``queryset``, ``serializer_class``, ``filterset_class`` and ``orderings``. A mixin, not a viewset:
    the settings name this module (permissions, pagination), so it must not import DRF's views (an import cycle).
    """

    filter_backends = [DjangoFilterBackend, IndexedOrderingFilter, SparseFieldsParameter]
    pagination_class = KeysetCursorPagination
    lookup_value_regex = r"\d+"  # /api/feedback/ingest/ and other named routes never look like a row
    orderings: dict[str, tuple[str, ...]] = {}

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.save()
        self.reread(serializer)

    def perform_update(self, serializer):
        with transaction.atomic():
            serializer.save()
        self.reread(serializer)

    def reread(self, serializer) -> None:
        """Answer a write with the row as a read shows it (its annotations and prefetched links)."""
        fresh = self.get_queryset().filter(pk=serializer.instance.pk).first()
        if fresh is not None:  # None: the caller may write a row they cannot read (sales, feedback of no account)
            serializer.instance = fresh

    def perform_destroy(self, instance):
        with transaction.atomic():
            self.destroy_instance(instance)

    def destroy_instance(self, instance) -> None:
        """Delete one row (apps with a delete service override this)."""
        instance.delete()


# --- Errors --------------------------------------------------------------------------------------------------------


def _django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError (a service's refusal) as the API's field → messages."""
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}


def exception_handler(exc, context):
    """DRF's handler, plus the errors the domain raises: never a 500 for something the client can fix.

    A service's ValidationError is a 400 under the field it names; a row that other rows still need (a customer
    with feedback) is a 409 saying which; a constraint the database refused is a 409 naming the constraint; a value
    the column cannot hold is a 400 (the serializers and filters check first: this is the net under them).
    """
    from rest_framework.views import exception_handler as drf_exception_handler  # see HubViewSetMixin
    from rest_framework.views import set_rollback

    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_errors(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        blockers = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", None) or []
        kinds = sorted({str(obj._meta.verbose_name_plural) for obj in blockers})
        set_rollback()
        return Response(
            {"detail": f"Cannot delete: other records still point to it ({', '.join(kinds)}). Remove or move them."},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, DataError):  # a value the checks above let through but the column cannot hold
        set_rollback()
        detail = str(getattr(exc, "__cause__", None) or exc).splitlines()[0]
        return Response({"detail": f"A value cannot be stored: {detail}."}, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, IntegrityError):
        cause = getattr(exc, "__cause__", None)
        constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
        detail = f"The change conflicts with constraint “{constraint}”." if constraint else "The change conflicts."
        set_rollback()
        return Response({"detail": detail}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)


def batch_of(data, *, noun: str, plural: str, limit: int) -> tuple[list, bool]:
    """The records a batch endpoint's body carries — one object, a list, or ``{"items": [...]}`` — and whether it
    was a single one; a ValidationError naming the problem otherwise (the feedback, survey and event intakes share it).

    ``noun`` and ``plural`` name the records in the messages ("a feedback item" / "feedback items").
    """
    if isinstance(data, list):
        items, single = data, False
    elif isinstance(data, dict) and "items" in data:
        if extra := sorted(set(data) - {"items"}):
            raise exceptions.ValidationError({key: ["Unknown field next to 'items'."] for key in extra})
        items, single = data["items"], False
        if not isinstance(items, list):
            raise exceptions.ValidationError({"items": [f"Must be a list of {plural}."]})
    elif isinstance(data, dict):
        items, single = [data], True
    else:
        raise exceptions.ValidationError({"body": [f'Send {noun} (an object) or {{"items": [...]}}.']})
    if not items:
        raise exceptions.ValidationError({"items": [f"The list of {plural} is empty: send at least one."]})
    if len(items) > limit:
        raise exceptions.ValidationError(
            {"items": [f"At most {limit:,} {plural} per request; got {len(items):,}. Split the batch."]}
        )
    return items, single


def batch_answer(results: list, *, single: bool, states: tuple[str, ...]) -> Response:
    """The answer of a batch endpoint (the feedback, survey and event intakes): one line per record (``as_dict()``)
    and the count of each of ``states``.

    One record sent: 400 with its errors when rejected, 201 when created, else 200. A batch: 200 as long as one record
    was accepted; 400 when every one was rejected, the errors named ``items[3].field`` (nothing was written).
    """
    lines = [result.as_dict() for result in results]
    counts = {state: sum(1 for result in results if result.status == state) for state in states}
    if single:
        result = results[0]
        if result.status == "rejected":
            return Response({**result.errors, "item": lines[0]}, status=status.HTTP_400_BAD_REQUEST)
        code = status.HTTP_201_CREATED if result.status == "created" else status.HTTP_200_OK
        return Response({**counts, "items": lines}, status=code)
    if counts.get("rejected") == len(results):
        errors = {f"items[{r.index}].{name}": messages for r in results for name, messages in r.errors.items()}
        return Response({**errors, **counts, "items": lines}, status=status.HTTP_400_BAD_REQUEST)
    return Response({**counts, "items": lines}, status=status.HTTP_200_OK)
