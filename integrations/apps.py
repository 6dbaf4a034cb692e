"""App configuration."""

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """API tokens, ingestion, webhook receivers and the connectors of each source (seed 002's adapters)."""

    name = "integrations"
