"""The offline model's threads in a worker pool: each pool process takes its share of the cores (bench/triage.py
measured 2 processes × 1 thread at 105.5 items/s against 2 × 2 threads at 98.5 on 2 cores)."""

from types import SimpleNamespace

import pytest
from celery.signals import celeryd_after_setup

from ai.providers.offline import OfflineEmbedder, default_threads
from feedbackhub import celery as hub_celery

PREFORK = SimpleNamespace(__module__="celery.concurrency.prefork")  # what a prefork worker's pool_cls reports


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.setenv("AI_OFFLINE_THREADS", "")  # recorded first, so what the tests set is undone after them
    monkeypatch.delenv("AI_OFFLINE_THREADS")
    return monkeypatch


def test_given_no_setting_then_the_model_uses_every_core(clean_env):
    clean_env.setattr("os.cpu_count", lambda: 8)

    assert default_threads() == 8


@pytest.mark.parametrize(("cores", "processes", "threads"), [(2, 2, 1), (8, 2, 4), (2, 4, 1), (6, 4, 1)])
def test_given_a_worker_pool_when_it_starts_then_each_process_gets_its_share_of_the_cores(
    clean_env, cores, processes, threads
):
    clean_env.setattr("feedbackhub.gunicorn_conf.available_cores", lambda: cores)

    worker = SimpleNamespace(concurrency=processes, pool_cls=PREFORK)
    celeryd_after_setup.send(sender="worker@test", instance=worker, conf=None)

    assert default_threads() == threads


def test_given_an_explicit_setting_then_the_pool_leaves_it_and_a_bad_one_falls_back(clean_env):
    clean_env.setenv("AI_OFFLINE_THREADS", "3")
    hub_celery.share_cores_with_the_pool(instance=SimpleNamespace(concurrency=2, pool_cls=PREFORK))
    assert default_threads() == 3

    clean_env.setenv("AI_OFFLINE_THREADS", "many")
    clean_env.setattr("os.cpu_count", lambda: 2)
    assert default_threads() == 2


def test_given_the_setting_then_the_loaded_session_runs_that_many_threads(clean_env):
    clean_env.setenv("AI_OFFLINE_THREADS", "1")
    seen = {}
    import onnxruntime

    real = onnxruntime.InferenceSession

    def spy(path, sess_options=None, **kwargs):
        seen["threads"] = sess_options.intra_op_num_threads
        return real(path, sess_options=sess_options, **kwargs)

    clean_env.setattr(onnxruntime, "InferenceSession", spy)

    vector = OfflineEmbedder().embed(["the export fails on large reports"])[0]

    assert seen == {"threads": 1} and len(vector) == 384


def test_given_a_thread_pool_worker_then_its_one_process_keeps_every_core(clean_env):
    clean_env.setattr("feedbackhub.gunicorn_conf.available_cores", lambda: 2)
    clean_env.setattr("os.cpu_count", lambda: 2)
    threads_pool = SimpleNamespace(concurrency=8, pool_cls=SimpleNamespace(__module__="celery.concurrency.thread"))

    hub_celery.share_cores_with_the_pool(instance=threads_pool)

    assert default_threads() == 2
