"""App configuration."""

from django.apps import AppConfig


class LaunchesConfig(AppConfig):
    """The launches app."""

    name = "launches"
