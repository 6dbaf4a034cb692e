"""The product's roles exist on every install (data migration), with exactly their permissions."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group

from feedbackhub.roles import PRODUCT_OPS, ROLE_PERMISSIONS, ROLES, SALES_CS, sync_roles

pytestmark = pytest.mark.django_db


def permissions_of(group: Group) -> set[tuple[str, str]]:
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def expected_permissions(role: str) -> set[tuple[str, str]]:
    return {
        (app_label, f"{action}_{model}")
        for app_label, models in ROLE_PERMISSIONS[role].items()
        for model, actions in models.items()
        for action in actions
    }


def test_given_migrated_database_without_demo_then_every_role_has_exactly_its_permissions():
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLES)}

    assert set(groups) == set(ROLES)
    for role in ROLES:
        assert permissions_of(groups[role]) == expected_permissions(role), role


def test_given_sales_role_then_it_can_read_but_not_change_customers():
    sales = permissions_of(Group.objects.get(name=SALES_CS))

    assert ("customers", "view_customer") in sales
    assert ("customers", "change_customer") not in sales


def test_given_the_loops_records_then_account_owners_tell_customers_and_handle_escalations_and_ops_retries():
    sales = permissions_of(Group.objects.get(name=SALES_CS))
    ops = permissions_of(Group.objects.get(name=PRODUCT_OPS))

    assert {("launches", "change_customerupdate"), ("insights", "change_escalation")} <= sales
    assert ("insights", "change_escalationrule") not in sales and ("notifications", "view_notification") not in sales
    assert {("notifications", "change_notification"), ("insights", "change_escalationrule")} <= ops


def test_given_role_permissions_edited_by_hand_when_syncing_again_then_they_are_restored():
    group = Group.objects.get(name=SALES_CS)
    group.permissions.clear()

    sync_roles(apps)

    assert permissions_of(group) == expected_permissions(SALES_CS)


def test_given_the_real_app_registry_when_roles_sync_then_every_app_keeps_its_models_module():
    """sync_roles once set every app's models_module to None on the real registry: after that, a flush's
    post_migrate recreated no content types or permissions for the rest of the test session."""
    from django.apps import apps as real_apps

    before = {config.label: config.models_module for config in real_apps.get_app_configs()}

    sync_roles(real_apps)

    assert {config.label: config.models_module for config in real_apps.get_app_configs()} == before
