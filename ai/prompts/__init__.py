"""The prompts (``ai/prompts/*.txt``) and the JSON schemas of the answers the Mistral provider asks for.

A prompt is a ``string.Template`` (``$name`` placeholders): the customer's words and every other value are inserted as
they are, never parsed again, and the feedback text goes in as a JSON string literal, so no quote, brace or dollar in
it can change the prompt's shape. As in seed 001's prompt, triage receives the customer context (company, tier, ARR,
industry, region), the existing themes (id and name) and the taxonomy. The schemas' enums are the hub's own taxonomy
(``ai.types``), so the model's structured output can only name values the hub stores.
"""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ai.types import CATEGORIES, MAX_TAGS, PRODUCT_AREAS, PRODUCTS, SEVERITIES, CustomerContext, ThemeContext

PROMPTS = Path(__file__).resolve().parent


@cache
def template(name: str) -> string.Template:
    """``ai/prompts/<name>.txt``, read once."""
    return string.Template((PROMPTS / f"{name}.txt").read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    """The prompt ``name`` with every placeholder filled (a missing one raises KeyError: a bug, not a fallback)."""
    return template(name).substitute(values)


def quoted(text: str) -> str:
    """The customer's words as a JSON string literal: data inside the prompt, whatever quotes or braces it holds."""
    return json.dumps(text, ensure_ascii=False)


def customer_values(customer: CustomerContext | None) -> dict[str, str]:
    """Seed 001's customer context (company, tier, ARR, industry, region), "unknown" where the hub has nothing."""
    customer = customer or CustomerContext()
    arr = f"${customer.arr:,.0f}" if customer.arr is not None else ""
    values = {
        "company": customer.company,
        "tier": customer.tier,
        "arr": arr,
        "industry": customer.industry,
        "region": customer.region,
    }
    return {key: " ".join(value.split()) or "unknown" for key, value in values.items()}


def theme_lines(themes: Sequence[ThemeContext]) -> str:
    """One ``- id: name`` line per existing theme (names JSON-quoted), or "(none yet)"."""
    return "\n".join(f"- {theme.id}: {quoted(theme.name)}" for theme in themes) or "(none yet)"


def _strict(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


_STRINGS = {"type": "array", "items": {"type": "string"}}
TRIAGE_SCHEMA = _strict(
    {
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "sentiment_score": {"type": "number", "minimum": -1, "maximum": 1},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "tags": {**_STRINGS, "maxItems": MAX_TAGS},
        "product": {"type": "string", "enum": ["", *PRODUCTS]},
        "product_area": {"type": "string", "enum": ["", *PRODUCT_AREAS]},
        "language": {"type": "string"},
        "churn_signal": {"type": "boolean"},
        "competitors": _STRINGS,
        "summary": {"type": "string"},
        "theme_ids": {"type": "array", "items": {"type": "integer"}},
    }
)
JTBD_SCHEMA = _strict(
    {
        "literal_request": {"type": "string"},
        "job_to_be_done": {"type": "string"},
        "verification_questions": {**_STRINGS, "maxItems": 3},
        "alternatives": {**_STRINGS, "maxItems": 3},
    }
)
CLUSTER_SCHEMA = _strict({"name": {"type": "string"}, "description": {"type": "string"}})
EXTRACT_KINDS = ("request", "objection", "praise", "competitor")
EXTRACT_SCHEMA = _strict(
    {
        "items": {
            "type": "array",
            "items": _strict({"kind": {"type": "string", "enum": list(EXTRACT_KINDS)}, "text": {"type": "string"}}),
        }
    }
)
