"""GET /api/loop-figures/: the "feedback addressed" rates and the time from feedback to ship
(``launches.loop_figures``), overall and per shipped theme, for the dashboards and CRMs that show them (seed 001:
"CS sees 'feedback addressed'")."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from launches import loop_figures
from launches.models import CustomerUpdate

MAX_ID = 2**63 - 1


class LoopFiguresQuery(serializers.Serializer):
    theme = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="One theme's figures (its id) instead of every one."
    )


class FiguresSerializer(serializers.Serializer):
    """One theme's figures, or all of them together (``theme`` null)."""

    theme = serializers.IntegerField(allow_null=True)
    updates = serializers.IntegerField(help_text="Customer updates (one per customer who asked).")
    told = serializers.IntegerField(help_text="Updates the account owner confirmed told.")
    skipped = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Still to tell after their due date.")
    told_rate = serializers.FloatField(allow_null=True, help_text="told / updates (null: no update).")
    items = serializers.IntegerField(help_text="Feedback items of the shipped themes (duplicates merged in included).")
    items_shipped = serializers.IntegerField()
    shipped_rate = serializers.FloatField(allow_null=True, help_text="items_shipped / items (null: no item).")
    median_days_to_ship = serializers.FloatField(
        allow_null=True, help_text="Median days from an item's received_at to its theme's shipped_at."
    )


class LoopFiguresSerializer(serializers.Serializer):
    overall = FiguresSerializer()
    themes = FiguresSerializer(many=True)


def as_row(theme_id: int | None, figures: loop_figures.LoopFigures) -> dict:
    return {
        "theme": theme_id,
        "updates": figures.updates,
        "told": figures.told,
        "skipped": figures.skipped,
        "overdue": figures.overdue,
        "told_rate": figures.told_rate,
        "items": figures.items,
        "items_shipped": figures.items_shipped,
        "shipped_rate": figures.shipped_rate,
        "median_days_to_ship": figures.median_days_to_ship,
    }


class LoopFiguresView(APIView):
    """The loop's figures of the shipped themes (``?theme=`` for one): a read for whoever may view customer updates."""

    queryset = CustomerUpdate.objects.none()  # the model permissions' model: view_customerupdate

    @extend_schema(
        parameters=[OpenApiParameter("theme", int, description="One theme's figures (its id).")],
        responses=LoopFiguresSerializer,
    )
    def get(self, request: Request) -> Response:
        query = LoopFiguresQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        theme = query.validated_data.get("theme")
        report = loop_figures.loop_figures(today=timezone.localdate(), theme_ids=[theme] if theme else None)
        return Response(
            {
                "overall": as_row(None, report.overall),
                "themes": [as_row(pk, figures) for pk, figures in sorted(report.themes.items())],
            }
        )
