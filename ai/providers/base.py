"""The provider interface every AI provider implements; callers depend on it, never on one implementation."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class EmbeddingProvider(Protocol):
    """Turns texts into vectors of one space: ``(name, model, dimensions)`` names that space.

    Vectors of different spaces are never compared, so the three together identify where a vector may be stored
    (``feedback.models.EmbeddingSpace``).
    """

    name: str
    model: str
    dimensions: int

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector of ``dimensions`` floats per text, in order; unit length, so cosine is a dot product."""
        ...
