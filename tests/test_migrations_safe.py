"""Every migration is safe on a live 1M-row table: no long lock or rewrite of a big table (feedbackhub/migration_lint).

A new migration that adds a NOT NULL column without ``db_default``, changes a column's type, builds an index without
CONCURRENTLY or validates a constraint under a lock on a big table fails this test, naming the migration and why.
"""

from __future__ import annotations

import pytest
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import connection, migrations, models
from django.db.migrations.loader import MigrationLoader

from feedbackhub.migration_lint import lint

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]  # CONCURRENTLY is refused in a transaction

# Migrations that are unsafe by these rules but were applied before the first release, on empty tables (no
# release is tagged yet: every installation creates these tables from scratch). Never add a new migration here:
# write it the safe way instead (the module docstring of feedbackhub/migration_lint.py says how).
ALLOWED = {
    "feedback.0003_board_index",  # index on feedback_feedbackitem (board view), built plainly
    "feedback.0006_triage",  # triage columns NOT NULL with Django's default= (dropped after), plain indexes
    "feedback.0007_triage_review_schedule",  # index on feedback_triagerecord
    "feedback.0009_human_fields_index",  # index on feedback_feedbackitem.human_fields
    "insights.0007_event_indexes",  # two indexes on insights_productevent (one BRIN)
}


def loader_with(name: str, operations: list, *, atomic: bool = True) -> tuple[MigrationLoader, tuple[str, str]]:
    """The project's migrations plus a synthetic one of the feedback app, after its latest migration."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    parent = next(key for key in loader.graph.leaf_nodes() if key[0] == "feedback")
    migration = type(
        "Migration", (migrations.Migration,), {"dependencies": [parent], "operations": operations, "atomic": atomic}
    )(name, "feedback")
    key = ("feedback", name)
    loader.graph.add_node(key, migration)
    loader.graph.add_dependency(migration, key, parent)
    return loader, key


def problems(name: str, operations: list, *, atomic: bool = True) -> list[str]:
    loader, key = loader_with(name, operations, atomic=atomic)
    return [f"{finding.migration}: {finding.table}: {finding.problem}" for finding in lint(loader, only=[key])]


def test_given_the_project_migrations_then_none_is_unsafe_on_a_big_table_unless_allowed():
    findings = lint()

    unsafe = [str(finding) for finding in findings if finding.migration not in ALLOWED]
    assert unsafe == [], "unsafe migrations on big tables:\n" + "\n".join(unsafe)
    assert {finding.migration for finding in findings} == ALLOWED  # an entry that no longer finds anything goes


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
