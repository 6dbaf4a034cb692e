"""A small API of its own for the tests of the API's machinery (tokens, scopes, throttling, bad bodies).

It goes through the project's REST_FRAMEWORK defaults like every real endpoint, so these tests do not wait for, nor
break with, any one resource. ``@pytest.mark.urls("tests.integrations.probe_urls")`` selects it (with the admin).
"""

from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import include, path
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView


class GroupSerializer(serializers.ModelSerializer):
    payload = serializers.JSONField(required=False, write_only=True)

    class Meta:
        model = Group
        fields = ["id", "name", "payload"]

    def create(self, validated_data):
        validated_data.pop("payload", None)
        return super().create(validated_data)


class GroupViewSet(viewsets.ModelViewSet):
    queryset = Group.objects.order_by("id")
    serializer_class = GroupSerializer
    pagination_class = None


class IngestProbe(APIView):
    """Needs the ingest scope, whatever the method."""

    required_scope = "ingest"
    queryset = Group.objects.none()

    def post(self, request):
        return Response({"received": request.data}, status=202)


router = SimpleRouter()
router.register("groups", GroupViewSet, basename="probe-group")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(router.urls)),
    path("api/probe-ingest/", IngestProbe.as_view(), name="probe-ingest"),
]
