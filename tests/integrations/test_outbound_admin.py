"""The outbound admin: rules with tick-box conditions and their dry-run counts, the outbox with its status filter and
"Retry now", the item's page linking to its tracker issue, and a person's priority change running the rules."""

from __future__ import annotations

import pytest
from django.urls import reverse

from feedback.choices import Category, Priority
from feedback.services import TRIAGED_EVENT
from feedbackhub import events
from feedbackhub.models import DomainEvent
from integrations.choices import OutboundKind, OutboundStatus
from integrations.models import OutboundAction, OutboundRule
from tests.admin_plans import (
    FILTER_PLANNER,
    changelist_queryset,
    changelist_sorts,
    choice_filters,
    describe,
    explain,
    filter_gap,
    index_conditions,
    search_gaps,
)
from tests.factories import make_feedback
from tests.feedback.test_admin_workflow import form_data

pytestmark = pytest.mark.django_db


def action(item, **fields) -> OutboundAction:
    defaults = {"key": f"tracker:{item.pk}", "kind": OutboundKind.LINEAR_ISSUE, "item": item}
    return OutboundAction.objects.create(**{**defaults, **fields})


def test_given_the_rule_form_then_conditions_are_ticked_and_a_github_target_must_be_owner_slash_name(admin_client):
    url = reverse("admin:integrations_outboundrule_add")
    data = {
        "name": "Critical bugs to GitHub",
        "kind": OutboundKind.GITHUB_ISSUE,
        "target": "acme",
        "position": 1,
        "categories": [Category.BUG],
        "priorities": [Priority.CRITICAL, Priority.HIGH],
    }

    refused = admin_client.post(url, data)
    created = admin_client.post(url, {**data, "target": " acme/api "})

    assert refused.status_code == 200 and "owner/name" in refused.content.decode()
    assert created.status_code == 302
    rule = OutboundRule.objects.get()
    assert (rule.target, rule.categories, rule.priorities, rule.products) == (
        "acme/api",
        ["bug"],
        ["critical", "high"],
        [],
    )
    assert rule.enabled is False  # a new rule is a dry run until switched on


def test_given_a_new_rule_posted_switched_on_then_it_is_still_a_dry_run_and_the_add_form_has_no_switch(admin_client):
    url = reverse("admin:integrations_outboundrule_add")
    data = {"name": "All bugs", "kind": OutboundKind.LINEAR_ISSUE, "target": "team-eng", "position": 1}

    form = admin_client.get(url).content.decode()
    created = admin_client.post(url, {**data, "enabled": "on"})

    assert created.status_code == 302
    assert OutboundRule.objects.get().enabled is False
    assert 'name="enabled"' not in form
    change = admin_client.get(reverse("admin:integrations_outboundrule_change", args=[OutboundRule.objects.get().pk]))
    assert 'name="enabled"' in change.content.decode()  # an existing rule can be switched, as the action does


def test_given_rules_then_the_list_says_what_each_would_have_opened_within_its_query_budget(
    admin_client, django_assert_max_num_queries
):
    dry = OutboundRule.objects.create(name="Bugs (trial)", kind=OutboundKind.LINEAR_ISSUE, target="team-eng")
    live = OutboundRule.objects.create(name="Praise", kind=OutboundKind.LINEAR_ISSUE, target="team-eng", enabled=True)
    for _ in range(3):
        item = make_feedback()
        action(item, key=f"dry:{dry.pk}:{item.pk}", rule=dry, status=OutboundStatus.DRY_RUN)
    action(make_feedback(), rule=live, status=OutboundStatus.SENT)

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:integrations_outboundrule_changelist"))

    rows = {rule.name: (rule.dry_runs, rule.opened) for rule in response.context["cl"].result_list}
    assert rows == {"Bugs (trial)": (3, 0), "Praise": (0, 1)}
    assert "would have opened" in response.content.decode() and "dry run" in response.content.decode()


def test_given_the_rule_list_then_each_count_is_an_index_only_read_per_rule_not_a_grouped_join_of_the_outbox():
    nodes = explain(
        *changelist_queryset(OutboundRule, {}).query.sql_with_params(), fresh_statistics=True, **FILTER_PLANNER
    )

    counts = index_conditions(nodes, "outbound_rule_status_idx")
    assert len(counts) == 2 and all("rule_id" in c and "status" in c for c in counts), describe(nodes)
    assert not any("Group Key" in node for node in nodes), describe(nodes)


