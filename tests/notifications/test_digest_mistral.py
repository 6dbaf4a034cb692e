"""The weekly digest written by Mistral when it is the configured provider, against the Mistral stub on 127.0.0.1
(tests/ai/mistral_stub.py); when Mistral fails, the template digest is stored and sent instead, and it is logged."""

from __future__ import annotations

import logging

import pytest

import ai.providers
from notifications import digests
from notifications.choices import DigestAudience, Kind
from notifications.models import Notification
from tests.ai.mistral_stub import MistralStub, chat, error
from tests.notifications.test_digest import CHURN_TEXT, digest_week

pytestmark = pytest.mark.django_db

WRITTEN = "## Needs a decision this week\n- **Verify SSO login**: $510k ARR at critical mass.\n"


@pytest.fixture
def stub():
    with MistralStub() as server:
        yield server


@pytest.fixture
def mistral(stub, settings, monkeypatch):
    """Mistral as the configured provider (AI_PROVIDER=mistral), talking to the stub; a fresh provider cache."""
    settings.AI_PROVIDER, settings.MISTRAL_API_KEY, settings.MISTRAL_SERVER_URL = "mistral", "test-key", stub.url
    settings.MISTRAL_LARGE_MODEL, settings.MISTRAL_MAX_RETRIES, settings.MISTRAL_TIMEOUT_MS = "large-test", 1, 2_000
    monkeypatch.setattr(ai.providers, "_providers", {})
    return stub


def test_given_mistral_configured_then_it_writes_every_digest_from_the_facts(mistral):
    week = digest_week()
    mistral.reply(*[chat(WRITTEN, model="mistral-large-2411")] * 3)

    written = digests.write_weekly_digests(week.period.end)

    assert [d.writer for d in written] == ["mistral-large-2411"] * 3
    product = written[0]
    assert product.body == f"# {product.title}\n\n{WRITTEN}" and product.word_count < 500
    prompts = [r.body["messages"][0]["content"] for r in mistral.requests]
    assert all(r.body["model"] == "large-test" for r in mistral.requests)
    assert "the product team" in prompts[0] and CHURN_TEXT in prompts[0] and '"Globex"' in prompts[0]
    assert "Ann Lee, an account owner" in prompts[1] and '"Globex"' not in prompts[1]  # Ann's accounts only
    slack = Notification.objects.get(key=f"digest:{week.period.end}:product")
    assert "*Needs a decision this week*" in slack.body and "• *Verify SSO login*" in slack.body


def test_given_mistral_answering_500s_then_the_template_digests_are_stored_and_sent_and_it_is_logged(mistral, caplog):
    week = digest_week()
    mistral.reply(*[error(500)] * 6)  # 1 try + 1 retry for each of the three digests

    with caplog.at_level(logging.WARNING):
        written = digests.write_weekly_digests(week.period.end)

    assert [d.writer for d in written] == [digests.OFFLINE_WRITER] * 3 and len(mistral.requests) == 6
    product = next(d for d in written if d.audience == DigestAudience.PRODUCT)
    assert "## Needs a decision this week" in product.body and "**Verify before building: SSO login**" in product.body
    assert Notification.objects.filter(kind=Kind.DIGEST).count() == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Mistral digest failed" in w and "HTTP 500" in w for w in warnings)
    assert any("written from the templates" in w for w in warnings)


def test_given_the_offline_provider_then_no_model_is_loaded_and_the_templates_write(settings, monkeypatch):
    settings.AI_PROVIDER = "offline"
    monkeypatch.setattr(ai.providers, "get_provider", lambda *a: pytest.fail("no provider needed offline"))

    assert digests.digest_provider() is None
