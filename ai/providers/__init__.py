"""The configured AI provider: ``get_provider()`` returns the one ``settings.AI_PROVIDER`` names.

``AI_PROVIDER=mistral`` (the default when ``MISTRAL_API_KEY`` is set) is ``ai.providers.mistral.MistralProvider``,
imported on first use so a process on the offline provider never loads the Mistral SDK.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ai.providers.base import EmbeddingProvider
from ai.providers.offline import OfflineEmbedder, OfflineProvider

__all__ = ["EmbeddingProvider", "OfflineEmbedder", "OfflineProvider", "get_provider"]

_providers: dict[str, EmbeddingProvider] = {}
_lock = threading.Lock()


def get_provider(name: str | None = None) -> EmbeddingProvider:
    """The provider named ``name`` (default ``settings.AI_PROVIDER``); one per process, so its model loads once."""
    name = name or settings.AI_PROVIDER
    if name not in {"offline", "mistral"}:
        raise ImproperlyConfigured(f"AI_PROVIDER={name!r} is unknown: use 'mistral' or 'offline'.")
    with _lock:
        if name == "mistral" and name not in _providers:
            from ai.providers.mistral import MistralProvider

            _providers[name] = MistralProvider()
        if name not in _providers:
            _providers[name] = OfflineProvider()
        return _providers[name]
