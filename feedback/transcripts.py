"""Call transcripts and long threads cut into separate feedback items before triage (issue 8, item 7; seed 001
"Auto-Capture": extract feedback from natural conversations).

A call (``source=call``) or any verbatim longer than ``LONG_TEXT`` characters is given to ``provider.extract``: each
piece (a request, an objection, praise, a competitor mention, in the customer's words) becomes a child item with the
parent's source, customer, reporter and date, ``source_id`` ``"<parent's>#<n>"`` and ``source_item`` = the parent.
The children are triaged as any item; the parent is kept as the evidence, marked triaged (``triaged_at``) and never
triaged as one item. Splitting is idempotent: a parent with children is not cut again (a re-run, a forced re-triage
or a redelivery reuses them). In shadow mode nothing is split (the AI creates no item the team has not agreed to).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone

from feedback.choices import Source
from feedback.maturity import STAMP_FIELDS
from feedback.models import FeedbackItem

LONG_TEXT = 1500  # characters: a longer verbatim is a thread or a transcript, not one piece of feedback
SOURCE_ID_MAX = 255


def child_source_id(parent_source_id: str, n: int) -> str:
    """``"<parent's source id>#<n>"``, the parent's part shortened so it fits the column."""
    suffix = f"#{n}"
    return f"{parent_source_id[: SOURCE_ID_MAX - len(suffix)]}{suffix}"


def transcripts_among(item_ids: list[int], *, force: bool) -> list[FeedbackItem]:
    """The items of ``item_ids`` to cut into pieces: calls and long texts that are not pieces themselves."""
    items = (
        FeedbackItem.objects.filter(pk__in=item_ids, source_item__isnull=True)
        .annotate(chars=Length("verbatim"))
        .filter(Q(source=Source.CALL) | Q(chars__gt=LONG_TEXT))
        .defer("raw_payload")
        .order_by("pk")
    )
    return list(items if force else items.filter(triaged_at__isnull=True))


def split_transcript(*, item: FeedbackItem, provider) -> list[int]:
    """Cut ``item`` into child items with ``provider.extract``; the children's ids (the existing ones if it was cut
    before). No piece found: nothing is created and ``item`` is left to be triaged as one item (an empty list)."""
    existing = list(item.extracts.order_by("pk").values_list("pk", flat=True))
    if not existing:
        pieces = [piece for piece in provider.extract(item.verbatim) if piece.text.strip()]
        if not pieces:
            return []
        children = [
            FeedbackItem(
                source=item.source,
                source_id=child_source_id(item.source_id, n),
                source_url=item.source_url,
                source_item=item,
                customer_id=item.customer_id,
                reporter_email=item.reporter_email,
                received_at=item.received_at,
                verbatim=piece.text.strip(),
                raw_payload={"extract": {"kind": piece.kind, "start": piece.start, "end": piece.end}},
                # said by the same customer the same day: the transcript's maturity (feedback.maturity)
                feature=item.feature,
                **{name: getattr(item, name) for name in STAMP_FIELDS},
            )
            for n, piece in enumerate(pieces, start=1)
        ]
    now = timezone.now()
    with transaction.atomic():
        if not existing:
            FeedbackItem.objects.bulk_create(children, ignore_conflicts=True)  # a parallel run made them: same ids
            existing = list(
                FeedbackItem.objects.filter(
                    source=item.source, source_id__in=[child.source_id for child in children], source_item=item
                )
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        FeedbackItem.objects.filter(pk=item.pk).update(triaged_at=now, updated_at=now)
    return existing
