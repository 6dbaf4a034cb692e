"""`manage.py backup [--output FILE]`: pg_dump (custom format) of the hub's database, with a row-count manifest.

The manifest (FILE.manifest.json, next to the dump) holds the row count of every table, taken in the dump's own
snapshot; `manage.py restore` checks the restored database against it. See feedbackhub/backup.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from feedbackhub import backup


class Command(BaseCommand):
    help = "Back up the hub's database with pg_dump --format=custom and write a row-count manifest next to it."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="Dump file to write (default: backups/feedbackhub-<UTC time>.dump under the data folder).",
        )

    def handle(self, *args, output: Path | None, **options):
        if output is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            output = Path(settings.BASE_DIR) / ".data" / "backups" / f"feedbackhub-{stamp}.dump"
        source = backup.Target(settings.DATABASES["default"])
        self.stdout.write(f"Backing up {source.describe()} to {output} …")
        try:
            manifest = backup.backup(source, output.resolve())
        except backup.BackupError as error:
            raise CommandError(f"Backup failed: {error}") from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {len(manifest['tables'])} tables, {rows:,} rows, {manifest['dump_bytes'] / 1e6:.1f} MB "
                f"in {manifest['seconds']} s: {output} (manifest: {backup.manifest_path(output).name})"
            )
        )
