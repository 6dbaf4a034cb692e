"""Close the loop in the demo: ship the in-progress theme most customers asked for, run the close-the-loop handlers
right away (no worker needed), and have the account owners confirm about half of the older updates told, so the
customer updates list, the outbox and the "feedback addressed" figures all have something to show.

Also processes the events the demo's already-shipped themes and launches recorded when they were created: their
customers get their updates too. Called by ``load_demo`` after the themes, feedback and launches exist.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from feedbackhub import events
from launches import closing
from launches.choices import LaunchStatus
from launches.models import CustomerUpdate, CustomerUpdateStatus
from notifications.models import Notification
from themes import services as theme_services
from themes.choices import ThemeStatus
from themes.models import Theme, ThemeVerification

TOLD_SHARE = 2  # every second update of the themes shipped before today's is confirmed told


def load(stdout) -> None:
    """Ship one demo theme, close the loop for every shipped theme, confirm part of the updates told."""
    theme = (
        Theme.objects.filter(status=ThemeStatus.IN_PROGRESS)
        .annotate(customers=Count("feedback_items__customer", distinct=True))
        .filter(customers__gt=0)
        .order_by("-customers", "id")
        .first()
    )
    # What ships was verified before it was built (seed 001): the owners tick the steps left of the theme shipped
    # here and of the themes the demo's shipped launches ship (launches.closing ships a launch's themes).
    shipping = Q(launches__status=LaunchStatus.SHIPPED) | Q(pk=theme.pk if theme is not None else None)
    for step in ThemeVerification.objects.filter(
        theme__in=Theme.objects.filter(shipping), done_at__isnull=True
    ).select_related("theme__owner"):
        theme_services.set_step_done(step=step, done=True, user=step.theme.owner)
    if theme is not None:
        theme_services.ship_themes(theme_ids=[theme.pk])
    processed = 0
    while done := events.process_pending():
        processed += done
    older = CustomerUpdate.objects.filter(status=CustomerUpdateStatus.TO_TELL, owner__isnull=False)
    if theme is not None:
        older = older.exclude(theme=theme)
    by_owner: dict[int, list[int]] = defaultdict(list)
    for index, (pk, owner_id) in enumerate(older.order_by("id").values_list("pk", "owner_id")):
        if index % TOLD_SHARE == 0:
            by_owner[owner_id].append(pk)
    owners = get_user_model().objects.in_bulk(list(by_owner))
    for owner_id, ids in by_owner.items():
        closing.mark_told(updates=CustomerUpdate.objects.filter(pk__in=ids), user=owners[owner_id], at=timezone.now())
    told = Q(status=CustomerUpdateStatus.TOLD)
    counts = CustomerUpdate.objects.aggregate(total=Count("id"), told=Count("id", filter=told))
    shipped = f"shipped “{theme.name}”" if theme is not None else "no theme in progress to ship"
    stdout.write(
        f"Closed the loop: {shipped}; {processed} events processed; {counts['total']} customer updates "
        f"({counts['told']} told); {Notification.objects.count()} notifications in the outbox."
    )
