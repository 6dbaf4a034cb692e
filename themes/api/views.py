"""Theme API: themes by ARR impact (the leadership order), with their rollups and verification progress."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from rest_framework import viewsets

from feedbackhub.api import HubViewSetMixin
from themes.api.serializers import ThemeSerializer
from themes.filtersets import ThemeFilterSet
from themes.models import Theme, ThemeVerification


def steps_done() -> Coalesce:
    """Verification steps ticked per theme: a correlated subquery (no GROUP BY over the list)."""
    done = ThemeVerification.objects.filter(theme=OuterRef("pk"), done_at__isnull=False)
    counted = done.order_by().values("theme").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class ThemeViewSet(HubViewSetMixin, viewsets.ModelViewSet):
    """Themes. Created with their verify-before-build checklist; rollups are read-only."""

    queryset = Theme.objects.all()
    serializer_class = ThemeSerializer
    filterset_class = ThemeFilterSet
    orderings = {  # theme_arr_idx (-arr_impacted, id); theme_feedback_count_idx; the unique name's index
        "-arr_impacted": ("-arr_impacted", "id"),
        "-feedback_count": ("-feedback_count", "-id"),
        "name": ("name",),
        "-name": ("-name",),
    }

    def get_queryset(self):
        return super().get_queryset().annotate(steps_done=steps_done())
