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
