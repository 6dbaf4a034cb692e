"""The provider interface every AI provider implements; callers depend on it, never on one implementation."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ai.types import ClusterName, DigestDraft, DigestFacts, Extract, TriageRequest, TriageResult


class ProviderUnavailable(Exception):
    """A remote provider could not answer (after its retries, a timeout, an answer it could not read).

    Triage, cluster names and extracts fall back to the offline provider when it is raised; embeddings never do (the
    offline vectors live in another space), so ``embed`` lets it through and the caller retries later.
    """


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


@runtime_checkable
class TriageProvider(EmbeddingProvider, Protocol):
    """An embedding provider that also triages, names clusters and splits transcripts.

    ``version`` names the exact model state (the offline classifier's trained version, or the remote model id), and is
    stored with every triage record.
    """

    version: str

    def triage(self, requests: list[TriageRequest], *, vectors: list[list[float]] | None = None) -> list[TriageResult]:
        """One result per request, in order. Never raises for one bad text: its result says what went wrong.

        ``vectors``, when given, are the requests' embeddings in this provider's space (the hub stores them anyway):
        a provider that classifies from embeddings uses them instead of embedding the texts again.
        """
        ...

    def name_cluster(self, texts: list[str]) -> ClusterName:
        """A short theme name and a one-line description for a group of similar feedback texts."""
        ...

    def extract(self, text: str) -> list[Extract]:
        """A call transcript or a long thread cut into separate pieces of feedback, each in the customer's words."""
        ...


@runtime_checkable
class DigestWriter(Protocol):
    """A provider that can write the weekly digest's prose from the hub's figures (both providers implement it)."""

    def write_digest(self, facts: DigestFacts) -> DigestDraft | None:
        """The digest in Markdown, under ``facts.word_limit`` words, from ``facts`` only; None when this provider
        writes no prose (the offline one) or could not (a remote one that failed, logged): the hub then renders its
        own templates from the same facts."""
        ...
