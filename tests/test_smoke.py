import pytest
from django.db import connection


@pytest.mark.django_db
def test_given_test_database_then_pgvector_is_installed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        assert cursor.fetchone()[0].startswith("0.8")
