"""Project-wide app: management commands that run the whole hub and its embedded services."""

from django.apps import AppConfig


class FeedbackHubConfig(AppConfig):
    """Project-level commands (run_hub, services) and shared admin helpers."""

    name = "feedbackhub"
    verbose_name = "FeedbackHub"
