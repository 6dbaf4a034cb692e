"""`manage.py restore FILE --into <DATABASE_URL or name> [--create]`: restore a backup into an empty database, check it.

The target must have no table. It must exist, with the vector and pg_trgm extensions, unless ``--create`` is given:
then a missing database is created on that server, with the extensions (the role needs CREATEDB, and ``vector``
needs a superuser; the error says what to ask for). After pg_restore every table's row count is compared with the
backup's manifest; any difference fails the command. A bare name means a database on the server the hub is
configured for. See feedbackhub/backup.py.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from feedbackhub import backup


class Command(BaseCommand):
    help = "Restore a `manage.py backup` dump into an EMPTY database, then check every table's row count."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The .dump file (its .manifest.json must be next to it).")
        parser.add_argument(
            "--into",
            required=True,
            help="postgres://user:password@host:port/name, or the name of a database on the configured server.",
        )
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create the database (with the vector and pg_trgm extensions) if it does not exist yet.",
        )

    def handle(self, *args, file: Path, into: str, create: bool, **options):
        try:
            target = backup.target_for(into, settings.DATABASES["default"])
            self.stdout.write(f"Restoring {file} into {target.describe()} …")
            manifest = backup.restore(file, target, create=create)
        except backup.BackupError as error:
            raise CommandError(f"Restore failed: {error}") from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {len(manifest['tables'])} tables, {rows:,} rows; every count equals the backup's "
                f"(taken {manifest['created']} from {manifest['database']!r})."
            )
        )
