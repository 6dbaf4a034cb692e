"""'Time to verify' (seed 001, "Verify Before You Build"): a theme that reaches ``THEME_VERIFY_AT`` items tells its
owner once, by email, and shows as 'time to verify' in the admin until it is verified.

Called by ``themes.services.refresh_rollups``, where the counts change. ``verify_notified_at`` makes it once per
theme: it is set when the owner is told, or, for a theme with no owner (or an owner with no email), when the theme
first qualifies, so the admin shows it to whoever picks it up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from themes.choices import ThemeStatus, VerificationStep
from themes.models import Theme

logger = logging.getLogger(__name__)

# Told it is time to verify and still a hypothesis: the admin's 'time to verify' badge and filter.
TIME_TO_VERIFY = Q(verify_notified_at__isnull=False, status=ThemeStatus.HYPOTHESIS)


def is_time_to_verify(theme: Theme) -> bool:
    """Whether ``theme`` shows the 'time to verify' marker (the same rule as ``TIME_TO_VERIFY``)."""
    return theme.verify_notified_at is not None and theme.status == ThemeStatus.HYPOTHESIS


def theme_url(theme: Theme) -> str:
    """The theme's admin page, absolute when ``settings.HUB_BASE_URL`` is set."""
    return settings.HUB_BASE_URL + theme.get_absolute_url()


def notify_time_to_verify(*, theme_ids: Iterable[int]) -> list[int]:
    """Tell the owner of each hypothesis of ``theme_ids`` that has reached ``THEME_VERIFY_AT`` items and was never told;
    returns the ids marked. One theme at a time, locked: two refreshes never mail twice, and a failed email leaves
    the theme unmarked so the next refresh tries again."""
    candidates = list(
        Theme.objects.filter(
            pk__in=list(theme_ids),
            verify_notified_at__isnull=True,
            feedback_count__gte=settings.THEME_VERIFY_AT,
            status=ThemeStatus.HYPOTHESIS,  # a theme already validated or being built has nothing left to verify
        ).values_list("pk", flat=True)
    )
    return [pk for pk in candidates if _notify(pk)]


def _notify(pk: int) -> bool:
    with transaction.atomic():
        theme = (
            Theme.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("owner")
            .filter(pk=pk, verify_notified_at__isnull=True)
            .first()
        )
        if theme is None:
            return False
        owner = theme.owner
        if owner is not None and owner.email:
            context = {
                "theme": theme,
                "owner_name": owner.get_short_name() or owner.get_username(),
                "steps": [step.label for step in VerificationStep],
                "url": theme_url(theme),
            }
            try:
                send_mail(
                    subject=f"Time to verify: {theme.name}",
                    message=render_to_string("themes/time_to_verify_email.txt", context),
                    from_email=None,
                    recipient_list=[owner.email],
                )
            except Exception:
                logger.exception("Could not tell %s it is time to verify theme %s (retried next refresh)", owner, pk)
                return False
        Theme.objects.filter(pk=pk).update(verify_notified_at=timezone.now())
        return True
