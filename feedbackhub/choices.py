"""Choices of the hub's own models."""

from django.db import models


class SheetJobKind(models.TextChoices):
    """What a spreadsheet job does."""

    EXPORT = "export", "Export"
    IMPORT = "import", "Import"


class SheetJobStatus(models.TextChoices):
    """Where a spreadsheet job is: queued → running → done or failed; an import stops at ready for its confirmation."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Checked: waiting for your confirmation"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
