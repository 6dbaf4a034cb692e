"""Insights API routes: /api/survey-responses/."""

from django.urls import include, path

from insights.api.views import SurveyResponsesView

urlpatterns = [
    path("survey-responses/", SurveyResponsesView.as_view(), name="api-survey-responses"),
    path("experiments/", include("insights.api.experiments")),
]
