"""The holdout comparison: did mailing move the reactivation rate, and can we tell?

Interval: Newcombe's hybrid score interval for a difference of two
independent proportions (Newcombe 1998, "Interval estimation for the
difference between independent proportions", method 10). Each arm gets a
Wilson score interval; the interval for p1 − p2 combines their distances from
the point estimates. Unlike the Wald interval it stays inside [−1, 1], does
not collapse to a width of zero when a rate is 0 % or 100 %, and keeps close
to its nominal 95 % coverage with a few dozen contacts per arm — the sizes a
holdout of 5–10 % of a segment gives.

Verdict (the rule the report states in words):
- "no_holdout": one arm is empty (the campaign kept no control group, or
  nothing fell in the date range);
- "too_small": fewer than MIN_PER_ARM contacts in either arm, or fewer than
  MIN_EVENTS reactivations across both arms — the interval would be so wide
  that any reading of it is noise;
- "lift" / "drop": the whole 95 % interval is above / below zero;
- "unclear": the interval spans zero; there may be an effect, but this data
  cannot tell it from chance.
"""
import math
from dataclasses import dataclass

Z95 = 1.959963984540054
MIN_PER_ARM = 30
MIN_EVENTS = 10


@dataclass(frozen=True)
class HoldoutComparison:
    mailed: int
    mailed_reactivated: int
    holdout: int
    holdout_reactivated: int
    mailed_rate: float | None
    holdout_rate: float | None
    lift: float | None  # absolute, mailed rate − holdout rate
    lift_low: float | None
    lift_high: float | None
    verdict: str


def wilson_interval(successes, total, z=Z95):
    """Wilson score interval for one proportion: (low, high); (0, 1) when total is 0."""
    if total <= 0:
        return 0.0, 1.0
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def difference_interval(x1, n1, x2, n2, z=Z95):
    """Newcombe's hybrid score interval for p1 − p2: (difference, low, high)."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, z)
    l2, u2 = wilson_interval(x2, n2, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high


def holdout_compare(*, mailed, mailed_reactivated, holdout, holdout_reactivated):
    """Rates of both arms, the absolute lift with its 95 % interval, and the verdict (see the module doc)."""
    if mailed <= 0 or holdout <= 0:
        return HoldoutComparison(mailed, mailed_reactivated, holdout, holdout_reactivated,
                                 mailed_reactivated / mailed if mailed else None,
                                 holdout_reactivated / holdout if holdout else None,
                                 None, None, None, "no_holdout")
    d, low, high = difference_interval(mailed_reactivated, mailed, holdout_reactivated, holdout)
    if min(mailed, holdout) < MIN_PER_ARM or mailed_reactivated + holdout_reactivated < MIN_EVENTS:
        verdict = "too_small"
    elif low > 0:
        verdict = "lift"
    elif high < 0:
        verdict = "drop"
    else:
        verdict = "unclear"
    return HoldoutComparison(mailed, mailed_reactivated, holdout, holdout_reactivated,
                             mailed_reactivated / mailed, holdout_reactivated / holdout, d, low, high, verdict)
