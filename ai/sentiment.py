"""The offline sentiment scorer, learnt from star ratings (English and French app reviews in ``ai/seed/``).

A ridge regression on the offline MiniLM vector, ``ai.lexicon.cue_features`` and two features from a word list learnt
from the same ratings (each frequent word's log-odds of a positive rather than a negative review: what carries the
French reviews, which the English sentence model reads less well) predicts the review's stars
(1 → -1, 2 → -0.6, 3 → 0.1, 4 → 0.6, 5 → 1: three stars lean positive in app stores). Its raw output is then mapped by
a monotone piecewise-linear calibration onto -1..1 so that the hub's bands (``feedback.choices.Sentiment.for_score``:
≥ 0.5 positive, ≤ -0.3 negative) and the sign fall where they separate the rated classes best on held-out folds of
the seed: the 0 point where positive and negative reviews split, -0.3 and 0.5 where three-class accuracy peaks.

Lexicons get the direction right about half the time on this kind of text; this gets 0.95 (English) and 0.90
(French) on held-out folds (see ai/seed/README.md).
Weights ship in ``ai/seed/sentiment.npz``; ``build_default()`` rebuilds them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ai import lexicon

SEED_DIR = Path(__file__).resolve().parent / "seed"
SEED_FILES = ("minibar_garmin_connect.en.csv", "minibar_garmin_connect.fr.csv")
DEFAULT_PATH = SEED_DIR / "sentiment.npz"
STAR_TARGET = {1: -1.0, 2: -0.6, 3: 0.1, 4: 0.6, 5: 1.0}
RIDGE = 1.0
POSITIVE_AT, NEGATIVE_AT = 0.5, -0.3  # the hub's bands (feedback.choices.Sentiment.for_score)


def label_for(score: float) -> str:
    """The hub's label of a score: positive ≥ 0.5, negative ≤ -0.3, neutral between."""
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def label_for_stars(stars: int) -> str:
    """1–2 stars negative, 3 neutral, 4–5 positive."""
    return "negative" if stars <= 2 else "neutral" if stars == 3 else "positive"


