"""New items join the theme whose members they resemble (real offline vectors, real pgvector), never below the
space's threshold; the rollups follow."""

import pytest
from django.conf import settings

from feedback.services import add_theme
from tests.factories import make_customer, make_theme
from tests.themes.embedded_items import embedded_items, messages
from themes import services
from themes.matching import match_items, match_threshold, theme_centroids
from themes.models import Theme
from themes.tasks import match_items as match_items_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def intents():
    return messages()


@pytest.fixture
def themes(intents):
    """Two themes of 4 members each: exchange rates and closing an account."""
    rates, closing = make_theme(name="Exchange rates"), make_theme(name="Closing an account")
    add_theme(items=embedded_items(intents["exchange_rate"][:4]), theme=rates)
    add_theme(items=embedded_items(intents["terminate_account"][:4]), theme=closing)
    return rates, closing


def test_given_the_offline_space_then_the_calibrated_threshold_applies():
    from feedback.services import active_embedding_space

    assert match_threshold(active_embedding_space()) == settings.THEME_MATCH_THRESHOLDS["offline"] == 0.7


def test_given_new_items_when_matched_then_each_joins_the_theme_it_resembles_and_others_stay_unthemed(themes, intents):
    rates, closing = themes
    rate, close, phone, age = embedded_items(
        [
            intents["exchange_rate"][4],
            intents["terminate_account"][4],
            intents["lost_or_stolen_phone"][4],
            intents["age_limit"][5],  # nearest theme: closing an account, at ~0.44
        ]
    )

    added = match_items(item_ids=[rate.pk, close.pk, phone.pk, age.pk])

    assert added == {rate.pk: rates.pk, close.pk: closing.pk}
    assert list(phone.themes.all()) == [] and list(age.themes.all()) == []
    assert set(Theme.objects.filter(rollups_dirty=True)) == {rates, closing}


def test_given_a_near_miss_when_matched_then_it_joins_only_once_the_threshold_is_below_it(themes, intents, settings):
    lost = make_theme(name="Lost phone")
    add_theme(items=embedded_items(intents["lost_or_stolen_phone"][:4]), theme=lost)
    (near,) = embedded_items([intents["lost_or_stolen_phone"][6]])  # ~0.58 to the theme's centre

    assert match_items(item_ids=[near.pk]) == {}

    settings.THEME_MATCH_THRESHOLDS = {**settings.THEME_MATCH_THRESHOLDS, "offline": 0.55}
    assert match_items(item_ids=[near.pk]) == {near.pk: lost.pk}


def test_given_a_themed_item_or_a_duplicate_then_it_is_never_matched_again(themes, intents):
    rates, _ = themes
    first, duplicate = embedded_items([intents["exchange_rate"][4], intents["exchange_rate"][6]])
    duplicate.duplicate_of = first
    duplicate.save()

    assert match_items(item_ids=[first.pk, duplicate.pk]) == {first.pk: rates.pk}
    assert match_items(item_ids=[first.pk, duplicate.pk]) == {}
    assert list(first.themes.all()) == [rates]


def test_given_a_shipped_theme_then_nothing_joins_it(themes, intents):
    rates, _ = themes
    Theme.objects.filter(pk=rates.pk).update(status="shipped")
    (rate,) = embedded_items([intents["exchange_rate"][4]])

    assert match_items(item_ids=[rate.pk]) == {}
    assert rates.pk not in theme_centroids(space=rate.embeddings.get().space)[0]


def test_given_matches_when_the_rollups_refresh_then_counts_and_arr_include_the_new_items(themes, intents):
    rates, _ = themes
    big = make_customer(arr=250_000)
    (rate,) = embedded_items([intents["exchange_rate"][4]], customer=big)

    match_items_task.apply(args=[[rate.pk]])
    services.refresh_stale_rollups()

    rates.refresh_from_db()
    assert rates.feedback_count == 5
    assert rates.unique_customers == 1
    assert rates.arr_impacted == 250_000


def test_given_a_batch_then_matching_takes_a_bounded_number_of_queries(themes, intents, django_assert_max_num_queries):
    items = embedded_items([intents["exchange_rate"][index] for index in (4, 6, 7)])

    with django_assert_max_num_queries(8):
        added = match_items(item_ids=[item.pk for item in items])

    assert set(added.values()) <= {themes[0].pk}
    assert items[0].pk in added


def test_the_task_is_registered_under_the_name_triage_sends():
    assert match_items_task.name == "themes.tasks.match_items"


def test_given_centres_computed_once_then_the_next_batch_reads_them_from_the_cache(
    themes, intents, django_assert_num_queries
):
    first, second = embedded_items([intents["lost_or_stolen_phone"][4], intents["lost_or_stolen_phone"][5]])
    match_items(item_ids=[first.pk])  # no theme near: nothing added, the centres are now cached

    with django_assert_num_queries(2):  # the space and the items' vectors: no aggregate
        assert match_items(item_ids=[second.pk]) == {}


@pytest.fixture
def centroid_keys(themes):
    from django.core.cache import cache

    from feedback.services import active_embedding_space

    space = active_embedding_space()
    key = f"themes:centroids:{space.pk}"
    cache.delete_many([key, f"{key}:stale", f"{key}:computing"])
    yield space, key
    cache.delete_many([key, f"{key}:stale", f"{key}:computing"])


def test_given_cold_centres_then_one_process_computes_them_and_keeps_a_copy_for_the_next_minute_up(
    centroid_keys, themes
):
    from django.core.cache import cache

    space, key = centroid_keys

    ids, centres = theme_centroids(space=space)

    assert set(ids) == {theme.pk for theme in themes} and centres.shape == (2, space.dimensions)
    assert cache.get(key) is not None and cache.get(f"{key}:stale") is not None
    assert cache.get(f"{key}:computing") is None  # released


def test_given_another_process_computing_then_the_previous_centres_serve_without_a_query(
    centroid_keys, themes, django_assert_num_queries
):
    from django.core.cache import cache

    space, key = centroid_keys
    theme_centroids(space=space)
    previous = cache.get(key)
    cache.delete(key)  # the minute is up
    cache.add(f"{key}:computing", 1, 60)  # and another process is computing them

    with django_assert_num_queries(0):
        ids, _ = theme_centroids(space=space)

    assert sorted(ids) == sorted(previous[0])


def test_given_another_process_computing_and_no_previous_centres_then_it_computes_them(centroid_keys, themes):
    from django.core.cache import cache

    space, key = centroid_keys
    cache.add(f"{key}:computing", 1, 60)

    ids, _ = theme_centroids(space=space)

    assert set(ids) == {theme.pk for theme in themes}
    assert cache.get(f"{key}:computing") == 1  # the other process's lock stays until it is done


def test_given_the_cache_unreachable_then_the_centres_are_computed(themes, settings):
    from feedback.services import active_embedding_space

    space = active_embedding_space()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # a closed port
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    ids, _ = theme_centroids(space=space)

    assert set(ids) == {theme.pk for theme in themes}
