"""The holdout comparison against textbook values: Newcombe (1998), Statistics in Medicine 17:873–890, Table II,
method 10 (hybrid score), and the verdict rule."""
import pytest

from reports.stats import MIN_EVENTS, MIN_PER_ARM, difference_interval, holdout_compare, wilson_interval


@pytest.mark.parametrize(("x1", "n1", "x2", "n2", "low", "high"), [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
])
def test_newcombe_hybrid_score_interval_matches_the_paper(x1, n1, x2, n2, low, high):
    d, lo, hi = difference_interval(x1, n1, x2, n2)
    assert d == pytest.approx(x1 / n1 - x2 / n2)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_interval_by_hand():
    # p = 0.2, n = 15: centre (0.2 + 1.96²/30) / (1 + 1.96²/15), half-width 1.96·√(0.16/15 + 1.96²/900) / same.
    low, high = wilson_interval(3, 15)
    assert (round(low, 4), round(high, 4)) == (0.0705, 0.4519)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_a_clear_lift_is_called_a_lift():
    result = holdout_compare(mailed=1000, mailed_reactivated=150, holdout=1000, holdout_reactivated=100)
    assert result.lift == pytest.approx(0.05)
    assert result.lift_low > 0 and result.verdict == "lift"


def test_a_clear_drop_is_called_a_drop():
    assert holdout_compare(mailed=1000, mailed_reactivated=50, holdout=1000, holdout_reactivated=100).verdict == "drop"


def test_an_interval_spanning_zero_is_unclear():
    result = holdout_compare(mailed=200, mailed_reactivated=22, holdout=200, holdout_reactivated=20)
    assert result.lift_low < 0 < result.lift_high
    assert result.verdict == "unclear"


def test_too_few_contacts_per_arm_is_too_small_even_with_a_big_difference():
    result = holdout_compare(mailed=500, mailed_reactivated=250, holdout=MIN_PER_ARM - 1, holdout_reactivated=0)
    assert result.lift_low > 0
    assert result.verdict == "too_small"


def test_too_few_reactivations_is_too_small():
    result = holdout_compare(mailed=400, mailed_reactivated=MIN_EVENTS - 2, holdout=100, holdout_reactivated=1)
    assert result.verdict == "too_small"
    enough = holdout_compare(mailed=400, mailed_reactivated=MIN_EVENTS - 1, holdout=100, holdout_reactivated=1)
    assert enough.verdict != "too_small"


def test_no_holdout_has_no_lift():
    result = holdout_compare(mailed=100, mailed_reactivated=10, holdout=0, holdout_reactivated=0)
    assert (result.verdict, result.lift, result.holdout_rate, result.mailed_rate) == ("no_holdout", None, None, 0.1)
