"""``python -m tests.cluster.hub setup|report|tick``: what the cluster test asks of the hub's own database, run as
a separate process with the cluster's ``DATABASE_URL`` and ``REDIS_URL`` (the test process keeps its pytest
database; this one is the cluster's).

- ``setup``: an integrator with an ingest token, ``THEMES`` themes of ``MEMBERS`` triaged items each (one short of
  the "time to verify" mark), their rule sent to Slack only, and a 2-second periodic probe for the beat check
  (disabled until ``tick on``). Prints {"token": ...}.
- ``tick on|off``: enable or disable the probe.
- ``report``: what the test checks, as JSON (counts only: no text leaves the database); the test itself reads the
  same ``REPORT`` over one connection (``Cluster.report``), without starting Django every few seconds.
"""

from __future__ import annotations

import json
import os
import sys

MEMBERS = 4  # THEME_VERIFY_AT is 5: the first matching item the cluster ingests tips each theme over
PROBE_TASK = "themes.tasks.refresh_stale_theme_rollups"  # cheap and harmless; the probe counts its sends
PROBE_QUEUE = "cluster-probe"  # no worker consumes it: every message beat sends stays there to be counted
PROBE_EVERY = 2  # seconds


def setup() -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from feedback import services as feedback_services
    from feedback import triage
    from feedback.models import FeedbackItem
    from insights.choices import Metric
    from insights.models import EscalationRule
    from integrations import ingest
    from integrations import services as integration_services
    from integrations.choices import Scope
    from tests.cluster.traffic import THEMES, theme_texts
    from themes import services as theme_services

    user = get_user_model().objects.create_user("integrator", "integrator@example.com", "-")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_feedbackitem", "change_feedbackitem", "view_feedbackitem"])
    )
    now = timezone.now().isoformat()
    token = integration_services.create_token(name="cluster", owner=user, scopes=[Scope.INGEST]).key
    members = [
        {"source": "manual", "source_id": f"theme-{t}-{m}", "received_at": now, "verbatim": f"{text} (member {m})"}
        for t, text in enumerate(theme_texts())
        for m in range(MEMBERS)
    ]
    results = ingest.ingest_items(items=members, received_via="api")
    ids = [result.id for result in results]
    triage.triage_items(item_ids=ids)
    for t in range(THEMES):
        theme = theme_services.create_theme(name=f"Cluster theme {t}")
        for item in FeedbackItem.objects.filter(pk__in=ids[t * MEMBERS : (t + 1) * MEMBERS]):
            feedback_services.set_themes(item=item, themes=[theme])
    EscalationRule.objects.filter(metric=Metric.THEME_CRITICAL_MASS).update(channels=["slack"], enabled=True)
    every, _ = IntervalSchedule.objects.get_or_create(every=PROBE_EVERY, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(
        name="cluster probe",
        defaults={
            "task": PROBE_TASK,
            "interval": every,
            "queue": PROBE_QUEUE,
            "expire_seconds": PROBE_EVERY,
            "enabled": False,
        },
    )
    return {"token": token, "theme_items": len(ids)}


def tick(state: str) -> dict:
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="cluster probe")
    task.enabled = state == "on"
    task.save()  # save(), not update(): beat notices the change through PeriodicTasks.changed
    return {"probe": state}


SLACK = "SELECT count(*) FROM notifications_notification WHERE channel = 'slack'"
TRAFFIC = "source <> 'manual'"  # every item the cluster took through the API (the themes' members are 'manual')
REPORT = {
    "items": f"SELECT count(*) FROM feedback_feedbackitem WHERE {TRAFFIC}",
    "triaged": f"SELECT count(*) FROM feedback_feedbackitem WHERE {TRAFFIC} AND triaged_at IS NOT NULL",
    "untriaged_all": "SELECT count(*) FROM feedback_feedbackitem WHERE triaged_at IS NULL",
    "triage_records": f"""SELECT count(*) FROM feedback_triagerecord r JOIN feedback_feedbackitem f
                          ON f.id = r.feedback_id WHERE f.{TRAFFIC}""",
    "items_with_other_than_one_record": f"""SELECT count(*) FROM feedback_feedbackitem f WHERE f.{TRAFFIC}
        AND (SELECT count(*) FROM feedback_triagerecord r WHERE r.feedback_id = f.id) <> 1""",
    "pending_triage_rows": "SELECT count(*) FROM integrations_pendingtriage",
    "themes_at_mark": """SELECT count(*) FROM themes_theme t WHERE t.name LIKE 'Cluster theme %'
        AND (SELECT count(*) FROM feedback_feedbackitem_themes m WHERE m.theme_id = t.id) >= 5""",
    "escalations": """SELECT count(*) FROM insights_escalation e JOIN insights_escalationrule r ON r.id = e.rule_id
                      WHERE r.metric = 'theme_critical_mass'""",
    "slack_sent": f"{SLACK} AND status = 'sent'",
    "slack_not_sent": f"{SLACK} AND status <> 'sent'",
}


def report_from(cursor) -> dict:
    """What the test checks, counts only (``REPORT``), from a DB-API cursor on the cluster's database."""
    out = {}
    for name, sql in REPORT.items():
        cursor.execute(sql)
        out[name] = cursor.fetchone()[0]
    return out


def report() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        return report_from(cursor)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedbackhub.settings")
    import django

    django.setup()
    command, *args = sys.argv[1:]
    answer = {"setup": setup, "report": report, "tick": tick}[command](*args)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
