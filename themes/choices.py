"""Theme choices: status and the verify-before-build checklist (seed 001, "The Verification Checklist")."""

from django.db import models


class ThemeStatus(models.TextChoices):
    """A theme is a hypothesis until verified."""

    HYPOTHESIS = "hypothesis", "Hypothesis"
    VALIDATED = "validated", "Validated"
    IN_PROGRESS = "in_progress", "In progress"
    SHIPPED = "shipped", "Shipped"


class VerificationStep(models.TextChoices):
    """The eight checks before building a theme, in the seed's order."""

    HYPOTHESIS_WRITTEN = "hypothesis_written", "Hypothesis written down (not just a feature name)"
    TRIPLE_SAMPLE = "triple_sample", "Talked to 3x the original sample (5 requests → 15 conversations)"
    UNPROMPTED = "unprompted", "Pain came up unprompted in >50% of conversations"
    JTBD_UNDERSTOOD = "jtbd_understood", "Understood the job-to-be-done, not just the feature ask"
    ABSTRACTED = "abstracted", "Abstracted above the literal request to the underlying need"
    SEGMENT_COVERAGE = "segment_coverage", "Checked segment representation is adequate"
    IMPACT_QUANTIFIED = "impact_quantified", "Quantified impact (users affected × frequency × severity)"
    SOLUTION_FITS = "solution_fits", "Solution addresses the real problem (may differ from request)"


class TrackerState(models.TextChoices):
    """A tracker issue's state as the hub reads it from Linear or GitHub (integrations.connectors)."""

    OPEN = "open", "Open"
    STARTED = "started", "In progress"
    DONE = "done", "Done"
    CANCELED = "canceled", "Canceled"
