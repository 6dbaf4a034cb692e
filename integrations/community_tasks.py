"""Community listening jobs (thin: they call ``integrations.community``). Registered with Celery through
``integrations/tasks.py``; the fan-out is short bookkeeping (default queue), one watch's fetch is a run of HTTP calls
and an ingest (batch queue, as a connector's sync)."""

from celery import shared_task

from integrations import community

FETCH_EXPIRES = 25 * 60  # a watch's fetch not started before the next half-hourly run is dropped: that run does it


@shared_task(ignore_result=True)
def fetch_community_watches() -> list[int]:
    """Periodic (every 30 minutes): one ``fetch_community_watch`` per enabled watch, so a slow or failing community
    never holds up the others; returns the watch ids queued."""
    ids = community.enabled_watches()
    for watch_id in ids:
        fetch_community_watch.apply_async((watch_id,), expires=FETCH_EXPIRES)
    return ids


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def fetch_community_watch(watch_id: int) -> str:
    """Fetch what is new for one watch and take it in (idempotent: the cursor and (source, source_id) dedupe; safe on
    several workers: one runs it, the others answer ``busy``). A watch deleted meanwhile is skipped."""
    from integrations.models import CommunityWatch

    watch = CommunityWatch.objects.filter(pk=watch_id).first()
    if watch is None:
        return "missing"
    return community.fetch_watch(watch=watch).status
