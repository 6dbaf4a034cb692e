"""Launches, their checklist templates per launch type, and the per-team checklist of each launch."""

from __future__ import annotations

from datetime import date

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Upper
from django.urls import reverse

from feedbackhub.event_triggers import status_event
from launches.choices import LAUNCH_TYPE_COMPLEXITY, ChecklistTeam, Complexity, LaunchStatus, LaunchTeam, LaunchType

EARLIEST_TARGET = date(2000, 1, 1)  # a launch date outside this century is a typo (and its due dates would not fit)
LATEST_TARGET = date(2099, 12, 31)


def _count(items: models.QuerySet) -> Coalesce:
    """How many of ``items`` (filtered on ``OuterRef("pk")``) each launch has: a correlated subquery, no GROUP BY."""
    counted = items.order_by().values("launch").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


class LaunchQuerySet(models.QuerySet):
    """Domain filters and annotations for launches."""

    def with_progress(self, *, today) -> LaunchQuerySet:
        """Annotate checklist progress: ``items_total``, ``items_done``, ``items_overdue`` (open, due before today)."""
        items = ChecklistItem.objects.filter(launch=OuterRef("pk"))
        return self.annotate(
            items_total=_count(items),
            items_done=_count(items.filter(done_at__isnull=False)),
            items_overdue=_count(items.overdue(today)),
        )

    def touching_year(self, year: int) -> LaunchQuerySet:
        """Launches due in ``year``, or started by its end and due later (their span crosses into the year)."""
        first, last = date(year, 1, 1), date(year, 12, 31)
        return self.filter(Q(target_date__range=(first, last)) | Q(target_date__gt=last, start_date__lte=last))


@pghistory.track(
    pghistory.UpdateEvent("before_update", row=pghistory.Old),
    pghistory.DeleteEvent("before_delete"),
    exclude=["tracker_states", "updated_at", "created_at"],
    model_name="LaunchHistory",
)
class Launch(models.Model):
    """Something that ships: a model, an API change, a feature; it closes the loop for its themes."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    launch_type = models.CharField(max_length=24, choices=LaunchType.choices)
    status = models.CharField(max_length=10, choices=LaunchStatus.choices, default=LaunchStatus.IN_DEV)
    team = models.CharField("owning team", max_length=12, choices=LaunchTeam.choices, default=LaunchTeam.ENGINEERING)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_launches"
    )
    start_date = models.DateField(null=True, blank=True, help_text="When work started.")
    target_date = models.DateField(
        help_text="Planned launch date; checklist due dates count back from it.",
        validators=[MinValueValidator(EARLIEST_TARGET), MaxValueValidator(LATEST_TARGET)],
    )
    shipped_on = models.DateField(null=True, blank=True)
    themes = models.ManyToManyField("themes.Theme", blank=True, related_name="launches")
    tracker_keys = ArrayField(
        models.CharField(max_length=64), default=list, blank=True, help_text="Linear/Jira/GitHub keys, e.g. LIN-142."
    )
    tracker_states = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Each tracker issue's state as its tracker last reported it: {key: {state, at}}.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LaunchQuerySet.as_manager()

    class Meta:
        ordering = ["target_date", "id"]
        verbose_name_plural = "launches"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True) | models.Q(start_date__lte=models.F("target_date")),
                name="launch_start_before_target",
                violation_error_message="The start date must be on or before the target date.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=LaunchStatus.SHIPPED) | models.Q(shipped_on__isnull=False),
                name="launch_shipped_has_date",
                violation_error_message="A shipped launch needs its shipped-on date.",
            ),
        ]
        indexes = [
            models.Index(fields=["target_date", "id"], name="launch_target_idx"),
            models.Index(fields=["status", "target_date", "id"], name="launch_status_idx"),
            models.Index(fields=["team", "target_date", "id"], name="launch_team_idx"),
            models.Index(fields=["launch_type", "target_date", "id"], name="launch_type_idx"),
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="launch_name_trgm"),
            GinIndex(OpClass(Upper("description"), name="gin_trgm_ops"), name="launch_description_trgm"),
        ]
        # Shipping a launch closes the loop for its themes' customers (launches.closing), whichever door shipped it.
        triggers = [
            status_event(name="launch_shipped_event", event="launch.shipped", status="shipped", id_key="launch_id")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:launches_launch_change", args=[self.pk])

    @property
    def complexity(self) -> Complexity:
        """The checklist weight of this launch's type."""
        return LAUNCH_TYPE_COMPLEXITY[LaunchType(self.launch_type)]

    @property
    def items_open(self) -> int:
        """Checklist items not ticked yet (needs ``with_progress``)."""
        return self.items_total - self.items_done

    @property
    def progress_percent(self) -> int:
        """Share of the checklist ticked, 0–100, rounded down (needs ``with_progress``; 0 for an empty checklist)."""
        return self.items_done * 100 // self.items_total if self.items_total else 0

    @property
    def shipped_with_open_items(self) -> bool:
        """Honest data: shipped while part of its checklist is still open (needs ``with_progress``)."""
        return self.status == LaunchStatus.SHIPPED and self.items_open > 0


