"""Test session: real PostgreSQL with pgvector and a real Redis, started once for the whole run.

With no DATABASE_URL / REDIS_URL the embedded servers of the test data folder (FEEDBACKHUB_DATA_DIR=.data/test,
set in pyproject.toml) are started here and stopped when the session ends. The test database is test_feedbackhub_<pid>.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from feedbackhub import embedded

# The test server trades durability for speed: a crash only loses throw-away test data.
FAST_TUNING = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@pytest.fixture(scope="session")
def embedded_services():
    """Start the embedded servers this run needs; at the end stop those this session started (not another's)."""
    started_pg = not os.environ.get("DATABASE_URL") and embedded.start_postgres(tuning=FAST_TUNING)
    started_redis = not os.environ.get("REDIS_URL") and embedded.start_redis(persistent=False)
    yield
    if started_pg:
        embedded.stop_postgres()
    if started_redis:
        embedded.stop_redis()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(embedded_services, django_db_modify_db_settings_parallel_suffix):
    """Make sure the database server runs before pytest-django creates the test database.

    Each run gets its own test database, so two runs on one checkout (a developer's and an editor's) never collide.
    """
    from django.conf import settings

    test = settings.DATABASES["default"].setdefault("TEST", {})
    test["NAME"] = f"{test.get('NAME') or 'test_feedbackhub'}_{os.getpid()}"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users: a fast hasher halves the suite's time (production keeps Django's PBKDF2)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture(autouse=True)
def own_cache_keys(settings):
    """Each test reads and writes its own keys in the real Redis cache: nothing cached leaks between tests."""
    default = settings.CACHES["default"]
    settings.CACHES = {**settings.CACHES, "default": {**default, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture
def user(django_user_model):
    """A staff user who can use the admin."""
    return django_user_model.objects.create_user(username="pm", password="pm-password", is_staff=True)


@pytest.fixture
def data_root():
    """A short, throw-away data folder for embedded servers of a test's own (unix socket paths must stay short)."""
    path = Path(tempfile.mkdtemp(prefix="fbh-", dir="/tmp"))
    yield path
    embedded.stop_services(path)
    shutil.rmtree(path, ignore_errors=True)
