"""Every environment variable the hub's code reads is in deploy/README.md's table (or allow-listed here, with why).

The source is scanned with regular expressions for the forms the project uses: ``os.environ.get("X")``,
``os.environ["X"]``, ``os.getenv("X")``, ``environ.get("X")`` on a passed mapping,
``os.environ.setdefault("X", …)``, the settings helpers ``env_bool/env_int/env_list("X")``, ``_int(environ, "X")``
(db_settings), ``require([...])``, and ``name.startswith("X_")`` over the environment (documented as
``X_<NAME>``). db_settings reads four variables through the SSL_VARIABLES mapping: they are taken from it.
"""

from __future__ import annotations

import re
from pathlib import Path

from feedbackhub import db_settings

ROOT = Path(__file__).resolve().parent.parent.parent
README = ROOT / "deploy" / "README.md"
# Not the hub: tests, benchmarks (make bench) and developer tools read variables of their own; none of them is in
# the image (.dockerignore) nor run by a deployment.
NOT_THE_HUB = {"tests", "bench", "tools", ".venv", ".data", "deploy", "node_modules"}
# Read by the code but not a setting of a deployment.
ALLOWED_UNDOCUMENTED = {
    "PGUSER": "libpq's own variable: backup.py reads it only to name the role in a message (libpq and pg_dump read "
    "PG* themselves; DATABASE_URL is the hub's way to name the database)",
}

NAME = r"[\"']([A-Z][A-Z0-9_]+)[\"']"
READS = [
    re.compile(rf"os\.environ\.get\(\s*{NAME}"),
    re.compile(rf"os\.environ\[\s*{NAME}\s*\]"),
    re.compile(rf"os\.getenv\(\s*{NAME}"),
    re.compile(rf"\benviron\.get\(\s*{NAME}"),
    re.compile(rf"\benviron\[\s*{NAME}\s*\]"),
    re.compile(rf"\benviron\.setdefault\(\s*{NAME}"),
    re.compile(rf"\benv_(?:bool|int|list)\(\s*{NAME}"),
    re.compile(rf"\b_int\(\s*environ,\s*{NAME}"),
]
REQUIRE = re.compile(r"\brequire\(\s*\[([^\]]*)\]")
PREFIX = re.compile(r"\.startswith\(\s*[\"']([A-Z][A-Z0-9_]*_)[\"']\s*\)")


def hub_sources() -> list[Path]:
    return sorted(
        path for path in ROOT.rglob("*.py") if not NOT_THE_HUB & set(path.relative_to(ROOT).parts[:-1] or ["."])
    )


def variables_read(text: str) -> set[str]:
    found = {match for pattern in READS for match in pattern.findall(text)}
    for names in REQUIRE.findall(text):
        found |= set(re.findall(NAME, names))
    found |= {f"{prefix}<NAME>" for prefix in PREFIX.findall(text) if "environ" in text}
    return found


def all_variables_read() -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for path in hub_sources():
        for name in variables_read(path.read_text()):
            where.setdefault(name, []).append(str(path.relative_to(ROOT)))
    for name in db_settings.SSL_VARIABLES:
        where.setdefault(name, []).append("feedbackhub/db_settings.py (SSL_VARIABLES)")
    return where


def documented(readme: str) -> set[str]:
    """Names written as code in the README (`NAME`, or `PREFIX_<NAME>`)."""
    return set(re.findall(r"`([A-Z][A-Z0-9_]*(?:<NAME>)?)`", readme))


def test_given_the_hub_code_then_every_variable_it_reads_is_documented():
    missing = {
        name: places
        for name, places in all_variables_read().items()
        if name not in documented(README.read_text()) and name not in ALLOWED_UNDOCUMENTED
    }

    assert missing == {}, "add these to deploy/README.md, 'Environment variables'"


def test_given_the_scan_then_it_finds_the_variables_of_every_kind_of_read():
    """The scan is not blind: one variable of each form the code uses is found where it is read."""
    found = all_variables_read()

    for name in (
        "SECRET_KEY",  # os.environ.get
        "ZENDESK_SUBDOMAIN",  # os.environ[...]
        "DEBUG",  # env_bool
        "SECURE_HSTS_SECONDS",  # env_int
        "CSRF_TRUSTED_ORIGINS",  # env_list
        "DB_CONN_MAX_AGE",  # _int(environ, ...)
        "HUB_ROLE",  # environ.get on a mapping
        "DATABASE_SSLROOTCERT",  # SSL_VARIABLES
        "SLACK_WEBHOOK_<NAME>",  # prefix
        "WEB_CONCURRENCY",  # gunicorn_conf and run_hub
        "PROMETHEUS_MULTIPROC_DIR",
        "DJANGO_SETTINGS_MODULE",  # setdefault
    ):
        assert name in found, name
    assert len(found) > 90
    assert not any(path.startswith(("tests/", "bench/")) for places in found.values() for path in places)


def test_given_a_variable_missing_from_the_readme_then_it_is_reported():
    readme = README.read_text()
    without = "\n".join(line for line in readme.splitlines() if "`METRICS_TOKEN`" not in line)

    assert "METRICS_TOKEN" in documented(readme)
    assert "METRICS_TOKEN" not in documented(without)


def test_given_the_allow_list_then_each_entry_says_why():
    assert all(reason.strip() for reason in ALLOWED_UNDOCUMENTED.values())
