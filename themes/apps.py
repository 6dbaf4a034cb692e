"""App configuration."""

from django.apps import AppConfig


class ThemesConfig(AppConfig):
    """The themes app."""

    name = "themes"
