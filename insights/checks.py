"""System checks of the insights app (``manage.py check --database default``; ``migrate`` runs them too).

- **insights.W001**: an enabled journey survey exists while ``HUB_BASE_URL`` is empty. Its messages need an absolute
  link to ``/s/<token>/``: without a base URL the minute task leaves the invitations scheduled and sends nothing
  (``insights.journeys.base_url``; in DEBUG the links use ``http://127.0.0.1:8000``, ``make run``'s address, so the
  demo works, and the warning still says so). Tagged ``database``: it reads the surveys, so Django runs it only when
  a database is named (as ``migrate`` does), never in a bare ``check`` before the database exists.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

NO_BASE_URL_ID = "insights.W001"


@register(Tags.database)
def journey_surveys_need_a_base_url(app_configs=None, databases=None, **kwargs) -> list[Warning]:
    if not databases or "default" not in databases or settings.HUB_BASE_URL:
        return []
    from insights.journeys import LOCAL_BASE_URL
    from insights.models import JourneySurvey

    try:
        enabled = list(JourneySurvey.objects.filter(enabled=True).values_list("key", flat=True)[:5])
    except DatabaseError:  # not migrated yet: nothing can be sent either
        return []
    if not enabled:
        return []
    meanwhile = f" Meanwhile (DEBUG) the links use {LOCAL_BASE_URL}." if settings.DEBUG else " Meanwhile none is sent."
    return [
        Warning(
            f"Journey surveys are enabled ({', '.join(enabled)}) but HUB_BASE_URL is empty: their messages need "
            f"an absolute link to the survey page.{meanwhile}",
            hint="Set HUB_BASE_URL to the hub's public address, e.g. https://hub.example.com.",
            id=NO_BASE_URL_ID,
        )
    ]