def seed_ratings() -> tuple[list[str], list[int]]:
    """The seed reviews and their star ratings (1–5)."""
    texts, stars = [], []
    for name in SEED_FILES:
        with open(SEED_DIR / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                texts.append(row["data"])
                stars.append(int(row["score"]))
    return texts, stars


def _design(features: np.ndarray) -> np.ndarray:
    return np.hstack([features, np.ones((len(features), 1))]).astype(np.float64)


def _solve(gram: np.ndarray, moment: np.ndarray, penalty: float) -> np.ndarray:
    """Ridge weights from X'X and X'y (the bias, last, unpenalised)."""
    regulariser = penalty * np.eye(gram.shape[0])
    regulariser[-1, -1] = 0.0
    return np.linalg.solve(gram + regulariser, moment)


def _raw(features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return np.hstack([features, np.ones((len(features), 1))]) @ weights


def _calibrate(raw: np.ndarray, stars: np.ndarray) -> np.ndarray:
    """Knots (raw values) where the score is -1, -0.3, 0, 0.5, 1, chosen on held-out raw predictions."""
    gold = np.array([label_for_stars(int(s)) for s in stars])
    polar = gold != "neutral"
    grid = np.quantile(raw, np.linspace(0.02, 0.98, 49))
    zero = max(grid, key=lambda t: ((raw[polar] > t) == (gold[polar] == "positive")).mean())
    best, knots = -1.0, (zero - 0.01, zero + 0.01)
    for low in grid[grid < zero]:
        for high in grid[grid > zero]:
            guess = np.where(raw >= high, "positive", np.where(raw <= low, "negative", "neutral"))
            accuracy = (guess == gold).mean()
            if accuracy > best:
                best, knots = accuracy, (low, high)
    low, high = knots
    return np.array([min(raw.min(), low - 1e-3), low, zero, high, max(raw.max(), high + 1e-3)], dtype=np.float64)


_WORD = re.compile(r"[^\W\d_]+", re.U)
MIN_WORD_COUNT = 5  # a word enters the learnt word list when it is in at least this many rated reviews


def _words(text: str) -> set[str]:
    return set(_WORD.findall((text or "").lower()))


def word_log_odds(texts: list[str], stars) -> dict[str, float]:
    """Each frequent word's smoothed log-odds of being in a positive (4–5 stars) rather than a negative (1–2) review:
    a word list learnt from the ratings (naive Bayes style), in every language the reviews are in."""
    positive: dict[str, int] = {}
    negative: dict[str, int] = {}
    n_positive = n_negative = 0
    for text, rating in zip(texts, stars, strict=True):
        if rating == 3:
            continue
        counts = positive if rating >= 4 else negative
        n_positive, n_negative = n_positive + (rating >= 4), n_negative + (rating <= 2)
        for word in _words(text):
            counts[word] = counts.get(word, 0) + 1
    odds = {}
    for word in positive.keys() | negative.keys():
        p, n = positive.get(word, 0), negative.get(word, 0)
        if p + n >= MIN_WORD_COUNT:
            odds[word] = float(np.log((p + 1) / (n_positive + 1)) - np.log((n + 1) / (n_negative + 1)))
    return odds


def word_features(texts: list[str], odds: dict[str, float]) -> np.ndarray:
    """Two numbers per text from the learnt word list: the sum of its words' log-odds over √count, and the lowest."""
    out = np.zeros((len(texts), 2), dtype=np.float32)
    for row, text in enumerate(texts):
        values = [odds[word] for word in _words(text) if word in odds]
        if values:
            out[row] = (sum(values) / np.sqrt(len(values)) / 5, min(values) / 5)
    return out


@dataclass
class SentimentModel:
    """Ridge weights for the text head (vector + cues + learnt word list) and the vector head, each head's
    calibration knots, and the word list (words and their log-odds)."""

    text_weights: np.ndarray
    text_knots: np.ndarray
    vector_weights: np.ndarray
    vector_knots: np.ndarray
    words: np.ndarray
    log_odds: np.ndarray

    def _text_features(self, matrix: np.ndarray, texts: list[str]) -> np.ndarray:
        odds = dict(zip(self.words.tolist(), self.log_odds.tolist(), strict=True))
        return np.hstack([matrix, lexicon.cue_features(texts), word_features(texts, odds)])

    def score(self, vectors, texts: list[str] | None = None) -> list[float]:
        """One score in -1..1 per vector (the text head when texts are given)."""
        matrix = np.asarray(vectors, dtype=np.float32).reshape(-1, self.vector_weights.shape[0] - 1)
        if texts is None:
            raw, knots = _raw(matrix, self.vector_weights), self.vector_knots
        else:
            raw, knots = _raw(self._text_features(matrix, list(texts)), self.text_weights), self.text_knots
        scores = np.interp(raw, knots, [-1.0, NEGATIVE_AT, 0.0, POSITIVE_AT, 1.0])
        return [round(float(value), 4) for value in scores]

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **{name: getattr(self, name) for name in self.__dataclass_fields__})
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> SentimentModel:
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            fields = {name: data[name] for name in cls.__dataclass_fields__}
        return cls(**{name: value if name == "words" else value.astype(np.float64) for name, value in fields.items()})


def train(texts: list[str], stars: list[int], vectors, *, penalty: float = RIDGE, folds: int = 5) -> SentimentModel:
    """Fit both heads on rated texts; calibrate each on its own out-of-fold predictions (deterministic folds)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    target = np.array([STAR_TARGET[int(s)] for s in stars])
    ratings = np.asarray(stars)
    # The word list of a row's features is learnt without that row (inner folds): no row sees its own rating.
    word_columns = np.zeros((len(texts), 2), dtype=np.float32)
    for fold in range(folds):
        rows = np.arange(fold, len(texts), folds)
        others = np.setdiff1d(np.arange(len(texts)), rows)
        odds = word_log_odds([texts[i] for i in others], ratings[others])
        word_columns[rows] = word_features([texts[i] for i in rows], odds)
    heads = {"text": np.hstack([matrix, lexicon.cue_features(list(texts)), word_columns]), "vector": matrix}
    fitted = {}
    for name, features in heads.items():
        design = _design(features)
        gram, moment = design.T @ design, design.T @ target  # each fold's own is subtracted: one big product, not six
        held_out = np.zeros(len(target))
        for fold in range(folds):
            test = np.arange(fold, len(target), folds)
            weights = _solve(gram - design[test].T @ design[test], moment - design[test].T @ target[test], penalty)
            held_out[test] = design[test] @ weights
        fitted[name] = (_solve(gram, moment, penalty), _calibrate(held_out, ratings))
    odds = word_log_odds(list(texts), ratings)
    words = sorted(odds)
    return SentimentModel(
        fitted["text"][0],
        fitted["text"][1],
        fitted["vector"][0],
        fitted["vector"][1],
        np.array(words),
        np.array([odds[word] for word in words]),
    )


_DEFAULT: SentimentModel | None = None


def default() -> SentimentModel:
    """The shipped model (``ai/seed/sentiment.npz``), loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = SentimentModel.from_bytes(DEFAULT_PATH.read_bytes())
    return _DEFAULT


def score(vectors, texts: list[str] | None = None) -> list[float]:
    """Sentiment in -1..1 per item with the shipped model (texts sharpen it; vectors alone work too)."""
    return default().score(vectors, texts)


def build_default(vectors, path: Path = DEFAULT_PATH) -> SentimentModel:
    """Train on the seed reviews (``vectors``: their embeddings, in ``seed_ratings()`` order) and write it."""
    texts, stars = seed_ratings()
    model = train(texts, stars, vectors)
    path.write_bytes(model.to_bytes())
    return model
