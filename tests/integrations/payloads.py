"""The vendor payloads under fixtures/ (modelled on each vendor's documented webhook and API examples)."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def payload(name: str) -> dict:
    return json.loads(raw(name))
