"""The public survey pages: /s/<token>/ (no login; the signed token is the only key)."""

from django.urls import path

from insights import journey_views

app_name = "journeys"
urlpatterns = [
    path("<str:token>/", journey_views.answer, name="answer"),
    path("<str:token>/seen.gif", journey_views.seen, name="seen"),  # the page's image: the opening (not a scanner's)
]
