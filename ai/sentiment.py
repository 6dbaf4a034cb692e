"""The offline sentiment scorer, learnt from star ratings (English and French app reviews in ``ai/seed/``).

A ridge regression on the offline MiniLM vector, ``ai.lexicon.cue_features`` and two features from a word list learnt
from the same ratings (each frequent word's log-odds of a positive rather than a negative review: what carries the
French reviews, which the English sentence model reads less well) predicts the review's stars
(1 → -1, 2 → -0.6, 3 → 0.1, 4 → 0.6, 5 → 1: three stars lean positive in app stores). Its raw output is then mapped by
a monotone piecewise-linear calibration onto -1..1 so that the hub's bands (``feedback.choices.Sentiment.for_score``:
≥ 0.5 positive, ≤ -0.3 negative) and the sign fall where they separate the rated classes best on held-out folds of
the seed: the 0 point where positive and negative reviews split, -0.3 and 0.5 where three-class accuracy peaks.

Short texts: the classifier's problem probability (times the text's brevity) is a feature, and a short-text
calibration bounds a short problem report (negative) or "no issues" (positive) where the ratings say so, and pulls a
short request or question with no tone word to neutral (``_short_text``): "Exports keep failing" is negative although
most short app reviews are praise.

Lexicons get the direction right about half the time on this kind of text; this gets 0.95 (English) and 0.90
(French) on held-out folds (see ai/seed/README.md).
Weights ship in ``ai/seed/sentiment.npz``; ``build_default()`` rebuilds them.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ai import lexicon, seed_set

DEFAULT_PATH = seed_set.SEED_DIR / "sentiment.npz"
STAR_TARGET = {1: -1.0, 2: -0.6, 3: 0.1, 4: 0.6, 5: 1.0}
RIDGE = 1.0
POSITIVE_AT, NEGATIVE_AT = 0.5, -0.3  # the hub's bands (feedback.choices.Sentiment.for_score)
_LEVELS = [-1.0, NEGATIVE_AT, 0.0, POSITIVE_AT, 1.0]  # the scores the calibration knots map to


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
    rows = list(seed_set.seed_rows())
    return [row["data"] for row in rows], [int(row["score"]) for row in rows]


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


PROBLEM_LABELS = frozenset({"bug", "complaint", "pain_point", "churn_signal"})  # categories that report a problem
BREVITY_WORDS = 10  # brevity = 1 / (1 + words / BREVITY_WORDS): 0.77 for three words, 0.17 for a 50-word review


def problem_probability(probabilities, labels) -> np.ndarray:
    """The probability a classifier gives to the problem categories (the seed's "bug"; a retrained model's bug,
    complaint, pain point, churn signal), per row of ``probabilities`` (columns in ``labels`` order)."""
    matrix = np.asarray(probabilities, dtype=np.float64)
    columns = [index for index, label in enumerate(labels) if label in PROBLEM_LABELS]
    return matrix[:, columns].sum(axis=1) if columns else np.zeros(len(matrix))


def brevity(text: str) -> float:
    """1 / (1 + words / BREVITY_WORDS): 0.77 for three words, 0.17 for a 50-word review."""
    return 1.0 / (1.0 + len((text or "").split()) / BREVITY_WORDS)


def problem_features(texts: list[str], problem) -> np.ndarray:
    """One number per text coupling the sentiment to the category: the classifier's problem probability times the
    text's brevity.

    A long review's vector already says whether it is a complaint; a three-word support message ("Exports keep
    failing") says little else, and the app-store prior (most short reviews are "Great app!") would call it positive.
    How much a problem report weighs in a short text is learnt from the ratings (the seed's short problem reports are
    1–2 stars four times in five), not set by hand. (The problem probability alone, and the problem cues as a
    feature, were tried too: held-out figures no better, or lower.)
    """
    out = np.zeros((len(texts), 1), dtype=np.float32)
    for row, (text, probability) in enumerate(zip(texts, np.asarray(problem, dtype=np.float64), strict=True)):
        out[row, 0] = probability * brevity(text)
    return out


SHORT_TEXT_WORDS = 8  # texts of at most this many words get the short-text calibration (``_short_text``)
_NEGATED_COMPLAINT = re.compile(
    r"\b(?:not|never|no|pas|jamais|sans)\s+(?:so\s+|too\s+|that\s+|si\s+|trop\s+|plus\s+)?(?:"
    + lexicon.CUES["negative"]
    + r")\b",
    re.I,
)  # "not bad", "pas mal", "never disappointed": no complaint
_THANKS_FOR_ASKING = re.compile(r"\bmerci\s+(?:de|d'|d’)", re.I)  # "merci d'ajouter …" asks; it does not praise


def _short_kind(text: str) -> str:
    """The short-text kind: "problem" for a short text with a problem cue or a word of complaint (not negated: "not
    bad", "pas mal") and no word of praise; "toneless" for a short request or question with no word of praise,
    complaint or problem; "reassured" for a short text that says nothing is wrong ("no issues so far", "aucun
    souci", "bug fixed") and complains of nothing; "" otherwise (longer texts too)."""
    text = text or ""
    if len(text.split()) > SHORT_TEXT_WORDS:
        return ""
    unthanked = _THANKS_FOR_ASKING.sub(" ", text)
    praise = bool(lexicon._CUE_RES["positive"].search(unthanked))
    problem = bool(lexicon.problem_cues(text))
    complaint = bool(lexicon._CUE_RES["negative"].search(_NEGATED_COMPLAINT.sub(" ", text)))
    if (problem or complaint) and not praise:
        return "problem"
    if lexicon.says_no_problem(text) and not problem and not complaint:
        return "reassured"
    asks = lexicon._CUE_RES["request"].search(text) or lexicon.is_question(text)
    if asks and not praise and not problem and not complaint:
        return "toneless"
    return ""


def _short_text(texts: list[str], scores: np.ndarray, bounds) -> np.ndarray:
    """The short-text calibration: a short problem report scores at most ``bounds[0]``, a short "no issues" at least
    ``bounds[1]`` (both learnt: the label most such seed reviews have, see ``_short_bounds``); a short request or
    question with no tone word is pulled towards neutral by its brevity ("Please add dark mode" asks, it does not
    praise: the seed's stars rate the app, not the ask)."""
    out = np.array(scores, dtype=np.float64)
    cap, floor = (float(value) for value in bounds)
    for row, text in enumerate(texts):
        kind = _short_kind(text)
        if kind == "problem":
            out[row] = min(out[row], cap)
        elif kind == "reassured":
            out[row] = max(out[row], floor)
        elif kind == "toneless":
            out[row] *= 1.0 - brevity(text)
    return out


@dataclass
class SentimentModel:
    """Ridge weights for the text head (vector + cues + learnt word list) and the vector head, each head's
    calibration knots, the word list (words and their log-odds) and the short-text calibration's bounds."""

    text_weights: np.ndarray
    text_knots: np.ndarray
    vector_weights: np.ndarray
    vector_knots: np.ndarray
    words: np.ndarray
    log_odds: np.ndarray
    short_bounds: np.ndarray  # the most a short problem report scores, the least a short "no issues" (±1: none)

    def _text_features(self, matrix: np.ndarray, texts: list[str], problem) -> np.ndarray:
        odds = dict(zip(self.words.tolist(), self.log_odds.tolist(), strict=True))
        return np.hstack(
            [matrix, lexicon.cue_features(texts), word_features(texts, odds), problem_features(texts, problem)]
        )

    def score(self, vectors, texts: list[str] | None = None, problem=None) -> list[float]:
        """One score in -1..1 per vector (the text head when texts are given).

        ``problem``: each text's problem probability from the classifier in use (``problem_probability``); by
        default the shipped classifier's.
        """
        matrix = np.asarray(vectors, dtype=np.float32).reshape(-1, self.vector_weights.shape[0] - 1)
        if texts is None:
            raw, knots = _raw(matrix, self.vector_weights), self.vector_knots
        else:
            texts = list(texts)
            if problem is None:
                problem = _shipped_problem_probability(matrix, texts)
            raw, knots = _raw(self._text_features(matrix, texts, problem), self.text_weights), self.text_knots
        scores = np.interp(raw, knots, _LEVELS)
        if texts is not None:
            scores = _short_text(texts, scores, self.short_bounds)
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


def _shipped_problem_probability(matrix: np.ndarray, texts: list[str]) -> np.ndarray:
    from ai import classifier

    model = classifier.default()
    return problem_probability(model.probabilities(matrix, texts), model.labels)


def seed_problem_probabilities(vectors, folds: int = 5) -> np.ndarray:
    """Each seed review's problem probability (``seed_ratings()`` order) from a classifier trained on the seed's
    category labels without that review's fold (rows ``fold::folds``): what the scorer learns the coupling from."""
    from ai import classifier

    rows = list(seed_set.seed_rows())
    texts, labels = [row["data"] for row in rows], [seed_set.category_label(row) for row in rows]
    matrix = np.asarray(vectors, dtype=np.float32)
    problem = np.zeros(len(texts))
    for fold in range(folds):
        rows = np.arange(fold, len(texts), folds)
        learn = [i for i in range(len(texts)) if i % folds != fold and labels[i] is not None]
        model = classifier.train([texts[i] for i in learn], [labels[i] for i in learn], matrix[learn])
        problem[rows] = problem_probability(model.probabilities(matrix[rows], [texts[i] for i in rows]), model.labels)
    return problem


def train(
    texts: list[str], stars: list[int], vectors, *, problem=None, penalty: float = RIDGE, folds: int = 5
) -> SentimentModel:
    """Fit both heads on rated texts; calibrate each on its own out-of-fold predictions (deterministic folds).

    ``problem``: each text's problem probability from a classifier that did not see it (``seed_problem_probabilities``
    for the seed); by default the shipped classifier's.
    """
    matrix = np.asarray(vectors, dtype=np.float32)
    if problem is None:
        problem = _shipped_problem_probability(matrix, list(texts))
    target = np.array([STAR_TARGET[int(s)] for s in stars])
    ratings = np.asarray(stars)
    # The word list of a row's features is learnt without that row (inner folds): no row sees its own rating.
    word_columns = np.zeros((len(texts), 2), dtype=np.float32)
    for fold in range(folds):
        rows = np.arange(fold, len(texts), folds)
        others = np.setdiff1d(np.arange(len(texts)), rows)
        odds = word_log_odds([texts[i] for i in others], ratings[others])
        word_columns[rows] = word_features([texts[i] for i in rows], odds)
    text_features = [matrix, lexicon.cue_features(list(texts)), word_columns, problem_features(list(texts), problem)]
    heads = {"text": np.hstack(text_features), "vector": matrix}
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
        if name == "text":
            bounds = _short_bounds(list(texts), ratings, np.interp(held_out, fitted[name][1], _LEVELS))
    odds = word_log_odds(list(texts), ratings)
    words = sorted(odds)
    return SentimentModel(
        fitted["text"][0],
        fitted["text"][1],
        fitted["vector"][0],
        fitted["vector"][1],
        np.array(words),
        np.array([odds[word] for word in words]),
        np.array(bounds),
    )


def _short_bounds(texts: list[str], stars, held_out: np.ndarray) -> tuple[float, float]:
    """The short-text calibration's bounds, learnt from the training set's held-out scores: a short problem report
    scores at most just below the negative band when most such reviews are 1–2 stars, a short "no issues" at least
    the positive band when most are 4–5 stars, each only if it does not lower their held-out three-class accuracy;
    else no bound (1 and -1)."""

    def learnt(kind: str, bound: float, label: str, clip, none: float) -> float:
        rows = [row for row, text in enumerate(texts) if _short_kind(text) == kind]
        if not rows:
            return none
        gold = np.array([label_for_stars(int(stars[row])) for row in rows])
        before = np.mean(np.array([label_for(held_out[row]) for row in rows]) == gold)
        after = np.mean(np.array([label_for(clip(held_out[row], bound)) for row in rows]) == gold)
        return bound if np.mean(gold == label) > 0.5 and after >= before else none

    cap = learnt("problem", NEGATIVE_AT - 0.01, "negative", min, 1.0)
    return cap, learnt("reassured", POSITIVE_AT, "positive", max, -1.0)


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
    model = train(texts, stars, vectors, problem=seed_problem_probabilities(vectors))
    path.write_bytes(model.to_bytes())
    return model
