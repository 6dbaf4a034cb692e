"""`manage.py load_demo`: a realistic demo company, the same every time, loaded once.

The demo is loaded once for the module (committed, removed at the end); each test runs in its own transaction
on top of it, so a test that reloads it leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import random
import re
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max, Min, Q
from django.test import override_settings

from customers.choices import Industry, Language, Lifecycle, Plan, Region, Tier, UseCase
from customers.models import Customer, UsageSnapshot
from customers.rules import HEALTH_AT_RISK_BELOW
from demo import accounts, ai_features, loader, people, safety, signals
from demo.drafting import UNTRIAGED_SHARE, FeedbackFactory
from demo.slots import Slots
from demo.vocabulary import VOCABULARY as V
from feedback.choices import Category, Product, ProductArea, Sentiment, Source, Status
from feedback.models import DuplicateSuggestion, EmbeddingSpace, FeedbackItem, FieldOverride, TriageRecord
from feedbackhub.roles import ROLES
from integrations import ingest
from integrations.models import PendingTriage
from launches.choices import CHECKLIST_TEAM_GROUPS, LaunchStatus, LaunchType
from launches.models import ChecklistItem, ChecklistTemplateItem, Launch
from themes.choices import ThemeStatus, VerificationStep
from themes.models import Theme, ThemeSuggestion, ThemeVerification

pytestmark = pytest.mark.django_db

SEGMENTS = {
    "industry": Industry,
    "region": Region,
    "language": Language,
    "tier": Tier,
    "plan": Plan,
    "lifecycle_stage": Lifecycle,
    "primary_use_case": UseCase,
}


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def content_digest() -> str:
    """SHA-256 of the generated words: customer identities, verbatims, summaries, theme and launch names."""
    parts = [
        *sorted(f"{c}|{d}|{i}" for c, d, i in Customer.objects.values_list("name", "domain", "crm_id")),
        *sorted(f"{v}|{s}" for v, s in FeedbackItem.objects.values_list("verbatim", "summary")),
        *sorted(Theme.objects.values_list("name", flat=True)),
        *sorted(Launch.objects.values_list("name", flat=True)),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def row_counts() -> dict[str, int]:
    models = (get_user_model(), Group, Customer, UsageSnapshot, FeedbackItem, Theme, ThemeVerification, Launch)
    return {model.__name__: model.objects.count() for model in (*models, ChecklistItem)}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once into the test database for this module, and removed afterwards."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        spaces_before = set(EmbeddingSpace.objects.values_list("pk", flat=True))
        output = load_demo()
        yield SimpleNamespace(output=output, digest=content_digest(), counts=row_counts())
        loader.reset_demo(force=True)
        get_user_model().objects.filter(username=people.ADMIN_USERNAME).delete()
        # The demo's triage made the active vector space: later modules start from a database without it.
        EmbeddingSpace.objects.exclude(pk__in=spaces_before).delete()


def test_given_an_empty_database_when_loading_the_demo_then_it_prints_the_admin_login_and_counts(demo):
    assert "admin / admin" in demo.output
    assert "feedback items" in demo.output and "5,000" in demo.output


def test_given_the_demo_then_customers_cover_every_value_of_every_segment(demo):
    assert Customer.objects.count() >= 200
    for field, choices in SEGMENTS.items():
        seen = set(Customer.objects.values_list(field, flat=True).distinct())
        assert seen == set(choices.values), f"{field} misses {set(choices.values) - seen}"


def test_given_the_demo_then_arr_sits_in_the_band_of_the_tier_for_every_paying_customer(demo):
    paying = Customer.objects.exclude(lifecycle_stage__in=[Lifecycle.PROSPECT, Lifecycle.CHURNED])
    for tier, (low, high) in V.tier_arr_bands.items():
        band = paying.filter(tier=tier).aggregate(low=Min("arr"), high=Max("arr"))
        assert low <= band["low"] and band["high"] <= high, tier
    assert not Customer.objects.filter(lifecycle_stage=Lifecycle.PROSPECT, customer_since__isnull=False).exists()
    assert not Customer.objects.filter(account_owner__isnull=True).exists()
    assert Customer.objects.filter(crm_id__regex=r"^001Dn00000[0-9A-Za-z]{6}$").count() == Customer.objects.count()


def test_given_the_demo_then_languages_follow_regions(demo):
    assert not Customer.objects.filter(region=Region.UK).exclude(language=Language.ENGLISH).exists()
    assert set(Customer.objects.filter(language__in=["ja", "zh"]).values_list("region", flat=True)) == {Region.APAC}


def test_given_the_demo_then_usage_shows_steady_dropping_and_silent_accounts(demo):
    per_customer = UsageSnapshot.objects.values("customer").annotate(days=Count("id"))
    assert len(per_customer) == accounts.DEMO_USAGE_CUSTOMERS
    # the accounts' last DEMO_USAGE_DAYS, then the loop's signals step adds the earlier days back to HISTORY_DAYS
    assert {row["days"] for row in per_customer} == {
        signals.HISTORY_DAYS
    } and signals.HISTORY_DAYS > accounts.DEMO_USAGE_DAYS
    latest = UsageSnapshot.objects.aggregate(day=Max("taken_on"))["day"]
    recent, earlier = latest - timedelta(days=6), latest - timedelta(days=20)

    def requests(customer_id: int, start: date, end: date) -> int:
        rows = UsageSnapshot.objects.filter(customer_id=customer_id, taken_on__range=(start, end))
        return sum(rows.values_list("api_requests", flat=True))

    silent = [
        row["customer"]
        for row in per_customer
        if requests(row["customer"], latest - timedelta(days=13), latest) == 0
        and requests(row["customer"], earlier - timedelta(days=9), earlier) > 0
    ]
    dropping = [
        row["customer"]
        for row in per_customer
        if row["customer"] not in silent
        and requests(row["customer"], recent, latest) < 0.8 * requests(row["customer"], earlier, earlier + timedelta(6))
    ]
    assert len(silent) >= 3
    assert len(dropping) >= 5


# Capture everywhere (issue 13): the widget's captures, discovery records' words, community posts
ISSUE_13_MARKS = ["capture", "discovery", "community"]


def test_given_the_demo_then_there_are_exactly_5000_feedback_items_from_every_source(demo):
    items = FeedbackItem.objects.filter(source_item=None)  # the pieces the AI triage cut out of calls aside
    comments = items.filter(**{f"raw_payload__{safety.PAYLOAD_MARK}": "signals"})  # survey answers' comments
    journeys = items.filter(survey_submission__isnull=False)  # free text answered on journey surveys
    captured = items.filter(**{f"raw_payload__{safety.PAYLOAD_MARK}__in": ISSUE_13_MARKS})  # widget, discovery, forums

    assert items.count() - comments.count() - journeys.count() - captured.count() == 5000
    assert comments.exists() and journeys.exists() and captured.count() >= 30
    assert set(items.values_list("source", flat=True).distinct()) == set(Source.values)
    triaged = items.exclude(triaged_at=None).filter(triage_records=None, extracts=None)  # by the generator
    assert set(triaged.values_list("category", flat=True).distinct()) == set(Category.values)
    assert set(triaged.values_list("product", flat=True).distinct()) == set(Product.values)
    assert set(triaged.values_list("product_area", flat=True).distinct()) == set(ProductArea.values)
    assert set(items.values_list("status", flat=True).distinct()) == set(Status.values)
    oldest = items.aggregate(oldest=Min("received_at"))["oldest"]
    assert (items.aggregate(newest=Max("received_at"))["newest"] - oldest).days >= 300


def test_given_the_demo_then_triage_fields_are_consistent(demo):
    triaged = FeedbackItem.objects.exclude(triaged_at=None)
    for score, label in triaged.exclude(sentiment_score=None).values_list("sentiment_score", "sentiment_label"):
        assert Sentiment.for_score(score) == label
    # The history, triaged before the AI pipeline (not a call the AI cut into pieces, nor a piece).
    by_generator = triaged.filter(triage_records=None, extracts=None, source_item=None)
    assert not by_generator.filter(Q(summary="") | Q(category="") | Q(severity="") | Q(priority="")).exists()
    by_ai = triaged.filter(triage_records__outcome=TriageRecord.Outcome.APPLIED)
    assert not by_ai.filter(Q(category="") | Q(severity="") | Q(priority="") | Q(sentiment_score=None)).exists()
    assert not triaged.filter(triaged_at__lt=F("received_at")).exists()
    untriaged = FeedbackItem.objects.untriaged()
    waiting = round(5000 * UNTRIAGED_SHARE * 0.95) - ai_features.TRIAGE_NOW  # the generator's share, less the AI's
    assert 0.7 * waiting <= untriaged.count() <= 1.3 * waiting
    assert not untriaged.exclude(status=Status.NEW, category="", summary="").exists()


def test_given_the_demo_then_its_triaged_history_carries_language_churn_flag_and_competitors_as_triage_sets_them(demo):
    history = FeedbackItem.objects.exclude(triaged_at=None).filter(triage_records=None, extracts=None, source_item=None)
    churn = history.filter(category=Category.CHURN_SIGNAL)
    assert churn.count() > 50
    assert not churn.filter(churn_signal=False).exists()  # the risk flag and filter see every churn signal
    assert set(history.values_list("language", flat=True).distinct()) == {"en", "fr", "de"}
    assert history.exclude(competitors=[]).count() > 20
    assert not FeedbackItem.objects.untriaged().filter(Q(churn_signal=True) | ~Q(language="")).exists()


def test_given_the_demo_then_the_offline_ai_triaged_the_oldest_waiting_items_with_records(demo):
    records = TriageRecord.objects.all()
    assert records.count() >= 0.9 * ai_features.TRIAGE_NOW  # a call cut into pieces: its pieces are recorded
    assert set(records.values_list("provider", flat=True)) == {"offline"}
    assert not records.filter(Q(model="") | Q(version="")).exists()
    applied = records.filter(outcome=TriageRecord.Outcome.APPLIED)
    assert applied.count() >= 0.8 * ai_features.TRIAGE_NOW
    assert not applied.filter(Q(priority="") | Q(priority_reason="")).exists()
    by_ai_step = FeedbackItem.objects.filter(triage_records__isnull=False).exclude(  # not the survey comments
        **{f"raw_payload__{safety.PAYLOAD_MARK}__in": ["signals", "journeys", *ISSUE_13_MARKS]}
    )
    newest_triaged = by_ai_step.aggregate(at=Max("received_at"))["at"]
    assert not FeedbackItem.objects.untriaged().filter(received_at__lt=newest_triaged).exists()


def test_given_the_demo_then_it_says_how_many_items_it_left_for_the_worker(demo):
    waiting = FeedbackItem.objects.untriaged().count()
    assert waiting > 0
    assert re.search(rf"left for the worker to triage +{waiting:,}\n", demo.output)


def test_given_items_left_for_the_worker_then_they_go_out_through_the_ingest_outbox(
    demo, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(ingest, "publish_triage", sent.append)
    waiting = list(FeedbackItem.objects.untriaged().values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert ai_features.queue_for_worker(waiting) == len(waiting)
        assert set(PendingTriage.objects.values_list("item_id", flat=True)) == set(waiting)  # in the transaction
    for callback in callbacks:
        callback()

    assert sent == [waiting]  # one feedback.tasks.triage_items message after the commit
    assert not PendingTriage.objects.exists()  # sent: the outbox is empty


def test_given_the_broker_down_when_leaving_items_for_the_worker_then_the_outbox_keeps_them_for_the_sweep(
    demo, monkeypatch, django_capture_on_commit_callbacks
):
    def down(item_ids):
        raise ConnectionError("broker down")

    monkeypatch.setattr(ingest, "publish_triage", down)
    monkeypatch.setattr(ingest, "_broker_retry_at", 0.0)
    waiting = list(FeedbackItem.objects.untriaged().values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        ai_features.queue_for_worker(waiting)

    assert set(PendingTriage.objects.values_list("item_id", flat=True)) == set(waiting)


def test_given_the_demo_then_a_few_non_english_items_need_a_person(demo):
    review = TriageRecord.objects.filter(outcome=TriageRecord.Outcome.NEEDS_REVIEW)
    assert review.count() >= 2
    assert not review.filter(language__in=["en", "fr", ""]).exists()  # languages the offline provider cannot read
    items = FeedbackItem.objects.filter(triage_records__in=review)
    assert not items.exclude(category="").exists()  # nothing applied silently but the language
    assert not items.filter(language="").exists()


def test_given_the_demo_then_a_pm_overrode_a_few_ai_values_and_each_override_is_logged(demo):
    overrides = FieldOverride.objects.select_related("feedback", "user")
    assert overrides.count() >= 2
    for override in overrides:
        assert override.user.username == ai_features.OVERRIDER
        assert override.ai_value != override.human_value
        assert override.field in override.feedback.human_fields
        assert str(getattr(override.feedback, override.field)) == override.human_value


def test_given_the_demo_then_suggested_duplicates_and_themes_wait_for_review(demo):
    pending = DuplicateSuggestion.objects.filter(decision=DuplicateSuggestion.Decision.PENDING)
    assert pending.count() >= 3
    assert not pending.filter(parent__duplicate_of__isnull=False).exists()  # never a duplicate of a duplicate
    themes = ThemeSuggestion.objects.filter(decision=ThemeSuggestion.Decision.PENDING)
    assert themes.count() >= 1
    assert not themes.filter(name="").exists()
    assert all(suggestion.items.count() >= 2 for suggestion in themes)


def test_given_the_demo_then_about_5_percent_are_later_duplicates_of_a_similar_item(demo):
    duplicates = FeedbackItem.objects.filter(duplicate_of__isnull=False).select_related("duplicate_of")

    assert duplicates.count() == 250
    for item in duplicates:
        assert item.duplicate_of.duplicate_of_id is None
        assert item.received_at > item.duplicate_of.received_at
        assert item.category == item.duplicate_of.category and item.summary == item.duplicate_of.summary


def test_given_the_demo_then_source_ids_look_like_their_source(demo):
    ids = dict(FeedbackItem.objects.values_list("source", "source_id").order_by("source", "id").distinct("source"))

    assert ids[Source.ZENDESK].startswith("ZD-")
    assert ids[Source.INTERCOM].startswith("conv_")
    assert ids[Source.SLACK].startswith("C0") and "." in ids[Source.SLACK]
    assert ids[Source.GITHUB].startswith("mistralai/") and "#" in ids[Source.GITHUB]
    assert not FeedbackItem.objects.filter(raw_payload={}).exists()


def test_given_the_demo_then_some_verbatims_are_in_french_and_german(demo):
    french = FeedbackItem.objects.filter(customer__language=Language.FRENCH, tags__contains=["lang-fr"])
    german = FeedbackItem.objects.filter(customer__language=Language.GERMAN, tags__contains=["lang-de"])

    assert french.count() >= 50 and german.count() >= 50
    assert french.filter(verbatim__icontains=" nous ").exists()


def test_given_the_demo_then_20_themes_cover_every_status_with_verification_and_rollups(demo):
    themes = Theme.objects.all()

    assert themes.count() == 20
    assert set(themes.values_list("status", flat=True)) == set(ThemeStatus.values)
    for theme in themes:
        steps = theme.verification_steps.all()
        assert steps.count() == len(VerificationStep)
        done = steps.exclude(done_at=None).count()
        if theme.status == ThemeStatus.SHIPPED:
            assert done == len(VerificationStep)
        elif theme.status == ThemeStatus.HYPOTHESIS:
            assert done <= 2
        originals = theme.feedback_items.filter(duplicate_of=None)
        assert theme.feedback_count == originals.count() > 0
        assert theme.unique_customers == originals.exclude(customer=None).values("customer").distinct().count()
        assert theme.owner is not None and theme.problem_statement.startswith("We believe")
    assert max(themes.values_list("feedback_count", flat=True)) >= 300


def test_given_the_demo_then_12_launches_cover_every_type_and_status_with_generated_checklists(demo):
    launches = Launch.objects.all()

    assert launches.count() == 12
    assert set(launches.values_list("launch_type", flat=True)) == set(LaunchType.values)
    assert set(launches.values_list("status", flat=True)) == set(LaunchStatus.values)
    for launch in launches:
        expected = ChecklistTemplateItem.objects.filter(template__launch_type=launch.launch_type).count()
        items = launch.checklist_items.all()
        assert items.count() == expected > 0
        assert not items.filter(owner=None).exists()
        assert launch.themes.exists() and launch.tracker_keys
        if launch.status == LaunchStatus.SHIPPED:
            assert launch.shipped_on is not None
            assert items.filter(done_at=None).count() <= 1
            assert not items.exclude(done_at=None).filter(done_by=None).exists()
    start, end = launches.aggregate(start=Min("target_date"), end=Max("target_date")).values()
    assert (end - start).days >= 300


def test_given_the_demo_then_users_have_roles_and_the_admin_logs_in_with_admin(demo):
    admin = get_user_model().objects.get(username=people.ADMIN_USERNAME)

    assert admin.is_superuser and admin.check_password(people.ADMIN_PASSWORD)
    for name in ROLES:
        group = Group.objects.get(name=name)
        assert group.user_set.exists() and group.permissions.exists(), name
    sales = get_user_model().objects.get(username="marcus.reed")
    assert sales.is_staff and sales.has_perm("feedback.view_feedbackitem")
    assert not sales.has_perm("themes.change_theme")
    assert get_user_model().objects.get(username="thomas.moreau").has_perm("launches.change_checklistitem")


def test_given_the_demo_is_loaded_when_loading_again_then_nothing_changes(demo):
    output = load_demo()

    assert output.startswith("Demo data already loaded")
    assert row_counts() == demo.counts


def test_given_the_demo_when_reloading_with_reset_then_the_content_is_identical(demo):
    output = load_demo("--reset")

    assert "Demo data loaded" in output
    assert row_counts() == demo.counts
    assert content_digest() == demo.digest


def test_given_the_demo_when_one_verbatim_changes_then_the_digest_changes(demo):
    item = FeedbackItem.objects.order_by("id").first()
    FeedbackItem.objects.filter(pk=item.pk).update(verbatim=item.verbatim + "!")

    assert content_digest() != demo.digest


def test_given_every_template_when_filled_then_every_slot_is_known():
    rng, today = random.Random(1), date(2026, 1, 15)
    account = accounts.Account(
        id=1, name="Acme Bank", domain="acme-bank.example", industry=Industry.FINANCIAL_SERVICES,
        region=Region.EUROPE, language=Language.FRENCH,
        tier=Tier.ENTERPRISE, arr=500_000, lifecycle=Lifecycle.ACTIVE, use_case=UseCase.RESEARCH,
        customer_since=today - timedelta(days=400), crm_id="001Dn00000abcdef", health=70,
    )  # fmt: skip
    for topic in V.topics:
        for language, bodies in (("en", topic.bodies), ("fr", topic.fr), ("de", topic.de)):
            for body in bodies:
                for product in [body.product] if body.product else topic.products:
                    slots = Slots(rng=rng, account=account, language=language, product=product, day=today)
                    slots["body"] = body.text.format_map(slots)
                    assert "{" not in slots["body"] and "{" not in body.summary.format_map(slots)
                    for frame in (*V.call_frames, *V.crm_frames, *V.linear_frames, *V.manual_frames):
                        assert slots["body"] in frame.format_map(slots)
                    for closer in V.closers[language]:
                        closer.format_map(slots)


# -- demo data never lands in a real database


def a_customer_added_by_hand(**fields) -> Customer:
    values = {"name": "Acme Corp", "domain": "acme.com", "industry": Industry.RETAIL, "region": Region.UK}
    return Customer.objects.create(**{**values, "tier": Tier.MID_MARKET, **fields})


def test_given_the_demo_then_every_row_it_made_carries_the_demo_mark(demo):
    assert safety.non_demo_rows() == {}
    assert not Customer.objects.exclude(domain__endswith=safety.CUSTOMER_DOMAIN_SUFFIX).exists()
    items = FeedbackItem.objects.filter(source_item=None)  # pieces the AI cut out of a call: their call's mark
    # the mark names the step that made the row: the generator, or the loop's signals step (survey comments)
    assert set(items.values_list(f"raw_payload__{safety.PAYLOAD_MARK}", flat=True)) == {
        "load_demo",
        "signals",
        "journeys",
        *ISSUE_13_MARKS,
    }
    pieces = FeedbackItem.objects.filter(source_item__isnull=False)
    assert set(pieces.values_list(f"source_item__raw_payload__{safety.PAYLOAD_MARK}", flat=True)) <= {"load_demo"}


@pytest.mark.parametrize(
    ("add_by_hand", "found"),
    [
        (lambda: a_customer_added_by_hand(), "1 customer"),
        (lambda: a_customer_added_by_hand(domain=None, crm_id="001Dn00000zzzzzz"), "1 customer"),
        (lambda: a_customer_added_by_hand(domain="acme.example"), "1 customer"),
        (
            lambda: FeedbackItem.objects.create(
                received_at=datetime(2026, 1, 15, 10, tzinfo=UTC),
                source=Source.MANUAL,
                source_id="typed-1",
                verbatim="Typed in by a PM.",
                customer=Customer.objects.last(),
            ),
            "1 feedback item",
        ),
        (lambda: Theme.objects.create(name="Offline mode"), "1 theme"),
        (
            lambda: Launch.objects.create(
                name="Real launch", launch_type=LaunchType.DOCUMENTATION, target_date=date(2026, 1, 1)
            ),
            "1 launch",
        ),
    ],
    ids=["customer", "customer-without-domain", "customer-under-example", "feedback-item", "theme", "launch"],
)
def test_given_a_row_added_by_hand_when_resetting_then_it_refuses_and_deletes_nothing(demo, add_by_hand, found):
    add_by_hand()
    before, digest = row_counts(), content_digest()

    with pytest.raises(CommandError, match=rf"rows the demo did not create \({found}\).*--reset --force"):
        load_demo("--reset")

    assert row_counts() == before
    assert content_digest() == digest


def test_given_rows_of_several_kinds_added_by_hand_when_resetting_then_it_counts_each_kind(demo):
    a_customer_added_by_hand()
    a_customer_added_by_hand(name="Beta GmbH", domain="beta.de")
    Theme.objects.create(name="Offline mode")

    with pytest.raises(CommandError, match=r"\(2 customers, 1 theme\)"):
        load_demo("--reset")


def test_given_a_customer_added_by_hand_when_resetting_with_force_then_it_goes_and_the_demo_is_reloaded(demo):
    a_customer_added_by_hand()

    output = load_demo("--reset", "--force")

    assert "Demo data loaded" in output
    assert not Customer.objects.filter(domain="acme.com").exists()
    assert row_counts() == demo.counts
    assert content_digest() == demo.digest


def test_given_demo_rows_edited_by_hand_when_resetting_then_they_still_count_as_demo_data(demo):
    Customer.objects.filter(pk=Customer.objects.order_by("pk").first().pk).update(name="Renamed by a PM")
    FeedbackItem.objects.filter(pk=FeedbackItem.objects.order_by("pk").first().pk).update(summary="Re-triaged")

    output = load_demo("--reset")

    assert "Demo data loaded" in output
    assert content_digest() == demo.digest


def test_given_force_without_reset_when_loading_then_it_refuses(demo):
    with pytest.raises(CommandError, match="--force only goes with --reset"):
        load_demo("--force")


def test_given_the_demo_then_its_people_joined_the_role_and_team_groups_and_no_other_group_exists(demo):
    teams = set(CHECKLIST_TEAM_GROUPS.values())
    assert set(Group.objects.values_list("name", flat=True)) == set(ROLES) | teams
    for person in V.people:
        user = get_user_model().objects.get(username=person.username)
        assert set(user.groups.values_list("name", flat=True)) - teams == set(person.groups)


def test_given_the_demo_then_every_ticked_checklist_item_was_ticked_by_a_member_of_its_team(demo):
    ticked = ChecklistItem.objects.filter(done_at__isnull=False).select_related("done_by")
    assert ticked.exists()
    for item in ticked:
        team_group = CHECKLIST_TEAM_GROUPS[item.team]
        assert item.done_by.groups.filter(name=team_group).exists(), (item, item.done_by)


# -- one at-risk rule


def test_given_the_demo_then_the_accounts_drafting_treats_as_at_risk_are_the_customers_at_risk(demo):
    customers = list(Customer.objects.order_by("pk"))
    factory = FeedbackFactory(
        rng=random.Random(1),
        accounts=[accounts.Account.from_fields(c.__dict__, id=c.pk) for c in customers],
        today=date(2026, 1, 15),
        themes_by_topic={},
    )

    flagged = {customers[index].pk for index in factory.at_risk_accounts.values}

    assert flagged == set(Customer.objects.at_risk().values_list("pk", flat=True))
    assert Customer.objects.filter(lifecycle_stage=Lifecycle.CHURNED, health_score__lt=HEALTH_AT_RISK_BELOW).exists()
    assert not Customer.objects.filter(pk__in=flagged, lifecycle_stage=Lifecycle.CHURNED).exists()