class ChecklistTemplate(models.Model):
    """The checklist every launch of one type starts from."""

    launch_type = models.CharField(max_length=24, choices=LaunchType.choices, unique=True)
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["launch_type"]

    def __str__(self) -> str:
        return f"{self.get_launch_type_display()} checklist"


class ChecklistTemplateItem(models.Model):
    """One item of a template, for one team."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    team = models.CharField(max_length=12, choices=ChecklistTeam.choices)
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    due_days_before = models.PositiveSmallIntegerField(
        default=0, help_text="Due this many days before the target date of the launch."
    )

    class Meta:
        ordering = ["template", "team", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "team", "title"], name="checklist_template_item_unique"),
        ]
        indexes = [models.Index(fields=["template", "team", "position"], name="checklist_template_order_idx")]

    def __str__(self) -> str:
        return f"{self.get_team_display()}: {self.title}"


class ChecklistItemQuerySet(models.QuerySet):
    """Domain filters for checklist items."""

    def open(self) -> ChecklistItemQuerySet:
        """Items not ticked yet."""
        return self.filter(done_at__isnull=True)

    def overdue(self, today) -> ChecklistItemQuerySet:
        """Open items past their due date."""
        return self.open().filter(due_date__lt=today)


@pghistory.track(
    pghistory.UpdateEvent("before_update", row=pghistory.Old),
    pghistory.DeleteEvent("before_delete"),
    model_name="ChecklistItemHistory",
)
class ChecklistItem(models.Model):
    """One item of one launch's checklist, ticked by its team."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="checklist_items")
    team = models.CharField(max_length=12, choices=ChecklistTeam.choices)
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    template_item = models.ForeignKey(
        ChecklistTemplateItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="checklist_items"
    )
    due_date = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ChecklistItemQuerySet.as_manager()

    class Meta:
        ordering = ["launch", "team", "position"]
        constraints = [
            models.UniqueConstraint(fields=["launch", "team", "title"], name="checklist_item_unique_title"),
            models.CheckConstraint(
                condition=models.Q(done_by__isnull=True) | models.Q(done_at__isnull=False),
                name="checklist_item_done_by_needs_done_at",
            ),
        ]
        indexes = [
            models.Index(fields=["launch", "team", "position"], name="checklist_item_order_idx"),
            models.Index(
                fields=["due_date"], name="checklist_item_open_due_idx", condition=models.Q(done_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.launch} · {self.get_team_display()}: {self.title}"

    @property
    def is_done(self) -> bool:
        """Whether the item has been ticked."""
        return self.done_at is not None


class CustomerUpdateStatus(models.TextChoices):
    TO_TELL = "to_tell", "To tell"
    TOLD = "told", "Told"
    SKIPPED = "skipped", "Skipped"


class CustomerUpdate(models.Model):
    """Close the loop (seeds 001, 002): a customer whose feedback is in a shipped theme hears about it from their
    account owner. A task with a due date, a drafted message, and the owner's "told" confirmation.

    One per (theme, customer): shipping twice, or a launch and its theme both shipping, tells a customer once.
    """

    theme = models.ForeignKey("themes.Theme", on_delete=models.CASCADE, related_name="customer_updates")
    launch = models.ForeignKey(
        Launch,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer_updates",
        help_text="The launch that shipped it, when a launch did.",
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="customer_updates")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer_updates",
        help_text="The account owner who tells the customer.",
    )
    feedback_count = models.PositiveIntegerField(default=0, help_text="How many of the customer's items the theme has.")
    first_asked_at = models.DateTimeField(null=True, blank=True, help_text="The customer's earliest linked feedback.")
    message = models.TextField(help_text="The drafted message; the owner edits it before sending.")
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=CustomerUpdateStatus.choices, default=CustomerUpdateStatus.TO_TELL)
    told_at = models.DateTimeField(null=True, blank=True)
    told_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["theme", "customer"], name="customer_update_once_per_theme"),
            models.CheckConstraint(
                condition=~models.Q(status="told") | models.Q(told_at__isnull=False),
                name="customer_update_told_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="customer_update_owner_idx"),
            models.Index(fields=["status", "due_on", "id"], name="customer_update_due_idx"),
            models.Index(fields=["customer", "-created_at"], name="customer_update_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"Tell {self.customer} about {self.theme}"
