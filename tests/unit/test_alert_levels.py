"""The Overview's SOC levels and trends, now derived from shared queries, equal the raw rows'
figures, and a cold impact view issues the few queries it needs."""

from __future__ import annotations

from unittest import mock

import pandas as pd
import pytest

from dashboard.analysis.response_time import response_time_estimate
from dashboard.callbacks import overview
from dashboard.callbacks.views import views_of_app
from dashboard.data import queries
from dashboard.data.cache import cache
from dashboard.domain import TIME_RANGES
from tests.helpers import stored_table

pytestmark = pytest.mark.usefixtures("app_context")

# Written out here rather than read from the query layer: the periods the cards compare.
PERIOD = {"24h": "1D", "7d": "7D", "30d": "7D", "90d": "7D", "all": "7D"}
LENGTH = {"24h": "1D", "7d": "7D", "30d": "30D", "90d": "90D", "all": None}


def _periods(range_key: str) -> tuple[tuple, tuple]:
    """(start, stop) of the start and the current period, from the raw tables."""
    end = queries.as_of() + pd.Timedelta(microseconds=1)
    period = pd.Timedelta(PERIOD[range_key])
    if range_key in ("24h", "7d"):  # the period before
        return (end - 2 * period, end - period), (end - period, end)
    if LENGTH[range_key] is None:  # all time begins with the first alert or session
        start = min(
            stored_table("alerts")["timestamp"].min(),
            stored_table("training_sessions")["started_at"].min(),
        )
    else:
        start = end - pd.Timedelta(LENGTH[range_key])
    return (start, start + period), (end - period, end)


def _raw_levels(alerts: pd.DataFrame, start: pd.Timestamp, stop: pd.Timestamp) -> dict:
    rows = alerts[(alerts["timestamp"] >= start) & (alerts["timestamp"] < stop)]
    answered = rows["response_time_min"].notna()
    if answered.all():
        response = rows["response_time_min"].mean()
    else:  # open alerts wait from their timestamp to as_of: Kaplan-Meier, one by one
        waited = (queries.as_of() - rows["timestamp"]).dt.total_seconds() / 60.0
        durations = rows["response_time_min"].where(answered, waited.clip(lower=0.0))
        estimate = response_time_estimate(durations.to_numpy(), answered.to_numpy())
        response = estimate["restricted_mean"]
    return {
        "automation_rate": rows["automated"].mean(),
        "false_positive_rate": rows["false_positive"].mean(),
        "response_min": response,
        "open": int((~answered).sum()),
    }


@pytest.mark.parametrize("range_key", list(TIME_RANGES))
@pytest.mark.parametrize("model", ["all", "incident_classification"])
def test_kpi_change_equals_the_raw_rows_of_its_two_periods(range_key, model):
    alerts = stored_table("alerts")
    if model != "all":
        alerts = alerts[alerts["model_type"] == model]
    first, last = _periods(range_key)
    start, current = _raw_levels(alerts, *first), _raw_levels(alerts, *last)
    change = queries.alert_kpi_change(range_key, model)
    assert change.attrs["open"] == current["open"]
    for kpi in queries.LEVELS:
        assert change.loc[kpi, "start"] == pytest.approx(start[kpi], rel=1e-9)
        assert change.loc[kpi, "current"] == pytest.approx(current[kpi], rel=1e-9)
        assert change.loc[kpi, "change"] == pytest.approx(current[kpi] - start[kpi], abs=1e-9)


def test_the_current_period_has_open_alerts_so_its_mean_is_the_shared_kaplan_meier_one():
    # Otherwise the test above would not reach the waits alert_trends shares with the cards.
    for range_key in TIME_RANGES:
        assert queries.alert_kpi_change(range_key, "all").attrs["open"] > 0


def _cold_impact_queries(range_key: str) -> int:
    cache.clear()
    views_of_app().clear()
    with mock.patch.object(queries, "fetch", wraps=queries.fetch) as spy:
        overview.impact(range_key, "all")
    return spy.call_count


@pytest.mark.parametrize(
    ("range_key", "expected"),
    [
        # The range's sums per trend bucket (which also give the current period's levels, the
        # period being the whole range), the range's waits (the Kaplan-Meier means of its
        # buckets with open alerts and of the current period, in one query), and the sums of
        # the period before.
        ("24h", 3),
        ("7d", 3),
        # The same three: the sums of the range's first and last 7 days are one query (the
        # last 7 days are not whole buckets, so not from the range's sums).
        ("30d", 3),
        ("90d", 3),
        # The same, and when the data begins, where the first period starts (the first alert
        # and the first session: two queries).
        ("all", 5),
    ],
)
def test_a_cold_impact_view_issues_only_the_queries_it_needs(range_key, expected):
    assert _cold_impact_queries(range_key) == expected
