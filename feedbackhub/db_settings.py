"""The DATABASES entry for an external PostgreSQL, read from the environment (importable without Django).

- ``DATABASE_URL`` (dj_database_url): every query parameter of the URL becomes a libpq connection parameter
  (``?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem`` ends up in ``OPTIONS`` as is, psycopg passes it on).
- ``DATABASE_SSLMODE``, ``DATABASE_SSLROOTCERT``, ``DATABASE_SSLCERT``, ``DATABASE_SSLKEY``: the same four
  parameters from their own variables (a secret store can mount the CA file without touching the URL); a variable
  wins over the URL's parameter of the same name.
- ``DB_CONN_MAX_AGE`` (seconds, default 60; 0 closes the connection after each request): persistent connections,
  with Django's health check before reuse, so a database restart or a load balancer's idle cut costs no error.
- ``DB_STATEMENT_TIMEOUT_MS``: PostgreSQL's ``statement_timeout`` for every connection of the process. Its default
  depends on the process role, ``HUB_ROLE``: ``web`` gets 15000 (one slow query must not pin a web worker for
  longer than a load balancer waits), every other role (worker, beat, migrate, shell; unset) gets none, since
  batch tasks, migrations and ``CREATE INDEX CONCURRENTLY`` legitimately run for minutes. ``0`` turns it off.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

SSL_VARIABLES = {
    "DATABASE_SSLMODE": "sslmode",
    "DATABASE_SSLROOTCERT": "sslrootcert",
    "DATABASE_SSLCERT": "sslcert",
    "DATABASE_SSLKEY": "sslkey",
}
DEFAULT_CONN_MAX_AGE = 60
WEB_STATEMENT_TIMEOUT_MS = 15_000


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if value < 0:
        raise ImproperlyConfigured(f"{name}={raw!r} must be 0 or more")
    return value


def statement_timeout_ms(environ: Mapping[str, str]) -> int:
    """The statement timeout of this process in ms (0: none): DB_STATEMENT_TIMEOUT_MS, else by HUB_ROLE."""
    role = (environ.get("HUB_ROLE") or "").strip().lower()
    return _int(environ, "DB_STATEMENT_TIMEOUT_MS", WEB_STATEMENT_TIMEOUT_MS if role == "web" else 0)


def with_statement_timeout(database: dict, environ: Mapping[str, str]) -> dict:
    """Add this process's statement timeout (if any) to a DATABASES entry (in place; the embedded one too)."""
    options = database.setdefault("OPTIONS", {})
    if timeout := statement_timeout_ms(environ):
        # libpq's "options" carries server settings; keep any the URL already set (e.g. a search_path).
        options["options"] = f"{options.get('options', '')} -c statement_timeout={timeout}".strip()
    return database


def external_database(environ: Mapping[str, str] | None = None) -> dict:
    """The DATABASES["default"] entry for DATABASE_URL with this process's connection settings."""
    environ = os.environ if environ is None else environ
    database = dj_database_url.parse(
        environ["DATABASE_URL"],
        conn_max_age=_int(environ, "DB_CONN_MAX_AGE", DEFAULT_CONN_MAX_AGE),
        conn_health_checks=True,
    )
    options = database.setdefault("OPTIONS", {})
    for variable, parameter in SSL_VARIABLES.items():
        if value := (environ.get(variable) or "").strip():
            options[parameter] = value
    return with_statement_timeout(database, environ)
