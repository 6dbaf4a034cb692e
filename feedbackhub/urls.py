"""URLs: the admin is the app; the API and its schema come with the integrations issue."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("favicon.ico", RedirectView.as_view(url=static("feedbackhub/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
]
