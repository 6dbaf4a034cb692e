"""Feedback items (one per thing a customer said, wherever they said it) and their embeddings."""

from __future__ import annotations

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Cast, Upper
from django.urls import reverse
from pgvector.django import HnswIndex, VectorField

from feedback.choices import (
    Category,
    Priority,
    Product,
    ProductArea,
    Sentiment,
    Severity,
    Source,
    Status,
    TimeMaturity,
    UsageMaturity,
)

# Vector sizes the store can index: one partial HNSW index each (offline MiniLM 384, mistral-embed 1024).
INDEXED_DIMENSIONS = (384, 1024)


class FeedbackQuerySet(models.QuerySet):
    """Domain filters for feedback."""

    def open(self) -> FeedbackQuerySet:
        """Items still in the loop (not shipped, not declined)."""
        return self.exclude(status__in=[Status.SHIPPED, Status.WONT_DO])

    def untriaged(self) -> FeedbackQuerySet:
        """Items the triage has not processed yet."""
        return self.filter(triaged_at__isnull=True)

    def originals(self) -> FeedbackQuerySet:
        """Items that are not marked as a duplicate of another."""
        return self.filter(duplicate_of__isnull=True)


@pghistory.track(
    pghistory.UpdateEvent("before_update", row=pghistory.Old),
    pghistory.DeleteEvent("before_delete"),
    exclude=["raw_payload", "updated_at", "created_at"],
    model_name="FeedbackItemHistory",
)
class FeedbackItem(models.Model):
    """One piece of customer feedback, enriched by triage and linked to its customer and themes."""

    received_at = models.DateTimeField(help_text="When the customer said it (not when it was imported).")
    source = models.CharField(max_length=16, choices=Source.choices)
    source_id = models.CharField("source id", max_length=255, help_text="Id of the item in its source system.")
    source_url = models.URLField(max_length=500, blank=True)
    verbatim = models.TextField(help_text="The customer's exact words.")
    summary = models.CharField(max_length=300, blank=True, help_text="One-line distillation.")
    reporter_email = models.EmailField(blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="feedback_items"
    )
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    product = models.CharField("product / model", max_length=20, choices=Product.choices, blank=True)
    product_area = models.CharField(max_length=20, choices=ProductArea.choices, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True, help_text="-1 (very negative) to 1 (very positive).")
    sentiment_label = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    themes = models.ManyToManyField("themes.Theme", blank=True, related_name="feedback_items")
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    raw_payload = models.JSONField(default=dict, blank=True, help_text="The payload as the source sent it.")
    language = models.CharField(max_length=8, blank=True, help_text="ISO 639-1 code, detected by triage.")
    churn_signal = models.BooleanField(default=False, help_text="Risk scoring: the customer hints at leaving.")
    competitors = ArrayField(
        models.CharField(max_length=50), default=list, blank=True, help_text="Competitors the customer mentions."
    )
    jtbd = models.TextField(
        "job to be done", blank=True, help_text="For a feature request: the need above the request (seed 001)."
    )
    human_fields = ArrayField(
        models.CharField(max_length=30),
        default=list,
        blank=True,
        editable=False,
        help_text="Triage fields a person set: triage never overwrites them.",
    )
    source_item = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="extracts",
        help_text="The transcript or thread this item was cut out of.",
    )
    feature = models.CharField(
        max_length=100,
        blank=True,
        db_default="",
        help_text="The feature it is about, as the product names it (in-product capture).",
    )
    tenure_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days the customer had been with us when they said it (at capture)."
    )
    time_maturity = models.CharField(
        "maturity (time)",
        max_length=4,
        choices=TimeMaturity.choices,
        blank=True,
        db_default="",
        help_text="From tenure_days.",
    )
    feature_uses = models.PositiveIntegerField(
        null=True, blank=True, help_text="Times the customer had used the feature when they said it (at capture)."
    )
    usage_maturity = models.CharField(
        "maturity (usage)",
        max_length=4,
        choices=UsageMaturity.choices,
        blank=True,
        db_default="",
        help_text="From feature_uses.",
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        get_latest_by = "received_at"
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="feedback_unique_source_item"),
            models.CheckConstraint(
                condition=models.Q(sentiment_score__gte=-1, sentiment_score__lte=1)
                | models.Q(sentiment_score__isnull=True),
                name="feedback_sentiment_score_range",
            ),
            models.CheckConstraint(condition=~models.Q(duplicate_of=models.F("id")), name="feedback_not_own_duplicate"),
            models.CheckConstraint(condition=~models.Q(verbatim=""), name="feedback_verbatim_not_empty"),
        ]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="feedback_received_idx"),
            *[
                models.Index(fields=[column, "-received_at", "-id"], name=f"feedback_{column}_idx")
                for column in (
                    "status",
                    "category",
                    "source",
                    "product",
                    "product_area",
                    "severity",
                    "priority",
                    "sentiment_label",
                    "time_maturity",
                    "usage_maturity",
                )
            ],
            models.Index(fields=["customer", "-received_at", "-id"], name="feedback_customer_idx"),
            models.Index(fields=["language", "-received_at", "-id"], name="feedback_language_idx"),
            models.Index(
                fields=["-received_at", "-id"], name="feedback_churn_idx", condition=models.Q(churn_signal=True)
            ),
            models.Index(
                fields=["source_item"], name="feedback_source_item_idx", condition=models.Q(source_item__isnull=False)
            ),
            models.Index(fields=["product", "status", "-received_at", "-id"], name="feedback_board_idx"),  # PM board
            models.Index(fields=["-sentiment_score"], name="feedback_sentiment_score_idx"),
            models.Index(
                fields=["created_at"], name="feedback_untriaged_idx", condition=models.Q(triaged_at__isnull=True)
            ),
            models.Index(Upper("source_id"), name="feedback_source_id_upper_idx"),  # admin search "=source_id"
            GinIndex(fields=["tags"], name="feedback_tags_gin"),
            GinIndex(fields=["human_fields"], name="feedback_human_fields_gin"),  # PMs' corrections (retraining)
            GinIndex(OpClass(Upper("verbatim"), name="gin_trgm_ops"), name="feedback_verbatim_trgm"),
            GinIndex(OpClass(Upper("summary"), name="gin_trgm_ops"), name="feedback_summary_trgm"),
        ]
        # The vectors keep a copy of received_at for windowed similarity lookups without a join; a new date from any
        # door (an ingest re-delivery, an import, the admin, a queryset update) reaches the copy in the same statement.
        triggers = [
            pgtrigger.Trigger(
                name="feedback_received_at_to_vectors",
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf("received_at"),
                condition=pgtrigger.Condition("OLD.received_at IS DISTINCT FROM NEW.received_at"),
                func="""
                    UPDATE feedback_feedbackembedding SET received_at = NEW.received_at WHERE feedback_id = NEW.id;
                    RETURN NULL;
                """,
            ),
            # Likewise the customer and product, which Ask the hub's segment and product filters read on the vector
            # row (insights/ask_retrieval.py): a reassigned customer or a corrected product reaches every copy.
            pgtrigger.Trigger(
                name="feedback_filters_to_vectors",
                when=pgtrigger.After,
                operation=pgtrigger.UpdateOf("customer_id", "product"),
                condition=pgtrigger.Condition(
                    "OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.product IS DISTINCT FROM NEW.product"
                ),
                func="""
                    UPDATE feedback_feedbackembedding SET customer_id = NEW.customer_id, product = NEW.product
                    WHERE feedback_id = NEW.id;
                    RETURN NULL;
                """,
            ),
        ]

    def __str__(self) -> str:
        text = self.summary or self.verbatim
        return text if len(text) <= 80 else f"{text[:79]}…"

    def get_absolute_url(self) -> str:
        return reverse("admin:feedback_feedbackitem_change", args=[self.pk])


