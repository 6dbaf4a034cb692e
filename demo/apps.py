"""The demo app: the ``load_demo`` and ``seed_scale`` commands, development only."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data generator (no models)."""

    name = "demo"
    verbose_name = "Demo data"
