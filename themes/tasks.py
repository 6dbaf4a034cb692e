"""Theme background jobs (thin: they call services)."""

from celery import shared_task

from themes import services
from themes.models import Theme


@shared_task(ignore_result=True)
def refresh_theme_rollups(theme_ids: list[int]) -> int:
    """Recompute the rollups of the given themes."""
    return services.refresh_rollups(theme_ids=theme_ids)


@shared_task(ignore_result=True, expires=3600)
def refresh_all_theme_rollups() -> int:
    """Periodic: recompute every theme's rollups in batches."""
    ids = list(Theme.objects.values_list("id", flat=True))
    return sum(services.refresh_rollups(theme_ids=ids[i : i + 500]) for i in range(0, len(ids), 500))
