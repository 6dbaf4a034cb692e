from django.apps import AppConfig


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        # Escalations opened by domain events (a theme reaching critical mass), whichever door caused them.
        from insights import checks, handlers, health  # noqa: F401 - checks registers the system checks

        handlers.subscribe_all()
        health.subscribe()  # usage.recorded (an import of usage snapshots) → rescore those accounts
