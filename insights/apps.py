from django.apps import AppConfig


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from insights import health

        health.subscribe()  # usage.recorded (an import of usage snapshots) → rescore those accounts
