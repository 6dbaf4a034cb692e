"""The API's endpoints as the URL resolver has them: every route under /api/ that authenticates with tokens.

The tests walk these instead of a list of their own, so an endpoint added later is tested the day it lands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from integrations.auth import TokenAuthentication

API_PREFIX = "/api/"
WRITE_METHODS = ("post", "put", "patch", "delete")
METHODS = ("get", *WRITE_METHODS)


# Routes that answer only with a query parameter: what a caller always sends (a route added here is still tested).
REQUIRED_QUERY = {"api-experiment-assignment": "subject=subject-1"}


@dataclass(frozen=True)
class Route:
    """One URL pattern of a DRF view: its name, the kwargs it takes, the view class and, for viewsets, its actions."""

    name: str
    kwargs: tuple[str, ...]
    view: type[APIView]
    actions: tuple[tuple[str, str], ...]  # (method, action) of a viewset; () for a plain APIView
    initkwargs: dict = field(default_factory=dict, compare=False)  # an @action's own (its required_scope)

    @property
    def methods(self) -> tuple[str, ...]:
        if self.actions:
            return tuple(method for method in METHODS if method in dict(self.actions))
        return tuple(method for method in METHODS if hasattr(self.view, method))

    def url(self, **kwargs) -> str:
        path = reverse(self.name, kwargs={name: kwargs.get(name, "1") for name in self.kwargs})
        return f"{path}?{query}" if (query := REQUIRED_QUERY.get(self.name)) else path

    def scope(self, method: str) -> str:
        """The scope a token should need for ``method`` here: the view's ``required_scope``, else read or write.

        Said here again, not asked of ``integrations.auth``: the tests check that rule, they do not borrow it.
        """
        view = self.view(**self.initkwargs, **({"action": dict(self.actions).get(method)} if self.actions else {}))
        return getattr(view, "required_scope", None) or ("read" if method == "get" else "write")

    def __str__(self) -> str:
        return self.url()


def _walk(patterns, namespace: str | None = None, kwargs: tuple[str, ...] = ()):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part) or None
            yield from _walk(pattern.url_patterns, inner, kwargs + tuple(pattern.pattern.regex.groupindex))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if view is None or not issubclass(view, APIView) or pattern.name is None:
                continue
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            actions = tuple(sorted((getattr(pattern.callback, "actions", None) or {}).items()))
            initkwargs = dict(getattr(pattern.callback, "initkwargs", None) or {})
            yield Route(name, kwargs + tuple(pattern.pattern.regex.groupindex), view, actions, initkwargs)


def api_routes(*, urlconf: str | None = None) -> list[Route]:
    """Every named DRF route under /api/ (schema and docs views aside)."""
    routes = []
    for route in _walk(get_resolver(urlconf).url_patterns):
        if route.view.__module__.startswith("drf_spectacular"):
            continue
        try:
            url = route.url()
        except Exception:  # noqa: BLE001 - a route whose kwargs "1" cannot fill is reported by the test that needs it
            url = ""
        if url.startswith(API_PREFIX) or not url:
            routes.append(route)
    return routes


def token_routes(*, urlconf: str | None = None) -> list[Route]:
    """The routes integrations call with a token (webhooks, signed by their sender instead, are not among them)."""
    return [
        route
        for route in api_routes(urlconf=urlconf)
        if any(issubclass(auth, TokenAuthentication) for auth in route.view.authentication_classes)
    ]


def cases(routes: list[Route], methods: tuple[str, ...] = METHODS) -> list[tuple[Route, str]]:
    """(route, method) pairs, as pytest parameters named like ``GET /api/customers/1/``."""
    return [(route, method) for route in routes for method in route.methods if method in methods]


def detail_kwargs(route) -> dict:
    """The kwargs of a route that names one row: the first row of its view's model (``api_rows`` made one)."""
    if not route.kwargs:
        return {}
    lookup_field = getattr(route.view, "lookup_field", "pk")
    lookup_kwarg = getattr(route.view, "lookup_url_kwarg", None) or lookup_field
    queryset = getattr(route.view, "queryset", None)
    assert queryset is not None and set(route.kwargs) == {lookup_kwarg}, (
        f"{route.name}: teach detail_kwargs how to fill {route.kwargs} (nested routes need their parent's row)"
    )
    row = queryset.model._default_manager.order_by("pk").first()
    assert row is not None, f"{route.name}: add a {queryset.model.__name__} to the api_rows fixture"
    return {lookup_kwarg: getattr(row, lookup_field)}


def case_id(value) -> str:
    return str(value) if isinstance(value, Route) else value.upper()
