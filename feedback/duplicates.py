"""Duplicate suggestions: a new item similar enough to an older one becomes its suggested duplicate; a PM decides.

- ``suggest_duplicates`` looks each item up among the items received in the ``DUPLICATE_WINDOW_DAYS`` before it
  (``services.similar_feedback``: the space's HNSW index, filtered on the vector row's own date; all the items
  in one statement, ``services.similar_feedback_for_items``). The best match at
  or above the space's duplicate threshold becomes a *suggested duplicate*; up to ``RELATED_MAX`` others at or
  above the related threshold are offered as *related*. A suggestion always points at a root: a match that is
  itself a duplicate stands for its original (``services.duplicate_root``), so chains never form.
- ``confirm_suggestion`` merges through ``services.merge_duplicates`` (verbatims, requesters and votes stay on the
  parent's side as rows of their own) and keeps the merge on the suggestion; ``undo_suggestion`` undoes it through
  ``services.undo_merge`` and puts the suggestion back to review; ``reject_suggestion`` records a "no", and a
  rejected pair is never suggested again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from feedback import services
from feedback.models import DuplicateSuggestion, EmbeddingSpace, FeedbackEmbedding, FeedbackItem

RELATED_MAX = 3  # related items offered per item
CANDIDATES = 10  # nearest neighbours read per item (matches that are duplicates of one root fold into one)
Kind, Decision = DuplicateSuggestion.Kind, DuplicateSuggestion.Decision


def thresholds(space: EmbeddingSpace) -> tuple[float, float]:
    """The (duplicate, related) cosine thresholds of ``space``'s provider: each space has its own calibration."""
    return settings.DUPLICATE_THRESHOLDS[space.provider], settings.RELATED_THRESHOLDS[space.provider]


def suggest_duplicates(*, item_ids: Iterable[int], space: EmbeddingSpace | None = None) -> list[DuplicateSuggestion]:
    """Suggest duplicates and related items for the items of ``item_ids`` that have a vector in ``space`` (default:
    the active space); returns the suggestions created.

    Idempotent: pairs that already have a suggestion (whatever its decision) are skipped, an item with a duplicate
    suggestion under review or confirmed gets no second one, and related items stop at ``RELATED_MAX``. Items that
    are already duplicates are left alone.
    """
    space = space or services.active_embedding_space()
    duplicate_at, related_at = thresholds(space)
    window = settings.DUPLICATE_WINDOW_DAYS
    items = list(
        FeedbackEmbedding.objects.filter(
            space=space, feedback_id__in=list(item_ids), feedback__duplicate_of__isnull=True
        ).values_list("feedback_id", "feedback__received_at")
    )
    if not items:
        return []
    existing = defaultdict(dict)  # item → {parent: (kind, decision)}
    for item_id, parent_id, kind, decision in DuplicateSuggestion.objects.filter(
        item_id__in=[item_id for item_id, _ in items]
    ).values_list("item_id", "parent_id", "kind", "decision"):
        existing[item_id][parent_id] = (kind, decision)
    # Every item's windowed lookup in one statement, from its stored vector (services.similar_feedback per item).
    matches = services.similar_feedback_for_items(items=items, space=space, limit=CANDIDATES, within_days=window)
    found = {pk for nearest in matches.values() for pk, _ in nearest}
    candidates = FeedbackItem.objects.select_related("duplicate_of").only(
        "pk", "received_at", "duplicate_of", "duplicate_of__id", "duplicate_of__duplicate_of"
    )
    candidates = {candidate.pk: candidate for candidate in candidates.filter(pk__in=found)}
    created = []
    for item_id, received_at in items:
        item = FeedbackItem(pk=item_id, received_at=received_at)
        roots = _roots(item=item, nearest=matches[item_id], candidates=candidates)
        created += _suggestions(
            item_id=item_id,
            roots=roots,
            existing=existing[item_id],
            space=space,
            duplicate_at=duplicate_at,
            related_at=related_at,
        )
    if not created:
        return []
    DuplicateSuggestion.objects.bulk_create(created, ignore_conflicts=True)  # a concurrent run may have made one
    pairs = {(suggestion.item_id, suggestion.parent_id) for suggestion in created}
    stored = DuplicateSuggestion.objects.filter(
        item_id__in={item for item, _ in pairs}, parent_id__in={parent for _, parent in pairs}
    ).order_by("item_id", "kind", "-similarity")
    return [suggestion for suggestion in stored if (suggestion.item_id, suggestion.parent_id) in pairs]


def _roots(*, item: FeedbackItem, nearest, candidates: dict[int, FeedbackItem]) -> dict[int, float]:
    """Root id → best similarity among ``nearest``: each match stands for its root; older items only."""
    roots: dict[int, float] = {}
    for pk, similarity in nearest:
        candidate = candidates.get(pk)
        if candidate is None:
            continue
        # Same date: only the one stored first counts as older (two items never suggest each other).
        if candidate.received_at == item.received_at and candidate.pk > item.pk:
            continue
        try:
            root = services.duplicate_root(item=item, original=candidate)
        except ValidationError:  # the match is a duplicate of this very item
            continue
        roots[root.pk] = max(similarity, roots.get(root.pk, -1.0))
    return roots


