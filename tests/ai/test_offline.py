"""The offline embedder, for real: the shipped MiniLM-L6 int8 model on onnxruntime (loaded once for the session)."""

import math
import threading
import time

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ai.providers import EmbeddingProvider, OfflineEmbedder, get_provider
from ai.providers.offline import model_path, tokenizer_path

SENTENCES = ["The export to CSV times out", "CSV export takes forever and fails", "I love the new dark mode"]


@pytest.fixture(scope="session")
def embedder() -> OfflineEmbedder:
    """The process's offline provider: the model loads once for every test that uses it."""
    return get_provider("offline")


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_given_the_installed_packages_then_the_model_and_its_tokenizer_ship_with_them():
    assert model_path().is_file()
    assert tokenizer_path().is_file()


def test_given_a_sentence_when_embedded_then_it_is_384_floats_of_unit_length_and_always_the_same(embedder):
    first = embedder.embed([SENTENCES[0]])
    again = embedder.embed([SENTENCES[0]])

    assert len(first) == 1 and len(first[0]) == 384
    assert all(isinstance(x, float) for x in first[0])
    assert math.isclose(math.sqrt(sum(x * x for x in first[0])), 1.0, abs_tol=1e-5)
    assert first == again


def test_given_two_ways_of_saying_one_thing_then_they_are_closer_than_an_unrelated_sentence(embedder):
    csv_times_out, csv_fails, dark_mode = embedder.embed(SENTENCES)

    assert cosine(csv_times_out, csv_fails) > 0.6
    assert cosine(csv_times_out, dark_mode) < 0.3
    assert cosine(csv_fails, dark_mode) < 0.3


def test_given_texts_of_different_lengths_when_embedded_in_one_batch_then_vectors_equal_one_by_one(embedder):
    texts = [*SENTENCES, "Export", "When I export a large report with many columns to CSV the browser waits and waits"]

    batched = embedder.embed(texts)
    one_by_one = [embedder.embed([text])[0] for text in texts]

    assert len(batched) == len(texts)
    for together, alone in zip(batched, one_by_one, strict=True):
        assert max(abs(x - y) for x, y in zip(together, alone, strict=True)) < 1e-5


def test_given_more_texts_than_a_batch_then_every_text_gets_its_vector_in_order(embedder):
    small = OfflineEmbedder(batch_size=2)
    small._tokenizer, small._session = embedder._load()  # same model: no second load

    vectors = small.embed(SENTENCES)

    assert len(vectors) == 3
    for vector, expected in zip(vectors, embedder.embed(SENTENCES), strict=True):
        assert cosine(vector, expected) > 0.9999


def test_given_the_offline_provider_then_it_names_the_configured_offline_space(embedder):
    assert isinstance(embedder, EmbeddingProvider)
    spec = settings.EMBEDDING_SPACES["offline"]
    assert (embedder.name, embedder.model, embedder.dimensions) == (spec["provider"], spec["model"], spec["dimensions"])


def test_given_an_unknown_provider_then_get_provider_says_so():
    with pytest.raises(ImproperlyConfigured, match="'openai' is unknown: use 'mistral' or 'offline'"):
        get_provider("openai")


def test_given_the_configured_provider_then_one_instance_serves_the_process(settings):
    settings.AI_PROVIDER = "offline"

    assert get_provider() is get_provider("offline")


def test_given_many_threads_asking_at_once_then_the_model_is_loaded_once(monkeypatch):
    import onnxruntime

    real, sessions, barrier = onnxruntime.InferenceSession, [], threading.Barrier(8)

    def counting(*args, **kwargs):
        sessions.append(1)
        time.sleep(0.05)  # widen the window a racing second load would need
        return real(*args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", counting)
    fresh = OfflineEmbedder()

    def load():
        barrier.wait()
        fresh._load()

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(sessions) == 1


def test_given_another_model_file_then_the_embedder_loads_that_file_not_the_shipped_one(tmp_path):
    missing = tmp_path / "other-model.onnx"  # bench/triage_bound.py's int8 reference passes its own file this way

    with pytest.raises(Exception, match="other-model.onnx"):
        OfflineEmbedder(model_file=missing).embed(["the export fails"])
