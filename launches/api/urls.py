"""Launch API routes: /api/launches/ and /api/checklist-items/."""

from rest_framework.routers import SimpleRouter

from launches.api.views import ChecklistItemViewSet, LaunchViewSet

router = SimpleRouter()
router.register("launches", LaunchViewSet, basename="api-launch")
router.register("checklist-items", ChecklistItemViewSet, basename="api-checklist-item")

urlpatterns = router.urls
