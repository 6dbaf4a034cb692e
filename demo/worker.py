"""Entry point of the processes that generate scale feedback (``seed_scale --workers N``).

A spawned process starts without Django: this module imports nothing of it at import time, sets Django up, and
only then unpickles the generation state (which holds objects of ``demo.scale``, a module that needs Django).
"""

from __future__ import annotations

import pickle


def start(state: bytes) -> None:
    """Initializer of a generator process: set Django up, then load the pickled ``scale.ChunkState``."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from demo import scale

    scale.start_chunk_worker(pickle.loads(state))
