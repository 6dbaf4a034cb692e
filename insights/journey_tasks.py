"""Background jobs of journey surveys (imported by insights.tasks so that Celery registers them)."""

from celery import shared_task

from insights import journeys

__all__ = ["send_due_survey_invitations"]


@shared_task(ignore_result=True, expires=55)
def send_due_survey_invitations() -> dict[str, int]:
    """Periodic (every minute): send or skip the journey survey invitations whose delay has passed.

    Safe on several workers (each invitation is decided under a lock on its contact, once); a run not started within
    55 seconds is dropped: the next minute's run finds what it left.
    """
    result = journeys.send_due()
    return {"sent": result.sent, "skipped": result.skipped}
