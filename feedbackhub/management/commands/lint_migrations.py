"""`manage.py lint_migrations [app [migration]]`: the migrations that would lock or rewrite a big table, with the fix.

Runs feedbackhub/migration_lint.py over every migration of the project (nothing is executed: the SQL is collected as
``sqlmigrate`` shows it), or those of one app, or one migration (a name prefix such as ``0012`` is enough). Prints
each finding with how to write it safely and exits 1 when any is not in ``migration_lint.ALLOWED`` (migrations that
shipped in a release already); allowed findings are summed up, and listed with ``-v 2``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.migrations.exceptions import AmbiguityError

from feedbackhub import migration_lint


class Command(BaseCommand):
    help = "Lint migrations for long locks or rewrites of big tables; exit 1 on a finding that is not allow-listed."

    def add_arguments(self, parser):
        parser.add_argument("app_label", nargs="?", help="Only the migrations of this app.")
        parser.add_argument("migration_name", nargs="?", help="Only this migration of the app (a prefix will do).")

    def handle(self, *args, app_label: str | None, migration_name: str | None, verbosity: int, **options):
        loader = migration_lint.project_loader()
        if app_label and app_label not in loader.migrated_apps:
            raise CommandError(f"App {app_label!r} has no migrations.")
        if migration_name:
            try:
                migration = loader.get_migration_by_prefix(app_label, migration_name)
            except (AmbiguityError, KeyError) as error:
                raise CommandError(f"{app_label} {migration_name}: {error}") from None
            findings = migration_lint.lint(loader, only=[(app_label, migration.name)])
            checked = 1
        else:
            findings = migration_lint.lint(loader)
            if app_label:
                findings = [finding for finding in findings if finding.migration.split(".")[0] == app_label]
            checked = sum(1 for app, _name in loader.graph.nodes if app_label in (None, app))
        unsafe = [finding for finding in findings if not finding.allowed]
        allowed = [finding for finding in findings if finding.allowed]
        for finding in unsafe + (allowed if verbosity >= 2 else []):
            self.stdout.write(f"{str(finding)}\n    fix: {finding.fix}" if finding.fix else str(finding))
            if finding.allowed:
                self.stdout.write(f"    allowed: {migration_lint.ALLOWED[finding.migration]}")
        if allowed:
            names = sorted({finding.migration for finding in allowed})
            self.stdout.write(
                f"{len(allowed)} finding(s) in {len(names)} allow-listed migration(s) that shipped in a release "
                f"already: {', '.join(names)}" + ("" if verbosity >= 2 else " (-v 2 lists them)")
            )
        if unsafe:
            names = sorted({finding.migration for finding in unsafe})
            raise CommandError(
                f"{len(unsafe)} unsafe statement(s) on big tables in {len(names)} migration(s): {', '.join(names)}. "
                "Write them the safe way (each fix above); ALLOWED in feedbackhub/migration_lint.py is for released "
                "migrations only.",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(f"{checked} migration(s) checked: nothing unsafe on a big table."))
