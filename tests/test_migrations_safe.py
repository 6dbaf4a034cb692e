"""Every migration is safe on a live 1M-row table: no long lock or rewrite of a big table (feedbackhub/migration_lint).

A new migration that adds a NOT NULL column without ``db_default``, changes a column's type, builds an index without
CONCURRENTLY or validates a constraint under a lock on a big table fails this test, naming the migration and why;
``manage.py lint_migrations`` says the same with the fix and exits 1. The allow-list is ``migration_lint.ALLOWED``.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently
from django.core.management import CommandError, call_command
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader

from feedbackhub import migration_lint
from feedbackhub.migration_lint import ALLOWED, lint

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]  # CONCURRENTLY is refused in a transaction


def loader_with(name: str, operations: list, *, atomic: bool = True) -> tuple[MigrationLoader, tuple[str, str]]:
    """The project's migrations plus a synthetic one of the feedback app, after its latest migration."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    parent = next(key for key in loader.graph.leaf_nodes() if key[0] == "feedback")
    migration = type(
        "Migration", (migrations.Migration,), {"dependencies": [parent], "operations": operations, "atomic": atomic}
    )(name, "feedback")
    key = ("feedback", name)
    loader.disk_migrations[key] = migration  # as if its file were there: found by name, as manage.py commands do
    loader.graph.add_node(key, migration)
    loader.graph.add_dependency(migration, key, parent)
    return loader, key


def problems(name: str, operations: list, *, atomic: bool = True) -> list[str]:
    loader, key = loader_with(name, operations, atomic=atomic)
    return [f"{finding.migration}: {finding.table}: {finding.problem}" for finding in lint(loader, only=[key])]


def test_given_the_project_migrations_then_none_is_unsafe_on_a_big_table_unless_allowed():
    findings = lint()

    unsafe = [str(finding) for finding in findings if not finding.allowed]
    assert unsafe == [], "unsafe migrations on big tables:\n" + "\n".join(unsafe)
    assert {finding.migration for finding in findings} == set(ALLOWED)  # an entry that no longer finds anything goes


def test_given_a_not_null_column_and_a_plain_index_on_feedback_then_the_lint_names_the_migration():
    found = problems(
        "9901_priority",
        [
            migrations.AddField("feedbackitem", "priority", models.IntegerField(default=0)),
            migrations.AddIndex("feedbackitem", models.Index(fields=["priority"], name="feedback_priority_idx")),
        ],
    )

    assert found == [
        "feedback.9901_priority: feedback_feedbackitem: NOT NULL column priority without a database default "
        "(use db_default= or null=True)",
        "feedback.9901_priority: feedback_feedbackitem: index built without CONCURRENTLY",
    ]


def test_given_a_type_change_or_a_rewriting_runsql_then_the_lint_names_them():
    found = problems(
        "9902_rewrite",
        [
            migrations.AlterField("feedbackitem", "source_id", models.TextField(blank=True)),
            migrations.RunSQL("ALTER TABLE feedback_feedbackitem ALTER COLUMN verbatim SET NOT NULL"),
            migrations.RunSQL("CREATE INDEX feedback_lower_idx ON feedback_feedbackitem (lower(verbatim))"),
        ],
    )

    assert "feedback.9902_rewrite: feedback_feedbackitem: column type change rewrites it" in found
    assert "feedback.9902_rewrite: feedback_feedbackitem: SET NOT NULL scans it under a lock" in found
    assert "feedback.9902_rewrite: feedback_feedbackitem: index built without CONCURRENTLY" in found


def test_given_the_safe_forms_then_the_lint_finds_nothing():
    found = problems(
        "9903_safe",
        [
            migrations.AddField("feedbackitem", "priority", models.IntegerField(db_default=0)),
            migrations.AddField("feedbackitem", "score", models.FloatField(null=True)),
            AddIndexConcurrently("feedbackitem", models.Index(fields=["priority"], name="feedback_priority_idx")),
        ],
        atomic=False,
    )

    assert found == []


def test_given_concurrently_in_an_atomic_migration_then_the_lint_says_so():
    found = problems(
        "9904_atomic",
        [AddIndexConcurrently("feedbackitem", models.Index(fields=["source"], name="feedback_source_idx"))],
    )

    assert found == ["feedback.9904_atomic: : CONCURRENTLY in an atomic migration (set atomic = False)"]


def test_given_a_migration_rewriting_the_feedback_table_when_linting_it_with_the_command_then_it_fails_with_the_fix(
    monkeypatch,
):
    loader, _key = loader_with(
        "9905_rewrite_feedback",
        [
            migrations.AlterField("feedbackitem", "summary", models.TextField(blank=True)),  # ALTER COLUMN TYPE
            migrations.AddField("feedbackitem", "weight", models.IntegerField(default=1)),  # NOT NULL, default dropped
        ],
    )
    monkeypatch.setattr(migration_lint, "project_loader", lambda: loader)
    out = StringIO()

    with pytest.raises(CommandError, match=r"2 unsafe statement\(s\) on big tables in 1 migration\(s\)") as error:
        call_command("lint_migrations", "feedback", "9905", stdout=out)

    assert error.value.returncode == 1  # manage.py exits 1
    printed = out.getvalue()
    type_change = "feedback.9905_rewrite_feedback: feedback_feedbackitem: column type change rewrites it"
    assert f'{type_change}\n    ALTER TABLE "feedback_feedbackitem" ALTER COLUMN "summary" TYPE text' in printed
    assert "fix: add a new column of the new type, backfill it in batches" in printed
    assert "NOT NULL column weight without a database default" in printed
    assert "fix: give the field db_default=" in printed


def test_given_an_allow_listed_migration_when_linting_it_with_the_command_then_it_passes_and_says_why_with_v2():
    out = StringIO()

    call_command("lint_migrations", "feedback", "0003", verbosity=2, stdout=out)

    printed = out.getvalue()
    assert "feedback.0003_board_index: feedback_feedbackitem: index built without CONCURRENTLY" in printed
    assert "fix: use django.contrib.postgres.operations.AddIndexConcurrently" in printed
    assert f"allowed: {ALLOWED['feedback.0003_board_index']}" in printed
    assert "1 migration(s) checked: nothing unsafe on a big table." in printed


def test_given_an_app_without_migrations_or_an_ambiguous_prefix_then_the_command_says_so():
    with pytest.raises(CommandError, match="App 'nope' has no migrations"):
        call_command("lint_migrations", "nope", stdout=StringIO())
    with pytest.raises(CommandError, match="more than one migration for 'feedback' with the prefix '00'"):
        call_command("lint_migrations", "feedback", "00", stdout=StringIO())
