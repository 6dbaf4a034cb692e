"""Embedding the backlog with the real offline model into pgvector, and finding near-duplicates by a real query."""

import pytest
from django.utils import timezone

from ai.providers import get_provider
from feedback import services
from feedback.models import FeedbackEmbedding
from feedback.tasks import embed_pending
from tests.factories import make_feedback

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def provider():
    """The offline provider, loaded once for the session."""
    return get_provider("offline")


def test_given_new_items_when_embedding_pending_then_each_gets_its_vector_and_the_near_duplicate_is_found_first(
    provider,
):
    timeout = make_feedback(verbatim="The export to CSV times out")
    forever = make_feedback(verbatim="CSV export takes forever and fails")
    dark = make_feedback(verbatim="I love the new dark mode")

    embedded = services.embed_pending(provider=provider, batch_size=2)

    space = services.active_embedding_space(provider=provider)
    assert embedded == 3
    assert FeedbackEmbedding.objects.filter(space=space).count() == 3
    query = provider.embed(["The export to CSV times out"])[0]
    found = services.similar_feedback(vector=query, space=space, exclude_id=timeout.pk)
    assert [pk for pk, _ in found] == [forever.pk, dark.pk]
    assert found[0][1] > 0.6 > found[1][1]


def test_given_everything_embedded_when_run_again_then_nothing_is_embedded_twice(provider):
    make_feedback(verbatim="The export to CSV times out")
    services.embed_pending(provider=provider)

    assert services.embed_pending(provider=provider) == 0


def test_given_an_edited_text_then_only_that_item_is_embedded_again_with_its_new_vector(provider):
    edited = make_feedback(verbatim="The export to CSV times out")
    kept = make_feedback(verbatim="I love the new dark mode")
    services.embed_pending(provider=provider)
    space = services.active_embedding_space(provider=provider)
    before = FeedbackEmbedding.objects.get(feedback=edited, space=space)

    edited.verbatim = "Single sign-on with Okta fails for new users"
    edited.save()

    assert list(services.items_needing_embedding(space=space)) == [edited]
    assert services.embed_pending(provider=provider) == 1
    after = FeedbackEmbedding.objects.get(feedback=edited, space=space)
    assert after.content_hash == services.content_hash("Single sign-on with Okta fails for new users")
    assert after.content_hash != before.content_hash
    assert list(after.vector) == pytest.approx(provider.embed(["Single sign-on with Okta fails for new users"])[0])
    assert FeedbackEmbedding.objects.get(feedback=kept, space=space).content_hash == services.content_hash(
        "I love the new dark mode"
    )


def test_given_surrounding_whitespace_of_any_kind_then_the_database_hash_matches_the_python_one(provider):
    make_feedback(verbatim="\u3000\xa0 CSV export fails\u2028\t\n")
    services.embed_pending(provider=provider)

    assert list(services.items_needing_embedding(space=services.active_embedding_space(provider=provider))) == []


def test_given_the_strip_set_then_it_is_every_character_python_strips():
    python_strips = "".join(c for c in map(chr, range(0x110000)) if c.isspace())

    assert python_strips == services.STRIPPED


def test_given_a_limit_then_one_run_embeds_at_most_that_many(provider):
    for n in range(3):
        make_feedback(verbatim=f"Report {n} cannot be exported")

    assert services.embed_pending(provider=provider, batch_size=2, limit=1) == 1
    assert services.embed_pending(provider=provider, batch_size=2) == 2


def test_given_the_task_when_run_twice_then_the_second_run_does_nothing_and_new_items_are_left_to_triage(
    settings, provider
):
    settings.AI_PROVIDER = "offline"
    item = make_feedback(verbatim="The export to CSV times out", triaged_at=timezone.now())
    new = make_feedback(verbatim="Exports to CSV never finish")  # not triaged yet: its triage embeds it

    first = embed_pending.apply().get()
    second = embed_pending.apply().get()

    assert (first, second) == (1, 0)
    assert FeedbackEmbedding.objects.filter(feedback=item).count() == 1
    assert not FeedbackEmbedding.objects.filter(feedback=new).exists()
    assert embed_pending.acks_late
