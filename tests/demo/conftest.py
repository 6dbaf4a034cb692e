"""The demo's commands run in development only: its tests run with DEBUG on unless a test turns it off."""

import pytest


@pytest.fixture(autouse=True)
def development(settings):
    """DEBUG on, as in development (pytest-django turns it off for tests)."""
    settings.DEBUG = True
