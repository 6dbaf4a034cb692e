"""Celery queues by kind of work, and which task goes on which (read by settings: CELERY_TASK_QUEUES / _ROUTES).

A worker started without ``-Q`` consumes every queue below (``make run``: one worker does it all). In production each
worker role picks its queues, so a 100k re-embed on ``batch`` never delays a Slack alert on ``notifications``:

    celery -A feedbackhub worker -Q triage,default         # ingestion, triage, domain events, sweeps
    celery -A feedbackhub worker -Q notifications          # emails, Slack, surveys: short, never behind batch work
    celery -A feedbackhub worker -Q batch --concurrency 1  # re-embedding, clustering, digests, KPIs, exports…

Every task is routed here by its name, on purpose (tests/feedbackhub/test_celery_settings.py fails on a task that is
not): a new task must be given its queue. ``BATCH_SOFT_TIME_LIMIT``/``BATCH_TIME_LIMIT`` are the batch tasks' longer
limits (the default ones are in settings); the broker's visibility timeout must stay above them.
"""

from __future__ import annotations

TRIAGE, NOTIFICATIONS, BATCH, DEFAULT = "triage", "notifications", "batch", "default"
QUEUE_NAMES = (TRIAGE, NOTIFICATIONS, BATCH, DEFAULT)

BATCH_SOFT_TIME_LIMIT = 55 * 60  # seconds: SoftTimeLimitExceeded is raised in the task (it may clean up)
BATCH_TIME_LIMIT = 60 * 60  # seconds: the pool process running it is killed and replaced

QUEUE_OF_TASK = {
    # triage: new feedback classified, deduplicated and matched to themes within the minute
    "feedback.tasks.triage_items": TRIAGE,
    "feedback.tasks.triage_untriaged": TRIAGE,
    "integrations.tasks.send_pending_triage": TRIAGE,
    "themes.tasks.match_items": TRIAGE,
    # notifications: what a person waits for (emails, Slack, survey invitations)
    "notifications.tasks.deliver": NOTIFICATIONS,
    "notifications.tasks.deliver_due": NOTIFICATIONS,
    "insights.journey_tasks.send_due_survey_invitations": NOTIFICATIONS,
    "integrations.outbound_tasks.send_outbound_action": NOTIFICATIONS,  # a tracker issue or CRM update, once
    "integrations.outbound_tasks.send_due_outbound_actions": NOTIFICATIONS,
    # batch: long runs over many rows (minutes to an hour)
    "feedback.tasks.embed_pending": BATCH,
    "feedback.tasks.retrain_classifier": BATCH,
    "themes.tasks.suggest_themes": BATCH,
    "themes.tasks.refresh_all_theme_rollups": BATCH,
    "notifications.tasks.write_weekly_digests": BATCH,
    "insights.tasks.refresh_dashboard": BATCH,
    "insights.tasks.refresh_kpis": BATCH,
    "insights.tasks.refresh_technical_correlations": BATCH,
    "insights.tasks.refresh_customer_health": BATCH,
    "insights.tasks.shadow_triage": BATCH,
    "insights.tasks.write_due_retrospective": BATCH,
    "insights.tasks.write_retrospective_window": BATCH,
    "feedbackhub.tasks.run_sheet_job": BATCH,  # spreadsheet exports and imports
    "integrations.tasks.sync_connector": BATCH,  # one source's incremental pull
    "integrations.community_tasks.fetch_community_watch": BATCH,  # one community watch's searches and ingest
    "integrations.outbound_tasks.open_dry_runs": BATCH,  # a switched-on rule's dry runs evaluated again
    # default: short bookkeeping — inbound webhooks, domain events, sweeps that only re-send, small refreshes
    "integrations.tasks.process_delivery": DEFAULT,
    "integrations.tasks.requeue_waiting_deliveries": DEFAULT,
    "integrations.tasks.sync_connectors": DEFAULT,  # fans out one sync_connector per source
    "integrations.community_tasks.fetch_community_watches": DEFAULT,  # fans out one fetch per enabled watch
    "feedbackhub.tasks.process_event": DEFAULT,
    "feedbackhub.tasks.process_pending_events": DEFAULT,
    "feedbackhub.tasks.requeue_sheet_jobs": DEFAULT,
    "themes.tasks.refresh_theme_rollups": DEFAULT,
    "themes.tasks.refresh_stale_theme_rollups": DEFAULT,
    "insights.tasks.check_escalations": DEFAULT,
}


def task_routes() -> dict[str, dict[str, str]]:
    """CELERY_TASK_ROUTES: each task name to its queue (Celery's own ``celery.*`` tasks keep the default queue)."""
    return {name: {"queue": queue} for name, queue in QUEUE_OF_TASK.items()}


def batch_annotations() -> dict[str, dict[str, int]]:
    """CELERY_TASK_ANNOTATIONS: the batch tasks' longer time limits (a task's own decorator arguments still win)."""
    limits = {"soft_time_limit": BATCH_SOFT_TIME_LIMIT, "time_limit": BATCH_TIME_LIMIT}
    return {name: dict(limits) for name, queue in QUEUE_OF_TASK.items() if queue == BATCH}
