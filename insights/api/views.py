"""POST /api/survey-responses/: one NPS or CSAT answer, or a batch of up to 1,000 (``insights.surveys``).

As the feedback ingestion does (``integrations.api.views.IngestView``): a body that is not JSON, too large (413), or
not an answer or a batch is a 4xx naming the problem and nothing is written; inside a batch each answer stands alone.

- one answer (a JSON object): 201 created, 200 updated, 400 rejected (the errors by field, nothing written);
- a batch (``{"items": [...]}`` or a bare array): 200 with a line per answer and the counts, as long as one was
  accepted; 400 when every answer was rejected (the errors as ``items[3].score``; nothing written).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.views import APIView

from feedbackhub import api as hub_api
from insights import surveys
from insights.api.serializers import SurveyAnswerSerializer, SurveyReplySerializer
from integrations.api.views import IngestJSONParser
from integrations.auth import HasScope
from integrations.choices import Scope


class MayRecordSurveys(permissions.BasePermission):
    """The caller may add and change survey responses, and feedback (a comment becomes a feedback item)."""

    message = "Recording survey answers needs permission to add and change survey responses and feedback items."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perms(
            [
                "insights.add_surveyresponse",
                "insights.change_surveyresponse",
                "feedback.add_feedbackitem",
                "feedback.change_feedbackitem",
            ]
        )


def answers_of(data) -> tuple[list, bool]:
    """The survey answers a body carries and whether it was a single one (``feedbackhub.api.batch_of``)."""
    return hub_api.batch_of(data, noun="a survey answer", plural="survey answers", limit=surveys.MAX_BATCH)


class SurveyResponsesView(APIView):
    """Take NPS and CSAT answers in: idempotent on (source, external_id); a retry updates, never doubles."""

    required_scope = Scope.INGEST
    permission_classes = [permissions.IsAuthenticated, HasScope, MayRecordSurveys]
    parser_classes = [IngestJSONParser]

    @extend_schema(
        request=SurveyAnswerSerializer(many=True),
        responses={
            200: OpenApiResponse(SurveyReplySerializer, description="A line per answer: created, updated, rejected."),
            201: OpenApiResponse(SurveyReplySerializer, description="The single answer sent was created."),
            400: OpenApiResponse(description="Nothing written: the body, the batch or every answer was invalid."),
            413: OpenApiResponse(description="The body is too large."),
        },
        summary="Record NPS / CSAT survey answers (one or a batch)",
    )
    def post(self, request):
        items, single = answers_of(request.data)
        token = getattr(request.auth, "name", None)
        results = surveys.record_responses(items=items, received_via=f"api:{token or request.user.get_username()}")
        return hub_api.batch_answer(results, single=single, states=surveys.STATES)
