"""Small, fast helpers for drawing believable values from a seeded ``random.Random``."""

from __future__ import annotations

import bisect
import functools
import itertools
import random
import string
import unicodedata
from collections.abc import Hashable, Mapping
from datetime import UTC, date, datetime
from typing import Any

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(number: int, width: int = 0) -> str:
    """``number`` in base 62 (0-9A-Za-z), left-padded with zeros to ``width``."""
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = BASE62[remainder] + digits
    return (digits or "0").rjust(width, "0")


@functools.lru_cache(maxsize=65_536)
def ascii_slug(text: str, separator: str = "-") -> str:
    """Lower-case ASCII slug: accents dropped, anything else but letters and digits becomes ``separator``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    return separator.join(words)


class Weighted:
    """A fast weighted choice over fixed options (one ``random()`` and a bisect per draw)."""

    __slots__ = ("values", "cumulative", "total")

    def __init__(self, weights: Mapping[Any, float]):
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> Any:
        """One value, drawn in proportion to its weight."""
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def spread(*, rng: random.Random, weights: Mapping[Hashable, float], count: int) -> list:
    """``count`` draws from ``weights`` that contain every value at least once (when ``count`` allows), shuffled."""
    values = list(weights)[:count]
    picker = Weighted(weights)
    values += [picker.pick(rng) for _ in range(count - len(values))]
    rng.shuffle(values)
    return values


def midnight(day: date) -> datetime:
    """The start of ``day`` in UTC: the anchor every generated date counts back from."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