class EmbeddingSpace(models.Model):
    """A vector space (provider, model, dimensions): vectors of different spaces are never compared."""

    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=100)
    dimensions = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "model"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "model", "dimensions"], name="embedding_space_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} ({self.dimensions}-d)"


class FeedbackEmbedding(models.Model):
    """The vector of one feedback item in one space; switching provider re-embeds into a new space."""

    feedback = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="embeddings")
    space = models.ForeignKey(
        EmbeddingSpace, on_delete=models.CASCADE, related_name="embeddings", db_index=False
    )  # (space, feedback) index serves lookups by space
    dimensions = models.PositiveSmallIntegerField(
        help_text="Copy of the space's size: the partial HNSW indexes are chosen by it."
    )
    vector = VectorField()
    received_at = models.DateTimeField(
        null=True, help_text="Copy of the item's received_at: windowed similarity lookups filter on it without a join."
    )
    customer_id = models.BigIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Copy of the item's customer (set by the database): segment filters read it without a join.",
    )
    product = models.CharField(
        max_length=20,
        null=True,
        blank=True,
        editable=False,
        help_text="Copy of the item's product (set by the database); NULL: a row stored before the copy existed, "
        "not backfilled yet (manage.py backfill_vector_filters), so its customer_id is unknown too.",
    )
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the text embedded; a change re-embeds.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["space", "feedback"]
        constraints = [
            models.UniqueConstraint(fields=["feedback", "space"], name="embedding_unique_feedback_space"),
            models.CheckConstraint(
                condition=models.Q(dimensions=models.Func(models.F("vector"), function="vector_dims")),
                name="embedding_dimensions_match_vector",
            ),
        ]
        indexes = [
            models.Index(fields=["space", "feedback"], name="embedding_space_feedback_idx"),
            *[
                HnswIndex(
                    OpClass(Cast("vector", output_field=VectorField(dimensions=size)), name="vector_cosine_ops"),
                    name=f"embedding_hnsw_{size}",
                    m=16,
                    ef_construction=64,
                    condition=models.Q(dimensions=size),
                )
                for size in INDEXED_DIMENSIONS
            ],
            # Ask the hub's exact scans of a small segment or product (with dates): a bitmap of the matching rows.
            models.Index(fields=["customer_id", "product", "received_at"], name="embedding_segment_idx"),
            models.Index(fields=["product", "received_at"], name="embedding_product_idx"),  # also finds NULL: uncopied
        ]
        # Every door that stores a vector (store_embedding, triage's batch upsert, COPY, an evaluation's scratch rows)
        # gets the item's customer and product copied by the database; no writer can forget them. No lock is taken
        # on the item (a share lock there deadlocks two triages of one batch); a customer change committed in the
        # very instant a vector of the same item is inserted can leave that copy stale: backfill_vector_filters
        # compares every copy with its item and repairs it.
        triggers = [
            pgtrigger.Trigger(
                name="embedding_copy_item_filters",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("feedback_id"),
                func="""
                    SELECT customer_id, product INTO NEW.customer_id, NEW.product
                    FROM feedback_feedbackitem WHERE id = NEW.feedback_id;
                    RETURN NEW;
                """,
            )
        ]

    def __str__(self) -> str:
        return f"{self.feedback_id} in {self.space}"


