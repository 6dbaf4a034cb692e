"""deploy/systemd/: systemd itself accepts the units (`systemd-analyze verify`), and each runs the role it is named
after with the shared environment file, as deploy/README.md says."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from feedbackhub import hub_processes

ROOT = Path(__file__).resolve().parent.parent.parent
UNITS = ROOT / "deploy" / "systemd"
VENV_PYTHON = "/opt/feedbackhub/.venv/bin/python"
ROLE_OF_UNIT = {
    "feedbackhub-web.service": "web",
    "feedbackhub-worker@.service": "worker",
    "feedbackhub-beat.service": "beat",
    "feedbackhub-migrate.service": "migrate",
}


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",), interpolation=None)
    parser.optionxform = str  # keys keep their case
    parser.read_string((UNITS / name).read_text())
    return parser


def verify(folder: Path) -> subprocess.CompletedProcess:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed on this machine (Debian: the systemd package)")
    return subprocess.run(
        [analyze, "verify", "--man=no", *sorted(str(path) for path in folder.glob("*.service"))],
        capture_output=True,
        text=True,
        timeout=60,
    )


def copies_with_this_python(folder: Path, edit=lambda text: text) -> None:
    """The units with their interpreter path pointing at this one (verify checks that ExecStart is executable)."""
    for path in UNITS.glob("*.service"):
        (folder / path.name).write_text(edit(path.read_text().replace(VENV_PYTHON, sys.executable)))


def test_given_the_units_then_they_are_the_four_roles():
    assert {path.name for path in UNITS.glob("*.service")} == set(ROLE_OF_UNIT)


def test_given_the_units_then_systemd_analyze_verify_accepts_them(tmp_path):
    copies_with_this_python(tmp_path)

    result = verify(tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "" and result.stdout.strip() == ""


def test_given_a_broken_unit_then_systemd_analyze_verify_reports_it(tmp_path):
    copies_with_this_python(
        tmp_path, lambda text: text.replace("ExecStart=", "ExecStrat=").replace("TimeoutStopSec=40", "TimeoutStopSec=x")
    )

    result = verify(tmp_path)

    assert result.returncode != 0
    assert "Unknown key 'ExecStrat'" in result.stderr and "Failed to parse time value" in result.stderr


@pytest.mark.parametrize(("name", "role"), sorted(ROLE_OF_UNIT.items()))
def test_given_a_unit_then_it_runs_its_role_with_the_shared_environment_as_the_hub_user(name, role):
    service = unit(name)["Service"]
    argv = shlex.split(service["ExecStart"])

    assert argv[:5] == [VENV_PYTHON, "manage.py", "run_hub", "--role", role]
    assert role in hub_processes.ROLES
    lines = (UNITS / name).read_text().splitlines()
    assert "EnvironmentFile=/etc/feedbackhub/feedbackhub.env" in lines  # required: no "-", a missing file is an error
    assert service["User"] == "feedbackhub" and service["WorkingDirectory"] == "/opt/feedbackhub"
    assert service["NoNewPrivileges"] == "true" and service["ProtectSystem"] == "strict"


def test_given_the_worker_template_then_its_queues_come_from_the_instance_or_its_own_file():
    text = (UNITS / "feedbackhub-worker@.service").read_text()
    service = unit("feedbackhub-worker@.service")["Service"]

    assert "Environment=WORKER_QUEUES=%i" in text
    # The instance's file is read after Environment= (systemd: files win), and may be absent ("-").
    assert text.index("Environment=WORKER_QUEUES=%i") < text.index("EnvironmentFile=-/etc/feedbackhub/worker-%i.env")
    assert "--queues ${WORKER_QUEUES} $WORKER_OPTIONS" in service["ExecStart"]


def test_given_a_single_queue_instance_then_run_hub_accepts_its_name_as_queues():
    for queue in ("triage", "notifications", "batch", "default"):
        assert hub_processes.parse_queues(queue) == (queue,)


def test_given_migrate_then_it_is_a_one_off_and_the_others_are_ordered_after_it():
    assert unit("feedbackhub-migrate.service")["Service"]["Type"] == "oneshot"
    for name in ("feedbackhub-web.service", "feedbackhub-worker@.service", "feedbackhub-beat.service"):
        assert "feedbackhub-migrate.service" in unit(name)["Unit"]["After"]
        assert unit(name)["Service"]["Restart"] == "on-failure"


def test_given_the_web_unit_then_it_outlasts_gunicorns_graceful_timeout_and_shares_metrics():
    from feedbackhub import gunicorn_conf

    service = unit("feedbackhub-web.service")["Service"]

    assert int(service["TimeoutStopSec"]) > gunicorn_conf.graceful_timeout
    assert "PROMETHEUS_MULTIPROC_DIR=/run/feedbackhub-web/" in (UNITS / "feedbackhub-web.service").read_text()
    assert service["RuntimeDirectory"] == "feedbackhub-web"
