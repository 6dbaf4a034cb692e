"""Feedback API routes: /api/feedback/ and /api/feedback/<id>/ (ids only: /api/feedback/ingest/ stays free)."""

from rest_framework.routers import SimpleRouter

from feedback.api.views import FeedbackItemViewSet

router = SimpleRouter()
router.register("feedback", FeedbackItemViewSet, basename="api-feedback")

urlpatterns = router.urls
