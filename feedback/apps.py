"""App configuration."""

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """The feedback app."""

    name = "feedback"

    def ready(self) -> None:
        from feedback import role_views  # noqa: F401 - registers the role views in the admin
