"""A retrospective's narrative written by mistral-large (issue 11, seed 004 "Retro Agent").

Beside the weekly digest's ``MistralProvider.write_digest`` (kept out of ``ai/providers/mistral.py``, which stays a
provider): one chat call through the provider's own client and retries (``MistralProvider.call``: timeout, 429/5xx
retried with backoff), the prompt ``ai/prompts/retrospective.txt`` with the hub's facts and findings as JSON data,
and the answer read like a digest (``digest_text``: fences removed; empty or over the word limit is malformed).

``write_narrative`` raises ``ProviderUnavailable`` (with the reason) when the call or its answer fails: the caller,
``insights.retrospectives``, logs it and writes the offline template instead, and records which it used.
"""

from __future__ import annotations

import json

from ai.prompts import render
from ai.providers.mistral import digest_text
from ai.types import DigestDraft

RETRO_WORD_LIMIT = 350
RETRO_MAX_TOKENS = 1_000  # 350 words are ~500 tokens: room for markup, not for an essay


def write_narrative(
    provider, *, kind: str, window_start: str, window_end: str, facts: dict, insights: list[dict]
) -> DigestDraft:
    """The narrative's Markdown (without its title) from mistral-large; ``ProviderUnavailable`` when it fails."""
    prompt = render(
        "retrospective",
        kind=kind,
        window_start=window_start,
        window_end=window_end,
        facts=json.dumps(facts, ensure_ascii=False, indent=1, default=str),
        insights=json.dumps(insights, ensure_ascii=False, indent=1, default=str),
        word_limit=str(RETRO_WORD_LIMIT),
    )
    response = provider.call(
        "retrospective",
        lambda: provider.client.chat.complete(
            model=provider.large_model,
            messages=[{"role": "user", "content": prompt}],
            temperature=0.2,
            max_tokens=RETRO_MAX_TOKENS,
        ),
    )
    text = digest_text(response, word_limit=RETRO_WORD_LIMIT)
    return DigestDraft(text=text, model=response.model or provider.large_model)