class BugReport(FeedbackItem):
    """Engineering's view of feedback: bugs only, by severity and customer impact."""

    class Meta:
        proxy = True
        verbose_name = "bug"
        verbose_name_plural = "engineering view: bugs"


class AccountFeedback(FeedbackItem):
    """Sales/CS's view of feedback: the items of the accounts a person owns, with the status of what they asked."""

    class Meta:
        proxy = True
        verbose_name = "feedback from my accounts"
        verbose_name_plural = "sales view: my accounts' feedback"


class ProductBoard(FeedbackItem):
    """The PM's board: one product's feedback as a kanban by status, verbatims on the cards."""

    class Meta:
        proxy = True
        verbose_name = "product board"
        verbose_name_plural = "PM view: product board"


class Merge(models.Model):
    """Duplicates merged into a parent item, with what each row was before, so the merge can be undone exactly."""

    parent = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="merges")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    before = models.JSONField(
        default=dict, help_text="Each moved item's previous original, and the parent's themes before the merge."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["parent", "-created_at"], name="feedback_merge_parent_idx")]

    def __str__(self) -> str:
        return f"{len(self.before.get('items', {}))} item(s) merged into #{self.parent_id}"

    def get_absolute_url(self) -> str:
        return reverse("admin:feedback_merge_change", args=[self.pk])


