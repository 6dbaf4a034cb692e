"""GET /api/experiments/{key}/assignment?subject=: which variant a product shows a subject (``insights.experiments``).

The same answer as the product would compute itself (sha256 of "<key>:<subject>" on the shares): nothing is stored,
so asking twice, from two processes or after a restart gives the same variant. A read-scoped token whose owner may
view experiments; 404 for an unknown or draft experiment, 400 without a subject. Exposures are reported back as
``experiment_exposure`` product events through ``POST /api/events/``.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from insights import experiments
from insights.choices import ExperimentKind, ExperimentStatus
from insights.models import Experiment
from integrations.choices import Scope

MAX_SUBJECT = 200


class AssignmentSerializer(serializers.Serializer):
    """The variant to show; in a shadow experiment the control, with the variants to compute without showing."""

    experiment = serializers.CharField()
    subject = serializers.CharField()
    variant = serializers.CharField(help_text="The variant's key: what to show this subject.")
    variant_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ExperimentKind.choices)
    status = serializers.ChoiceField(
        choices=ExperimentStatus.choices, help_text="Once stopped or concluded, everyone gets the control."
    )
    shadow_variants = serializers.ListField(
        child=serializers.CharField(), help_text="Shadow experiments: compute and log these, never show them."
    )


class AssignmentView(APIView):
    """One subject's variant of one experiment."""

    required_scope = Scope.READ
    queryset = Experiment.objects.all()  # for the model permission: reading needs insights.view_experiment
    lookup_field = "key"  # the experiment is named by its key in the URL

    @extend_schema(
        parameters=[
            OpenApiParameter("subject", str, required=True, description="The user, account or item being assigned.")
        ],
        responses={
            200: AssignmentSerializer,
            400: OpenApiResponse(description="No subject, or a subject longer than 200 characters."),
            404: OpenApiResponse(description="No running, stopped or concluded experiment has this key."),
        },
        summary="Assign a subject to an experiment's variant (deterministic)",
    )
    def get(self, request, key: str):
        subject = (request.query_params.get("subject") or "").strip()
        if not subject:
            raise exceptions.ValidationError(
                {"subject": ["Name the subject to assign: ?subject=<user or account id>."]}
            )
        if len(subject) > MAX_SUBJECT:
            raise exceptions.ValidationError({"subject": [f"At most {MAX_SUBJECT} characters."]})
        try:
            assignment = experiments.assignment_for(key=key, subject=subject)
        except Experiment.DoesNotExist as error:
            raise exceptions.NotFound(f"No experiment {key!r} is running (unknown key, or still a draft).") from error
        return Response(AssignmentSerializer(assignment).data)


urlpatterns = [  # included under /api/experiments/ by insights.api.urls
    path("<slug:key>/assignment", AssignmentView.as_view(), name="api-experiment-assignment"),
]
