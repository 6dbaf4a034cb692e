"""Choices of the integrations app."""

from django.db import models


class Scope(models.TextChoices):
    """What an API token may do: read records, write records, push feedback in."""

    READ = "read", "Read"
    WRITE = "write", "Write"
    INGEST = "ingest", "Ingest"
