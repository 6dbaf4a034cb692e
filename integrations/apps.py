"""App configuration."""

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """API tokens, ingestion, webhook receivers and the connectors of each source (seed 002's adapters)."""

    name = "integrations"

    def ready(self) -> None:
        # Admin pages registered here: product ops' "Needs a customer" queue, and the connector sync page.
        from integrations import outbound, role_views, sync_admin  # noqa: F401

        outbound.subscribe_handlers()  # outbound rules on triaged feedback; CRM "feedback addressed" when a theme ships
