"""Close the loop (seed 001 "Automations to Set Up": status changes to Shipped → notify all linked customers via their
account owner; seed 002 "Launch to Customer Notification": feature ships → find all customers who requested it).

Whatever door ships a theme or a launch (admin form, list edit, bulk action, API, a Linear/GitHub webhook, a queryset
``update``), a database trigger records ``theme.shipped`` / ``launch.shipped`` (``feedbackhub.event_triggers``); the
handlers here run in the event's transaction (``feedbackhub.events.process``):

- every customer whose feedback is linked to the theme (directly, or through a duplicate merged into a linked item)
  gets one ``CustomerUpdate``: a task for their account owner with a due date and a drafted message;
- the linked feedback items move to Shipped, along the workflow's allowed steps;
- ``customer_updates.created`` is emitted for the notification side (the owners' emails, the changelog line).

Idempotent on the updates' unique (theme, customer): shipping twice tells no one twice, and a re-ship tells only the
customers who asked since. Set-based: a theme with 5,000 customers is a handful of queries, not 5,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from feedback import services as feedback_services
from feedback.choices import Category
from feedback.models import FeedbackItem
from feedbackhub import events
from launches.choices import LaunchStatus
from launches.models import CustomerUpdate, CustomerUpdateStatus, Launch
from themes import services as theme_services
from themes.choices import ThemeStatus
from themes.models import Theme

CREATED_EVENT = "customer_updates.created"
ASK_MAX_CHARS = 160  # the customer's words quoted in the drafted message: a reminder, not the whole ticket
BATCH_SIZE = 1000


def subscribe_handlers() -> None:
    """Called once from ``LaunchesConfig.ready``."""
    events.subscribe("theme.shipped", on_theme_shipped)
    events.subscribe("launch.shipped", on_launch_shipped)


def on_theme_shipped(payload: dict) -> None:
    """``theme.shipped`` {"theme_id", "at"}: close the loop for the theme."""
    close_loop(theme_id=payload["theme_id"], at=_moment(payload.get("at")))


def on_launch_shipped(payload: dict) -> None:
    """``launch.shipped`` {"launch_id", "at"}: ship the launch's themes and close the loop for each."""
    ship_launch(launch_id=payload["launch_id"], at=_moment(payload.get("at")))


def _moment(value: str | None) -> datetime:
    """The event's time (the trigger's ``now()``, as JSON text), or now when an event has none."""
    return (parse_datetime(value) if value else None) or timezone.now()


# --- Shipping ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoopClosed:
    """What closing the loop for one theme did."""

    theme_id: int
    update_ids: list[int]
    items_shipped: int


@transaction.atomic
def close_loop(*, theme_id: int, at: datetime, launch: Launch | None = None) -> LoopClosed | None:
    """Tell every customer who asked for theme ``theme_id`` that it shipped (``at``); returns what was done, or None
    when the theme is gone or no longer shipped (reopened before the event was processed: nobody is told).

    ``launch`` is the launch that shipped it; by default the theme's latest shipped launch, if any. The theme row is
    locked: a theme's and a launch's events processed at once by two workers create each update once.
    """
    theme = Theme.objects.select_for_update().filter(pk=theme_id).first()
    if theme is None or theme.status != ThemeStatus.SHIPPED:
        return None
    if theme.shipped_at is None:
        theme.shipped_at = at
        Theme.objects.filter(pk=theme.pk).update(shipped_at=at)
    if launch is None:
        launch = theme.launches.filter(status=LaunchStatus.SHIPPED).order_by("-shipped_on", "-id").first()
    due_on = timezone.localdate() + timedelta(days=settings.CUSTOMER_UPDATE_DUE_DAYS)
    updates = [
        CustomerUpdate(
            theme=theme,
            launch=launch,
            customer_id=ask.customer_id,
            owner_id=ask.owner_id,
            feedback_count=ask.feedback_count,
            first_asked_at=ask.first_asked_at,
            message=draft_message(ask=ask, theme=theme, launch=launch),
            due_on=due_on,
        )
        for ask in new_requesters(theme_id=theme.pk)
    ]
    CustomerUpdate.objects.bulk_create(updates, batch_size=BATCH_SIZE)  # the theme lock: no other run adds these
    shipped = feedback_services.ship_feedback(items=theme_feedback(theme_id=theme.pk))
    update_ids = [update.pk for update in updates]
    events.emit(
        CREATED_EVENT,
        key=f"{CREATED_EVENT}:theme:{theme.pk}:{at.isoformat()}",
        theme_id=theme.pk,
        launch_id=launch.pk if launch else None,
        update_ids=update_ids,
    )
    return LoopClosed(theme_id=theme.pk, update_ids=update_ids, items_shipped=shipped)


