"""Ingestion and webhook routes under /api/ (included first by feedbackhub.api_urls, before the resource routers).

The integrations work fills this in, e.g. ``path("feedback/ingest/", ...)`` and the webhook receivers.
"""

from django.urls import path

from integrations import webhooks
from integrations.api.views import IngestView

urlpatterns = [
    path("feedback/ingest/", IngestView.as_view(), name="api-feedback-ingest"),
    path("webhooks/<slug:source>/", webhooks.receive, name="webhook"),  # signed by the vendor: no token, no CSRF
]
