"""Settings come from the environment; production refuses to start without what it needs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from feedbackhub import embedded
from feedbackhub.settings import kombu_url

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k8$wq2!v9zN3pXr7Lm4Tb6Yc1Hd5Gf0Js8Ke2Ua9Wo3Qi7Ep4Rt6Ys1Dx5Cv0Bn",
    "ALLOWED_HOSTS": "hub.example.com",
    "DATABASE_URL": "postgres://hub:secret@db.internal:5432/feedbackhub",
    "REDIS_URL": "redis://cache.internal:6379/0",
}


def run_django(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh interpreter with a controlled environment (nothing inherited but PATH)."""
    env = {
        "PATH": os.environ["PATH"],
        "FEEDBACKHUB_DATA_DIR": str(settings.BASE_DIR / ".data" / "test"),
        **env_overrides,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_given_production_mode_without_required_settings_when_starting_then_error_names_each_one():
    result = run_django({"DEBUG": "0"}, "check")

    assert result.returncode != 0
    assert "Missing required settings SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL" in result.stderr
    assert "production mode" in result.stderr


def test_given_production_mode_missing_only_secret_key_when_starting_then_error_names_it():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}

    result = run_django(env, "check")

    assert result.returncode != 0
    assert "Missing required setting SECRET_KEY (" in result.stderr


def test_given_complete_production_settings_when_check_deploy_then_no_issues():
    result = run_django(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_given_a_yes_no_setting_with_a_typo_when_starting_then_error_names_the_setting():
    result = run_django({**PRODUCTION_ENV, "DEBUG": "maybe"}, "check")

    assert result.returncode != 0
    assert "DEBUG='maybe' is not a yes/no value" in result.stderr


def test_given_mistral_provider_without_key_when_starting_then_error_names_the_key():
    result = run_django({"DEBUG": "1", "AI_PROVIDER": "mistral"}, "check")

    assert result.returncode != 0
    assert "Missing required setting MISTRAL_API_KEY (AI_PROVIDER is 'mistral')" in result.stderr


def test_given_no_urls_when_settings_load_then_embedded_services_are_used():
    if os.environ.get("DATABASE_URL") or os.environ.get("REDIS_URL"):
        pytest.skip("this run uses an external database or Redis")

    assert settings.DATABASES["default"]["HOST"] == embedded.postgres_db_settings()["HOST"]
    assert embedded.redis_url() == settings.REDIS_URL
    assert kombu_url(embedded.redis_url()) == settings.CELERY_BROKER_URL


def test_given_a_unix_socket_redis_url_then_celery_gets_the_redis_socket_spelling():
    assert kombu_url("unix:///tmp/x/redis.sock?db=3") == "redis+socket:///tmp/x/redis.sock?virtual_host=3"
    assert kombu_url("unix:///tmp/x/redis.sock") == "redis+socket:///tmp/x/redis.sock?virtual_host=0"
    assert kombu_url("redis://cache:6379/1") == "redis://cache:6379/1"


def test_given_an_external_database_url_then_it_is_used_without_code_change():
    result = run_django(
        {**PRODUCTION_ENV, "DEBUG": "1"},
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['HOST'], d['PORT'], d['NAME'], d['USER'], settings.CELERY_BROKER_URL)",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["db.internal", "5432", "feedbackhub", "hub", "redis://cache.internal:6379/0"]
