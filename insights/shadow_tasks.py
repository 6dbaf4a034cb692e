"""Background jobs of shadow experiments (issue 11, part 4; imported by insights.tasks so that Celery registers them).

``shadow_triage`` runs the shadow providers of the running triage shadow experiments on what the live provider
triaged since their start: one bounded batch per variant (``insights.shadow.shadow_triage_batch``), then it queues
itself again while items are waiting. Idempotent: an item a variant observed is never triaged again by it.
Registered as ``insights.tasks.shadow_triage``; scheduled every 15 minutes (migration 0014), a run not started
within 14 minutes dropped (the next one takes what it left).
"""

from __future__ import annotations

from celery import shared_task

from insights import shadow
from insights.models import Experiment

__all__ = ["shadow_triage"]


@shared_task(name="insights.tasks.shadow_triage", ignore_result=True, expires=shadow.SCHEDULE_EXPIRE_SECONDS)
def shadow_triage(experiment_id: int | None = None) -> dict[str, dict[str, int]]:
    """One batch for ``experiment_id`` (or every running triage shadow experiment); requeued while more wait."""
    if experiment_id is None:
        targets = shadow.running_triage_experiments()
    else:
        targets = [e for e in shadow.running_triage_experiments() if e.pk == experiment_id]
    done = {}
    for experiment in targets:
        run = shadow.shadow_triage_batch(experiment=experiment, batch_size=shadow.BATCH_SIZE)
        done[experiment.key] = run.recorded
        if run.more and any(run.recorded.values()):
            shadow_triage.delay(experiment.pk)
    return done


def queue_shadow_triage(experiment: Experiment) -> None:
    """Ask a worker to run the shadow of ``experiment`` now (the admin's button)."""
    shadow_triage.delay(experiment.pk)
