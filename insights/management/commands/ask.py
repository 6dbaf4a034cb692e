"""``manage.py ask "question" [--tier enterprise --since 2026-03-01 ...]``: ask the hub from a terminal.

The same door as the admin's question box and ``POST /api/ask/`` (``insights.ask.ask``): filters stated in the
question are read from it, the options add explicit ones; the answer is printed with the filters applied, who wrote
it and how long it took. Stored like any other question unless ``--no-store``.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from customers.choices import Industry, Lifecycle, Plan, Region, Tier
from feedback.choices import Product
from insights.ask import ask
from insights.ask_filters import FIELD_LABELS, explicit_filters

WHERE = {"question": "from the question", "form": "option"}


class Command(BaseCommand):
    help = "Ask the hub a question about the feedback; prints the answer with its cited item ids."

    def add_arguments(self, parser):
        parser.add_argument("question")
        for name, choices in (("tier", Tier), ("industry", Industry), ("region", Region), ("plan", Plan),
                              ("lifecycle_stage", Lifecycle), ("product", Product)):  # fmt: skip
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, choices=choices.values)
        parser.add_argument("--community", action="store_true", help="Only community authors (forums, HN).")
        parser.add_argument("--theme", type=int, help="A theme's id.")
        parser.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--until", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--no-store", action="store_true", help="Do not keep the question (AskedQuestion).")

    def handle(self, *args, **options):
        fields = {name: options.get(name) for name in FIELD_LABELS if options.get(name)}
        try:
            answer = ask(options["question"], filters=explicit_filters(fields), store=not options["no_store"])
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        applied = ", ".join(
            f"{FIELD_LABELS[row['field']]}: {row['label']} ({WHERE[row['source']]})" for row in answer.filters_applied
        )
        self.stdout.write(f"Q: {answer.question}")
        self.stdout.write(f"Filters: {applied or 'none'}")
        self.stdout.write(f"Searched: {answer.search_text}")
        self.stdout.write("")
        self.stdout.write(answer.answer_text)
        self.stdout.write("")
        stored = f", stored as question #{answer.id}" if answer.id else ""
        self.stdout.write(f"Written by {answer.written_by} in {answer.seconds:.2f} s{stored}.")