def _suggestions(*, item_id, roots, existing, space, duplicate_at, related_at) -> list[DuplicateSuggestion]:
    """The new suggestions of one item, given its matches' roots and the suggestions it already has."""
    fresh = sorted(
        ((similarity, root) for root, similarity in roots.items() if root not in existing), key=lambda pair: -pair[0]
    )
    has_duplicate = any(
        kind == Kind.DUPLICATE and decision != Decision.REJECTED for kind, decision in existing.values()
    )
    related_left = RELATED_MAX - sum(kind == Kind.RELATED for kind, _ in existing.values())
    out = []
    for similarity, root in fresh:
        if not has_duplicate and similarity >= duplicate_at:
            kind, has_duplicate = Kind.DUPLICATE, True
        elif related_left > 0 and similarity >= related_at:
            kind, related_left = Kind.RELATED, related_left - 1
        else:
            continue
        out.append(DuplicateSuggestion(item_id=item_id, parent_id=root, kind=kind, similarity=similarity, space=space))
    return out


def _locked(suggestion: DuplicateSuggestion) -> DuplicateSuggestion:
    return (
        DuplicateSuggestion.objects.select_for_update(of=("self",))
        .select_related("item", "parent", "merge")
        .get(pk=suggestion.pk)
    )


@transaction.atomic
def confirm_suggestion(*, suggestion: DuplicateSuggestion, user=None) -> DuplicateSuggestion:
    """Merge the suggestion's item into its parent (or the parent's own original, if it became a duplicate since).

    The merge (``services.merge_duplicates``) is kept on the suggestion so ``undo_suggestion`` can undo it exactly.
    """
    suggestion = _locked(suggestion)
    if suggestion.decision != Decision.PENDING:
        raise ValidationError(
            f"This suggestion was already {suggestion.get_decision_display().lower()}.", code="already_decided"
        )
    root = services.duplicate_root(item=suggestion.item, original=suggestion.parent)
    merge = services.merge_duplicates(parent=root, items=[suggestion.item], user=user)
    suggestion.decision, suggestion.merge = Decision.CONFIRMED, merge
    suggestion.decided_by, suggestion.decided_at = user, timezone.now()
    suggestion.save(update_fields=["decision", "merge", "decided_by", "decided_at"])
    return suggestion


@transaction.atomic
def undo_suggestion(*, suggestion: DuplicateSuggestion, user=None) -> services.UndoResult | None:
    """Undo a confirmed suggestion's merge (``services.undo_merge``): the suggestion goes back to review.

    Returns what the undo restored (None when the merge had already been undone from the merge's own page).
    """
    suggestion = _locked(suggestion)
    if suggestion.decision != Decision.CONFIRMED:
        raise ValidationError("Only a confirmed suggestion can be undone.", code="not_confirmed")
    result = None
    if suggestion.merge is not None and suggestion.merge.undone_at is None:
        result = services.undo_merge(merge=suggestion.merge, user=user)
    suggestion.decision, suggestion.merge, suggestion.decided_by, suggestion.decided_at = (
        Decision.PENDING,
        None,
        None,
        None,
    )
    suggestion.save(update_fields=["decision", "merge", "decided_by", "decided_at"])
    return result


@transaction.atomic
def reject_suggestion(*, suggestion: DuplicateSuggestion, user=None) -> DuplicateSuggestion:
    """Record that the pair is not a duplicate; it is never suggested again."""
    suggestion = _locked(suggestion)
    if suggestion.decision == Decision.CONFIRMED:
        raise ValidationError("This suggestion was merged: undo the merge before rejecting it.", code="confirmed")
    if suggestion.decision == Decision.REJECTED:
        return suggestion
    suggestion.decision, suggestion.decided_by, suggestion.decided_at = Decision.REJECTED, user, timezone.now()
    suggestion.save(update_fields=["decision", "decided_by", "decided_at"])
    return suggestion


@dataclass
class BulkDecision:
    """What a bulk confirm or reject did: suggestions decided, and why the others were not."""

    done: int = 0
    refused: list[str] = field(default_factory=list)


def decide_suggestions(*, suggestions: Iterable[DuplicateSuggestion], confirm: bool, user=None) -> BulkDecision:
    """Confirm (or reject) each suggestion in turn, each in its own transaction; one refusal does not stop the rest."""
    result = BulkDecision()
    decide = confirm_suggestion if confirm else reject_suggestion
    for suggestion in suggestions:
        try:
            decide(suggestion=suggestion, user=user)
        except ValidationError as error:
            result.refused.append(f"#{suggestion.item_id} → #{suggestion.parent_id}: {' '.join(error.messages)}")
        else:
            result.done += 1
    return result
