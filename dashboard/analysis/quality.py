"""Data-quality thresholds, statuses and the composite score: pure functions, no Dash, no I/O.

Every indicator has a warning and a failing threshold. Fractions (everything except
`freshness_days`) are better when higher: a value strictly below the warning threshold is
"warning", strictly below the failing threshold "failing". Freshness, in days, is better when
lower: strictly above the thresholds. A value equal to a threshold is on its good side.

The defaults sit below the normal spread of healthy data, so a status other than "ok" means
something happened; `DASHBOARD_QUALITY_THRESHOLDS` overrides them per indicator as
`{"indicator": [warning, failing]}`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.schema import QUALITY_INDICATORS

OK, WARNING, FAILING, NO_DATA = "ok", "warning", "failing", "no data"
STATUSES: tuple[str, ...] = (OK, WARNING, FAILING, NO_DATA)
# Worse statuses sort higher, so the worst of several is their max by this rank.
STATUS_RANK = {NO_DATA: -1, OK: 0, WARNING: 1, FAILING: 2}

LOWER_IS_BETTER: frozenset[str] = frozenset({"freshness_days"})


@dataclass(frozen=True)
class Threshold:
    """Where an indicator turns to warning and to failing."""

    warning: float
    failing: float
    lower_is_better: bool = False


DEFAULT_THRESHOLDS: dict[str, Threshold] = {
    "quality_score": Threshold(0.88, 0.85),
    "label_accuracy": Threshold(0.92, 0.88),
    "completeness": Threshold(0.85, 0.80),
    "feature_coverage": Threshold(0.82, 0.78),
    "freshness_days": Threshold(4.0, 7.0, lower_is_better=True),
    "outlier_detection": Threshold(0.80, 0.75),
    "diversity": Threshold(0.85, 0.80),
    "class_balance": Threshold(0.80, 0.75),
}

# The pipeline reports `quality_score` without saying how it is built, so the dashboard shows,
# beside it, a composite it can explain: the fraction indicators, equally weighted because no
# one of them is known to matter more. Freshness (in days) has no place on that 0..1 scale and
# is judged by its own threshold.
COMPOSITE_WEIGHTS: dict[str, float] = {
    "label_accuracy": 1 / 6,
    "completeness": 1 / 6,
    "feature_coverage": 1 / 6,
    "outlier_detection": 1 / 6,
    "diversity": 1 / 6,
    "class_balance": 1 / 6,
}

SETTING = "DASHBOARD_QUALITY_THRESHOLDS"


def quality_thresholds(overrides: Mapping[str, object] | None = None) -> dict[str, Threshold]:
    """The default thresholds with `overrides` ({"indicator": [warning, failing]}) laid on top.

    Raises ValueError, naming the setting, for an unknown indicator, a value that is not two
    finite numbers, fractions outside 0..1, or a failing threshold on the good side of the
    warning one.
    """
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        raise ValueError(f"{SETTING} must be a JSON object")
    thresholds = dict(DEFAULT_THRESHOLDS)
    for indicator, pair in overrides.items():
        if indicator not in DEFAULT_THRESHOLDS:
            raise ValueError(
                f"{SETTING}: unknown indicator {str(indicator)[:40]!r}; "
                f"allowed: {', '.join(QUALITY_INDICATORS)}"
            )
        warning, failing = _pair(indicator, pair)
        lower_is_better = indicator in LOWER_IS_BETTER
        if lower_is_better:
            if warning < 0:
                raise ValueError(f"{SETTING}: {indicator} thresholds must not be negative")
            if failing < warning:
                raise ValueError(
                    f"{SETTING}: {indicator} is better when lower, so its failing threshold "
                    f"({failing:g}) must be at least its warning threshold ({warning:g})"
                )
        else:
            if not (0 <= failing <= 1 and 0 <= warning <= 1):
                raise ValueError(f"{SETTING}: {indicator} thresholds are fractions in 0..1")
            if failing > warning:
                raise ValueError(
                    f"{SETTING}: {indicator} is better when higher, so its failing threshold "
                    f"({failing:g}) must be at most its warning threshold ({warning:g})"
                )
        thresholds[indicator] = Threshold(warning, failing, lower_is_better)
    return thresholds


def _pair(indicator: str, pair: object) -> tuple[float, float]:
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        raise ValueError(f"{SETTING}: {indicator} needs [warning, failing], got {pair!r:.60}")
    numbers = []
    for value in pair:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"{SETTING}: {indicator} thresholds must be finite numbers")
        numbers.append(float(value))
    return numbers[0], numbers[1]


def status(value: float | None, threshold: Threshold) -> str:
    """ "ok", "warning" or "failing" for one value; "no data" when it is missing (NaN)."""
    if value is None or not math.isfinite(value):
        return NO_DATA
    if threshold.lower_is_better:
        if value > threshold.failing:
            return FAILING
        return WARNING if value > threshold.warning else OK
    if value < threshold.failing:
        return FAILING
    return WARNING if value < threshold.warning else OK


def statuses(values: pd.DataFrame, thresholds: Mapping[str, Threshold]) -> pd.DataFrame:
    """The status of every value of every indicator column of `values` (same index)."""
    result = {}
    for indicator in values.columns.intersection(list(thresholds)):
        threshold = thresholds[indicator]
        column = values[indicator].to_numpy(dtype=float)
        if threshold.lower_is_better:
            failing, warning = column > threshold.failing, column > threshold.warning
        else:
            failing, warning = column < threshold.failing, column < threshold.warning
        result[indicator] = np.select(
            [np.isnan(column), failing, warning], [NO_DATA, FAILING, WARNING], OK
        )
    return pd.DataFrame(result, index=values.index, dtype=object)


def status_counts(day_statuses: pd.DataFrame) -> pd.DataFrame:
    """Per indicator (rows): how many days were ok, warning, failing and without data."""
    counts = {
        indicator: day_statuses[indicator].value_counts().reindex(STATUSES, fill_value=0)
        for indicator in day_statuses.columns
    }
    return pd.DataFrame(counts, index=list(STATUSES)).T.astype(int)


def flagged_days(day_statuses: pd.DataFrame) -> pd.Series:
    """Per day (the index): whether any indicator was at warning or failing."""
    return day_statuses.isin([WARNING, FAILING]).any(axis=1)


def composite_score(values: pd.DataFrame | pd.Series) -> pd.Series | float:
    """The weighted mean of the indicators in COMPOSITE_WEIGHTS, per row or for one Series."""
    weights = pd.Series(COMPOSITE_WEIGHTS)
    if isinstance(values, pd.Series):
        return float((values.reindex(weights.index) * weights).sum(min_count=len(weights)))
    return (values[list(weights.index)] * weights).sum(axis=1, min_count=len(weights))


INDICATOR_SUMMARY_COLUMNS = (
    "status",
    "worst_model_type",
    "latest_date",
    "days_below",
    "days",
    "all_models",
    "all_models_latest",
)


def indicator_summary(daily: pd.DataFrame, thresholds: Mapping[str, Threshold]) -> pd.DataFrame:
    """What each indicator's card shows, from daily values per model type.

    ``daily`` has one row per (date, model_type) with a column per indicator, and optionally
    ``samples`` (that model type's training samples that day). Per indicator of ``thresholds``
    that ``daily`` holds (the index), columns:

    - ``status``: the worst model type's status on the latest day of ``daily`` (the range's),
      so one failing model type is not averaged away by healthy ones; ``worst_model_type`` is
      that model type (ties: the worse value). "no data" when no model type reported that day.
    - ``days_below``: the days on which at least one model type was on the bad side of the
      warning threshold (below it; above it for freshness), out of ``days`` with any value.
    - ``all_models``: the All Models value, the mean over the days of each day's value across
      model types weighted by their samples (equal weights without a ``samples`` column or
      when none has samples that day); freshness is the oldest model type's, since data are
      only as fresh as their stalest part. ``all_models_latest``: that value on the latest day.
    """
    missing = {"date", "model_type"} - set(daily.columns)
    if missing:
        raise ValueError(f"daily needs the columns {sorted(missing)}")
    indicators = [name for name in thresholds if name in daily.columns]
    rows = {}
    for indicator in indicators:
        threshold = thresholds[indicator]
        present = daily[daily[indicator].notna()]
        if present.empty:
            rows[indicator] = (NO_DATA, None, None, 0, 0, math.nan, math.nan)
            continue
        values = present[indicator].to_numpy(dtype=float)
        day_status = statuses(present[[indicator]], {indicator: threshold})[indicator]
        below = day_status.isin([WARNING, FAILING])
        latest_date = daily["date"].max()
        latest = present[present["date"] == latest_date]
        if latest.empty:
            status_now, worst = NO_DATA, None
        else:
            latest_status = day_status[latest.index]
            # Worse status first, then the worse value.
            badness = latest[indicator] * (1 if threshold.lower_is_better else -1)
            order = sorted(
                latest.index, key=lambda row: (-STATUS_RANK[latest_status[row]], -badness[row])
            )
            status_now, worst = latest_status[order[0]], str(latest.at[order[0], "model_type"])
        per_day = _all_models_per_day(present, indicator, values, threshold.lower_is_better)
        rows[indicator] = (
            status_now,
            worst,
            latest_date,
            int(present.loc[below, "date"].nunique()),
            int(present["date"].nunique()),
            float(per_day.mean()),
            float(per_day.get(latest_date, math.nan)),
        )
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=list(INDICATOR_SUMMARY_COLUMNS)
    ).rename_axis("indicator")


def _all_models_per_day(
    present: pd.DataFrame, indicator: str, values: np.ndarray, oldest: bool
) -> pd.Series:
    """Each day's All Models value of one indicator (rows without a value already dropped)."""
    days = present["date"]
    if oldest:
        return present.groupby("date")[indicator].max()
    if "samples" in present.columns:
        weights = pd.to_numeric(present["samples"], errors="coerce").fillna(0).clip(lower=0)
    else:
        weights = pd.Series(0.0, index=present.index)
    # A day whose model types have no samples at all weighs them equally.
    unweighted = weights.groupby(days).transform("sum") <= 0
    weights = weights.where(~unweighted, 1.0).to_numpy(dtype=float)
    frame = pd.DataFrame({"date": days.to_numpy(), "weighted": values * weights, "w": weights})
    totals = frame.groupby("date")[["weighted", "w"]].sum()
    return totals["weighted"] / totals["w"]
