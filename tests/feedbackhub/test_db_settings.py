"""An external PostgreSQL: SSL parameters passed through, persistent connections, a statement timeout for web."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from feedbackhub import db_settings, embedded

URL = "postgres://hub:secret@db.internal:5432/feedbackhub"


def test_given_ssl_in_the_url_query_then_dj_database_url_passes_it_to_libpq_as_is():
    database = db_settings.external_database(
        {"DATABASE_URL": URL + "?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem"}
    )

    assert database["OPTIONS"] == {"sslmode": "verify-full", "sslrootcert": "/etc/ssl/db-ca.pem"}
    assert (database["HOST"], database["NAME"], database["USER"]) == ("db.internal", "feedbackhub", "hub")


def test_given_ssl_variables_then_they_are_passed_and_win_over_the_url():
    database = db_settings.external_database(
        {
            "DATABASE_URL": URL + "?sslmode=require",
            "DATABASE_SSLMODE": "verify-ca",
            "DATABASE_SSLROOTCERT": "/run/secrets/ca.pem",
            "DATABASE_SSLCERT": "/run/secrets/client.crt",
            "DATABASE_SSLKEY": "/run/secrets/client.key",
        }
    )

    assert database["OPTIONS"] == {
        "sslmode": "verify-ca",
        "sslrootcert": "/run/secrets/ca.pem",
        "sslcert": "/run/secrets/client.crt",
        "sslkey": "/run/secrets/client.key",
    }


def test_given_no_connection_settings_then_persistent_connections_with_health_checks_and_no_timeout():
    database = db_settings.external_database({"DATABASE_URL": URL})

    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (60, True)
    assert database["OPTIONS"] == {}


def test_given_conn_max_age_in_the_environment_then_it_is_used():
    assert db_settings.external_database({"DATABASE_URL": URL, "DB_CONN_MAX_AGE": "0"})["CONN_MAX_AGE"] == 0
    assert db_settings.external_database({"DATABASE_URL": URL, "DB_CONN_MAX_AGE": "300"})["CONN_MAX_AGE"] == 300
    with pytest.raises(ImproperlyConfigured, match="DB_CONN_MAX_AGE='soon' is not an integer"):
        db_settings.external_database({"DATABASE_URL": URL, "DB_CONN_MAX_AGE": "soon"})


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"HUB_ROLE": "web"}, 15_000),
        ({"HUB_ROLE": "worker"}, 0),
        ({"HUB_ROLE": "beat"}, 0),
        ({}, 0),
        ({"HUB_ROLE": "web", "DB_STATEMENT_TIMEOUT_MS": "0"}, 0),
        ({"HUB_ROLE": "worker", "DB_STATEMENT_TIMEOUT_MS": "600000"}, 600_000),
    ],
)
def test_given_a_process_role_then_its_statement_timeout(environ, expected):
    assert db_settings.statement_timeout_ms(environ) == expected


def test_given_the_web_role_and_a_search_path_in_the_url_then_both_server_settings_are_kept():
    database = db_settings.external_database({"DATABASE_URL": URL + "?currentSchema=hub", "HUB_ROLE": "web"})

    assert database["OPTIONS"]["options"] == "-c search_path=hub -c statement_timeout=15000"


@pytest.mark.slow
@pytest.mark.parametrize(("role", "expected"), [("web", "15s"), ("worker", "0")])
def test_given_a_role_when_the_hub_connects_then_postgresql_applies_its_statement_timeout(
    role, expected, embedded_services
):
    """The settings module read in a fresh process with HUB_ROLE, connected to the real (embedded) test server."""
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "1",
        "FEEDBACKHUB_DATA_DIR": str(embedded.data_dir()),  # the test run's own (pyproject's, or the one it was given)
        "DATABASE_URL": embedded.postgres_url(name="postgres"),
        "DB_CONN_MAX_AGE": "120",
        "HUB_ROLE": role,
    }
    script = (
        "from django.conf import settings; from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('SHOW statement_timeout'); "
        "print(cursor.fetchone()[0], settings.DATABASES['default']['CONN_MAX_AGE'])"
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, "120"]
