"""The bench's URLconf: FeedbackHub's own URLs plus Django's stock admin at /plain/ (``bench.plain_admin``).

Used by the bench process only (``override_settings(ROOT_URLCONF="bench.urls")``); the project never mounts it.
"""

from django.urls import include, path

from bench.plain_admin import plain_site

urlpatterns = [
    path("plain/", plain_site.urls),
    path("", include("feedbackhub.urls")),
]
