"""One process of ``bench.triage.pool_run``'s worker pool, spawned: this module imports nothing of Django before
``django.setup()`` (a spawned process starts bare), then triages the messages of the shared queue as a worker does."""

from __future__ import annotations


def child(queue, results, ready, threads: int, model_file=None) -> None:
    import django

    django.setup()
    from ai.providers.offline import OfflineProvider
    from bench.triage import Split, TimedProvider, timed_steps
    from feedback import triage

    provider = OfflineProvider(threads=threads, model_file=model_file)
    provider.embed(["warm up the model"] * 32)
    triage.use_active_classifier(provider)
    split, applied = Split(), 0
    timed = TimedProvider(provider, split)
    ready.wait(timeout=300)
    with timed_steps(split):
        while (ids := queue.get()) is not None:
            applied += triage.triage_items(item_ids=ids, provider=timed).applied
    results.put({"applied": applied, "embed": split.embed, "duplicates": split.duplicates, "themes": split.themes})


def embed_child(texts, model_file, ready, results) -> None:
    """One process of ``bench.triage_bound.embedding_rate``: embed ``texts`` with one onnxruntime thread, nothing
    else (no Django), after the common start."""
    from ai.providers.offline import OfflineEmbedder

    embedder = OfflineEmbedder(threads=1, model_file=model_file)
    embedder.embed(["warm up the model"] * 32)
    ready.wait(timeout=300)
    embedder.embed(texts)
    results.put(len(texts))
