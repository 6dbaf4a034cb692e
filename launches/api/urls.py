"""Launch API routes: /api/launches/, /api/checklist-items/ and /api/loop-figures/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from launches.api.loop_figures import LoopFiguresView
from launches.api.views import ChecklistItemViewSet, LaunchViewSet

router = SimpleRouter()
router.register("launches", LaunchViewSet, basename="api-launch")
router.register("checklist-items", ChecklistItemViewSet, basename="api-checklist-item")

urlpatterns = [path("loop-figures/", LoopFiguresView.as_view(), name="api-loop-figures"), *router.urls]
