"""Launch test fixtures: members of the checklist teams (the "Team: …" groups of migration 0004)."""

from __future__ import annotations

import itertools

import pytest

from launches import services
from launches.choices import ChecklistTeam

_numbers = itertools.count(1)


@pytest.fixture
def team_member(django_user_model):
    """Make a staff user who is a member of ``team`` (and only of it), optionally with extra permissions."""

    def make(team: str, *, username: str = "", permissions: tuple[str, ...] = ()):
        from django.contrib.auth.models import Permission

        user = django_user_model.objects.create_user(
            username=username or f"{team}-{next(_numbers)}", password="pw", is_staff=True, first_name=team.title()
        )
        services.join_team(user=user, team=team)
        if permissions:
            user.user_permissions.add(
                *Permission.objects.filter(content_type__app_label="launches", codename__in=permissions)
            )
        return django_user_model.objects.get(pk=user.pk)  # fresh: no cached teams or permissions

    return make


@pytest.fixture
def engineer(team_member):
    """A member of the Engineering team."""
    return team_member(ChecklistTeam.ENGINEERING, username="erin-engineer")


@pytest.fixture
def marketer(team_member):
    """A member of the Marketing team."""
    return team_member(ChecklistTeam.MARKETING, username="mark-marketer")
