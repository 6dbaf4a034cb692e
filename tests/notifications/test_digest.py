"""The weekly digest: each section's figures on a small hand-made week, the stored digests and their outbox messages.

The week is the seven days ending today (the history rows behind "expansion" are written at the database's now);
``digest_week`` builds it: four accounts of two owners (and a third owner with no email), this week's feedback of
every kind, a duplicate and last week's item that must not count, themes in every state, a shipped theme with its
customer updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from ai.types import word_count
from customers.choices import Industry, Lifecycle, Region, Tier
from customers.models import Customer
from feedback.choices import Category
from launches.models import CustomerUpdate, CustomerUpdateStatus
from notifications import digest_facts, digest_owner_facts, digests
from notifications.choices import Channel, DigestAudience, Kind
from notifications.models import Digest, Notification
from tests.factories import make_customer, make_feedback, make_launch, make_theme
from themes.choices import ThemeStatus
from themes.models import Theme
from themes.services import refresh_rollups

pytestmark = pytest.mark.django_db

CHURN_TEXT = "We are evaluating OpenAI before our renewal next month: the latency on Large keeps hurting our traders."
PRAISE_TEXT = "Codestral saved our team hours every single day, the completions are excellent and fast."
BUG_TEXT = "The batch API returns 500 errors on every job larger than ten thousand lines since Monday."


@dataclass
class DigestWeek:
    period: digest_facts.Period
    ann: object
    bob: object
    acme: Customer
    initech: Customer
    globex: Customer
    hooli: Customer
    sso: Theme
    webhooks: Theme
    shipped: Theme


def digest_week() -> DigestWeek:
    """The hand-made week (see the module docstring); every figure the tests assert follows from it."""
    users = get_user_model().objects
    pm = users.create_user(username="pm-owner", first_name="Paula", last_name="Martin")
    ann = users.create_user(username="ann", email="ann@hub.example", first_name="Ann", last_name="Lee")
    bob = users.create_user(username="bob", email="bob@hub.example", first_name="Bob")
    carl = users.create_user(username="carl")  # owns an account but has no email: no digest
    today = timezone.localdate()
    period = digest_facts.Period(start=today - timedelta(days=6), end=today)
    now = timezone.now()
    acme = make_customer(
        name="Acme Trading",
        tier=Tier.ENTERPRISE,
        arr=Decimal("450000"),
        industry=Industry.FINANCIAL_SERVICES,
        region=Region.NORTH_AMERICA,
        account_owner=ann,
        renewal_date=today + timedelta(days=30),
    )
    initech = make_customer(name="Initech", tier=Tier.STRATEGIC_PARTNER, arr=Decimal("1200000"), account_owner=ann)
    globex = make_customer(name="Globex", tier=Tier.MID_MARKET, arr=Decimal("60000"), account_owner=bob)
    hooli = make_customer(name="Hooli", tier=Tier.STARTUP, arr=Decimal("20000"), account_owner=bob)
    make_customer(name="Umbrella", industry=Industry.RETAIL, lifecycle_stage=Lifecycle.CHURNED, account_owner=carl)
    # Hooli grew this week: the history keeps its ARR before the change.
    Customer.objects.filter(pk=hooli.pk).update(arr=Decimal("50000"), lifecycle_stage=Lifecycle.EXPANSION)

    day = now - timedelta(days=1)
    churn = make_feedback(
        customer=acme,
        received_at=day,
        verbatim=CHURN_TEXT,
        category=Category.CHURN_SIGNAL,
        churn_signal=True,
        competitors=["OpenAI"],
        sentiment_score=-0.7,
        summary="Evaluating OpenAI before renewal: latency.",
    )
    request = make_feedback(
        customer=acme, received_at=day - timedelta(hours=2), verbatim="Please add SSO with Okta.", sentiment_score=0.0
    )
    praise = make_feedback(
        customer=initech, received_at=day, verbatim=PRAISE_TEXT, category=Category.PRAISE, sentiment_score=0.9
    )
    make_feedback(customer=initech, received_at=day, verbatim=PRAISE_TEXT + " Again.", duplicate_of=praise)
    bug = make_feedback(
        customer=globex, received_at=day, verbatim=BUG_TEXT, category=Category.BUG, sentiment_score=-0.5
    )
    make_feedback(customer=hooli, received_at=day, verbatim="Love it!", category=Category.PRAISE, sentiment_score=0.8)
    old = make_feedback(customer=globex, received_at=now - timedelta(days=10), verbatim="Okta SSO please, also.")

    sso = make_theme(name="SSO login", owner=pm)
    webhooks = make_theme(name="Batch webhooks", status=ThemeStatus.VALIDATED)
    planned = make_theme(name="Faster batch", status=ThemeStatus.VALIDATED)
    make_launch(name="Batch v2", themes=[planned])
    shipped = make_theme(name="Usage export")
    request.themes.add(sso)
    old.themes.add(sso)
    bug.themes.add(webhooks)
    churn.themes.add(shipped)
    refresh_rollups(theme_ids=[sso.pk, webhooks.pk, planned.pk, shipped.pk])
    Theme.objects.filter(pk=sso.pk).update(verify_notified_at=now)
    Theme.objects.filter(pk=shipped.pk).update(status=ThemeStatus.SHIPPED, shipped_at=now - timedelta(days=2))
    CustomerUpdate.objects.create(
        theme=shipped,
        customer=acme,
        owner=ann,
        message="Shipped!",
        due_on=today + timedelta(days=3),
        status=CustomerUpdateStatus.TOLD,
        told_at=now,
        told_by=ann,
    )
    CustomerUpdate.objects.create(
        theme=shipped, customer=globex, owner=bob, message="Shipped!", due_on=today - timedelta(days=1)
    )
    return DigestWeek(period, ann, bob, acme, initech, globex, hooli, sso, webhooks, shipped)


def facts_of(week: DigestWeek) -> dict:
    return digests.public(digest_facts.read_week(week.period).product())


# --- facts, section by section ---------------------------------------------------------------------------------------


def test_given_the_week_then_decisions_lead_with_the_hypothesis_to_verify_and_the_validated_theme_without_launch():
    week = digest_week()

    decisions = facts_of(week)["decisions"]

    kinds = [(d["kind"], d.get("name")) for d in decisions]
    assert ("verify", "SSO login") in kinds and ("plan", "Batch webhooks") in kinds
    assert ("plan", "Faster batch") not in kinds  # it has a launch
    verify = next(d for d in decisions if d["kind"] == "verify")
    assert (verify["items"], verify["customers"], verify["arr_text"], verify["owner"]) == (
        2,
        2,
        "$510k",
        "Paula Martin",
    )
    overdue = next(d for d in decisions if d["kind"] == "overdue_updates")
    assert (overdue["updates"], overdue["owners"]) == (1, 1)
    assert [d["kind"] for d in decisions][:2] == ["verify", "plan"]  # most ARR first: $510k, $60k, then the rest


def test_given_last_weeks_digest_then_top_themes_show_the_movement_since_last_week():
    week = digest_week()
    last = {
        "top_themes": [
            {"id": week.webhooks.pk, "arr": 10000.0, "customers": 1},
            {"id": week.sso.pk, "arr": 450000.0, "customers": 1},
        ]
    }
    last_end = week.period.end - timedelta(days=7)

    facts = digests.public(digest_facts.read_week(week.period, previous=last, previous_end=last_end).product())

    themes = facts["top_themes"]
    assert [t["name"] for t in themes] == ["SSO login", "Batch webhooks", "Faster batch"]  # shipped one left out
    sso, webhooks, faster = themes
    assert (sso["new_items"], sso["new_customers"]) == (1, 1)  # Acme asked this week; Globex ten days ago
    assert sso["previous"] == {
        "since": "last week",
        "rank": 2,
        "arr_change": 60000.0,
        "arr_change_text": "+$60k",
        "customers_change": 1,
    }
    assert webhooks["previous"]["rank"] == 1 and webhooks["previous"]["arr_change_text"] == "+$50k"
    assert (
        faster["previous"] is None
        and faster["new_in_list"]
        and (faster["new_items"], faster["new_customers"]) == (0, 0)
    )
    text = digests.render_template_digest("notifications/digest_product.md", title="T", facts=facts)
    assert "+1 new customer; since last week: +$60k ARR, was #2." in text
    assert "since last week: +$50k ARR, was #1." in text and "; new in the top 5." in text


def test_given_an_older_digest_or_none_then_the_movement_says_since_when_or_nothing():
    week = digest_week()
    last = {"top_themes": [{"id": week.sso.pk, "arr": 450000.0, "customers": 1}]}
    end = week.period.end - timedelta(days=21)

    (sso, *_) = digest_facts.top_themes(week.period, last, end)
    (first, *rest) = digest_facts.top_themes(week.period, {}, None)

    assert sso["previous"]["since"] == f"{end:%d %b}".lstrip("0")
    assert first["previous"] is None and not first["new_in_list"]  # no digest to compare with: no "new" claim


def test_given_the_week_then_coverage_gaps_are_segments_under_their_minimum_with_churned_accounts_left_out():
    week = digest_week()
    # Healthcare: 10 accounts (seed 001: 10-50 accounts need 5 data points) with 5 items: covered, no gap.
    clinics = [make_customer(name=f"Clinic {n}", industry=Industry.HEALTHCARE, arr=Decimal(1000)) for n in range(10)]
    for clinic in clinics[:5]:
        make_feedback(customer=clinic, received_at=timezone.now() - timedelta(days=40))
    # Government: 10 accounts with 2 items: a real gap (a sample too thin), listed before the anecdotal segments.
    agencies = [make_customer(name=f"Agency {n}", industry=Industry.GOVERNMENT, arr=Decimal(500)) for n in range(10)]
    for agency in agencies[:2]:
        make_feedback(customer=agency, received_at=timezone.now() - timedelta(days=80))
    make_feedback(customer=agencies[2], received_at=timezone.now() - timedelta(days=95))  # before the 90 days

    facts = facts_of(week)
    shown, every = facts["coverage"], digest_facts.coverage(week.period, limit=100)

    government, tech = shown["segments"][:2]
    assert (government["segment"], government["accounts"], government["items"], government["minimum"]) == (
        "Government",
        10,
        2,
        5,
    )
    assert not government["anecdotal"] and tech["anecdotal"]
    # Then the segments of under 10 accounts, largest ARR first: Initech, Globex and Hooli are Technology.
    assert (tech["dimension"], tech["segment"]) == ("Industry", "Technology")
    assert (tech["accounts"], tech["items"], tech["minimum"], tech["arr_text"]) == (3, 4, 5, "$1.3M")
    gaps = {(g["dimension"], g["segment"]): g for g in every["segments"]}
    assert ("Language", "English") not in gaps  # 24 accounts, 13 items: enough for 10-50 accounts
    finance = gaps["Industry", "Financial Services"]
    assert (finance["accounts"], finance["items"], finance["minimum"]) == (1, 2, 5)
    assert ("Industry", "Healthcare") not in gaps  # enough for its size
    assert ("Industry", "Retail") not in gaps  # Umbrella churned: nobody left to ask
    assert len(shown["segments"]) == 5 and shown["segments_total"] == len(every["segments"])
    assert shown["products_total"] == 10 and shown["products"][0]["minimum"] == 15
    text = digests.render_template_digest("notifications/digest_product.md", title="T", facts=facts)
    assert "- Industry **Government**: 2 items from 10 accounts ($5k ARR), needs 5+." in text
    assert "- Industry **Technology**: only 3 accounts ($1.3M ARR), 4 items: anecdotes, not a sample." in text


def test_given_the_week_then_high_value_feedback_counts_originals_of_big_accounts_by_tier():
    week = digest_week()

    high = facts_of(week)["high_value"]

    assert (high["items"], high["accounts"], high["arr_text"]) == (3, 2, "$1.6M")  # not the duplicate, not Globex
    assert [(t["tier"], t["items"], t["accounts"]) for t in high["by_tier"]] == [
        ("Strategic Partner", 1, 1),
        ("Enterprise", 2, 1),
    ]
    assert [a["customer"] for a in high["list"]] == ["Initech", "Acme Trading"]
    assert high["list"][1]["summary"] == "Evaluating OpenAI before renewal: latency."  # the latest item's


def test_given_the_week_then_churn_signals_name_the_competitor_and_the_renewal():
    week = digest_week()

    churn = facts_of(week)["churn"]

    assert (churn["accounts"], churn["renewals_soon"]) == (1, 1)
    assert churn["competitors"] == [{"name": "OpenAI", "accounts": 1}]
    (acme,) = churn["list"]
    assert (acme["customer"], acme["renewal_in_days"], acme["competitors"]) == ("Acme Trading", 30, ["OpenAI"])


def test_given_the_week_then_wins_are_praise_and_the_account_that_expanded():
    week = digest_week()

    wins = facts_of(week)["wins"]

    assert [a["customer"] for a in wins["list"]] == ["Initech", "Hooli"] and wins["items"] == 2
    (hooli,) = wins["expansions"]
    assert (hooli["customer"], hooli["arr_change_text"], hooli["moved_to_expansion"]) == ("Hooli", "+$30k", True)


def test_given_the_week_then_the_verbatims_are_the_heaviest_readable_quotes_of_distinct_accounts():
    week = digest_week()

    verbatims = facts_of(week)["verbatims"]

    # ARR × |sentiment|: Initech 1.08M (praise), Acme 315k (churn), Globex 30k (bug); "Love it!" is too short.
    assert [(v["customer"], v["tone"]) for v in verbatims] == [
        ("Initech", "positive"),
        ("Acme Trading", "negative"),
        ("Globex", "negative"),
    ]
    assert verbatims[1]["text"] == CHURN_TEXT


def test_given_amounts_then_they_read_short():
    assert [digest_facts.money(v) for v in (950, 450_000, 1_250_000, 4_204_300_000)] == [
        "$950",
        "$450k",
        "$1.2M",
        "$4.2B",
    ]


def test_given_two_quotes_of_one_tone_then_the_third_is_the_best_of_the_other_tone():
    rows = [
        {"id": 1, "weight": 9.0, "sentiment_score": -0.9, "company": "A", "arr": 1.0, "verbatim": "a", "url": ""},
        {"id": 2, "weight": 8.0, "sentiment_score": -0.8, "company": "B", "arr": 1.0, "verbatim": "b", "url": ""},
        {"id": 3, "weight": 7.0, "sentiment_score": -0.7, "company": "C", "arr": 1.0, "verbatim": "c", "url": ""},
        {"id": 4, "weight": 1.0, "sentiment_score": 0.5, "company": "D", "arr": 1.0, "verbatim": "d", "url": ""},
    ]

    assert [v["customer"] for v in digest_facts.pick_verbatims(rows)] == ["A", "B", "D"]


def test_given_the_week_then_shipped_lists_the_theme_and_who_was_told():
    week = digest_week()

    shipped = facts_of(week)["shipped"]

    (theme,) = shipped["themes"]
    assert (theme["name"], theme["told"], theme["to_tell"]) == ("Usage export", 1, 1)
    assert shipped["updates"] == {"told": 1, "to_tell": 1, "overdue": 1, "told_customers": ["Acme Trading"]}


def test_given_the_week_then_each_owner_reads_only_their_accounts_and_what_they_must_do():
    week = digest_week()
    book = digest_facts.read_week(week.period)
    own = digest_owner_facts.read_owner_sections(week.period)

    ann = digests.public(digest_owner_facts.owner_facts(book, own, week.ann.pk))
    bob = digests.public(digest_owner_facts.owner_facts(book, own, week.bob.pk))

    assert digest_owner_facts.owners(book, own) >= {week.ann.pk, week.bob.pk}
    assert [a["customer"] for a in ann["high_value"]["list"]] == ["Initech", "Acme Trading"]
    assert bob["high_value"]["items"] == 0 and [a["customer"] for a in bob["wins"]["list"]] == ["Hooli"]
    assert [v["customer"] for v in ann["verbatims"]] == ["Initech", "Acme Trading"]
    (tell,) = bob["decisions"]
    assert (tell["kind"], tell["to_tell_total"], tell["overdue"]) == ("tell_customers", 1, 1)
    assert tell["to_tell"][0]["customer"] == "Globex" and tell["to_tell"][0]["theme"] == "Usage export"
    assert ann["decisions"] == [] and ann["shipped"]["told"] == 1
    assert [t["name"] for t in ann["themes_asked"]] == ["SSO login", "Usage export"]
    assert [t["name"] for t in bob["themes_asked"]] == ["Batch webhooks"]


# --- writing, storing, sending -------------------------------------------------------------------------------------


def test_given_the_week_when_written_offline_then_one_product_digest_goes_to_slack_and_one_email_per_owner():
    week = digest_week()

    written = digests.write_weekly_digests(week.period.end)

    assert sorted((d.audience, d.owner_id) for d in written) == sorted(
        [
            (DigestAudience.PRODUCT, None),
            (DigestAudience.ACCOUNT_OWNER, week.ann.pk),
            (DigestAudience.ACCOUNT_OWNER, week.bob.pk),
        ]
    )
    product = next(d for d in written if d.audience == DigestAudience.PRODUCT)
    assert product.writer == digests.OFFLINE_WRITER and product.word_count == word_count(product.body) < 500
    assert product.facts["top_themes"][0]["name"] == "SSO login" and "_owner" not in str(product.facts)
    end = week.period.end
    notes = {n.key: n for n in Notification.objects.filter(kind=Kind.DIGEST)}
    assert set(notes) == {
        f"digest:{end}:product",
        f"digest:{end}:owner:{week.ann.pk}",
        f"digest:{end}:owner:{week.bob.pk}",
    }
    slack = notes[f"digest:{end}:product"]
    assert (slack.channel, slack.recipient, slack.subject) == (Channel.SLACK, "product", product.title)
    assert slack.blocks[0]["type"] == "header" and "*Needs a decision this week*" in slack.body
    email = notes[f"digest:{end}:owner:{week.ann.pk}"]
    assert (email.channel, email.recipient) == (Channel.EMAIL, "ann@hub.example")
    assert "Globex" not in email.body and "Initech" in email.body


def test_given_the_offline_digest_then_it_opens_with_decisions_and_has_every_section_in_order():
    week = digest_week()

    (product,) = [d for d in digests.write_weekly_digests(week.period.end) if d.owner_id is None]

    headings = [line for line in product.body.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Needs a decision this week",
        "## Top themes by ARR impact",
        "## Coverage gaps (last 90 days)",
        "## New high-value feedback",
        "## New churn signals",
        "## Wins to celebrate",
        "## Verbatims of the week",
        "## Shipped, and who was told",
    ]
    body = product.body
    assert "**Verify before building: SSO login**: 2 items from 2 customers ($510k ARR)" in body
    assert "**Plan or park: Batch webhooks**" in body and "Faster batch**: validated" not in body
    assert f"“{CHURN_TEXT}” (Acme Trading, $450k)" in body
    assert "competitors named: OpenAI (1)" in body and "renews in 30 days" in body
    assert "Expansion: **Hooli** moved to Expansion, ARR +$30k to $50k." in body
    assert "**Usage export** shipped" in body and "1 told this week (Acme Trading); 1 still to tell, 1 overdue" in body


def test_given_the_digests_written_when_the_job_runs_again_then_nothing_new_is_written_or_sent():
    week = digest_week()
    digests.write_weekly_digests(week.period.end)

    again = digests.write_weekly_digests(week.period.end)

    assert again == []
    assert Digest.objects.filter(period_end=week.period.end).count() == 3
    assert Notification.objects.filter(kind=Kind.DIGEST).count() == 3


def test_given_a_second_writer_that_read_the_week_before_the_first_stored_then_it_stores_and_sends_nothing():
    period = digests.period_for(timezone.localdate())
    text = digests.Written(body="# Weekly digest\n\n- one\n", writer="offline (templates)")

    def write() -> list:
        return digests.store(period=period, audience=DigestAudience.PRODUCT, owner=None, title="T", facts={}, text=text)

    first, second = write(), write()

    assert len(first) == 1 and second == []
    assert Digest.objects.count() == 1 and Notification.objects.filter(kind=Kind.DIGEST).count() == 1


def test_given_a_new_owner_after_the_digests_when_run_again_then_only_their_digest_is_written():
    week = digest_week()
    digests.write_weekly_digests(week.period.end)
    dora = get_user_model().objects.create_user(username="dora", email="dora@hub.example")
    Customer.objects.filter(pk=week.globex.pk).update(account_owner=dora)

    again = digests.write_weekly_digests(week.period.end)

    assert [(d.audience, d.owner_id) for d in again] == [(DigestAudience.ACCOUNT_OWNER, dora.pk)]


def test_given_many_long_themes_and_quotes_then_the_digest_stays_under_500_words():
    week = digest_week()
    long_name = "Very long theme name about streaming function calling with structured outputs and retries"
    for n in range(40):
        theme = make_theme(name=f"{long_name} {n}", status=ThemeStatus.VALIDATED if n % 2 else ThemeStatus.HYPOTHESIS)
        Theme.objects.filter(pk=theme.pk).update(
            arr_impacted=Decimal(1_000_000 + n),
            unique_customers=40,
            feedback_count=90,
            verify_notified_at=timezone.now(),
        )
        customer = make_customer(
            name=f"Enterprise account with a long legal name number {n} Holdings", arr=Decimal(500_000)
        )
        make_feedback(
            customer=customer,
            received_at=timezone.now() - timedelta(hours=n + 1),
            verbatim=("This is a long and detailed verbatim about what hurts us every day in production " * 3)[:299],
            summary=("A summary that uses all the characters it may use to describe the problem " * 3)[:140],
            category=Category.CHURN_SIGNAL if n % 3 == 0 else Category.PRAISE,
            churn_signal=n % 3 == 0,
            competitors=["OpenAI", "Anthropic", "Cohere"] if n % 3 == 0 else [],
            sentiment_score=-0.9 if n % 3 == 0 else 0.9,
        )

    written = digests.write_weekly_digests(week.period.end)

    assert written and all(d.word_count < 500 for d in written)
    product = next(d for d in written if d.owner_id is None)
    assert product.body.count("**Verify before building") >= 1 and product.body.count("“") >= 2


def test_given_a_digest_over_the_limit_then_lists_are_shortened_least_decisive_first():
    facts = {
        "decisions": [],
        "top_themes": [],
        "coverage": {},
        "high_value": {},
        "churn": {},
        "wins": {},
        "verbatims": [],
    }
    facts["shipped"] = {"themes": [], "launches": [], "updates": {"told": 0, "to_tell": 0, "overdue": 0}}

    full = digests.render_template_digest("notifications/digest_product.md", title="T", facts=facts)
    short = digests.render_template_digest("notifications/digest_product.md", title="T", facts=facts, word_limit=5)

    assert word_count(full) < 500 and word_count(short) <= 5


def test_given_a_friday_or_a_later_day_then_the_default_week_is_the_seven_days_before_the_last_friday():
    friday = timezone.localdate().replace(year=2026, month=12, day=4)  # a Friday

    assert digests.default_period_end(friday) == friday - timedelta(days=1)
    assert digests.default_period_end(friday + timedelta(days=6)) == friday - timedelta(days=1)
    assert digests.default_period_end(friday + timedelta(days=7)) == friday + timedelta(days=6)
    assert digests.period_for(friday - timedelta(days=1)).start == friday - timedelta(days=7)


def test_given_a_fresh_install_then_the_digest_runs_fridays_at_16_utc_and_expires_within_hours():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.select_related("crontab").get(task="notifications.tasks.write_weekly_digests")

    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week, str(crontab.timezone)) == ("0", "16", "5", "UTC")
    assert task.enabled and 0 < task.expire_seconds <= 6 * 3600


def test_given_an_upper_app_registering_decisions_then_they_join_the_product_digest_and_their_owners(monkeypatch):
    week = digest_week()
    monkeypatch.setattr(digest_facts, "_decision_sources", [])

    def open_escalations(period):
        return [
            {
                "kind": "escalation",
                "text": "Escalation: Acme Trading churn risk",
                "arr": 450_000.0,
                "_owner": week.ann.pk,
            }
        ]

    digest_facts.register_decision_source(open_escalations)
    digest_facts.register_decision_source(open_escalations)  # ready() twice: registered once
    book = digest_facts.read_week(week.period)
    own = digest_owner_facts.read_owner_sections(week.period)

    product = [d.get("text") for d in book.product()["decisions"]]
    ann = digest_owner_facts.owner_facts(book, own, week.ann.pk)["decisions"]
    bob = digest_owner_facts.owner_facts(book, own, week.bob.pk)["decisions"]

    assert product.count("Escalation: Acme Trading churn risk") == 1
    assert [d["kind"] for d in book.product()["decisions"]][:2] == ["verify", "escalation"]  # by ARR: $510k, $450k
    assert [d["text"] for d in ann] == ["Escalation: Acme Trading churn risk"]
    assert all(d["kind"] != "escalation" for d in bob)
    text = digests.render_template_digest(
        "notifications/digest_owner.md",
        title="T",
        facts=digests.public({**digest_owner_facts.owner_facts(book, own, week.ann.pk)}),
    )
    assert "- Escalation: Acme Trading churn risk" in text
