"""The Mistral provider: triage with mistral-small (mistral-large for FR/DE/ES), vectors with mistral-embed, and cluster
names, JTBD abstraction, transcript extracts and the weekly digest with mistral-large (seed 001, "AI Triage Pipeline").

Every chat call asks for structured output (``response_format`` json_schema, strict) whose enums are the hub's own
taxonomy (``ai.types``), and every answer is validated again here: a value outside the taxonomy, a missing field or
text that is not JSON makes the answer *malformed*. Prompts are the text templates in ``ai/prompts/`` (``$name``
placeholders, ``string.Template``); the customer's words go in as a JSON string, so no quote or brace in them can
change the prompt's shape.

Failures. Each call has an explicit timeout (``MISTRAL_TIMEOUT_MS``) and is retried here, up to
``MISTRAL_MAX_RETRIES`` times, on 429, 5xx, timeouts and connection errors, with exponential backoff and jitter, or
after exactly the ``Retry-After`` / ``retry-after-ms`` the API asks for (a wait longer than ``MAX_RETRY_AFTER_S`` is
not slept through: the call fails now). The SDK's own retries are switched off (a ``RetryConfig`` with strategy
"none"), so the two never multiply and the count stays ours. When a call still fails, triage, cluster names and
extracts log a WARNING and return the offline provider's answer with ``notes`` = "fallback: <reason>" (the digest:
None, and the hub renders its template digest); in a batch, once the API is found unavailable, the remaining items go
straight to the offline provider instead of waiting through the retries again. Embeddings never fall back (offline
vectors live in another space): ``embed`` raises ``ProviderUnavailable`` and the caller retries later.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from mistralai.client import Mistral, models
from mistralai.client.errors import MistralError, NoResponseError, ResponseValidationError
from mistralai.client.utils import BackoffStrategy, RetryConfig

from ai.language import detect
from ai.prompts import (
    CLUSTER_SCHEMA,
    EXTRACT_KINDS,
    EXTRACT_SCHEMA,
    JTBD_SCHEMA,
    TRIAGE_SCHEMA,
    customer_values,
    quoted,
    render,
    theme_lines,
)
from ai.providers.base import ProviderUnavailable
from ai.types import (
    CATEGORIES,
    MAX_TAGS,
    PRODUCT_AREAS,
    PRODUCTS,
    SEVERITIES,
    ClusterName,
    CustomerContext,
    DigestDraft,
    DigestFacts,
    Extract,
    ThemeContext,
    TriageRequest,
    TriageResult,
    word_count,
)

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 60.0  # a longer Retry-After fails the call now instead of holding a worker
MAX_BACKOFF_S = 30.0
LARGE_LANGUAGES = frozenset({"fr", "de", "es"})  # seed 001: FR/DE/ES feedback goes to Mistral Large
JTBD_CATEGORIES = frozenset({"feature_request", "improvement"})
EMBED_BATCH = 64  # texts per embeddings request
EMBED_BATCH_CHARS = 40_000  # and about 10k tokens at most, well under the model's limit per request
# One input's share: mistral-embed refuses an input over its 8,192-token context, and one refused input fails the whole
# request. ~24k characters is ~6k tokens even for dense text; an item's opening says what it is about (the offline
# embedder reads only its first 256 word pieces).
EMBED_TEXT_CHARS = 24_000
EXTRACT_CHUNK_CHARS = 24_000  # a longer transcript is sent in chunks cut at line ends
CLUSTER_SAMPLE = 30  # member texts shown when naming a cluster
CLUSTER_TEXT_CHARS = 400
MAX_TEXT_CHARS = 20_000  # one feedback text sent for triage
NO_RETRIES = RetryConfig("none", BackoffStrategy(0, 0, 1.0, 0), retry_connection_errors=False)


class MalformedOutput(ProviderUnavailable):
    """The API answered, but not with what the schema asks for: that one item falls back, the API is not 'down'."""


class ItemRejected(ProviderUnavailable):
    """The API refused this one request (400, 413, 422: too long, bad input): it falls back, the API is not 'down'."""


ITEM_STATUSES = frozenset({400, 413, 422})


# --- Reading answers ------------------------------------------------------------------------------------------------


def _string(data: dict, key: str, *, limit: int = 0) -> str:
    if key not in data:
        raise MalformedOutput(f"the answer has no {key!r}")
    value = data[key]
    if not isinstance(value, str):
        raise MalformedOutput(f"{key} is {type(value).__name__}, not a string")
    value = " ".join(value.split())
    return value[:limit].rstrip() if limit else value


def _choice(data: dict, key: str, allowed: Sequence[str], *, blank: bool = False) -> str:
    value = _string(data, key)
    if (value == "" and blank) or value in allowed:
        return value
    raise MalformedOutput(f"{key}={value!r} is not one of the hub's values")


def _number(data: dict, key: str, low: float, high: float) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MalformedOutput(f"{key}={value!r} is not a number")
    return float(min(high, max(low, value)))


def _strings(data: dict, key: str, *, limit: int, lower: bool = False) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MalformedOutput(f"{key} is not a list of strings")
    cleaned = [" ".join(item.split())[:60] for item in value]
    cleaned = [item.lower() if lower else item for item in cleaned if item]
    return list(dict.fromkeys(cleaned))[:limit]


def _language(data: dict) -> str:
    match = re.fullmatch(r"([a-z]{2})(?:[-_][a-z0-9]+)?", _string(data, "language").lower())
    return match.group(1) if match else ""


def triage_result(data: dict, request: TriageRequest, *, model: str, version: str) -> TriageResult:
    """A TriageResult from the model's JSON, every field checked: outside the taxonomy or mistyped is malformed.

    Scores are clamped to their range, tags cut to ``MAX_TAGS``, theme ids the request did not offer dropped.
    """
    if not isinstance(data, dict):
        raise MalformedOutput("the answer is not a JSON object")
    churn = data.get("churn_signal")
    if not isinstance(churn, bool):
        raise MalformedOutput(f"churn_signal={churn!r} is not a boolean")
    ids = data.get("theme_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise MalformedOutput("theme_ids is not a list of integers")
    offered = {theme.id for theme in request.themes}
    return TriageResult(
        category=_choice(data, "category", CATEGORIES),
        sentiment_score=_number(data, "sentiment_score", -1.0, 1.0),
        severity=_choice(data, "severity", SEVERITIES),
        confidence=_number(data, "confidence", 0.0, 1.0),
        tags=_strings(data, "tags", limit=MAX_TAGS, lower=True),
        product=_choice(data, "product", PRODUCTS, blank=True),
        product_area=_choice(data, "product_area", PRODUCT_AREAS, blank=True),
        language=_language(data),
        handled=True,
        churn_signal=churn,
        competitors=_strings(data, "competitors", limit=10),
        summary=_string(data, "summary", limit=300),
        theme_ids=[i for i in dict.fromkeys(ids) if i in offered],
        provider="mistral",
        model=model,
        version=version,
    )


def jtbd_text(data: dict) -> str:
    """The job-to-be-done sentence, then the questions that would verify it (seed 001's verification step)."""
    if not isinstance(data, dict):
        raise MalformedOutput("the answer is not a JSON object")
    job = _string(data, "job_to_be_done", limit=500)
    if not job:
        raise MalformedOutput("job_to_be_done is empty")
    questions = _strings(data, "verification_questions", limit=3)
    return f"{job}\nTo verify: " + " ".join(questions) if questions else job


def locate(source: str, piece: str, start: int) -> tuple[int, int]:
    """Where ``piece`` stands in ``source`` (looked for from ``start``, then anywhere); ``(0, 0)`` when it is not."""
    for at in (source.find(piece, start), source.find(piece)):
        if at >= 0:
            return at, at + len(piece)
    return 0, 0


# --- Language routing ------------------------------------------------------------------------------------------------


def routing_language(text: str) -> str:
    """The language ``ai.language.detect`` reads in the text ("" when unsure), only to pick the model before the call.

    The model itself reports the language it read; this only decides whether the text goes to mistral-large.
    """
    return detect(text)


def chunks(text: str, size: int) -> list[tuple[int, str]]:
    """``text`` cut into pieces of at most ``size`` characters at line ends, each with its offset."""
    pieces, start = [], 0
    while start < len(text):
        end = len(text) if len(text) - start <= size else text.rfind("\n", start, start + size) + 1
        if end <= start:
            end = start + size
        pieces.append((start, text[start:end]))
        start = end
    return pieces


# --- The provider ----------------------------------------------------------------------------------------------------


class MistralProvider:
    """The TriageProvider and EmbeddingProvider backed by Mistral's API (``mistralai`` SDK)."""

    name = "mistral"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        server_url: str | None = None,
        timeout_ms: int | None = None,
        max_retries: int | None = None,
        backoff_s: float = 0.5,
        concurrency: int = 4,
        fallback: Any = None,
    ) -> None:
        space = settings.EMBEDDING_SPACES["mistral"]
        self.model, self.dimensions = space["model"], space["dimensions"]
        self.small_model, self.large_model = settings.MISTRAL_SMALL_MODEL, settings.MISTRAL_LARGE_MODEL
        self.version = self.small_model
        api_key = api_key if api_key is not None else settings.MISTRAL_API_KEY
        if not api_key:
            raise ImproperlyConfigured("The Mistral provider needs MISTRAL_API_KEY (or set AI_PROVIDER=offline).")
        self.timeout_ms = timeout_ms if timeout_ms is not None else settings.MISTRAL_TIMEOUT_MS
        self.max_retries = max_retries if max_retries is not None else settings.MISTRAL_MAX_RETRIES
        self.backoff_s = backoff_s
        self.concurrency = max(1, concurrency)
        self._fallback = fallback
        self.client = Mistral(
            api_key=api_key,
            server_url=(server_url if server_url is not None else settings.MISTRAL_SERVER_URL) or None,
            timeout_ms=self.timeout_ms,
            retry_config=NO_RETRIES,
        )

    # -- calls, retries, fallback --

    def call(self, what: str, send: Callable[[], Any]) -> Any:
        """``send()``, retried on 429, 5xx, timeouts and connection errors; ProviderUnavailable when it still fails."""
        attempt = 0
        while True:
            wait: float | None = None  # None: back off exponentially
            try:
                return send()
            except (ResponseValidationError, NoResponseError) as exc:  # subclasses of MistralError: caught first
                raise MalformedOutput(f"{what}: unreadable API response ({exc.__class__.__name__})") from exc
            except MistralError as exc:
                if exc.status_code not in RETRY_STATUSES:
                    failure = ItemRejected if exc.status_code in ITEM_STATUSES else ProviderUnavailable
                    raise failure(f"{what}: HTTP {exc.status_code} {exc.body[:200]!r}") from exc
                reason, wait = f"HTTP {exc.status_code}", retry_after(exc.headers)
            except httpx2.TimeoutException:
                reason = f"timed out after {self.timeout_ms} ms"
            except httpx2.TransportError as exc:
                reason = f"connection failed ({exc.__class__.__name__}: {exc})"
            if attempt >= self.max_retries:
                raise ProviderUnavailable(f"{what}: {reason} (after {attempt + 1} attempts)")
            if wait is None:
                wait = min(MAX_BACKOFF_S, self.backoff_s * 2**attempt) * (1 + random.random() / 4)
            elif wait > MAX_RETRY_AFTER_S:
                raise ProviderUnavailable(f"{what}: {reason}, asked to retry after {wait:.0f} s")
            logger.info("Mistral %s: %s; retry %d/%d in %.2f s", what, reason, attempt + 1, self.max_retries, wait)
            time.sleep(wait)
            attempt += 1

    def complete_json(self, what: str, model: str, prompt: str, schema: dict) -> tuple[Any, str]:
        """One chat completion in JSON schema mode: the parsed JSON and the model id the API reports."""
        response_format = models.ResponseFormat(
            type="json_schema",
            json_schema=models.JSONSchema(name=what.replace(" ", "_"), schema_definition=schema, strict=True),
        )
        response = self.call(
            what,
            lambda: self.client.chat.complete(
                model=model,
                messages=[{"role": "user", "content": prompt}],
                response_format=response_format,
                temperature=0.0,
            ),
        )
        content = response.choices[0].message.content if response.choices and response.choices[0].message else None
        if isinstance(content, list):  # content chunks: keep the text ones
            content = "".join(getattr(chunk, "text", "") or "" for chunk in content)
        if not isinstance(content, str):
            raise MalformedOutput(f"{what}: the answer has no text")
        try:
            return json.loads(content), response.model or model
        except json.JSONDecodeError as exc:
            raise MalformedOutput(f"{what}: the model's answer is not JSON ({exc.msg} at {exc.pos})") from exc

    def offline(self):
        """The offline provider every failed call falls back to (the process's own, loaded once)."""
        if self._fallback is None:
            from ai.providers import get_provider

            self._fallback = get_provider("offline")
        return self._fallback

    # -- triage --

    def triage(self, requests: list[TriageRequest], *, vectors: list[list[float]] | None = None) -> list[TriageResult]:
        """One result per request, in order; ``vectors`` are not needed (the model reads the text itself).

        Up to ``concurrency`` calls run at once. An item whose answer is malformed, or that the API rejects (400,
        422), falls back alone; once a call finds the API unavailable, the items not yet sent fall back without
        calling it again.
        """
        results: list[TriageResult | None] = [None] * len(requests)
        failures: dict[int, str] = {}
        down: list[str] = []
        lock = threading.Lock()

        def work(index: int) -> None:
            if down:
                failures[index] = f"API unavailable earlier in this batch ({down[0]})"
                return
            try:
                results[index] = self.triage_one(requests[index])
            except ProviderUnavailable as exc:
                failures[index] = str(exc)
                logger.warning("Mistral triage failed, using the offline provider: %s", exc)
                if not isinstance(exc, MalformedOutput | ItemRejected):
                    with lock:
                        down.append(str(exc))

        if self.concurrency == 1 or len(requests) <= 1:
            for index in range(len(requests)):
                work(index)
        else:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(requests))) as pool:
                list(pool.map(work, range(len(requests))))
        if failures:
            if len(failures) > 1:
                logger.warning("Mistral triage: %d of %d items triaged offline", len(failures), len(requests))
            order = sorted(failures)
            for index, result in zip(order, self.offline().triage([requests[i] for i in order]), strict=True):
                result.notes = "; ".join(filter(None, [f"fallback: {failures[index]}", result.notes]))
                results[index] = result
        return results  # type: ignore[return-value]

    def triage_one(self, request: TriageRequest) -> TriageResult:
        """mistral-small (mistral-large for FR/DE/ES) classifies; mistral-large abstracts a request's JTBD."""
        model = self.large_model if routing_language(request.text) in LARGE_LANGUAGES else self.small_model
        prompt = render(
            "triage",
            **customer_values(request.customer),
            themes=theme_lines(request.themes),
            categories=" | ".join(CATEGORIES),
            products=" | ".join(PRODUCTS),
            product_areas=" | ".join(PRODUCT_AREAS),
            severities=" | ".join(SEVERITIES),
            source=request.source or "unknown",
            text=quoted(request.text[:MAX_TEXT_CHARS]),
        )
        data, version = self.complete_json("triage", model, prompt, TRIAGE_SCHEMA)
        result = triage_result(data, request, model=model, version=version)
        if result.category in JTBD_CATEGORIES:
            try:
                result.jtbd = self.abstract_jtbd(request.text, customer=request.customer)
            except ProviderUnavailable as exc:
                logger.warning("Mistral JTBD abstraction failed; the triage is kept without it: %s", exc)
                result.notes = f"jtbd skipped: {exc}"
        return result

    def abstract_jtbd(self, text: str, *, customer: CustomerContext | None = None) -> str:
        """Seed 001's JTBD abstraction with mistral-large: "abstract above the request"."""
        prompt = render("jtbd", **customer_values(customer), text=quoted(text[:MAX_TEXT_CHARS]))
        data, _ = self.complete_json("jtbd", self.large_model, prompt, JTBD_SCHEMA)
        return jtbd_text(data)

    # -- cluster names --

    def name_cluster(self, texts: list[str], *, themes: Sequence[ThemeContext] = ()) -> ClusterName:
        """A short theme name and a one-line description from mistral-large; the offline one when that fails."""
        sample = [" ".join(text.split())[:CLUSTER_TEXT_CHARS] for text in texts[:CLUSTER_SAMPLE]]
        prompt = render(
            "name_cluster", texts=json.dumps(sample, ensure_ascii=False, indent=0), themes=theme_lines(themes)
        )
        try:
            data, _ = self.complete_json("name cluster", self.large_model, prompt, CLUSTER_SCHEMA)
            if not isinstance(data, dict):
                raise MalformedOutput("name cluster: the answer is not a JSON object")
            name, description = _string(data, "name", limit=80), _string(data, "description", limit=300)
            if not name:
                raise MalformedOutput("name cluster: the name is empty")
            return ClusterName(name=name, description=description)
        except ProviderUnavailable as exc:
            logger.warning("Mistral cluster naming failed, using the offline provider: %s", exc)
            return self.offline().name_cluster(texts)

    # -- transcripts --

    def extract(self, text: str) -> list[Extract]:
        """A transcript or long thread cut into requests, objections, praise and competitor mentions by mistral-large.

        A long text is sent in chunks cut at line ends. When any chunk fails, the whole text is split by
        ``ai.extract.extract_offline`` instead (one source, one method).
        """
        try:
            return self.extract_remote(text)
        except ProviderUnavailable as exc:
            from ai.extract import extract_offline

            logger.warning("Mistral extraction failed, splitting the text offline: %s", exc)
            return extract_offline(text)

    def extract_remote(self, text: str) -> list[Extract]:
        pieces: list[Extract] = []
        for offset, chunk in chunks(text, EXTRACT_CHUNK_CHARS):
            data, _ = self.complete_json(
                "extract", self.large_model, render("extract", text=quoted(chunk)), EXTRACT_SCHEMA
            )
            items = data.get("items") if isinstance(data, dict) else None
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise MalformedOutput("extract: 'items' is not a list of objects")
            cursor = 0
            for item in items:
                kind, said = _choice(item, "kind", EXTRACT_KINDS), _string(item, "text")
                if not said:
                    continue
                start, end = locate(chunk, said, cursor)
                cursor = end or cursor
                found = end > 0
                pieces.append(Extract(kind, said, offset + start if found else 0, offset + end if found else 0))
        return pieces

    # -- the weekly digest --

    def write_digest(self, facts: DigestFacts) -> DigestDraft | None:
        """Seed 001's weekly digest written by mistral-large from the hub's figures ("Weekly digests: Mistral Large,
        nuanced summarization, exec-ready writing"); None, logged, when the call or its answer fails (the hub then
        renders its template digest from the same facts)."""
        prompt = render(
            "digest",
            reader=DIGEST_READERS.get(facts.audience, facts.audience).format(recipient=facts.recipient or "you"),
            period_start=facts.period_start,
            period_end=facts.period_end,
            facts=json.dumps(facts.sections, ensure_ascii=False, indent=1, default=str),
            sections=", ".join(key.replace("_", " ") for key in facts.sections if key != "decisions"),
            word_limit=str(facts.word_limit),
        )
        try:
            response = self.call(
                "digest",
                lambda: self.client.chat.complete(
                    model=self.large_model,
                    messages=[{"role": "user", "content": prompt}],
                    temperature=0.3,
                    max_tokens=DIGEST_MAX_TOKENS,
                ),
            )
            text = digest_text(response, word_limit=facts.word_limit)
        except ProviderUnavailable as exc:
            logger.warning("Mistral digest failed, the hub's template digest is used: %s", exc)
            return None  # what the offline provider answers too: the hub renders its templates
        return DigestDraft(text=text, model=response.model or self.large_model)

    # -- embeddings --

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One unit vector of ``dimensions`` floats per text, in order; ProviderUnavailable when the API fails."""
        vectors: list[list[float]] = []
        for batch in embed_batches(texts):
            try:
                response = self.call(
                    "embed", lambda batch=batch: self.client.embeddings.create(model=self.model, inputs=batch)
                )
                vectors.extend(self.read_vectors(response, len(batch)))
            except ProviderUnavailable as exc:
                logger.warning("Mistral embeddings failed (no fallback: another vector space): %s", exc)
                raise ProviderUnavailable(f"Mistral embeddings unavailable, retry later: {exc}") from exc
        return vectors

    def read_vectors(self, response, count: int) -> list[list[float]]:
        data = sorted(response.data or [], key=lambda item: item.index or 0)
        if len(data) != count:
            raise MalformedOutput(f"embed: {len(data)} vectors for {count} texts")
        vectors = []
        for item in data:
            vector = item.embedding or []
            if len(vector) != self.dimensions:
                raise MalformedOutput(f"embed: a vector of {len(vector)} floats, not {self.dimensions}")
            norm = math.sqrt(sum(x * x for x in vector))
            if not norm or not math.isfinite(norm):
                raise MalformedOutput("embed: a zero or non-finite vector")
            vectors.append([x / norm for x in vector])
        return vectors


DIGEST_READERS = {
    "product": "the product team (PMs, product ops, leadership), posted in the product Slack channel",
    "account_owner": "{recipient}, an account owner, by email: only their own accounts",
}
DIGEST_MAX_TOKENS = 1_500  # 500 words are ~700 tokens: room for markup, not for an essay


def digest_text(response, *, word_limit: int) -> str:
    """The digest's Markdown from a chat answer: fences around the whole answer removed; empty or over the word
    limit is malformed (the template digest is used instead of a digest nobody asked to be that long)."""
    content = response.choices[0].message.content if response.choices and response.choices[0].message else None
    if isinstance(content, list):
        content = "".join(getattr(chunk, "text", "") or "" for chunk in content)
    if not isinstance(content, str) or not content.strip():
        raise MalformedOutput("digest: the answer has no text")
    text = re.sub(r"^```(?:markdown|md)?\s*\n(.*?)\n```\s*$", r"\1", content.strip(), flags=re.DOTALL).strip()
    if (words := word_count(text)) > word_limit:
        raise MalformedOutput(f"digest: {words} words, over the limit of {word_limit}")
    return text


def embed_batches(texts: list[str]) -> list[list[str]]:
    """``texts`` in order (each cut at ``EMBED_TEXT_CHARS``), in batches of at most ``EMBED_BATCH`` texts and about
    ``EMBED_BATCH_CHARS`` characters."""
    batches: list[list[str]] = []
    size = 0
    for text in texts:
        text = (text or " ")[:EMBED_TEXT_CHARS]  # the API refuses an empty input, and one over the model's context
        if not batches or len(batches[-1]) >= EMBED_BATCH or (size + len(text) > EMBED_BATCH_CHARS and batches[-1]):
            batches.append([])
            size = 0
        batches[-1].append(text)
        size += len(text)
    return batches


def retry_after(headers) -> float | None:
    """The wait the API asks for, in seconds: ``retry-after-ms`` first, then ``Retry-After`` (seconds or a date)."""
    from email.utils import parsedate_to_datetime

    if (value := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    if (value := headers.get("retry-after")) is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
