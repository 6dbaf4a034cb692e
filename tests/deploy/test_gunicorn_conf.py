"""gunicorn's configuration (feedbackhub/gunicorn_conf.py): the worker formula, the cgroup CPU quota, the Prometheus
multiprocess folder and hook, the JSON access log, and that gunicorn itself reads every setting the file sets."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.app.base import Application
from gunicorn.config import Config

from feedbackhub import gunicorn_conf

# --- the worker formula ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cores", "workers"), [(1, 3), (2, 5), (3, 7), (4, 8), (64, 8)])
def test_given_cores_then_two_workers_per_core_plus_one_capped(cores, workers):
    assert gunicorn_conf.web_workers({}, cores=cores) == workers


def test_given_web_concurrency_then_it_wins_over_the_formula():
    assert gunicorn_conf.web_workers({"WEB_CONCURRENCY": "12"}, cores=1) == 12


@pytest.mark.parametrize(("raw", "message"), [("many", "not a whole number"), ("0", "at least 1")])
def test_given_a_wrong_web_concurrency_then_an_error_names_it(raw, message):
    with pytest.raises(ValueError, match=f"WEB_CONCURRENCY={raw!r}.*{message}"):
        gunicorn_conf.web_workers({"WEB_CONCURRENCY": raw}, cores=2)


def test_given_a_cgroup_v2_quota_then_cores_are_that_quota_rounded_up(tmp_path, monkeypatch):
    monkeypatch.setattr(gunicorn_conf.os, "sched_getaffinity", lambda pid: set(range(64)))
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # docker run --cpus 1.5

    assert gunicorn_conf.cgroup_cpu_limit(tmp_path) == 1.5
    assert gunicorn_conf.available_cores(tmp_path) == 2
    assert gunicorn_conf.web_workers({}, cores=gunicorn_conf.available_cores(tmp_path)) == 5  # not 8 for 64 cores


def test_given_no_quota_then_the_cpu_set_counts(tmp_path, monkeypatch):
    monkeypatch.setattr(gunicorn_conf.os, "sched_getaffinity", lambda pid: {0, 1, 2})
    (tmp_path / "cpu.max").write_text("max 100000\n")

    assert gunicorn_conf.cgroup_cpu_limit(tmp_path) is None
    assert gunicorn_conf.available_cores(tmp_path) == 3


def test_given_a_cgroup_v1_quota_then_it_is_read_too(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("200000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")

    assert gunicorn_conf.cgroup_cpu_limit(tmp_path) == 2.0


def test_given_log_format_unset_then_json_unless_debug():
    assert gunicorn_conf.log_format({}) == "json"
    assert gunicorn_conf.log_format({"DEBUG": "1"}) == "text"
    assert gunicorn_conf.log_format({"DEBUG": "1", "LOG_FORMAT": "json"}) == "json"


# --- gunicorn reads the file ----------------------------------------------------------------------------------------


class Loader(Application):
    def init(self, parser, opts, args):
        return {}

    def load(self):  # pragma: no cover - never served
        raise AssertionError


def loaded_config(monkeypatch, **environ: str) -> Config:
    for name in ("WEB_CONCURRENCY", "LOG_FORMAT", "HOST", "PORT", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    loader = Loader.__new__(Loader)
    loader.cfg = Config()
    loader.load_config_from_file(str(gunicorn_conf.__file__))
    return loader.cfg


def test_given_the_file_then_gunicorn_knows_every_setting_it_sets():
    """gunicorn skips a name it does not know without a word: a misspelt setting would do nothing."""
    helpers = {"cgroup_cpu_limit", "available_cores", "web_workers", "log_format", "prepare_metrics_dir"}
    constants = {name for name in vars(gunicorn_conf) if name.isupper()}
    names = {
        name
        for name, value in vars(gunicorn_conf).items()
        if not name.startswith("_") and name not in helpers | constants and not isinstance(value, type(os))
    } - {"annotations", "Path", "glogging", "JsonLogger"}

    assert names - set(Config().settings) == set()
    assert {"bind", "workers", "timeout", "max_requests", "child_exit", "on_starting", "on_exit"} <= names


def test_given_the_file_loaded_by_gunicorn_then_the_documented_values(monkeypatch):
    cfg = loaded_config(monkeypatch, HOST="0.0.0.0", PORT="8080", WEB_CONCURRENCY="3", LOG_FORMAT="json")

    assert cfg.bind == ["0.0.0.0:8080"]
    assert cfg.workers == 3
    assert (cfg.timeout, cfg.graceful_timeout) == (30, 30)
    assert (cfg.max_requests, cfg.max_requests_jitter) == (1000, 100)
    assert cfg.accesslog == "-" and cfg.errorlog == "-"
    assert cfg.logger_class.__name__ == "JsonLogger"  # the file is loaded as its own module, __config__
    assert cfg.child_exit.__name__ == "child_exit"
    assert cfg.timeout > gunicorn_statement_timeout_seconds()


def gunicorn_statement_timeout_seconds() -> float:
    from feedbackhub import db_settings

    return db_settings.WEB_STATEMENT_TIMEOUT_MS / 1000


def test_given_text_logs_then_gunicorns_own_logger(monkeypatch):
    cfg = loaded_config(monkeypatch, DEBUG="1")

    assert cfg.logger_class.__name__ != "JsonLogger"
    assert cfg.bind == ["127.0.0.1:8000"]


# --- Prometheus multiprocess mode -----------------------------------------------------------------------------------

WRITE_METRICS = """
from prometheus_client import Gauge, Histogram
Gauge("hub_busy", "busy", multiprocess_mode="livesum").set(1)
Histogram("hub_seconds", "seconds").observe(0.2)
import os; print(os.getpid())
"""


def a_dead_worker_wrote_metrics(folder) -> int:
    """Run a process that records a live gauge and a histogram in ``folder``, as a gunicorn worker does; its pid."""
    result = subprocess.run(
        [sys.executable, "-c", WRITE_METRICS],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(result.stdout.strip())


def master_started(monkeypatch, folder):
    """gunicorn's master as it starts with ``folder`` for the metrics: ``on_starting`` ran."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    server = SimpleNamespace(cfg=SimpleNamespace(workers=2))
    gunicorn_conf.on_starting(server)
    return server


