"""PostgreSQL extensions every app relies on: pgvector (embeddings) and pg_trgm (fast icontains search)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from pgvector.django import VectorExtension


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [VectorExtension(), TrigramExtension()]
