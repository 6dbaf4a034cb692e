"""Ingestion and webhook routes under /api/ (included first by feedbackhub.api_urls, before the resource routers).

The integrations work fills this in, e.g. ``path("feedback/ingest/", ...)`` and the webhook receivers.
"""

from django.urls import path

from integrations import capture_views, webhooks
from integrations.api.views import IngestView

urlpatterns = [
    path("feedback/ingest/", IngestView.as_view(), name="api-feedback-ingest"),
    path("capture/", capture_views.CaptureView.as_view(), name="api-capture"),  # public: key + origin + identity
    path("capture/widget.js", capture_views.widget_script, name="capture-widget"),
    path("webhooks/<slug:source>/", webhooks.receive, name="webhook"),  # signed by the vendor: no token, no CSRF
]
