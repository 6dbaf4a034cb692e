"""The domain events the notifications app acts on (``feedbackhub.events``); each handler only enqueues outbox rows,
in the event's transaction: the messages exist if and only if the handlers' work commits."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from feedbackhub import events
from launches import selectors as launch_selectors
from launches.closing import CREATED_EVENT
from launches.models import CustomerUpdate
from notifications import services
from notifications.choices import Channel, Kind

MINE_QUERY = "?whose=mine"  # the customer updates changelist's "My customer updates" filter (launches admin)


def subscribe_all() -> None:
    """Called once from ``NotificationsConfig.ready``."""
    events.subscribe(CREATED_EVENT, customer_updates_created)


def hub_url(path: str) -> str:
    """A hub page's address, absolute when ``settings.HUB_BASE_URL`` is set."""
    return settings.HUB_BASE_URL + path


# --- Close the loop: a theme shipped ---------------------------------------------------------------------------------


def customer_updates_created(payload: dict) -> None:
    """``customer_updates.created`` {"theme_id", "launch_id", "update_ids"}: each account owner gets one email listing
    their customers to tell, and the product channel gets the changelog line (once per theme).

    Keys: ``changelog:theme:<id>`` (a re-ship is no second changelog line) and
    ``customer_updates:<theme>:<owner>:<first update id>``: one email per owner per closing run, so a re-ship that
    finds new customers tells their owner about them, while the same run processed twice mails nobody twice (its
    updates, hence its first id, are the same). Updates of customers with no account owner (or one who left, or has no
    email) go to the CS channel, so nobody is forgotten.
    """
    notice = launch_selectors.shipped_notice(
        theme_id=payload["theme_id"], launch_id=payload.get("launch_id"), update_ids=payload.get("update_ids", [])
    )
    if notice is None:
        return
    by_owner: dict[int | None, list[CustomerUpdate]] = defaultdict(list)
    for update in notice.updates:
        reachable = update.owner is not None and update.owner.is_active and update.owner.email
        by_owner[update.owner_id if reachable else None].append(update)
    for owner_id, updates in by_owner.items():
        if owner_id is None:
            _enqueue_unowned(notice, updates)
        else:
            _enqueue_owner_email(notice, updates)
    _enqueue_changelog(notice)


def _update_url(update: CustomerUpdate) -> str:
    return hub_url(reverse("admin:launches_customerupdate_change", args=[update.pk]))


def _enqueue_owner_email(notice: launch_selectors.ShippedNotice, updates: list[CustomerUpdate]) -> None:
    owner = updates[0].owner
    for update in updates:
        update.url = _update_url(update)
    count = len(updates)
    body = render_to_string(
        "notifications/customer_updates_email.txt",
        {
            "owner_name": owner.get_short_name() or owner.get_username(),
            "theme": notice.theme,
            "launch": notice.launch,
            "updates": updates,
            "due_on": min(update.due_on for update in updates),
            "mine_url": hub_url(reverse("admin:launches_customerupdate_changelist") + MINE_QUERY),
        },
    )
    services.enqueue(
        key=f"customer_updates:{notice.theme.pk}:{owner.pk}:{min(update.pk for update in updates)}",
        kind=Kind.CUSTOMER_UPDATE,
        channel=Channel.EMAIL,
        recipient=owner.email,
        subject=f"Tell {count} customer{'s' if count != 1 else ''}: “{notice.theme.name}” shipped",
        body=body,
    )


def _enqueue_unowned(notice: launch_selectors.ShippedNotice, updates: list[CustomerUpdate]) -> None:
    """Customers with nobody to tell them: CS picks them up (one message per closing run)."""
    shown = updates[:20]
    lines = [f"• {update.customer.name}: {_update_url(update)}" for update in shown]
    if len(updates) > len(shown):
        lines.append(f"… and {len(updates) - len(shown)} more")
    body = (
        f"“{notice.theme.name}” shipped and {len(updates)} customer{'s' if len(updates) != 1 else ''} who asked for "
        "it have no account owner to tell them (or the owner left or has no email). Customer updates to pick up:\n"
        + "\n".join(lines)
    )
    services.enqueue(
        key=f"customer_updates:{notice.theme.pk}:unowned:{min(update.pk for update in updates)}",
        kind=Kind.CUSTOMER_UPDATE,
        channel=Channel.SLACK,
        recipient=settings.CS_CHANNEL,
        body=body,
    )


def _enqueue_changelog(notice: launch_selectors.ShippedNotice) -> None:
    """The changelog line in the product channel: what shipped, with which launch, and how many customers hear."""
    theme, launch = notice.theme, notice.launch
    shipped = f"Shipped: {theme.name}" + (f" ({launch.name})" if launch else "")
    told = notice.customers_total
    if told:
        asked = f"{told} customer{'s' if told != 1 else ''} asked for it; their account owners are telling them."
    else:
        asked = "No customer feedback is linked to it."
    body = f"{shipped}. {asked} {hub_url(theme.get_absolute_url())}"
    services.enqueue(
        key=f"changelog:theme:{theme.pk}",
        kind=Kind.CHANGELOG,
        channel=Channel.SLACK,
        recipient=settings.PRODUCT_CHANNEL,
        body=body,
    )
