"""The demo's close-the-loop step (``demo.closing.load``): one theme shipped, every shipped theme's customers told
through updates, part of the older updates confirmed told."""

from __future__ import annotations

from io import StringIO

import pytest

from demo import closing as demo_closing
from launches.models import CustomerUpdate
from tests.factories import make_customer, make_feedback, make_theme
from themes.choices import ThemeStatus
from themes.models import Theme

pytestmark = pytest.mark.django_db


def test_given_demo_themes_then_the_most_asked_in_progress_one_ships_and_older_updates_are_partly_told(
    django_user_model,
):
    owner = django_user_model.objects.create_user(username="olivia", email="olivia@example.com")
    shipped_before = make_theme(name="Shipped at creation", status=ThemeStatus.SHIPPED)  # its event still waits
    most_asked = make_theme(name="Most asked", status=ThemeStatus.IN_PROGRESS)
    less_asked = make_theme(name="Less asked", status=ThemeStatus.IN_PROGRESS)
    for _ in range(4):
        make_feedback(customer=make_customer(account_owner=owner)).themes.add(shipped_before)
    for _ in range(3):
        make_feedback(customer=make_customer(account_owner=owner)).themes.add(most_asked)
    make_feedback(customer=make_customer(account_owner=owner)).themes.add(less_asked)
    out = StringIO()

    demo_closing.load(out)

    assert dict(Theme.objects.values_list("name", "status")) == {
        "Shipped at creation": "shipped",
        "Most asked": "shipped",
        "Less asked": "in_progress",
    }
    statuses = list(CustomerUpdate.objects.order_by("theme_id", "id").values_list("theme__name", "status"))
    assert (
        statuses
        == [("Shipped at creation", "told"), ("Shipped at creation", "to_tell")] * 2 + [("Most asked", "to_tell")] * 3
    )
    assert "shipped “Most asked”" in out.getvalue() and "7 customer updates (2 told)" in out.getvalue()
