"""``manage.py build_triage_seed``: rebuild the shipped offline models (classifier, sentiment) from ``ai/seed/``."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from ai import classifier, sentiment
from ai.providers.offline import OfflineEmbedder


class Command(BaseCommand):
    help = (
        "Retrain ai/seed/classifier.npz and ai/seed/sentiment.npz from the seed reviews and their stored vectors "
        "(ai/seed/seed_vectors.npz); --embed re-embeds the reviews first and rewrites the stored vectors."
    )

    def add_arguments(self, parser):
        parser.add_argument("--embed", action="store_true", help="re-embed the seed texts (minutes on 2 cores)")

    def handle(self, *args, embed: bool = False, **options):
        started = time.perf_counter()
        if embed:
            vectors = classifier.store_seed_vectors(OfflineEmbedder().embed(classifier.all_seed_texts()))
        else:
            vectors = classifier.seed_vectors()
        model = classifier.build_default(vectors=vectors)
        sentiment.build_default(vectors)
        self.stdout.write(
            f"classifier {model.version}: {model.n_examples} examples ({', '.join(model.labels)}) -> "
            f"{classifier.DEFAULT_PATH}\nsentiment -> {sentiment.DEFAULT_PATH}\n{time.perf_counter() - started:.1f} s"
        )
