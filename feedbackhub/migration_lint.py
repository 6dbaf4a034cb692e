"""A lint for migrations that would lock or rewrite a big live table (1M+ rows) for long.

Every migration of the project is turned into the SQL it runs, as ``sqlmigrate`` does (one pass over the whole plan
with a collecting schema editor: nothing is executed), and each statement on a BIG table is checked:

- ``CREATE INDEX`` / ``CREATE UNIQUE INDEX`` without ``CONCURRENTLY``: blocks every write for the whole build. Use
  ``django.contrib.postgres.operations.AddIndexConcurrently`` in a migration with ``atomic = False``.
- ``ADD COLUMN ... NOT NULL`` without ``DEFAULT`` (or whose default the same migration drops again, Django's way
  for ``default=``): give the field ``db_default=`` or make it nullable.
- ``ALTER COLUMN ... TYPE``: rewrites the table under an exclusive lock (add a new column and backfill instead).
- ``ALTER COLUMN ... SET NOT NULL``: scans the whole table under an exclusive lock (add a ``CHECK (c IS NOT NULL)
  NOT VALID`` constraint, ``VALIDATE`` it, then set NOT NULL).
- ``ADD CONSTRAINT`` (foreign key or check) without ``NOT VALID``, or a ``UNIQUE`` constraint: a scan or an index
  build while writes wait.
- ``VACUUM FULL``, ``CLUSTER``: rewrite the table.

``RunSQL`` statements are checked the same way (they are part of the collected SQL); ``RunPython`` is not (it runs
Python, and batching a backfill is the author's job). An ``AddIndexConcurrently`` in an atomic migration is reported
too (PostgreSQL refuses ``CONCURRENTLY`` in a transaction).

``ALLOWED`` (here, the one list) names the migrations that break these rules but shipped in release 0.11.0 or
before: every installation of a release has already run them. ``manage.py lint_migrations`` and
tests/test_migrations_safe.py (in ``make test``) fail on any other finding; tests/upgrade/ checks that every allowed
migration is in the previous release's data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

# Tables that grow with the feedback, the events or the deliveries: 1M+ rows in a real company's first year.
BIG_TABLES = frozenset(
    {
        "feedback_feedbackitem",
        "feedback_feedbackitem_themes",
        "feedback_feedbackitemhistory",
        "feedback_feedbackembedding",
        "feedback_triagerecord",
        "feedback_duplicatesuggestion",
        "feedbackhub_domainevent",
        "insights_productevent",
        "insights_technicalsample",
        "insights_shadowobservation",
        "notifications_notification",
        "integrations_webhookdelivery",
        "customers_usagesnapshot",
    }
)

# Unsafe by these rules, but applied by release 0.11.0 (tests/fixtures/upgrade/) or before, on tables still small
# then. Never add a new migration here: write it the safe way (the fix printed with each finding says how).
ALLOWED = {
    "feedback.0003_board_index": "index on feedback_feedbackitem (board view), built plainly",
    "feedback.0006_triage": "triage columns NOT NULL with Django's default= (dropped after), plain indexes",
    "feedback.0007_triage_review_schedule": "index on feedback_triagerecord",
    "feedback.0009_human_fields_index": "index on feedback_feedbackitem.human_fields",
    "insights.0007_event_indexes": "two indexes on insights_productevent (one BRIN)",
}

NOT_NULL_FIX = (
    "give the field db_default= (PostgreSQL adds a column with a constant default without rewriting the table) or "
    "null=True, backfill in batches, then add the NOT NULL the safe way (see SET NOT NULL)"
)
CONCURRENTLY_FIX = "use django.contrib.postgres.operations.AddIndexConcurrently in a migration with atomic = False"
TABLE_OF_STATEMENT = re.compile(
    r"""(?:ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?|\bON\s+(?:ONLY\s+)?|VACUUM\s+FULL\s+|CLUSTER\s+)
        (?:"?\w+"?\.)?"?(\w+)"?""",
    re.IGNORECASE | re.VERBOSE,
)
RULES = [  # (pattern, problem, fix)
    (
        re.compile(r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)", re.I),
        "index built without CONCURRENTLY",
        CONCURRENTLY_FIX,
    ),
    (
        re.compile(r"ALTER\s+COLUMN\s+\"?\w+\"?\s+(?:SET\s+DATA\s+)?TYPE\b", re.I),
        "column type change rewrites it",
        "add a new column of the new type, backfill it in batches, switch the code to it, drop the old one later",
    ),
    (
        re.compile(r"ALTER\s+COLUMN\s+\"?\w+\"?\s+SET\s+NOT\s+NULL", re.I),
        "SET NOT NULL scans it under a lock",
        "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a later migration, then SET NOT NULL "
        "(PostgreSQL uses the valid check and skips the scan)",
    ),
    (
        re.compile(r"ADD\s+CONSTRAINT\s+\"?\w+\"?\s+UNIQUE\b", re.I),
        "UNIQUE constraint builds an index under a lock",
        "build a unique index CONCURRENTLY (atomic = False), then ADD CONSTRAINT ... UNIQUE USING INDEX",
    ),
    (
        re.compile(r"ADD\s+CONSTRAINT\s+\"?\w+\"?\s+(?:CHECK|FOREIGN\s+KEY)\b(?!.*\bNOT\s+VALID\b)", re.I | re.S),
        "constraint validated under a lock (add it NOT VALID, then VALIDATE)",
        "RunSQL: ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration (a lighter lock)",
    ),
    (
        re.compile(r"^\s*(?:VACUUM\s+FULL|CLUSTER)\b", re.I),
        "rewrites it",
        "do not run it in a migration: pg_repack or a maintenance window",
    ),
]
CREATE_TABLE = re.compile(r'^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"?\w+"?\.)?"?(\w+)"?', re.I)
ADD_COLUMN = re.compile(r"ADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)\"?([^,;]*)", re.I)


@dataclass(frozen=True)
class Finding:
    migration: str  # "app.0001_name"
    table: str
    problem: str
    statement: str
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.migration}: {self.table}: {self.problem}\n    {self.statement[:200]}"

    @property
    def allowed(self) -> bool:
        return self.migration in ALLOWED


def statement_findings(migration: str, statements: list[str]) -> list[Finding]:
    """The unsafe statements among ``statements`` (the SQL of one migration)."""
    created = {table for statement in statements for table in CREATE_TABLE.findall(statement)}
    findings = []
    for statement in statements:
        if statement.lstrip().startswith("--"):
            continue
        match = TABLE_OF_STATEMENT.search(statement)
        table = match.group(1) if match else ""
        if table not in BIG_TABLES or table in created:
            continue  # a table this very migration creates is empty: nothing to lock for long
        problems = [(problem, fix) for pattern, problem, fix in RULES if pattern.search(statement)]
        for column, definition in ADD_COLUMN.findall(statement):
            drops_default = any(
                re.search(rf'ALTER\s+COLUMN\s+"?{column}"?\s+DROP\s+DEFAULT', other, re.I) for other in statements
            )
            if re.search(r"\bNOT\s+NULL\b", definition, re.I) and (
                not re.search(r"\bDEFAULT\b", definition, re.I) or drops_default
            ):
                problem = f"NOT NULL column {column} without a database default (use db_default= or null=True)"
                problems.append((problem, NOT_NULL_FIX))
        flat = " ".join(statement.split())
        findings += [Finding(migration, table, problem, flat, fix) for problem, fix in problems]
    return findings


def _plan(loader: MigrationLoader) -> list[tuple[str, str]]:
    plan, seen = [], set()
    for leaf in sorted(loader.graph.leaf_nodes()):
        for key in loader.graph.forwards_plan(leaf):
            if key not in seen:
                seen.add(key)
                plan.append(key)
    return plan


def _apply(migration, state: ProjectState) -> tuple[ProjectState, list[str]]:
    if _concurrent_in_atomic(migration):  # PostgreSQL would refuse it; lint() reports it from its operations
        return migration.mutate_state(state, preserve=False), ["-- CONCURRENTLY in an atomic migration"]
    with connection.schema_editor(collect_sql=True, atomic=migration.atomic) as editor:
        state = migration.apply(state, editor, collect_sql=True)
    return state, list(editor.collected_sql)


def _concurrent_in_atomic(migration) -> bool:
    concurrent = (AddIndexConcurrently, RemoveIndexConcurrently)
    return migration.atomic and any(isinstance(op, concurrent) for op in migration.operations)


def migration_sql(loader: MigrationLoader, only: list[tuple[str, str]] | None = None) -> dict[str, list[str]]:
    """The SQL of every migration (or of ``only``) keyed "app.name", as sqlmigrate shows it (nothing is executed)."""
    collected = {}
    if only is not None:
        for key in only:
            state = loader.project_state(key, at_end=False)
            collected[f"{key[0]}.{key[1]}"] = _apply(loader.graph.nodes[key], state)[1]
        return collected
    state = ProjectState(real_apps=loader.unmigrated_apps)
    for key in _plan(loader):  # one pass, each migration applied to the state the previous one left
        state, collected[f"{key[0]}.{key[1]}"] = _apply(loader.graph.nodes[key], state)
    return collected


def project_loader() -> MigrationLoader:
    """The project's migrations (what ``manage.py migrate`` would apply), read from disk."""
    return MigrationLoader(connection, ignore_no_migrations=True)


def lint(loader: MigrationLoader | None = None, only: list[tuple[str, str]] | None = None) -> list[Finding]:
    """Every unsafe statement or operation of every migration ``loader`` knows (default: the project's), or of
    the migrations ``only`` names."""
    loader = loader or project_loader()
    findings = []
    for name, statements in migration_sql(loader, only).items():
        findings += statement_findings(name, statements)
    for app, name in only if only is not None else loader.graph.nodes:
        if _concurrent_in_atomic(loader.graph.nodes[(app, name)]):
            problem = "CONCURRENTLY in an atomic migration (set atomic = False)"
            findings.append(Finding(f"{app}.{name}", "", problem, "", "PostgreSQL refuses it in a transaction"))
    return findings
