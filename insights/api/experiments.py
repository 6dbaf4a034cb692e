"""GET /api/experiments/{key}/assignment?subject=: which variant a product shows a subject (``insights.experiments``);
POST /api/experiments/{key}/shadow/: what a shadow variant computed beside the live output (``insights.shadow``).

The same answer as the product would compute itself (sha256 of "<key>:<subject>" on the shares): nothing is stored,
so asking twice, from two processes or after a restart gives the same variant. A read-scoped token whose owner may
view experiments; 404 for an unknown or draft experiment, 400 without a subject. Exposures are reported back as
``experiment_exposure`` product events through ``POST /api/events/``.

The shadow door takes one observation or a batch (``{"items": [...]}``, up to 500) for a running shadow experiment:
an ingest-scoped token whose owner may add shadow observations. All or nothing: any invalid observation is a 400
naming it (``items[3].variant``) and nothing is written; otherwise 201 when one was new, 200 when all were
duplicates (stored before: the first one stays), with the counts and the new subjects.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from feedbackhub import api as hub_api
from insights import experiments, shadow
from insights.choices import ExperimentKind, ExperimentStatus
from insights.models import Experiment
from integrations.api.serializers import StrictCharField
from integrations.api.views import IngestJSONParser
from integrations.auth import HasScope
from integrations.choices import Scope

MAX_SUBJECT = 200
MAX_OBSERVATIONS = 500


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


@extend_schema_field(OpenApiTypes.OBJECT)
class ValuesField(serializers.Field):
    """Field → value, as a JSON object (``insights.shadow`` bounds its size)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be an object of field → value.")
        return data

    def to_representation(self, value):
        return value


class ObservationSerializer(serializers.Serializer):
    """One subject seen by one shadow variant: the live output and the shadow output."""

    variant = StrictCharField(max_length=64, help_text="The shadow variant's key (not the control).")
    subject = StrictCharField(max_length=MAX_SUBJECT, help_text="The item, request or user both variants saw.")
    live = ValuesField(help_text='What the live variant produced: {"category": "bug", …}.')
    shadow = ValuesField(help_text="What the shadow variant produced, with the same fields.")

    def validate(self, attrs):
        if unknown := sorted(set(self.initial_data) - set(self.fields)):
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return attrs


class ShadowReplySerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    subjects = serializers.ListField(child=serializers.CharField(), help_text="The subjects stored by this call.")


class MayRecordShadow(permissions.BasePermission):
    message = "Recording shadow observations needs permission to add shadow observations."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("insights.add_shadowobservation")


class ShadowView(APIView):
    """Observations of a running shadow experiment, each stored once per (variant, subject)."""

    required_scope = Scope.INGEST
    permission_classes = [permissions.IsAuthenticated, HasScope, MayRecordShadow]
    parser_classes = [IngestJSONParser]
    queryset = Experiment.objects.all()
    lookup_field = "key"

    @extend_schema(
        request=ObservationSerializer(many=True),
        responses={
            200: OpenApiResponse(ShadowReplySerializer, description="Every observation was stored before."),
            201: OpenApiResponse(ShadowReplySerializer, description="At least one observation was new."),
            400: OpenApiResponse(description="Nothing written: the body, an observation or the experiment's state."),
            404: OpenApiResponse(description="No experiment has this key."),
        },
        summary="Record shadow observations (one or a batch)",
    )
    def post(self, request, key: str):
        experiment = Experiment.objects.filter(key=key).prefetch_related("variants").first()
        if experiment is None:
            raise exceptions.NotFound(f"No experiment {key!r}.")
        items, _single = hub_api.batch_of(
            request.data, noun="an observation", plural="observations", limit=MAX_OBSERVATIONS
        )
        try:
            variants = shadow.check_recording(experiment)
        except ValidationError as error:
            raise exceptions.ValidationError({"experiment": error.messages}) from error
        observations, errors = [], {}
        for index, item in enumerate(items):
            serializer = ObservationSerializer(data=item)
            if not serializer.is_valid():
                errors |= {f"items[{index}].{name}": problems for name, problems in serializer.errors.items()}
                continue
            observation = shadow.Observation(**serializer.validated_data)
            if problems := shadow.clean_observation(observation, variants):
                errors[f"items[{index}]"] = problems
            observations.append(observation)
        if errors:
            raise exceptions.ValidationError(errors)
        result = shadow.record_observations(experiment=experiment, observations=observations)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(ShadowReplySerializer(result).data, status=code)


urlpatterns = [  # included under /api/experiments/ by insights.api.urls
    path("<slug:key>/assignment", AssignmentView.as_view(), name="api-experiment-assignment"),
    path("<slug:key>/shadow/", ShadowView.as_view(), name="api-experiment-shadow"),
]