@pytest.mark.parametrize("field", choice_filters(OutboundAction))
def test_given_an_outbox_choice_filter_then_its_index_serves_the_condition_in_list_order(field):
    assert filter_gap(OutboundAction, field) is None
    assert changelist_sorts(OutboundAction, field) == []


def test_given_the_outbox_list_unfiltered_or_for_one_rule_then_an_index_returns_it_in_order():
    rule = OutboundRule.objects.create(name="Bugs", kind=OutboundKind.LINEAR_ISSUE, target="team-eng")

    for params, index in (
        ({}, "outbound_created_idx"),
        ({"rule__id__exact": str(rule.pk)}, "outbound_rule_created_idx"),
    ):
        queryset = changelist_queryset(OutboundAction, params)
        nodes = explain(*queryset.query.sql_with_params(), fresh_statistics=True, **FILTER_PLANNER)
        assert any(node.get("Index Name") == index for node in nodes), describe(nodes)
        assert not [node for node in nodes if "Sort" in node["Node Type"]], describe(nodes)


def test_given_an_outbox_search_then_key_and_external_id_are_served_by_their_indexes():
    indexes = {"=key": "outbound_key_upper_idx", "=external_id": "outbound_external_id_upper_idx"}

    assert search_gaps(OutboundAction, indexes) == {}


def test_given_failed_actions_then_the_status_filter_lists_them_and_retry_makes_them_due(
    admin_client, django_assert_max_num_queries
):
    failed = action(make_feedback(), status=OutboundStatus.FAILED, attempts=8, last_error="HTTP 500 (gave up)")
    action(make_feedback(), status=OutboundStatus.SENT, external_id="ENG-1", external_url="https://linear.app/x/ENG-1")
    url = reverse("admin:integrations_outboundaction_changelist")

    with django_assert_max_num_queries(12):
        listed = admin_client.get(url, {"status__exact": "failed"})
    response = admin_client.post(url, {"action": "retry_selected", "_selected_action": [failed.pk]})

    assert [row.pk for row in listed.context["cl"].result_list] == [failed.pk]
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (OutboundStatus.PENDING, 0)


def test_given_an_item_with_an_issue_then_its_page_links_to_the_tracker(admin_client):
    item = make_feedback()
    action(item, status=OutboundStatus.SENT, external_id="ENG-42", external_url="https://linear.app/acme/issue/ENG-42")

    page = admin_client.get(reverse("admin:feedback_feedbackitem_change", args=[item.pk])).content.decode()

    assert 'href="https://linear.app/acme/issue/ENG-42"' in page and "ENG-42" in page


def test_given_a_person_raises_an_items_priority_then_one_event_and_once_processed_one_issue_queued(
    admin_client, django_capture_on_commit_callbacks
):
    rule = OutboundRule.objects.create(
        name="Critical to Linear",
        kind=OutboundKind.LINEAR_ISSUE,
        target="team-eng",
        priorities=["critical"],
        enabled=True,
    )
    item = make_feedback(category=Category.BUG, priority=Priority.LOW)
    url = reverse("admin:feedback_feedbackitem_change", args=[item.pk])

    with django_capture_on_commit_callbacks(execute=False):
        unchanged = admin_client.post(url, form_data(item, summary="Reworded"))
    nothing_yet = (DomainEvent.objects.filter(name=TRIAGED_EVENT).count(), OutboundAction.objects.count())
    with django_capture_on_commit_callbacks(execute=False):
        raised = admin_client.post(url, form_data(item, priority=Priority.CRITICAL))
    before_the_event = OutboundAction.objects.count()  # the event is the one door: the save itself queues nothing
    (event,) = DomainEvent.objects.filter(name=TRIAGED_EVENT)
    with django_capture_on_commit_callbacks(execute=False) as sends:
        events.process(event.pk)
        events.process(event.pk)  # a redelivered event decides nothing twice

    assert (unchanged.status_code, raised.status_code, nothing_yet, before_the_event) == (302, 302, (0, 0), 0)
    assert event.payload["item_ids"] == [item.pk]
    queued = OutboundAction.objects.get()
    assert (queued.key, queued.rule, queued.status) == (f"tracker:{item.pk}", rule, OutboundStatus.PENDING)
    assert len(sends) >= 1  # the send is queued after commit