@transaction.atomic
def ship_launch(*, launch_id: int, at: datetime) -> list[LoopClosed]:
    """A launch shipped: its themes ship too, and every customer who asked for one of them is told, the launch named.

    Why the themes are shipped rather than only told about: seed 002's notification starts from "Feature ships" and
    seed 001's from a theme whose status changes to Shipped; a launch is how a theme's work reaches customers. A
    theme left "in progress" after its launch shipped would tell customers one thing and the hub another (the
    leadership view, the feedback-to-ship time, the items' status). A launch that only starts on a theme should
    not list it. Nothing is done when the launch is gone or was un-shipped before the event was processed.
    """
    launch = Launch.objects.filter(pk=launch_id).first()
    if launch is None or launch.status != LaunchStatus.SHIPPED:
        return []
    theme_ids = list(  # locked in id order, as every closing run takes them: two runs never deadlock
        Theme.objects.select_for_update(of=("self",))
        .filter(launches=launch)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    theme_services.ship_themes(theme_ids=theme_ids)
    return [closed for pk in theme_ids if (closed := close_loop(theme_id=pk, at=at, launch=launch))]


# --- Who asked ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """One customer who asked for a theme: their items, when they first asked, and the words the message quotes."""

    customer_id: int
    company: str
    language: str
    owner_id: int | None
    owner_name: str
    feedback_count: int
    first_asked_at: datetime
    first_words: str


def theme_feedback(*, theme_id: int) -> QuerySet[FeedbackItem]:
    """The feedback items of a theme: those linked to it and the duplicates merged into them (a duplicate's customer
    asked for the same thing, even when the merge left the duplicate itself unlinked)."""
    linked = FeedbackItem.themes.through.objects.filter(theme_id=theme_id).values("feedbackitem_id")
    return FeedbackItem.objects.filter(Q(pk__in=linked) | Q(duplicate_of_id__in=linked))


REQUESTERS_SQL = """
WITH linked AS (
    SELECT feedbackitem_id AS id FROM {links} WHERE theme_id = %(theme)s
), asks AS (
    SELECT item.id, item.customer_id, item.received_at, item.verbatim, item.category
    FROM {items} AS item
    WHERE item.customer_id IS NOT NULL
      AND (item.id IN (SELECT id FROM linked) OR item.duplicate_of_id IN (SELECT id FROM linked))
), per_customer AS (
    SELECT customer_id, count(*) AS n, min(received_at) AS first_at,
           (array_agg(left(verbatim, 1000) ORDER BY category = %(praise)s, received_at, id))[1] AS first_words
    FROM asks
    WHERE NOT EXISTS (SELECT 1 FROM {updates} AS u WHERE u.theme_id = %(theme)s AND u.customer_id = asks.customer_id)
    GROUP BY customer_id
)
SELECT customer.id, customer.name, customer.language, customer.account_owner_id,
       coalesce(nullif(owner.first_name, ''), owner.username, ''),
       per_customer.n, per_customer.first_at, per_customer.first_words
FROM per_customer
JOIN {customers} AS customer ON customer.id = per_customer.customer_id
LEFT JOIN {users} AS owner ON owner.id = customer.account_owner_id
ORDER BY customer.id
"""


def new_requesters(*, theme_id: int) -> list[Ask]:
    """The customers who asked for theme ``theme_id`` and have no update for it yet, one statement. Their words quoted
    are their earliest ask that is not praise (a thank-you is no ask), else their earliest item."""
    owner_field = CustomerUpdate._meta.get_field("owner")
    sql = REQUESTERS_SQL.format(
        links=FeedbackItem.themes.through._meta.db_table,
        items=FeedbackItem._meta.db_table,
        updates=CustomerUpdate._meta.db_table,
        customers=CustomerUpdate._meta.get_field("customer").related_model._meta.db_table,
        users=owner_field.related_model._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"theme": theme_id, "praise": Category.PRAISE.value})
        return [Ask(*row) for row in cursor.fetchall()]


# --- The feedback moves to Shipped ---------------------------------------------------------------------------------


# --- The drafted message -------------------------------------------------------------------------------------------

