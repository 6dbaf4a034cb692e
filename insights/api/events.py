"""POST /api/events/: one product event, or a batch of up to 1,000 (``insights.events``).

As the survey answers do (``insights.api.views``): a body that is not JSON, too large (413), or not an event or a
batch is a 4xx naming the problem and nothing is written; inside a batch each event stands alone.

- one event (a JSON object): 201 created, 200 duplicate (already stored: nothing written), 400 rejected;
- a batch (``{"items": [...]}`` or a bare array): 200 with a line per event and the counts, as long as one was
  accepted; 400 when every event was rejected (the errors as ``items[3].occurred_at``; nothing written).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.views import APIView

from feedbackhub import api as hub_api
from insights import events as intake
from insights.api.event_serializers import EventReplySerializer, ProductEventSerializer
from integrations.api.views import IngestJSONParser
from integrations.auth import HasScope
from integrations.choices import Scope


class MayRecordEvents(permissions.BasePermission):
    """The caller may add product events."""

    message = "Recording product events needs permission to add product events."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("insights.add_productevent")


def events_of(data) -> tuple[list, bool]:
    """The events a body carries and whether it was a single one (``feedbackhub.api.batch_of``)."""
    return hub_api.batch_of(data, noun="an event", plural="events", limit=intake.MAX_BATCH)


class ProductEventsView(APIView):
    """Take product events in: idempotent on ``event_id``; a re-sent event is a duplicate, never counted twice."""

    required_scope = Scope.INGEST
    permission_classes = [permissions.IsAuthenticated, HasScope, MayRecordEvents]
    parser_classes = [IngestJSONParser]

    @extend_schema(
        request=ProductEventSerializer(many=True),
        responses={
            200: OpenApiResponse(EventReplySerializer, description="A line per event: created, duplicate, rejected."),
            201: OpenApiResponse(EventReplySerializer, description="The single event sent was created."),
            400: OpenApiResponse(description="Nothing written: the body, the batch or every event was invalid."),
            413: OpenApiResponse(description="The body is too large."),
        },
        summary="Record product events (one or a batch)",
    )
    def post(self, request):
        items, single = events_of(request.data)
        results = intake.record_events(items=items)
        return hub_api.batch_answer(results, single=single, states=intake.STATES)
