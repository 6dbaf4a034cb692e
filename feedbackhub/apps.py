"""Project-wide app: management commands that run the whole hub and its embedded services."""

from django.apps import AppConfig


class FeedbackHubConfig(AppConfig):
    """Project-level commands (run_hub, services) and shared admin helpers."""

    name = "feedbackhub"
    verbose_name = "FeedbackHub"

    def ready(self):
        """Celery signals of the request id (feedbackhub.logs) and the task metrics (feedbackhub.metrics)."""
        from feedbackhub import logs, metrics

        logs.connect_signals()
        metrics.connect_signals()
