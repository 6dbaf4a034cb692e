"""The models and the migrations agree (the same check `makemigrations --check` does)."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_given_current_models_then_no_migration_is_missing():
    output = StringIO()

    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
    except SystemExit as exit_:
        pytest.fail(
            f"models have changes with no migration (run `manage.py makemigrations`):\n{output.getvalue()}"
            f" exit {exit_.code}"
        )
