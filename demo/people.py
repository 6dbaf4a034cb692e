"""The demo company's staff: the ``admin`` superuser and the people of ``data/people.json``, in their roles' groups.

The groups and their permissions are the product's roles (``feedbackhub.roles``), created by a migration on every
install; the demo only puts its people into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from demo.vocabulary import VOCABULARY as V
from feedbackhub.roles import ROLES
from launches.choices import CHECKLIST_TEAM_GROUPS, ChecklistTeam

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"
DEMO_PASSWORD = "demo"  # every other demo user, to try the role-based views
STAFF_EMAIL_DOMAIN = "feedbackhub.example"


def create_users() -> tuple[dict[str, Any], bool]:
    """The superuser ``admin`` (unless it exists) and the demo staff, keyed by username; whether admin was created."""
    user_model = get_user_model()
    admin_created = False
    if not user_model.objects.filter(username=ADMIN_USERNAME).exists():
        user_model.objects.create_superuser(ADMIN_USERNAME, f"{ADMIN_USERNAME}@{STAFF_EMAIL_DOMAIN}", ADMIN_PASSWORD)
        admin_created = True
    usernames = [person.username for person in V.people]
    existing = user_model.objects.in_bulk(usernames, field_name="username")
    password = make_password(DEMO_PASSWORD)  # hashed once: every demo user shares it
    user_model.objects.bulk_create(
        user_model(
            username=person.username,
            first_name=person.first_name,
            last_name=person.last_name,
            email=f"{person.username}@{STAFF_EMAIL_DOMAIN}",
            is_staff=True,
            password=password,
        )
        for person in V.people
        if person.username not in existing
    )
    return user_model.objects.in_bulk(usernames, field_name="username"), admin_created


def join_groups(users: Mapping[str, Any]) -> None:
    """Put each demo person into the groups of their roles (the groups exist: a migration creates them)."""
    groups = Group.objects.in_bulk(list(ROLES), field_name="name")
    missing = sorted(set(ROLES) - set(groups))
    if missing:
        raise LookupError(f"the role groups {missing} do not exist: run `manage.py migrate` first")
    membership = Group.user_set.through
    membership.objects.bulk_create(
        [
            membership(group_id=groups[name].pk, user_id=users[person.username].pk)
            for name in ROLES
            for person in V.people
            if name in person.groups
        ],
        ignore_conflicts=True,
    )


def join_teams(users: Mapping[str, Any]) -> None:
    """Put the people who own checklist items into their launch team's group (only a team ticks its items).

    A team's named owner and its pool of people join it; launch owners join engineering, whose items they own.
    """
    groups = Group.objects.in_bulk(list(CHECKLIST_TEAM_GROUPS.values()), field_name="name")
    members: set[tuple[str, str]] = set()
    for team, username in V.checklist_owners.items():
        members.add((team, username))
    for team, usernames in V.checklist_team_people.items():
        members.update((team, username) for username in usernames)
    members.update((ChecklistTeam.ENGINEERING, spec.owner) for spec in V.launches)
    membership = Group.user_set.through
    membership.objects.bulk_create(
        [
            membership(group_id=groups[CHECKLIST_TEAM_GROUPS[ChecklistTeam(team)]].pk, user_id=users[username].pk)
            for team, username in sorted(members)
        ],
        ignore_conflicts=True,
    )


def owners_by_region(users: Mapping[str, Any]) -> dict[str, list[int]]:
    """The ids of the account owners of each region, in the order of ``data/people.json``."""
    owners: dict[str, list[int]] = {}
    for person in V.people:
        for region in person.regions:
            owners.setdefault(region, []).append(users[person.username].pk)
    return owners


def delete_demo_staff() -> None:
    """Delete the demo's staff users (not ``admin``, nor a superuser who took a demo username)."""
    get_user_model().objects.filter(username__in=[p.username for p in V.people], is_superuser=False).delete()
