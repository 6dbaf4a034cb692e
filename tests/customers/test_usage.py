"""Usage signals: last active day, usage change over 7 and 30 days, heavy-use features, refreshed in one UPDATE."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from customers import usage
from customers.models import Customer, UsageSnapshot
from customers.services import refresh_usage_signals
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 30)


def record(customer, *, days_back: range | list[int], users: int, features: dict | None = None) -> None:
    """One snapshot per day ``days_back`` days before TODAY, with ``users`` active users."""
    UsageSnapshot.objects.bulk_create(
        UsageSnapshot(
            customer=customer,
            taken_on=TODAY - timedelta(days=back),
            active_users=users,
            api_requests=users * 100,
            features_used=features or {},
        )
        for back in days_back
    )


def signals(customer) -> tuple:
    customer.refresh_from_db()
    return customer.last_active_on, customer.usage_change_7d, customer.usage_change_30d


def test_given_usage_that_fell_a_month_ago_then_the_30_day_change_shows_the_drop_and_the_7_day_one_does_not():
    dropping = make_customer()
    record(dropping, days_back=range(60, 90), users=100)  # before both windows: not counted
    record(dropping, days_back=range(30, 60), users=10)
    record(dropping, days_back=range(0, 30), users=6)

    refresh_usage_signals(today=TODAY)

    assert signals(dropping) == (TODAY, 0.0, -40.0)


def test_given_the_latest_day_not_reported_yet_then_the_windows_end_on_the_last_reported_day_and_show_no_drop():
    steady = make_customer()
    record(steady, days_back=range(1, 61), users=10)  # nothing for TODAY yet, for anyone

    refresh_usage_signals(today=TODAY)

    assert usage.reference_day(today=TODAY) == TODAY - timedelta(days=1)
    assert signals(steady) == (TODAY - timedelta(days=1), 0.0, 0.0)


def test_given_an_account_silent_for_ten_days_while_others_report_then_its_week_is_down_100_percent():
    silent, other = make_customer(), make_customer()
    record(other, days_back=range(0, 60), users=3)
    record(silent, days_back=range(10, 60), users=8)

    refresh_usage_signals(today=TODAY)

    assert signals(silent) == (TODAY - timedelta(days=10), -100.0, -33.3)


def test_given_too_little_history_then_the_change_is_empty_not_a_guess():
    new, newer = make_customer(), make_customer()
    record(new, days_back=range(0, 44), users=5)  # 14 of the 30 days before the last month: under half
    record(newer, days_back=range(0, 10), users=5)  # 3 of the 7 days before the last week: under half

    refresh_usage_signals(today=TODAY)

    assert signals(new) == (TODAY, 0.0, None)
    assert signals(newer) == (TODAY, None, None)


def test_given_days_with_no_active_user_then_they_are_not_activity():
    idle = make_customer()
    record(idle, days_back=range(5, 60), users=4)
    record(idle, days_back=range(0, 5), users=0)

    refresh_usage_signals(today=TODAY)

    assert signals(idle)[0] == TODAY - timedelta(days=5)


def test_given_fresh_signals_when_refreshing_again_then_no_row_is_written():
    customer = make_customer()
    record(customer, days_back=range(0, 60), users=4)
    assert refresh_usage_signals(today=TODAY) == 1

    assert refresh_usage_signals(today=TODAY) == 0


def test_given_a_batch_for_some_accounts_when_refreshing_them_then_others_are_left_as_they_were():
    touched, untouched = make_customer(), make_customer()
    record(touched, days_back=range(0, 60), users=4)
    record(untouched, days_back=range(0, 60), users=4)

    refresh_usage_signals(customer_ids=[touched.pk], today=TODAY)

    assert signals(touched)[0] == TODAY
    assert signals(untouched) == (None, None, None)


def test_given_an_activity_older_than_the_windows_then_the_stored_last_active_day_is_kept():
    long_gone = make_customer(last_active_on=TODAY - timedelta(days=200))
    other = make_customer()
    record(other, days_back=range(0, 3), users=1)

    refresh_usage_signals(today=TODAY)

    assert signals(long_gone) == (TODAY - timedelta(days=200), None, None)


def test_given_feature_use_then_accounts_using_a_feature_more_than_nine_in_ten_others_are_its_heavy_users():
    accounts = [make_customer() for _ in range(11)]
    for rank, customer in enumerate(accounts):  # embeddings: 0..10 uses a day; batch: 1 a day for everyone
        record(customer, days_back=range(0, 30), users=2, features={"embeddings": rank, "batch": 1, "agents": "?"})
    light = make_customer()
    record(light, days_back=range(0, 30), users=1, features={"fine_tuning": 0})

    refresh_usage_signals(today=TODAY)

    heavy = dict(Customer.objects.values_list("pk", "heavy_features"))
    assert heavy[accounts[-1].pk] == ["embeddings"]  # 300 uses, more than 9 of the 9 others using it
    assert heavy[accounts[-2].pk] == []  # 270: more than 8 of 9 others only
    assert all(heavy[c.pk] == [] for c in accounts[:-1])  # batch: all tied, nobody stands out
    assert heavy[light.pk] == []
    assert Customer.objects.filter(heavy_features__contains=["embeddings"]).count() == 1


def test_given_a_usage_refresh_then_the_customer_history_records_nothing():
    customer = make_customer()
    record(customer, days_back=range(0, 60), users=4)

    refresh_usage_signals(today=TODAY)

    assert customer.events.count() == 0
