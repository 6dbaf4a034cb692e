"""`make run`'s command brings up the whole hub on embedded services and Ctrl-C takes all of it down."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from feedbackhub import embedded

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                found.append(f"{entry.name}: {cmdline[:120]}")
    return found


def test_given_fresh_data_folder_when_hub_runs_then_admin_answers_and_ctrl_c_stops_everything(data_root):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="1", FEEDBACKHUB_DATA_DIR=str(data_root), PYTHONUNBUFFERED="1")
    log = data_root / "hub.log"
    with log.open("w") as output:
        hub = subprocess.Popen(
            [sys.executable, "manage.py", "run_hub", "--no-demo", "--port", str(port), "--web-workers", "1"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while "FeedbackHub is running" not in log.read_text() and hub.poll() is None and time.monotonic() < deadline:
            time.sleep(0.3)
        banner = log.read_text()
        assert "FeedbackHub is running" in banner, banner[-3000:]
        assert f"http://127.0.0.1:{port}/admin/" in banner and "admin / admin" in banner

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=10) as response:
            assert response.status == 200
        assert embedded.postgres_is_ready(data_root) and embedded.redis_is_ready(data_root)
        assert processes_mentioning("celery -A feedbackhub worker") and processes_mentioning(
            "celery -A feedbackhub beat"
        )

        os.killpg(hub.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert hub.wait(60) == 0, log.read_text()[-3000:]
    finally:
        if hub.poll() is None:
            os.killpg(hub.pid, signal.SIGKILL)

    assert "FeedbackHub stopped." in log.read_text()
    assert not embedded.postgres_is_ready(data_root)
    assert not embedded.redis_is_ready(data_root)
    time.sleep(0.5)
    assert processes_mentioning(str(data_root)) == []


def test_given_port_in_use_when_hub_starts_then_it_says_so_before_starting_anything(data_root):
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="1", FEEDBACKHUB_DATA_DIR=str(data_root))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        result = subprocess.run(
            [sys.executable, "manage.py", "run_hub", "--port", str(port)],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert not embedded.postgres_is_ready(data_root)
