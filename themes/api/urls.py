"""Theme API routes: /api/themes/."""

from rest_framework.routers import SimpleRouter

from themes.api.views import ThemeViewSet

router = SimpleRouter()
router.register("themes", ThemeViewSet, basename="api-theme")

urlpatterns = router.urls
