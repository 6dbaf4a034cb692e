"""``manage.py export_crm_addressed --out FILE``: the CRM "feedback addressed" updates waiting for a CRM without an API.

Writes the pending rows (account CRM id, customer, theme, shipped date, the customer's items, the field and its
value) as CSV and marks them sent, so the next export lists only newer ones. The file is written before the rows are
marked, in the same transaction: if marking fails they stay pending and are listed again (never lost); two exports
at once never list a row twice.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from integrations import outbound


class Command(BaseCommand):
    help = 'Export the pending CRM "feedback addressed" updates as CSV (for a CRM without an API) and mark them sent.'

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="The CSV file to write ('-' for standard output).")

    def handle(self, *args, out: str, **options):
        try:
            if out == "-":
                count = outbound.export_crm_addressed(out=sys.stdout)
            else:
                with open(out, "w", newline="", encoding="utf-8") as handle:
                    count = outbound.export_crm_addressed(out=handle)
        except OSError as exc:
            raise CommandError(f"Cannot write {out}: {exc}") from exc
        if out != "-":
            self.stdout.write(f"{count:,} CRM update(s) written to {out} and marked sent.")
