"""The survey figures, defined once: NPS, CSAT and the response rate, as SQL fragments, ORM conditions and Python.

Every figure of the hub reads these (``insights.surveys``, ``insights.metrics``, ``insights.journey_figures``, the
journey surveys' admin list, ``insights.kpi_sections``, ``insights.technical_correlation``), so a band moved here moves
everywhere.

- **NPS** (Bain): answers 0–10; detractors 0–6, passives 7–8, promoters 9–10.
  NPS = % promoters − % detractors = 100 · (promoters − detractors) / answers, from −100 to 100.
- **CSAT**: answers 1–5; unsatisfied 1–2, neutral 3, satisfied 4–5. CSAT = % satisfied = 100 · satisfied / answers
  (``share``: the same as a fraction).
- **Response rate** of journey survey invitations: answered / sent, where *sent* is an invitation with ``sent_at``
  (answered ones included) and *answered* one whose status is answered (its submission stored: ``submit`` sets both
  in one transaction). In percent.

With no answer (no send) a figure is None, never a division by zero; what is too few to show is each caller's rule.
"""

from __future__ import annotations

from django.db.models import Q

from insights.choices import InvitationStatus

DETRACTOR_MAX, PASSIVE_MAX = 6, 8  # NPS 0–6 detractors, 7–8 passives, 9–10 promoters
PROMOTER_MIN = PASSIVE_MAX + 1
UNSATISFIED_MAX, NEUTRAL_MAX = 2, 3  # CSAT 1–2 unsatisfied, 3 neutral, 4–5 satisfied
SATISFIED_MIN = NEUTRAL_MAX + 1
ANSWERED = InvitationStatus.ANSWERED.value

# --- SQL: conditions on a score column, an invitation row ------------------------------------------------------------


def promoter_sql(score: str = "score") -> str:
    return f"{score} >= {PROMOTER_MIN}"


def passive_sql(score: str = "score") -> str:
    return f"{score} BETWEEN {DETRACTOR_MAX + 1} AND {PASSIVE_MAX}"


def detractor_sql(score: str = "score") -> str:
    return f"{score} <= {DETRACTOR_MAX}"


def satisfied_sql(score: str = "score") -> str:
    return f"{score} >= {SATISFIED_MIN}"


def nps_sql(score: str = "score") -> str:
    """NPS of the group's rows (each an NPS answer), in SQL; NULL for an empty group."""
    return (
        f"100.0 * (count(*) FILTER (WHERE {promoter_sql(score)}) - count(*) FILTER (WHERE {detractor_sql(score)}))"
        " / nullif(count(*), 0)"
    )


def sent_sql(invitation: str = "i") -> str:
    return f"{invitation}.sent_at IS NOT NULL"


def answered_sql(invitation: str = "i") -> str:
    return f"{invitation}.status = '{ANSWERED}'"


# --- The ORM ---------------------------------------------------------------------------------------------------------

PROMOTER_Q = Q(score__gte=PROMOTER_MIN)
PASSIVE_Q = Q(score__gt=DETRACTOR_MAX, score__lte=PASSIVE_MAX)
DETRACTOR_Q = Q(score__lte=DETRACTOR_MAX)
SATISFIED_Q = Q(score__gte=SATISFIED_MIN)
SENT_Q = Q(sent_at__isnull=False)
ANSWERED_Q = Q(status=ANSWERED)

# --- Python: the figures from their counts ---------------------------------------------------------------------------


def nps(promoters: int, detractors: int, n: int) -> float | None:
    """% promoters − % detractors of ``n`` NPS answers (unrounded); None with none."""
    return 100 * (promoters - detractors) / n if n else None


def csat(satisfied: int, n: int) -> float | None:
    """% satisfied (4–5) of ``n`` CSAT answers (unrounded); None with none."""
    return 100 * satisfied / n if n else None


def share(part: int, n: int) -> float | None:
    """``part / n`` (a fraction: CSAT's satisfied share in ``insights.metrics``); None when ``n`` is 0."""
    return part / n if n else None


def response_rate(answered: int, sent: int) -> float | None:
    """% of the sent invitations answered (unrounded); None with none sent."""
    return 100 * answered / sent if sent else None
