"""The community demo (``demo/community.py``): its posts go through the fetch's door, are marked as demo data, one
author is matched to a customer, and a second load adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest

from demo import community as demo_community
from demo.safety import PAYLOAD_MARK
from feedback.models import FeedbackItem
from integrations.models import CommunityAuthor, CommunityWatch
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_given_the_demo_loaded_twice_then_its_items_are_marked_one_author_matched_and_nothing_doubled():
    acme = make_customer(name="Aardvark Analytics")
    out = StringIO()

    first = demo_community.load(out)
    second = demo_community.load(StringIO())

    items = FeedbackItem.objects.filter(source__in=["hackernews", "discourse"])
    assert first["community items"] == 12 and second["community items"] == 0
    assert items.count() == 12 and all(item.raw_payload[PAYLOAD_MARK] == "community" for item in items)
    assert first["items matched through their author"] == 2 and second["items matched through their author"] == 0
    assert set(items.filter(customer=acme).values_list("source_id", flat=True)) == {"demo-1", "demo-5"}
    assert CommunityAuthor.objects.get(handle="kvs").posts == 2
    assert list(CommunityWatch.objects.values_list("source", "enabled")) == [("discourse", False), ("hackernews", True)]
    assert "12 posts taken in" in out.getvalue()
