"""Journey survey figures (issue 11): per survey and per persona segment, from one SQL aggregation.

- **sent**: invitations sent (answered ones included); **skipped**: not sent (cooldown, inactive, no address);
  **opened**: links whose page was loaded in a browser (its 1×1 image, ``insights.journey_views``), or answered. A
  link scanner that only fetches the page is not counted; one that renders it in a full browser is, so opened is an
  upper bound; **answered**: submissions.
- **response rate** = answered / sent, set against seed 003's collection rate: 15–25 % today, 70–85 % the target.
- **NPS** = % promoters (9–10) − % detractors (0–6) over the answers to the survey's NPS question; **CSAT** = % of 4–5
  over the answers to its CSAT question (the definitions, SQL and Python: ``insights.survey_math``). Each figure
  comes with its n; under ``MIN_N`` it is None and ``*_note`` says "too few answers" (a rate over 3 sends, or an NPS
  over 4 answers, is noise shown as a fact).

A survey asks at most one NPS and one CSAT question (``insights.journeys.validate_questions``), so the joins below
never count a submission twice.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from insights import survey_math
from insights.choices import InvitationStatus
from insights.models import JourneySurvey, SurveyInvitation, SurveyResponse, SurveySubmission

MIN_N = 10  # fewer sends (rate) or answers (NPS, CSAT) than this: "too few answers", no number
TODAY_RATE = (15, 25)  # seed 003: today's collection rate, percent
TARGET_RATE = (70, 85)  # seed 003: the target
TOO_FEW = "too few answers"
ALL_PERSONAS = None  # the "persona" of a survey's overall figures

FIGURES_SQL = f"""
SELECT i.survey_id,
       i.persona,
       GROUPING(i.persona) = 1 AS overall,
       COUNT(*) FILTER (WHERE {survey_math.sent_sql("i")}) AS sent,
       COUNT(*) FILTER (WHERE i.status = %(skipped)s) AS skipped,
       COUNT(*) FILTER (WHERE i.opened_at IS NOT NULL) AS opened,
       COUNT(*) FILTER (WHERE {survey_math.answered_sql("i")}) AS answered,
       COUNT(nps.id) AS nps_n,
       COUNT(*) FILTER (WHERE {survey_math.promoter_sql("nps.score")}) AS promoters,
       COUNT(*) FILTER (WHERE {survey_math.passive_sql("nps.score")}) AS passives,
       COUNT(*) FILTER (WHERE {survey_math.detractor_sql("nps.score")}) AS detractors,
       COUNT(csat.id) AS csat_n,
       COUNT(*) FILTER (WHERE {survey_math.satisfied_sql("csat.score")}) AS satisfied
FROM {{invitation}} i
LEFT JOIN {{submission}} s ON s.invitation_id = i.id
LEFT JOIN {{response}} nps ON nps.submission_id = s.id AND nps.kind = 'nps'
LEFT JOIN {{response}} csat ON csat.submission_id = s.id AND csat.kind = 'csat'
WHERE (%(since)s::timestamptz IS NULL OR i.created_at >= %(since)s)
  AND (%(survey)s::bigint IS NULL OR i.survey_id = %(survey)s)
