"""POST /api/events/: one product event, or a batch of up to 1,000 (``insights.events``).

As the survey answers do (``insights.api.views``): a body that is not JSON, too large (413), or not an event or a
batch is a 4xx naming the problem and nothing is written; inside a batch each event stands alone.

- one event (a JSON object): 201 created, 200 duplicate (already stored: nothing written), 400 rejected;
- a batch (``{"items": [...]}`` or a bare array): 200 with a line per event and the counts, as long as one was
  accepted; 400 when every event was rejected (the errors as ``items[3].occurred_at``; nothing written).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

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
    """The events a body carries and whether it was a single one; ValidationError naming the problem otherwise."""
    if isinstance(data, list):
        items, single = data, False
    elif isinstance(data, dict) and "items" in data:
        if extra := sorted(set(data) - {"items"}):
            raise exceptions.ValidationError({key: ["Unknown field next to 'items'."] for key in extra})
        items, single = data["items"], False
        if not isinstance(items, list):
            raise exceptions.ValidationError({"items": ["Must be a list of events."]})
    elif isinstance(data, dict):
        items, single = [data], True
    else:
        raise exceptions.ValidationError({"body": ['Send an event (an object) or {"items": [...]}.']})
    if not items:
        raise exceptions.ValidationError({"items": ["Send at least one event."]})
    if len(items) > intake.MAX_BATCH:
        raise exceptions.ValidationError(
            {"items": [f"At most {intake.MAX_BATCH:,} events per request; got {len(items):,}. Split the batch."]}
        )
    return items, single


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
        lines = [result.as_dict() for result in results]
        counts = {state: sum(1 for r in results if r.status == state) for state in intake.STATES}
        if single:
            result = results[0]
            if result.status == intake.REJECTED:
                return Response({**result.errors, "item": lines[0]}, status=status.HTTP_400_BAD_REQUEST)
            code = status.HTTP_201_CREATED if result.status == intake.CREATED else status.HTTP_200_OK
            return Response({**counts, "items": lines}, status=code)
        if counts[intake.REJECTED] == len(results):
            errors = {f"items[{r.index}].{name}": messages for r in results for name, messages in r.errors.items()}
            return Response({**errors, **counts, "items": lines}, status=status.HTTP_400_BAD_REQUEST)
        return Response({**counts, "items": lines}, status=status.HTTP_200_OK)
