"""POST /api/technical-metrics/: one technical sample, or a batch of up to 1,000 (``insights.technical``).

As the product events intake (``insights.api.events``): a body that is not JSON, too large (413), or not a sample or
a batch is a 4xx naming the problem and nothing is written; inside a batch each sample stands alone.

- one sample (a JSON object): 201 created, 200 updated or unchanged (an upsert on account, product and
  period_start: sending a period again replaces its figures), 400 rejected with the errors by field;
- a batch (``{"items": [...]}`` or a bare array): 200 with a line per sample and the counts, as long as one was
  accepted; 400 when every sample was rejected (the errors as ``items[3].errors``; nothing written).

The token needs the ``ingest`` scope (monitoring pushes data in, as products push events; no new scope) and its
owner the permission to add technical samples.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.views import APIView

from feedbackhub import api as hub_api
from insights import technical
from insights.api.technical_serializers import SampleReplySerializer, TechnicalSampleSerializer
from integrations.api.views import IngestJSONParser
from integrations.auth import HasScope
from integrations.choices import Scope


class MayRecordSamples(permissions.BasePermission):
    """The caller may add technical samples."""

    message = "Recording technical metrics needs permission to add technical samples."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("insights.add_technicalsample")


class TechnicalMetricsView(APIView):
    """Take technical samples in: an idempotent upsert per account, product and period."""

    required_scope = Scope.INGEST
    permission_classes = [permissions.IsAuthenticated, HasScope, MayRecordSamples]
    parser_classes = [IngestJSONParser]

    @extend_schema(
        request=TechnicalSampleSerializer(many=True),
        responses={
            200: OpenApiResponse(
                SampleReplySerializer, description="A line per sample: created, updated, unchanged, rejected."
            ),
            201: OpenApiResponse(SampleReplySerializer, description="The single sample sent was created."),
            400: OpenApiResponse(description="Nothing written: the body, the batch or every sample was invalid."),
            413: OpenApiResponse(description="The body is too large."),
        },
        summary="Record technical metrics: requests, errors, latency per account, product and period",
    )
    def post(self, request):
        items, single = hub_api.batch_of(request.data, noun="a sample", plural="samples", limit=technical.MAX_BATCH)
        results = technical.record_samples(items=items)
        return hub_api.batch_answer(results, single=single, states=technical.STATES)
