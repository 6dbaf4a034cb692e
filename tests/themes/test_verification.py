"""Ticking a verification step in the admin goes through the service: who and when are recorded."""

import pytest
from django.urls import reverse

from tests.factories import make_theme

pytestmark = pytest.mark.django_db


def inline_data(theme, ticked_step: str) -> dict:
    steps = list(theme.verification_steps.all())
    data = {
        "name": theme.name,
        "status": theme.status,
        "description": "",
        "problem_statement": "",
        "tracker_issues": "",
        "verification_steps-TOTAL_FORMS": len(steps),
        "verification_steps-INITIAL_FORMS": len(steps),
        "verification_steps-MIN_NUM_FORMS": 0,
        "verification_steps-MAX_NUM_FORMS": 0,
    }
    for index, step in enumerate(steps):
        data[f"verification_steps-{index}-id"] = step.pk
        data[f"verification_steps-{index}-theme"] = theme.pk
        data[f"verification_steps-{index}-notes"] = "talked to 5 accounts" if step.step == ticked_step else ""
        if step.step == ticked_step:
            data[f"verification_steps-{index}-done"] = "on"
    return data


def test_given_theme_when_pm_ticks_a_step_in_admin_then_who_and_when_are_recorded(admin_client, admin_user):
    theme = make_theme()
    first = theme.verification_steps.first()

    response = admin_client.post(
        reverse("admin:themes_theme_change", args=[theme.pk]), inline_data(theme, ticked_step=first.step)
    )

    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.done_by, first.notes) == (admin_user, "talked to 5 accounts")
    assert first.done_at is not None
    assert theme.verification_steps.filter(done_at__isnull=False).count() == 1