MESSAGES = {
    "en": {
        "greeting": "Hi {company} team,",
        "asked": "On {date} you told us: “{words}”",
        "asked_many": "You raised this with us {count} times since {date}, for example: “{words}”",
        "shipped": "Good news: it has shipped. “{theme}” is now available to you.",
        "launch": "It is part of {launch}.",
        "changelog": "The details are in our changelog: {url}",
        "thanks": "Thank you for telling us: your feedback shaped what we built. Reply to this message if anything "
        "still gets in your way.",
        "sign": "Best regards,",
    },
    "fr": {
        "greeting": "Bonjour à l'équipe {company},",
        "asked": "Le {date}, vous nous avez écrit : « {words} »",
        "asked_many": "Vous nous en avez parlé {count} fois depuis le {date}, par exemple : « {words} »",
        "shipped": "Bonne nouvelle : c'est livré. « {theme} » est désormais disponible pour vous.",
        "launch": "Cela fait partie de {launch}.",
        "changelog": "Tous les détails sont dans notre journal des modifications : {url}",
        "thanks": "Merci de nous l'avoir signalé : vos retours ont orienté ce que nous avons construit. Répondez à ce "
        "message si quelque chose vous gêne encore.",
        "sign": "Bien cordialement,",
    },
    "de": {
        "greeting": "Hallo {company}-Team,",
        "asked": "Am {date} haben Sie uns geschrieben: „{words}“",
        "asked_many": "Sie haben uns seit dem {date} {count}-mal darauf angesprochen, zum Beispiel: „{words}“",
        "shipped": "Gute Nachricht: Es ist ausgeliefert. „{theme}“ steht Ihnen jetzt zur Verfügung.",
        "launch": "Es ist Teil von {launch}.",
        "changelog": "Die Details stehen in unserem Changelog: {url}",
        "thanks": "Danke für Ihr Feedback: Es hat mitbestimmt, was wir gebaut haben. Antworten Sie einfach auf diese "
        "Nachricht, wenn Sie noch etwas behindert.",
        "sign": "Viele Grüße",
    },
    "es": {
        "greeting": "Hola, equipo de {company}:",
        "asked": "El {date} nos dijeron: «{words}»",
        "asked_many": "Nos lo han comentado {count} veces desde el {date}, por ejemplo: «{words}»",
        "shipped": "Buenas noticias: ya está disponible. «{theme}» ya está a su disposición.",
        "launch": "Forma parte de {launch}.",
        "changelog": "Tienen todos los detalles en nuestro registro de cambios: {url}",
        "thanks": "Gracias por contárnoslo: sus comentarios han dado forma a lo que hemos construido. Respondan a este "
        "mensaje si algo todavía les supone un obstáculo.",
        "sign": "Un saludo,",
    },
}
DATE_FORMATS = {"en": "{d:%B} {d.day}, {d.year}", "fr": "{d:%d/%m/%Y}", "de": "{d:%d.%m.%Y}", "es": "{d:%d/%m/%Y}"}


def short_words(text: str, limit: int = ASK_MAX_CHARS) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters (an ellipsis says it was cut)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:.") + "…"


def draft_message(*, ask: Ask, theme: Theme, launch: Launch | None) -> str:
    """The message the account owner sends (and edits first): the company, what they asked in their own words, what
    shipped, the launch and the changelog link when there are, in the customer's language when it is English,
    French, German or Spanish (English otherwise)."""
    language = ask.language if ask.language in MESSAGES else "en"
    text = MESSAGES[language]
    asked = DATE_FORMATS[language].format(d=timezone.localtime(ask.first_asked_at).date())
    lines = [text["greeting"].format(company=ask.company), ""]
    words = short_words(ask.first_words)
    if ask.feedback_count > 1:
        lines.append(text["asked_many"].format(count=ask.feedback_count, date=asked, words=words))
    else:
        lines.append(text["asked"].format(date=asked, words=words))
    shipped = text["shipped"].format(theme=theme.name)
    if launch is not None:
        shipped += " " + text["launch"].format(launch=launch.name)
    lines += ["", shipped]
    if settings.CHANGELOG_URL:
        lines.append(text["changelog"].format(url=settings.CHANGELOG_URL))
    lines += ["", text["thanks"], "", text["sign"]]
    if ask.owner_name:
        lines.append(ask.owner_name)
    return "\n".join(lines)


# --- The owner's confirmation ----------------------------------------------------------------------------------------


def mark_told(*, updates: QuerySet[CustomerUpdate], user, at: datetime | None = None) -> int:
    """Record that the customers of ``updates`` were told, by ``user``, at ``at`` (default now); returns how many.

    Updates to tell and skipped ones can be marked told (an owner told them after all); told ones keep their date.
    """
    return updates.filter(status__in=[CustomerUpdateStatus.TO_TELL, CustomerUpdateStatus.SKIPPED]).update(
        status=CustomerUpdateStatus.TOLD, told_at=at or timezone.now(), told_by=user
    )


def skip(*, updates: QuerySet[CustomerUpdate]) -> int:
    """Close updates to tell without telling (the customer churned, was told another way); returns how many.

    Told updates stay told: telling cannot be taken back.
    """
    return updates.filter(status=CustomerUpdateStatus.TO_TELL).update(status=CustomerUpdateStatus.SKIPPED)


def edit_message(*, update: CustomerUpdate, message: str) -> CustomerUpdate:
    """Save the owner's wording of the drafted message."""
    update.message = message
    update.save(update_fields=["message"])
    return update
