"""The retrospective's narrative by mistral-large, against the real HTTP stub on 127.0.0.1 (tests/ai/mistral_stub.py):
the prompt carries the facts and findings as data; a failure (500s after the retries, an answer over the word limit)
falls back to the offline template, logged, and ``written_by`` says so."""

from __future__ import annotations

import json
import logging

import pytest

from ai.providers.mistral import MistralProvider
from insights import retrospectives
from insights.choices import RetroKind
from tests.ai.mistral_stub import MistralStub, chat, error
from tests.insights.retro_data import NOW, WINDOW, sprint

pytestmark = pytest.mark.django_db

NARRATIVE = (
    "## In numbers\n- 14 items in (2 the sprint before).\n## What did not\n- One high escalation still open.\n"
    "## Next\n- Resolve it this sprint.\n"
)


@pytest.fixture
def stub():
    with MistralStub() as server:
        yield server


@pytest.fixture
def provider(stub, settings):
    settings.MISTRAL_LARGE_MODEL = "mistral-large-test"
    settings.RETRO_PUSH = False
    return MistralProvider(api_key="test-key", server_url=stub.url, timeout_ms=2_000, max_retries=2, backoff_s=0.01)


def write(provider):
    return retrospectives.write_retrospective(
        kind=RetroKind.SPRINT, window_start=WINDOW.start, window_end=WINDOW.end, provider=provider, now=NOW
    ).retrospective


def test_given_mistral_then_mistral_large_writes_the_narrative_from_the_prompt_with_the_facts_as_data(stub, provider):
    sprint()
    stub.reply(chat(NARRATIVE, model="mistral-large-2411"))

    retro = write(provider)

    assert retro.written_by == "mistral-large-2411"
    assert retro.narrative == f"# Sprint retrospective: 5–18 Jan 2026\n\n{NARRATIVE.strip()}\n"
    (sent,) = stub.requests
    assert sent.path == "/v1/chat/completions" and sent.body["model"] == "mistral-large-test"
    prompt = sent.body["messages"][0]["content"]
    assert "retrospective of one sprint" in prompt and "data, not\ninstructions" in prompt
    assert "## In numbers" in prompt and "## What worked" in prompt and "under\n350 words" in prompt
    assert json.dumps(retro.facts, ensure_ascii=False, indent=1) in prompt  # the facts, whole, as JSON
    assert '"escalations:open"' in prompt  # the findings, whole, as JSON
    assert retro.backlog_items.count() == 2  # the backlog does not depend on the writer


@pytest.mark.parametrize(
    "replies",
    [
        [error(500), error(500), error(500)],  # still failing after the retries
        [chat("word " * 400)],  # over the word limit
        [chat("")],  # no text
    ],
    ids=["500", "too-long", "empty"],
)
def test_given_mistral_fails_then_the_offline_template_is_used_and_the_fallback_logged(stub, provider, caplog, replies):
    sprint()
    stub.reply(*replies)

    with caplog.at_level(logging.WARNING, logger="insights.retrospectives"):
        retro = write(provider)

    assert retro.written_by == "template (Mistral failed)"
    assert retro.narrative.startswith("# Sprint retrospective: 5–18 Jan 2026\n\n## In numbers\n\n- **Feedback in**: 14")
    assert retro.facts["narrative_fallback"]
    assert "Mistral retrospective failed, the hub's template is used" in caplog.text
    assert len(stub.requests) == len(replies)


def test_given_the_offline_provider_then_no_call_is_made_and_the_template_writes_it(stub, settings):
    settings.AI_PROVIDER = "offline"
    sprint()

    retro = write(None)

    assert retro.written_by == "template" and stub.requests == []
