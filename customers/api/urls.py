"""Customer API routes: /api/customers/ and /api/usage-snapshots/."""

from rest_framework.routers import SimpleRouter

from customers.api.views import CustomerViewSet, UsageSnapshotViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="api-customer")
router.register("usage-snapshots", UsageSnapshotViewSet, basename="api-usage-snapshot")

urlpatterns = router.urls
