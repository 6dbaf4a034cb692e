"""App configuration."""

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """API tokens, ingestion, webhook receivers and the connectors of each source (seed 002's adapters)."""

    name = "integrations"

    def ready(self) -> None:
        from integrations import role_views  # noqa: F401 - registers product ops' "Needs a customer" queue
