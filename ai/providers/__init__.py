"""The configured AI provider: ``get_provider()`` returns the one ``settings.AI_PROVIDER`` names.

Only the offline provider is built so far; ``AI_PROVIDER=mistral`` (the default when ``MISTRAL_API_KEY`` is set)
is refused with ImproperlyConfigured until the Mistral provider lands (issue 8).
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
    if name != "offline":
        raise ImproperlyConfigured(
            f"AI_PROVIDER={name!r}: that provider is not built yet; only 'offline' is. Set AI_PROVIDER=offline."
        )
    with _lock:
        if name not in _providers:
            _providers[name] = OfflineProvider()
        return _providers[name]
