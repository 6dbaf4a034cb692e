"""The previous release's data migrates forward (issue 12): its dump, made by its own code, upgraded by today's code.

A release is the ``version`` in pyproject.toml at a landed commit of main. tests/fixtures/upgrade/<version>.dump is
the demo data of a release, dumped by that release's own ``manage.py backup`` (tools/make_upgrade_fixture.py; its
README line says which commit). For each one: ``restore --create`` into a fresh database on the test server (every
count checked against its manifest), the old schema's facts read with plain SQL, then today's ``manage.py migrate``
in a process of its own with DATABASE_URL pointing at it, as an upgrade runs. Then: every table keeps its count (but
those in ``MAY_GROW``, and only upwards), ``migrate --check`` finds nothing left, ``check --database`` passes, the
feedback keeps its customers, triage records and theme links, the themes their rollups (and today's rollup service
computes the same), and the admin and API list them. The database is dropped afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from psycopg import sql

from feedbackhub import backup
from feedbackhub.migration_lint import ALLOWED

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "upgrade"
# Tables an upgrade may add rows to (never remove), and why. Every other table of a release's data keeps its count
# exactly: a data migration that changes another one adds it here, saying why.
MAY_GROW = {
    "public.django_migrations": "one row per migration the upgrade applies",
    "public.django_content_type": "a row per new model (post_migrate)",
    "public.auth_permission": "four per new model (post_migrate)",
    "public.auth_group": "a role the roles' sync migrations add (feedbackhub.roles)",
    "public.auth_group_permissions": "the roles' sync migrations grant new models' permissions to their groups",
    "public.django_celery_beat_periodictask": "a migration that schedules a new periodic job (feedbackhub.schedules)",
    "public.django_celery_beat_crontabschedule": "the schedule of such a job",
    "public.django_celery_beat_intervalschedule": "the schedule of such a job",
    "public.django_celery_beat_periodictasks": "django-celery-beat's change marker, written with a periodic task",
}


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def current_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def released_versions() -> list[str]:
    return sorted((path.name.removesuffix(".dump") for path in FIXTURES.glob("*.dump")), key=version_key)


def database_url(name: str) -> str:
    """A DATABASE_URL for database ``name`` on the test server (a unix socket folder as host, percent-encoded)."""
    db = settings.DATABASES["default"]
    user, password, host = quote(db["USER"]), quote(db["PASSWORD"] or ""), quote(db["HOST"], safe="")
    return f"postgres://{user}:{password}@{host}:{db['PORT']}/{name}"


def hub(name: str, *command: str) -> subprocess.CompletedProcess:
    """``manage.py <command>`` in a fresh process on database ``name`` of the test server, as an upgrade runs it."""
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "1",
        "DATABASE_URL": database_url(name),
        "REDIS_URL": settings.REDIS_URL,
        "HUB_BASE_URL": "https://hub.example.com",  # as in production (else a check warns the survey links lack it)
    }
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def select(cursor: psycopg.Cursor, query: str) -> list[list[str]]:
    cursor.execute(query)
    return [[str(value) for value in row] for row in cursor.fetchall()]


def facts_before(cursor: psycopg.Cursor) -> dict:
    """What the release's own schema holds, read with plain SQL (today's models may not match it yet)."""
    return {
        "feedback_customers": select(cursor, "SELECT id, customer_id FROM feedback_feedbackitem ORDER BY id"),
        "triage": select(cursor, "SELECT id, feedback_id, outcome, category FROM feedback_triagerecord ORDER BY id"),
        "theme_links": select(cursor, "SELECT feedbackitem_id, theme_id FROM feedback_feedbackitem_themes ORDER BY id"),
        "rollups": select(
            cursor, "SELECT id, feedback_count, unique_customers, arr_impacted FROM themes_theme ORDER BY id"
        ),
        "migrations": {f"{app}.{name}" for app, name in select(cursor, "SELECT app, name FROM django_migrations")},
    }


@dataclass
class Upgrade:
    version: str
    database: str
    manifest: dict
    before: dict
    migrate: subprocess.CompletedProcess
    counts_after: dict[str, int] = field(default_factory=dict)
    migrations_after: set[str] = field(default_factory=set)


@pytest.fixture(scope="module", params=released_versions())
def upgrade(request, embedded_services):
    """A release's data restored into a new database and migrated by today's code; dropped afterwards."""
    version = request.param
    name = f"upgrade_{os.getpid()}_{version.replace('.', '_')}"
    target = backup.target_for(name, settings.DATABASES["default"])
    dump = FIXTURES / f"{version}.dump"
    try:
        call_command("restore", str(dump), into=name, create=True, stdout=StringIO())
        with target.connect() as connection, connection.cursor() as cursor:
            before = facts_before(cursor)
        result = Upgrade(version, name, backup.read_manifest(dump), before, hub(name, "migrate", "--no-input"))
        assert result.migrate.returncode == 0, f"migrate failed on {version}'s data:\n{result.migrate.stderr[-4000:]}"
        with target.connect() as connection, connection.cursor() as cursor:
            result.counts_after = backup.row_counts(cursor)
            result.migrations_after = {f"{a}.{n}" for a, n in select(cursor, "SELECT app, name FROM django_migrations")}
        yield result
    finally:
        with target.connect("postgres") as connection:
            connection.autocommit = True
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_given_the_releases_then_this_version_is_newer_than_every_fixture_and_each_fixture_says_what_made_it():
    versions = released_versions()

    assert versions, "no release fixture in tests/fixtures/upgrade: see tools/make_upgrade_fixture.py"
    assert version_key(versions[-1]) < version_key(current_version()), "bump pyproject.toml's version"
    readme = (FIXTURES / "README.md").read_text()
    for version in versions:
        release = json.loads((FIXTURES / f"{version}.release.json").read_text())
        assert release["version"] == version
        assert f"release {version} = commit {release['commit'][:7]}" in readme
        assert (FIXTURES / f"{version}.dump").stat().st_size == release["dump_bytes"]


def test_given_a_release_when_upgraded_then_every_table_keeps_its_rows_and_nothing_is_left_to_migrate(upgrade):
    before, after = upgrade.manifest["tables"], upgrade.counts_after

    changed = {
        table: (count, after.get(table))
        for table, count in before.items()
        if after.get(table) != count and not (table in MAY_GROW and (after.get(table) or 0) >= count)
    }
    assert changed == {}, f"{upgrade.version}: rows lost or added by the upgrade (before, after): {changed}"
    assert upgrade.before["migrations"] <= upgrade.migrations_after  # no applied migration forgotten
    left = hub(upgrade.database, "migrate", "--check", "--no-input")
    assert left.returncode == 0, f"migrations left after the upgrade:\n{left.stdout}{left.stderr}"


def test_given_an_upgraded_release_then_the_checks_pass_on_it(upgrade):
    checked = hub(upgrade.database, "check", "--database", "default")

    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_given_an_upgraded_release_then_todays_code_reads_the_same_feedback_triage_themes_and_rollups(upgrade):
    probe = hub(
        upgrade.database,
        "shell",
        "-v",
        "0",
        "-c",
        "from tests.upgrade.probe import main; main()",
    )
    assert probe.returncode == 0, probe.stderr[-4000:]
    read = json.loads(probe.stdout.strip().splitlines()[-1])
    items = upgrade.manifest["tables"]["public.feedback_feedbackitem"]

    for fact, table in [
        ("feedback_customers", "feedback_feedbackitem"),
        ("triage", "feedback_triagerecord"),
        ("theme_links", "feedback_feedbackitem_themes"),
        ("rollups", "themes_theme"),
    ]:
        assert len(upgrade.before[fact]) == upgrade.manifest["tables"][f"public.{table}"] > 0
        assert read[fact] == upgrade.before[fact], f"{upgrade.version}: {fact} changed by the upgrade"
    with_customer = sum(customer != "None" for _item, customer in read["feedback_customers"])
    assert with_customer > items * 0.9  # not a vacuous check: most items have their customer (anonymous ones not)
    counts = [[theme, feedback, customers] for theme, feedback, customers, _arr in read["rollups"]]
    assert read["recomputed_rollups"] == counts  # the stored counts are what today's rollup service computes
    assert read["pages"] == {
        "admin:feedback_feedbackitem_changelist": [200, items],
        "admin:themes_theme_changelist": [200, upgrade.manifest["tables"]["public.themes_theme"]],
        "api-feedback-list": [200, min(items, settings.REST_FRAMEWORK["PAGE_SIZE"])],
    }


def test_given_the_allow_listed_unsafe_migrations_then_each_had_shipped_in_the_newest_release(upgrade):
    """ALLOWED (feedbackhub/migration_lint.py) is for migrations every installation has already run, not new ones."""
    if upgrade.version != released_versions()[-1]:
        pytest.skip("checked against the newest release's data")

    assert set(ALLOWED) <= upgrade.before["migrations"]
