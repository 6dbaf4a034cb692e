"""App configuration."""

from django.apps import AppConfig


class ThemesConfig(AppConfig):
    """The themes app."""

    name = "themes"

    def ready(self) -> None:
        from themes import role_views  # noqa: F401 - registers the role views in the admin
