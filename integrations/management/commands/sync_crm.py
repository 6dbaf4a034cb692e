"""``manage.py sync_crm <file>``: apply a CRM account export (Salesforce-style CSV or JSON) to the accounts.

Updates ARR, tier, plan, health score, renewal date and owner (by e-mail) of the accounts the rows name by CRM id or
domain; prints one line per problem (a row naming no known account, a bad cell: the row's other cells still apply) and a
summary. Exits with status 1 when there was a problem.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from customers.services import update_enrichment
from integrations.connectors.crm import CrmConnector


def read_export(path: Path) -> list[dict]:
    """The records of a CSV (one header row) or JSON export (a list, or Salesforce's ``{"records": [...]}``)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        records = data.get("records", []) if isinstance(data, dict) else data
        if not isinstance(records, list):
            raise CommandError(f"{path.name}: expected a list of accounts or {{'records': [...]}}.")
        return records
    return list(csv.DictReader(text.splitlines()))


class Command(BaseCommand):
    help = "Apply a CRM account export (CSV or JSON) to the customers: ARR, tier, plan, health, renewal, owner."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The export: .csv with a header row, or .json.")

    def handle(self, *args, file: Path, verbosity: int = 1, **options):
        if not file.is_file():
            raise CommandError(f"No file at {file}.")
        try:
            records = read_export(file)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file.name} cannot be read: {exc}") from exc
        connector = CrmConnector()
        rows, unnamed = [], []
        for number, record in enumerate(records, start=1):
            row = connector.transform(record)
            rows.append(row or {})
            if row is None:
                unnamed.append(number)
        with tqdm(total=len(rows), desc=file.name, unit="row", file=self.stderr._out, disable=verbosity == 0) as bar:
            report = update_enrichment(rows=rows, progress=bar)
        for number, message in report.errors:
            if number in unnamed:
                message = "the row has no account id and no website/domain."
            self.stdout.write(f"row {number}: {message}")
        summary = f"{report.updated} accounts updated, {report.unchanged} unchanged, {len(report.errors)} problems."
        self.stdout.write(self.style.SUCCESS(summary) if not report.errors else self.style.WARNING(summary))
        if report.errors:
            raise CommandError(f"{len(report.errors)} problems in {len(rows)} rows (listed above).", returncode=1)