GROUP BY GROUPING SETS ((i.survey_id), (i.survey_id, i.persona))
ORDER BY i.survey_id, overall DESC, i.persona
"""
COUNTS = (
    "sent",
    "skipped",
    "opened",
    "answered",
    "nps_n",
    "promoters",
    "passives",
    "detractors",
    "csat_n",
    "satisfied",
)


def survey_figures(since: datetime | None = None, *, survey_id: int | None = None) -> list[dict]:
    """Every journey survey's figures, overall and per persona segment (one query for them all).

    ``since``: only invitations created (trigger occurrences recorded) from then on; None: all time.
    ``survey_id``: that survey only.

    Returns one dict per survey, ordered by name::

        {
            "survey": "time-to-value",            # JourneySurvey.key
            "survey_id": 1, "name": "Time to value", "trigger_event": "value_delivered",
            "enabled": True, "personas": ["solo_podcaster"],   # the survey's segments ([]: every persona)
            "since": datetime | None,
            **figures,                            # overall, every persona together (see below)
            "segments": [{"persona": "agency", **figures}, ...],  # per persona seen ("" = events without one)
        }

    where ``figures`` is::

        {
            "sent": 40, "skipped": 5, "opened": 25, "answered": 18,
            "response_rate": 45.0 | None,         # % answered of sent (1 decimal); None under MIN_N sent
            "response_rate_n": 40,                # its n: the sends
            "response_rate_note": "" | "too few answers",
            "response_rate_band": "below today" | "today" | "between" | "target" | "above target" | "",
            "nps": 22 | None, "nps_n": 18, "promoters": 8, "passives": 6, "detractors": 4, "nps_note": "",
            "csat": 80 | None, "csat_n": 15, "satisfied": 12, "csat_note": "",
        }

    ``*_band`` places the response rate against seed 003's 15–25 % today and 70–85 % target (``TODAY_RATE``,
    ``TARGET_RATE``).
    """
    tables = {
        "invitation": connection.ops.quote_name(SurveyInvitation._meta.db_table),
        "submission": connection.ops.quote_name(SurveySubmission._meta.db_table),
        "response": connection.ops.quote_name(SurveyResponse._meta.db_table),
    }
    params = {"skipped": InvitationStatus.SKIPPED.value, "since": since, "survey": survey_id}
    with connection.cursor() as cursor:
        cursor.execute(FIGURES_SQL.format(**tables), params)
        columns = [column.name for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    by_survey: dict[int, dict] = {}
    listed = JourneySurvey.objects.order_by("name")
    for survey in listed.filter(pk=survey_id) if survey_id is not None else listed:
        by_survey[survey.pk] = {
            "survey": survey.key,
            "survey_id": survey.pk,
            "name": survey.name,
            "trigger_event": survey.trigger_event,
            "enabled": survey.enabled,
            "personas": list(survey.personas),
            "since": since,
            **figures(dict.fromkeys(COUNTS, 0)),
            "segments": [],
        }
    for row in rows:
        entry = by_survey.get(row["survey_id"])
        if entry is None:
            continue
        if row["overall"]:
            entry.update(figures(row))
        else:
            entry["segments"].append({"persona": row["persona"], **figures(row)})
    return list(by_survey.values())


def figures(counts: dict) -> dict:
    """The figures of one group of invitations from its counts (see ``survey_figures``)."""
    sent, answered = counts["sent"], counts["answered"]
    out = {name: int(counts[name]) for name in COUNTS}
    rate = round(survey_math.response_rate(answered, sent), 1) if sent >= MIN_N else None
    out.update(
        response_rate=rate,
        response_rate_n=sent,
        response_rate_note="" if rate is not None else TOO_FEW,
        response_rate_band=rate_band(rate),
    )
    nps_n, csat_n = counts["nps_n"], counts["csat_n"]
    nps = round(survey_math.nps(counts["promoters"], counts["detractors"], nps_n)) if nps_n >= MIN_N else None
    csat = round(survey_math.csat(counts["satisfied"], csat_n)) if csat_n >= MIN_N else None
    out.update(
        nps=nps, nps_note="" if nps is not None else TOO_FEW, csat=csat, csat_note="" if csat is not None else TOO_FEW
    )
    return out


def rate_band(rate: float | None) -> str:
    """Where a response rate stands against seed 003's today (15–25 %) and target (70–85 %); "" for None."""
    if rate is None:
        return ""
    if rate < TODAY_RATE[0]:
        return "below today"
    if rate <= TODAY_RATE[1]:
        return "today"
    if rate < TARGET_RATE[0]:
        return "between"
    return "target" if rate <= TARGET_RATE[1] else "above target"


def figures_for(survey: JourneySurvey, *, since: datetime | None = None) -> dict | None:
    """One survey's entry of ``survey_figures`` (the admin's change page)."""
    return next(iter(survey_figures(since=since, survey_id=survey.pk)), None)
