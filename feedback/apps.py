"""App configuration."""

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """The feedback app."""

    name = "feedback"
