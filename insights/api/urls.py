"""Insights API routes: /api/survey-responses/."""

from django.urls import include, path

from insights.api.events import ProductEventsView
from insights.api.technical import TechnicalMetricsView
from insights.api.views import SurveyResponsesView

urlpatterns = [
    path("survey-responses/", SurveyResponsesView.as_view(), name="api-survey-responses"),
    path("experiments/", include("insights.api.experiments")),
    path("events/", ProductEventsView.as_view(), name="api-product-events"),
    path("technical-metrics/", TechnicalMetricsView.as_view(), name="api-technical-metrics"),
    path("ask/", include("insights.api.ask")),  # POST /api/ask/: Ask the hub (issue 13)
]
