"""URLs: the admin is the app; the API and its schema come with the integrations issue."""

from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView


def favicon(request):
    """Browsers that ask for /favicon.ico get the hub's icon (resolved per request: the manifest exists by then)."""
    return HttpResponsePermanentRedirect(static("feedbackhub/favicon.svg"))


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
]
