"""One connector per source (seed 002's adapter pattern); ``connector_for`` builds one from the settings."""

from __future__ import annotations

from django.conf import settings

from integrations.connectors.base import Connector, ConnectorError, StandardItem, TrackerChange
from integrations.connectors.call import CallConnector
from integrations.connectors.crm import CrmConnector
from integrations.connectors.github import GitHubConnector
from integrations.connectors.intercom import IntercomConnector
from integrations.connectors.linear import LinearConnector
from integrations.connectors.slack import SlackConnector
from integrations.connectors.zendesk import ZendeskConnector

CONNECTORS: dict[str, type[Connector]] = {
    connector.source: connector
    for connector in (
        IntercomConnector,
        ZendeskConnector,
        SlackConnector,
        GitHubConnector,
        LinearConnector,
        CallConnector,
        CrmConnector,
    )
}

__all__ = ["CONNECTORS", "Connector", "ConnectorError", "StandardItem", "TrackerChange", "connector_for"]


def connector_for(source: str) -> Connector:
    """The connector of ``source`` with its credentials from ``settings.CONNECTORS`` (blank ones allowed)."""
    return CONNECTORS[source](**settings.CONNECTORS.get(source, {}))
