"""Response time with open alerts (right-censored): Kaplan-Meier median and restricted mean."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from dashboard.analysis.response_time import response_time_estimate

# Six alerts: answered after 2, 3, 5 and 8 minutes; two open for 3 and 6 minutes so far.
MINUTES = [2, 3, 3, 5, 6, 8]
ANSWERED = [True, True, False, True, False, True]


def test_hand_worked_kaplan_meier():
    # At risk / answered: t=2 6/1 -> S=5/6; t=3 5/1 (the open one still waits) -> 2/3;
    # t=5 3/1 -> 4/9; t=8 1/1 -> 0. The median is the first time S < 1/2: 5 minutes.
    # Area under S to 8: 2*1 + 1*5/6 + 2*2/3 + 3*4/9 = 5.5 minutes.
    estimate = response_time_estimate(MINUTES, ANSWERED)
    assert estimate == {
        "n": 6,
        "open": 2,
        "median": 5.0,
        "restricted_mean": pytest.approx(5.5),
        "horizon": 8.0,
    }


def test_a_shorter_horizon_caps_the_mean():
    # 2*1 + 1*5/6 + 1*2/3 = 3.5 minutes within the first 4.
    assert response_time_estimate(MINUTES, ANSWERED, horizon=4)["restricted_mean"] == (
        pytest.approx(3.5)
    )


def test_against_statsmodels_on_many_alerts():
    rng = np.random.default_rng(7)
    response = rng.exponential(8.0, 3000)
    opened_ago = rng.uniform(0, 30, 3000)  # alerts still open when the snapshot is taken
    answered = response <= opened_ago
    minutes = np.where(answered, response, opened_ago)
    estimate = response_time_estimate(minutes, answered, horizon=20)
    curve = SurvfuncRight(minutes, answered.astype(int))
    assert estimate["median"] == curve.quantile(0.5)
    grid = np.linspace(0, 20, 200_001)
    steps = np.searchsorted(curve.surv_times, grid, side="right")
    survival = np.concatenate([[1.0], curve.surv_prob])[steps]
    assert estimate["restricted_mean"] == pytest.approx(np.trapezoid(survival, grid), abs=1e-3)
    # The true median of an exponential with mean 8 is 8 log 2 = 5.55; leaving the open alerts
    # out, as a mean of answered alerts does, makes response look faster than it is.
    assert estimate["median"] == pytest.approx(8 * math.log(2), rel=0.06)
    assert np.median(minutes[answered]) < 0.8 * estimate["median"]
    assert estimate["open"] == int((~answered).sum())


def test_without_open_alerts_it_is_the_plain_mean():
    minutes = [1.0, 2.0, 3.0, 4.0, 10.0]
    estimate = response_time_estimate(minutes, [1, 1, 1, 1, 1])
    assert estimate["restricted_mean"] == pytest.approx(np.mean(minutes))
    assert estimate["median"] == 3.0 and estimate["open"] == 0


def test_too_many_open_alerts_leave_the_median_unknown():
    estimate = response_time_estimate([5, 6, 7, 2], [False, False, False, True])
    assert math.isnan(estimate["median"])  # S never falls below one half
    assert estimate["restricted_mean"] == pytest.approx(2 + 0.75 * 5)
    none_answered = response_time_estimate([5, 6], [False, False])
    assert math.isnan(none_answered["median"]) and none_answered["restricted_mean"] == 6.0


def test_no_alerts():
    estimate = response_time_estimate([], [])
    assert estimate["n"] == 0 and estimate["open"] == 0
    assert math.isnan(estimate["median"]) and math.isnan(estimate["restricted_mean"])


@pytest.mark.parametrize(
    ("minutes", "answered", "message"),
    [
        ([1.0, -2.0], [True, True], "non-negative"),
        ([1.0, math.nan], [True, True], "finite"),
        ([1.0, 2.0], [True], "equal length"),
        ([1.0, 2.0], [1, 2], "booleans"),
        ([[1.0]], [[True]], "one-dimensional"),
    ],
)
def test_bad_input_is_a_clear_error(minutes, answered, message):
    with pytest.raises(ValueError, match=message):
        response_time_estimate(minutes, answered)


def test_counted_durations_give_the_estimate_of_the_alerts_one_by_one():
    # The hand-worked six alerts as distinct (duration, state) rows with counts: 3 minutes
    # answered once and open once stay two rows.
    counted = response_time_estimate(
        [2, 3, 3, 5, 6, 8], [True, True, False, True, False, True], counts=[1, 1, 1, 1, 1, 1]
    )
    assert counted == response_time_estimate(MINUTES, ANSWERED)
    rng = np.random.default_rng(11)
    minutes = np.round(rng.lognormal(2.0, 0.6, 20_000), 1)
    answered = rng.random(20_000) < 0.9
    one_by_one = response_time_estimate(minutes, answered)
    distinct, counts = np.unique(np.column_stack([minutes, answered]), axis=0, return_counts=True)
    grouped = response_time_estimate(distinct[:, 0], distinct[:, 1].astype(bool), counts=counts)
    assert len(distinct) < 2_000
    assert grouped["n"] == 20_000 and grouped["open"] == one_by_one["open"]
    assert grouped["median"] == one_by_one["median"]
    assert grouped["restricted_mean"] == pytest.approx(one_by_one["restricted_mean"], rel=1e-12)


@pytest.mark.parametrize("counts", [[1, 0], [1, 1.5], [1, math.nan], [1]])
def test_counts_must_be_whole_alerts(counts):
    with pytest.raises(ValueError, match="counts"):
        response_time_estimate([1.0, 2.0], [True, True], counts=counts)
