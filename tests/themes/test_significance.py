"""Seed 001's significance table and the Wilson interval."""

import pytest

from themes.significance import significance, wilson_interval


@pytest.mark.parametrize(
    ("segment_size", "data_points", "minimum", "enough", "confidence"),
    [
        (30, 5, 5, True, "Directional only"),
        (30, 4, 5, False, "Directional only"),
        (120, 15, 15, True, "~80% confidence"),
        (120, 14, 15, False, "~80% confidence"),
        (500, 50, 50, True, "~90% confidence"),
        (5000, 99, 100, False, "~95% confidence"),
        (4, 40, 5, False, "Anecdotal (segment under 10 accounts)"),
    ],
)
def test_given_segment_size_and_data_points_then_the_seed_table_gives_minimum_and_confidence(
    segment_size, data_points, minimum, enough, confidence
):
    verdict = significance(segment_size=segment_size, data_points=data_points)

    assert (verdict.minimum, verdict.enough, verdict.confidence) == (minimum, enough, confidence)
    assert verdict.label == (confidence if enough else f"Under-represented: needs {minimum}+ data points")


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),  # published Wilson bounds (e.g. Newcombe 1998, table I)
        (5, 10, 0.2366, 0.7634),
        (81, 263, 0.2553, 0.3662),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_given_a_proportion_then_the_wilson_interval_matches_published_values(successes, trials, low, high):
    assert wilson_interval(successes, trials) == pytest.approx((low, high), abs=5e-4)


def test_given_no_trials_then_the_interval_is_everything_and_impossible_counts_are_refused():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="between 0 and trials"):
        wilson_interval(11, 10)