def test_given_a_worker_exits_then_its_live_gauges_are_removed_and_its_counts_kept(tmp_path, monkeypatch):
    server = master_started(monkeypatch, tmp_path)
    pid = a_dead_worker_wrote_metrics(tmp_path)
    assert (tmp_path / f"gauge_livesum_{pid}.db").exists()

    gunicorn_conf.child_exit(server=server, worker=SimpleNamespace(pid=pid))

    assert not (tmp_path / f"gauge_livesum_{pid}.db").exists()  # a dead worker is not "busy" any more
    assert (tmp_path / f"histogram_{pid}.db").exists()  # its requests still count in the totals


def test_given_a_worker_exits_then_the_masters_signal_handler_imports_nothing(tmp_path, monkeypatch):
    """child_exit runs in the master's SIGCHLD handler, which another exit can re-enter mid-import: once it caught
    prometheus_client.multiprocess half-initialised and the master exited 1. Everything it needs is imported before."""
    import builtins

    server = master_started(monkeypatch, tmp_path)
    pid = a_dead_worker_wrote_metrics(tmp_path)

    def no_import(name, *args, **kwargs):
        raise AssertionError(f"child_exit imported {name}")

    monkeypatch.setattr(builtins, "__import__", no_import)
    try:
        gunicorn_conf.child_exit(server=server, worker=SimpleNamespace(pid=pid))
    finally:
        monkeypatch.undo()
    assert not (tmp_path / f"gauge_livesum_{pid}.db").exists()


def test_given_no_multiprocess_folder_then_child_exit_does_nothing(tmp_path, monkeypatch):
    pid = a_dead_worker_wrote_metrics(tmp_path)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)

    gunicorn_conf.child_exit(server=None, worker=SimpleNamespace(pid=pid))

    assert (tmp_path / f"gauge_livesum_{pid}.db").exists()


def test_given_a_folder_from_a_previous_run_then_its_files_are_removed_at_start(tmp_path):
    pid = a_dead_worker_wrote_metrics(tmp_path)
    (tmp_path / "README").write_text("not ours")

    made = gunicorn_conf.prepare_metrics_dir({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}, workers=4)

    assert made is None
    assert not list(tmp_path.glob("*.db")) and (tmp_path / "README").exists()
    assert pid


def test_given_no_folder_and_several_workers_then_a_private_one_is_made_exported_and_removed_at_exit():
    environ: dict[str, str] = {}

    made = gunicorn_conf.prepare_metrics_dir(environ, workers=2)
    try:
        assert made.is_dir() and environ["PROMETHEUS_MULTIPROC_DIR"] == str(made)
    finally:
        gunicorn_conf.on_exit(SimpleNamespace(feedbackhub_metrics_dir=made))
    assert not made.exists()
    assert gunicorn_conf.prepare_metrics_dir({}, workers=1) is None  # one worker: its own registry is the total


# --- JSON access log ------------------------------------------------------------------------------------------------


def test_given_json_logs_then_one_object_per_request_with_the_request_id(capsys):
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = gunicorn_conf.JsonLogger(cfg)
    response = SimpleNamespace(status="201 Created", sent=512, headers=[("X-Request-ID", "req-42"), ("Vary", "x")])
    request = SimpleNamespace(headers=[("USER-AGENT", "probe/1")])
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/api/feedback/?x=1",
        "PATH_INFO": "/api/feedback/",
        "QUERY_STRING": "x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_USER_AGENT": 'probe/1 "quoted"',
    }

    logger.access(response, request, environ, timedelta(milliseconds=12, microseconds=300))

    line = json.loads(capsys.readouterr().out.strip())
    assert line["logger"] == "gunicorn.access" and line["level"] == "INFO"
    assert line["message"] == "POST /api/feedback/ 201"
    assert line["request_id"] == "req-42"
    assert (line["status"], line["bytes"], line["duration_ms"]) == (201, 512, 12.3)
    assert line["user_agent"] == 'probe/1 "quoted"'  # escaped by json, not breaking the line
    logging.getLogger("gunicorn.access").handlers.clear()
    logging.getLogger("gunicorn.error").handlers.clear()
