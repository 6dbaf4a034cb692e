"""The API under /api/: the OpenAPI schema and its docs, then each app's routes (included by name, never imported).

Order matters: named routes (ingestion, webhooks) come first, so ``/api/feedback/ingest/`` is never read as an item
(the viewsets also take numeric ids only).
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import IsAuthenticated

signed_in = {"permission_classes": [IsAuthenticated]}  # a token (any scope) or an admin session

urlpatterns = [
    # Ingestion and webhook receivers (integrations/urls.py): keep them first.
    path("", include("integrations.urls")),
    path("schema/", SpectacularAPIView.as_view(**signed_in), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", **signed_in), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema", **signed_in), name="api-redoc"),
    path("", include("customers.api.urls")),
    path("", include("feedback.api.urls")),
    path("", include("themes.api.urls")),
    path("", include("launches.api.urls")),
    path("", include("insights.api.urls")),
]
