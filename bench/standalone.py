"""``python -m bench.<part>`` on its own embedded servers: one data folder per part, started if not running and
stopped afterwards if this run started them (the 1M bench database in .data/bench is left alone)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def run_alone(folder: str, run: Callable[[], None]) -> None:
    """Set up Django on the embedded servers of ``.data/<folder>`` (FEEDBACKHUB_DATA_DIR wins), then ``run()``."""
    os.environ.setdefault("FEEDBACKHUB_DATA_DIR", str(BASE_DIR / ".data" / folder))
    os.environ.setdefault("DEBUG", "1")  # the bench process itself (seed_scale refuses otherwise); servers it starts
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackhub.settings")  # for requests run with DEBUG off
    sys.path.insert(0, str(BASE_DIR))
    from feedbackhub import embedded

    started = embedded.ensure_services(quiet=True)
    try:
        import django

        django.setup()
        run()
    finally:
        if started:
            embedded.stop_services()
