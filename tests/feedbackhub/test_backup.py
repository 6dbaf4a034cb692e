"""Backup → restore into an empty database → every table has the same row count, and the hub reads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from feedback.models import FeedbackItem
from feedbackhub import backup, embedded
from tests.factories import make_customer, make_feedback, make_theme

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def empty_database():
    """A new empty database on the test server (with the hub's extensions), dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_database_name():
    """The name of a database that does not exist on the test server; dropped afterwards if a test created it."""
    name = f"{connection.settings_dict['NAME']}_created"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def role():
    """Make a login role of the test's own on the test server (not a superuser); dropped afterwards."""
    made = []

    def make(options: str) -> str:
        name = f"fbh_restore_{os.getpid()}_{len(made)}"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP ROLE IF EXISTS "{name}"')
            cursor.execute(f'CREATE ROLE "{name}" LOGIN {options}')
        made.append(name)
        return name

    yield make
    with connection.cursor() as cursor:
        for name in made:
            cursor.execute(f'DROP ROLE IF EXISTS "{name}"')


def database_url(name: str, *, user: str | None = None) -> str:
    """A DATABASE_URL for database ``name`` on the test server (a unix socket folder as host, percent-encoded)."""
    db = connection.settings_dict
    user, password, host = quote(user or db["USER"]), quote(db["PASSWORD"] or ""), quote(db["HOST"], safe="")
    return f"postgres://{user}:{password}@{host}:{db['PORT']}/{name}"


def hub_on(name: str, script: str) -> subprocess.CompletedProcess:
    """Run the hub in a fresh process with DATABASE_URL pointing at database ``name`` of the test server."""
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "1",
        "DATABASE_URL": database_url(name),
        "REDIS_URL": settings.REDIS_URL,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def make_data() -> None:
    customers = [make_customer() for _ in range(3)]
    theme = make_theme()
    for n in range(25):
        item = make_feedback(customer=customers[n % 3], verbatim=f"Export to CSV is slow ({n})")
        if n % 5 == 0:
            item.themes.add(theme)


def test_given_hub_data_when_backed_up_and_restored_into_an_empty_database_then_every_count_is_equal(
    tmp_path, empty_database
):
    make_data()
    dump = tmp_path / "hub.dump"
    out = StringIO()

    call_command("backup", output=dump, stdout=out)
    call_command("restore", str(dump), into=empty_database, stdout=out)

    manifest = json.loads(backup.manifest_path(dump).read_text())
    assert manifest["tables"]["public.feedback_feedbackitem"] == 25
    assert manifest["tables"]["public.customers_customer"] == 3
    assert len(manifest["tables"]) > 50  # every table, not just the hub's main ones
    source = backup.Target(connection.settings_dict)
    with source.connect() as original, original.cursor() as cursor:
        original_counts = backup.row_counts(cursor)
    with backup.target_for(empty_database, connection.settings_dict).connect() as restored, restored.cursor() as cur:
        restored_counts = backup.row_counts(cur)
    assert restored_counts == original_counts == manifest["tables"]
    hub = hub_on(
        empty_database,
        "from django.core.management import call_command; call_command('migrate', check_unapplied=True); "
        "from feedback.models import FeedbackItem; from customers.models import Customer; "
        "print(FeedbackItem.objects.filter(verbatim__startswith='Export to CSV').count(), "
        "Customer.objects.filter(feedback_items__themes__isnull=False).distinct().count())",
    )
    assert hub.returncode == 0, hub.stderr  # no migration left to apply: the schema came back whole
    assert hub.stdout.split() == ["25", "3"]
    assert "every count equals the backup's" in out.getvalue()


def test_given_a_database_with_tables_when_restoring_into_it_then_it_is_refused_and_left_untouched(tmp_path):
    make_feedback()
    dump = tmp_path / "hub.dump"
    call_command("backup", output=dump, stdout=StringIO())
    make_feedback()

    with pytest.raises(CommandError, match=r"is not empty \(\d+ tables: .*A restore goes into an empty database"):
        call_command("restore", str(dump), into=database_url(connection.settings_dict["NAME"]), stdout=StringIO())

    assert FeedbackItem.objects.count() == 2


def test_given_a_restore_whose_counts_differ_then_the_difference_is_named(tmp_path, empty_database):
    make_feedback()
    dump = tmp_path / "hub.dump"
    call_command("backup", output=dump, stdout=StringIO())
    manifest_file = backup.manifest_path(dump)
    manifest = json.loads(manifest_file.read_text())
    manifest["tables"]["public.feedback_feedbackitem"] = 2
    manifest_file.write_text(json.dumps(manifest))

    with pytest.raises(CommandError, match="public.feedback_feedbackitem: 2 in the backup, 1 restored"):
        call_command("restore", str(dump), into=empty_database, stdout=StringIO())


def test_given_an_unreachable_database_when_backing_up_then_the_error_says_which(tmp_path, monkeypatch):
    monkeypatch.setitem(settings.DATABASES, "default", {**connection.settings_dict, "NAME": "no_such_database_p3"})

    with pytest.raises(CommandError, match="Backup failed: cannot connect to database 'no_such_database_p3'"):
        call_command("backup", output=tmp_path / "x.dump", stdout=StringIO())

    assert not (tmp_path / "x.dump").exists()


def test_given_no_pg_bin_dir_then_the_embedded_wheels_programs_are_used_even_with_an_external_database(
    monkeypatch, tmp_path
):
    """The wheel's pg_dump (18) reads any server up to 18; Debian 12's (15, on PATH) refuses a newer server."""
    monkeypatch.setenv("DATABASE_URL", "postgres://hub@db.internal/feedbackhub")
    assert backup.program("pg_dump") == embedded.postgres_bin("pg_dump")

    monkeypatch.setenv("PG_BIN_DIR", str(tmp_path))
    (tmp_path / "pg_dump").touch()
    assert backup.program("pg_dump") == tmp_path / "pg_dump"
    with pytest.raises(backup.BackupError, match="has no pg_restore"):
        backup.program("pg_restore")


def test_given_a_database_that_does_not_exist_when_restoring_with_create_then_it_is_made_with_the_extensions(
    tmp_path, new_database_name
):
    make_data()
    dump = tmp_path / "hub.dump"
    call_command("backup", output=dump, stdout=StringIO())
    out = StringIO()

    call_command("restore", str(dump), into=new_database_name, create=True, stdout=out)

    target = backup.target_for(new_database_name, connection.settings_dict)
    with target.connect() as restored, restored.cursor() as cursor:
        assert backup.row_counts(cursor) == json.loads(backup.manifest_path(dump).read_text())["tables"]
    assert "every count equals the backup's" in out.getvalue()


def test_given_a_new_name_when_creating_the_database_then_it_has_the_extensions_and_no_table(new_database_name):
    target = backup.target_for(new_database_name, connection.settings_dict)

    assert backup.create_database(target) is True
    assert backup.create_database(target) is False  # already there: left as it is

    with target.connect() as created, created.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname IN ('vector', 'pg_trgm') ORDER BY 1")
        assert [name for (name,) in cursor.fetchall()] == ["pg_trgm", "vector"]
    assert backup.existing_tables(target) == []


def test_given_a_database_that_does_not_exist_when_restoring_without_create_then_the_error_says_to_pass_it(
    tmp_path, new_database_name
):
    make_feedback()
    dump = tmp_path / "hub.dump"
    call_command("backup", output=dump, stdout=StringIO())

    with pytest.raises(CommandError, match=r"(?s)does not exist.*or pass --create to have restore do it"):
        call_command("restore", str(dump), into=new_database_name, stdout=StringIO())


def test_given_a_role_that_cannot_create_databases_when_restoring_with_create_then_the_error_says_what_to_ask(
    tmp_path,
    role,
    new_database_name,  # the database (its owner is the role) is dropped before the role
):
    make_feedback()
    dump = tmp_path / "hub.dump"
    call_command("backup", output=dump, stdout=StringIO())
    name = role("NOCREATEDB")

    with pytest.raises(CommandError, match=rf"role '{name}' may not create databases.*CREATE DATABASE .*CREATEDB"):
        call_command(
            "restore", str(dump), into=database_url(new_database_name, user=name), create=True, stdout=StringIO()
        )

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [new_database_name])
        assert cursor.fetchone()[0] == 0


def test_given_a_role_that_may_create_databases_but_not_vector_then_the_database_is_kept_and_the_error_says_so(
    tmp_path,
    role,
    new_database_name,  # the database (its owner is the role) is dropped before the role
):
    """pgvector is not a trusted extension: CREATEDB is not enough, a superuser (or a managed admin role) adds it."""
    make_feedback()
    dump = tmp_path / "hub.dump"
    call_command("backup", output=dump, stdout=StringIO())
    name = role("CREATEDB")

    with pytest.raises(CommandError, match=r"may not create the extension 'vector'.*CREATE EXTENSION vector;.*kept"):
        call_command(
            "restore", str(dump), into=database_url(new_database_name, user=name), create=True, stdout=StringIO()
        )

    call_command("restore", str(dump), into=new_database_name, create=True, stdout=StringIO())  # a superuser can
    with backup.target_for(new_database_name, connection.settings_dict).connect() as restored:
        assert restored.execute("SELECT count(*) FROM feedback_feedbackitem").fetchone()[0] == 1
