"""POST /api/feedback/ingest/: one feedback item, or a batch of up to 1,000, in the unified format (seed 002).

The request as a whole is all or nothing: a body that is not JSON, not UTF-8, too large (413), holds a text the
database cannot store (a NUL), is not an item or a batch, or a batch over the limit is a 4xx naming the problem (the
field where there is one: ``items[3].verbatim``), and nothing is written. Inside a well-formed batch each item
stands alone: a bad one is ``rejected`` with its reasons by field, the others are ``created`` or ``updated``.

- one item (a JSON object): 201 created, 200 updated, 400 rejected (the errors by field, nothing written);
- a batch (``{"items": [...]}`` or a bare array): 200 with a line per item and the counts, as long as one item was
  accepted; 400 when every item was rejected (nothing written).
"""

from __future__ import annotations

from django.db import DataError, IntegrityError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from feedbackhub import api as hub_api
from integrations import ingest
from integrations.api.serializers import IngestAnswerSerializer, IngestItemSerializer
from integrations.auth import HasScope
from integrations.choices import Scope
from integrations.parsers import JSONParser

MAX_BODY_BYTES = 16 * 1024 * 1024  # 1,000 items of 16 KB each (the source's own payload included)


class IngestJSONParser(JSONParser):
    """The API's strict JSON parser (size, UTF-8, JSON, storable values: each a 4xx naming the problem), with room
    for a full batch: Django's 2.5 MB upload limit would refuse a batch of 1,000 items with their payloads."""

    max_bytes = MAX_BODY_BYTES


class MayIngest(permissions.BasePermission):
    """The caller (a token's owner, or a signed-in person) may add and change feedback."""

    message = "Ingesting feedback needs permission to add and change feedback items."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perms(["feedback.add_feedbackitem", "feedback.change_feedbackitem"])


def batch_of(data) -> tuple[list, bool]:
    """The feedback items a body carries and whether it was a single one (``feedbackhub.api.batch_of``)."""
    return hub_api.batch_of(data, noun="a feedback item", plural="feedback items", limit=ingest.MAX_BATCH)


class IngestView(APIView):
    """Take feedback in: idempotent on (source, source_id); a retry or a concurrent delivery updates, never doubles."""

    required_scope = Scope.INGEST
    permission_classes = [permissions.IsAuthenticated, HasScope, MayIngest]
    parser_classes = [IngestJSONParser]

    @extend_schema(
        request=IngestItemSerializer(many=True),
        responses={
            200: OpenApiResponse(IngestAnswerSerializer, description="A line per item: created, updated, rejected."),
            201: OpenApiResponse(IngestAnswerSerializer, description="The single item sent was created."),
            400: OpenApiResponse(description="Nothing written: the body, the batch or every item was invalid."),
            413: OpenApiResponse(description="The body is too large."),
        },
    )
    def post(self, request):
        items, single = batch_of(request.data)
        token = getattr(request.auth, "name", None)
        try:
            results = ingest.ingest_items(items=items, received_via=f"api:{token or request.user.get_username()}")
        except (DataError, IntegrityError) as error:  # validation should make this unreachable; never a 500
            return Response(
                {"detail": f"The database refused the batch; nothing was written. {error.__cause__ or error}"},
                status=status.HTTP_409_CONFLICT if isinstance(error, IntegrityError) else status.HTTP_400_BAD_REQUEST,
            )
        return hub_api.batch_answer(results, single=single, states=ingest.STATES)