class TriageRecord(models.Model):
    """What one provider concluded about one item, and which of it was applied (none in shadow mode)."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        SHADOW = "shadow", "Shadow (not applied)"
        NEEDS_REVIEW = "needs_review", "Needs a person (text the provider cannot read well)"

    feedback = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="triage_records")
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=100)
    version = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    applied_fields = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    confidence = models.FloatField(null=True, blank=True, help_text="The category's probability (0..1).")
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    priority_reason = models.CharField(max_length=300, blank=True, help_text="How the priority formula got there.")
    product = models.CharField(max_length=20, choices=Product.choices, blank=True)
    product_area = models.CharField(max_length=20, choices=ProductArea.choices, blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    language = models.CharField(max_length=8, blank=True)
    churn_signal = models.BooleanField(default=False)
    competitors = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    jtbd = models.TextField(blank=True)
    summary = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True, help_text="What went wrong or was worked around (a fallback, a language).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["feedback", "-created_at"], name="triage_feedback_idx"),
            models.Index(fields=["-created_at"], name="triage_created_idx"),
            models.Index(  # the admin's "Needs a person" list: few rows, found without reading every record
                fields=["feedback"],
                name="triage_needs_review_idx",
                condition=models.Q(outcome="needs_review"),
            ),
        ]

    def __str__(self) -> str:
        return f"triage of #{self.feedback_id} by {self.provider}/{self.model}"


class FieldOverride(models.Model):
    """A person changed a field the AI had set: the AI's value, the person's, who and when (seed 002)."""

    feedback = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="overrides")
    triage = models.ForeignKey(TriageRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    field = models.CharField(max_length=30)
    ai_value = models.CharField(max_length=300, blank=True)
    human_value = models.CharField(max_length=300, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["field", "-created_at"], name="override_field_idx"),
            models.Index(fields=["feedback", "field"], name="override_feedback_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.field} of #{self.feedback_id}: {self.ai_value or '—'} → {self.human_value or '—'}"


class ClassifierVersion(models.Model):
    """One trained offline category classifier: the seed set plus the PMs' corrections at the time it was trained."""

    version = models.CharField(max_length=100, unique=True)
    blob = models.BinaryField(help_text="The trained model (ai.classifier.Classifier.to_bytes()).")
    n_examples = models.PositiveIntegerField(default=0)
    n_corrections = models.PositiveIntegerField(default=0, help_text="Examples that came from PMs' corrections.")
    metrics = models.JSONField(default=dict, blank=True, help_text="Held-out figures measured when it was trained.")
    active = models.BooleanField(default=False, help_text="The one triage uses; one at a time.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=models.Q(active=True), name="classifier_one_active"),
        ]

    def __str__(self) -> str:
        return f"classifier {self.version}"


class DuplicateSuggestion(models.Model):
    """A similar older item found for a new one: a suggested duplicate (a PM confirms or rejects it) or related."""

    class Kind(models.TextChoices):
        DUPLICATE = "duplicate", "Suggested duplicate"
        RELATED = "related", "Related"

    class Decision(models.TextChoices):
        PENDING = "pending", "To review"
        CONFIRMED = "confirmed", "Confirmed (merged)"
        REJECTED = "rejected", "Rejected"

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="duplicate_suggestions")
    parent = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="suggested_duplicates")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    similarity = models.FloatField(help_text="Cosine similarity in the space below.")
    space = models.ForeignKey(EmbeddingSpace, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    merge = models.ForeignKey(Merge, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "parent"], name="duplicate_suggestion_unique"),
            models.CheckConstraint(condition=~models.Q(item=models.F("parent")), name="duplicate_suggestion_not_self"),
        ]
        indexes = [
            models.Index(fields=["kind", "decision", "-created_at"], name="dup_suggestion_queue_idx"),
            models.Index(fields=["parent"], name="dup_suggestion_parent_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.item_id} {self.get_kind_display().lower()} of #{self.parent_id} ({self.similarity:.2f})"
