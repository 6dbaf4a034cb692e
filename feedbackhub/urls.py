"""URLs: the admin is the app; the REST API, its schema and docs live under /api/ (feedbackhub.api_urls)."""

from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from feedbackhub import health, metrics


def favicon(request):
    """Browsers that ask for /favicon.ico get the hub's icon (resolved per request: the manifest exists by then)."""
    return HttpResponsePermanentRedirect(static("feedbackhub/favicon.svg"))


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("favicon.ico", favicon),
    path("healthz", health.healthz, name="healthz"),  # answered by health.ProbeMiddleware first; named here
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/", include("feedbackhub.api_urls")),
    path("s/", include("insights.journey_urls")),  # journey survey answers: public, the signed link is the key
]
