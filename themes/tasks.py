"""Theme background jobs (thin: they call services)."""

from celery import shared_task

from themes import matching, services, suggestions


@shared_task(ignore_result=True)
def refresh_theme_rollups(theme_ids: list[int]) -> int:
    """Recompute the rollups of the given themes."""
    return services.refresh_rollups(theme_ids=theme_ids)


@shared_task(ignore_result=True, expires=60)
def refresh_stale_theme_rollups() -> int:
    """Periodic (every minute): recompute the themes whose linked feedback changed."""
    return services.refresh_stale_rollups()


@shared_task(ignore_result=True, expires=3600)
def refresh_all_theme_rollups() -> int:
    """Periodic (hourly): recompute every theme's rollups, catching changes made outside the services
    (a customer's ARR or health, a bulk SQL fix)."""
    return services.refresh_all_rollups()


@shared_task(name="themes.tasks.match_items", ignore_result=True, acks_late=True)
def match_items(item_ids: list[int]) -> int:
    """After triage: add the given new items to the themes they resemble (``themes.matching``); returns items added."""
    return len(matching.match_items(item_ids=item_ids))


@shared_task(ignore_result=True, expires=6 * 3600)
def suggest_themes() -> int:
    """Periodic (daily): cluster the last 30 days' unthemed feedback into suggested themes; returns suggestions made."""
    return len(suggestions.suggest_themes())
