"""Data-quality and drift queries: daily indicators, their summary, feature drift, and marks.

As in `queries`, public functions validate their arguments (ValueError for anything outside the
allowed set), then call a memoised function keyed on the store's generation and normalised
arguments: windows become ISO strings, thresholds a sorted tuple. The engine filters the rows
by time and model type; the drift tests run on the samples of the two windows.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from cachetools import LRUCache

from dashboard.analysis.drift import (
    compared_shares,
    dataset_drift,
    drift_weeks_of,
    feature_drift,
)
from dashboard.analysis.quality import Threshold, flagged_days, indicator_summary, statuses
from dashboard.data.cache import cache
from dashboard.data.filters import Window
from dashboard.data.queries import (
    fetch,
    key,
    model_filter,
    rows_of,
    table_version,
    window,
    within,
)
from dashboard.data.sources import MissingTable
from dashboard.data.store import store
from dashboard.data.tables import DRIFT_WEEKS, cell_table, contract_table
from dashboard.domain import MODEL_LABELS, validate_model, validate_range
from simulator.schema import QUALITY_INDICATORS

# The weeks of drift change only with new samples (daily): kept per version of them, for the
# five model filters of the last two versions.
_DRIFT_WEEKS: LRUCache = LRUCache(maxsize=2 * 5)
_DRIFT_WEEKS_LOCK = threading.Lock()
# Dates a browser may send: YYYY-MM-DD, optionally with a time that is ignored.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ][0-9:.]{0,15})?")
_EARLIEST = pd.Timestamp("2000-01-01", tz="UTC")
_LATEST = pd.Timestamp("2100-01-01", tz="UTC")
# Drift results are keyed on the samples' version, which changes once a day: kept that long
# rather than the cache's default few minutes, so no worker recomputes them within the day.
_SAMPLES_DAY_SECONDS = 24 * 3600
# Above this many values of a feature in a window, its drift is tested on a deterministic
# sample of about this many (or, for a category, on exact counts): statistics on 100,000
# values are within a few thousandths of the whole (PSI noise ~9 / n), and 30 or 90 days at
# scale 100 (0.5-1.4 M values a feature) answer in about a second instead of tens.
DRIFT_SAMPLE_MAX = 100_000
# At most this many distinct values make a feature a category, whose values are counted.
CATEGORY_MAX = 50
_HASH_BUCKETS = 1_000_000


# Indicators


def quality_daily(range_key: str, model: str) -> pd.DataFrame:
    """Daily indicators in the range: one model type's, or All Models' (model types weighted
    by the training samples of their sessions that day; freshness the oldest one's)."""
    return _quality_daily(key(), validate_range(range_key), validate_model(model))


def quality_by_model(span: Window, model: str) -> pd.DataFrame:
    """The data_quality rows of the window (one per date and model type) with `samples`: the
    training samples of that model type's sessions started that day (0 without sessions).
    Kept per generation: the daily trend, the cards and the Training chart's marks of a range
    all read the same rows."""
    return _quality_by_model(key(), span.start, span.end, validate_model(model)).copy()


@cache.memoize()
def _quality_by_model(
    generation_key: str, start: pd.Timestamp | None, end: pd.Timestamp, model: str
) -> pd.DataFrame:
    span = Window(start, end)
    table = contract_table("data_quality")
    rows = rows_of("data_quality", model_filter(table.filter(within(table.date, span)), model))
    rows["samples"] = 0.0
    if rows.empty:
        return rows
    try:
        sessions = contract_table("training_sessions")
        chosen = model_filter(sessions.filter(within(sessions.started_at, span)), model)
        day = (chosen.started_at.epoch_seconds() // 86_400) * 86_400
        per_day = fetch(
            chosen.group_by(day=day, model_type=chosen.model_type).aggregate(
                sessions_samples=chosen.samples.sum()
            )
        )
    except MissingTable:  # no training data: every model type weighs the same
        return rows
    per_day["date"] = pd.to_datetime(per_day["day"].astype("int64"), unit="s", utc=True)
    per_day["date"] = per_day["date"].dt.as_unit("us")
    per_day["model_type"] = per_day["model_type"].astype(str)
    weights = per_day.set_index(["date", "model_type"])["sessions_samples"].astype("float64")
    keys = pd.MultiIndex.from_arrays([rows["date"], rows["model_type"].astype(str)])
    rows["samples"] = weights.reindex(keys).fillna(0.0).to_numpy()
    return rows


def _all_models_daily(rows: pd.DataFrame) -> pd.DataFrame:
    """Each day's value of every indicator over the model types of `rows`: weighted by their
    samples (equally on a day without any), freshness the oldest model type's."""
    if rows.empty:
        return pd.DataFrame(columns=list(QUALITY_INDICATORS), index=pd.Index([], name="date"))
    weights = rows["samples"].where(rows.groupby("date")["samples"].transform("sum") > 0, 1.0)
    columns = {}
    for indicator in QUALITY_INDICATORS:
        if indicator == "freshness_days":
            columns[indicator] = rows.groupby("date")[indicator].max()
            continue
        present = rows[indicator].notna()
        weighted = (rows[indicator] * weights).where(present, 0.0).groupby(rows["date"]).sum()
        total = weights.where(present, 0.0).groupby(rows["date"]).sum()
        columns[indicator] = weighted / total.where(total > 0)
    return pd.DataFrame(columns).sort_index().rename_axis("date")


def _quality_in(span: Window, model: str) -> pd.DataFrame:
    return _all_models_daily(quality_by_model(span, model))


@cache.memoize()
def _quality_daily(generation_key: str, range_key: str, model: str) -> pd.DataFrame:
    # Rows are stamped at midnight: the last 7 days are the 7 newest dates up to today.
    return _quality_in(window(range_key), model).reset_index()


def quality_summary(
    range_key: str, model: str, thresholds: Mapping[str, Threshold] | None = None
) -> pd.DataFrame:
    """Per indicator: the mean over the range of its daily values (`current`), over the
    previous period of equal length (`previous`, NaN for All Time) and the change; with
    `thresholds`, also what a card judges (`analysis.quality.indicator_summary`): `status`,
    the worst model type's on the latest day, `worst_model_type`, and `days_below` of `days`,
    the days on which some model type was past a threshold."""
    threshold_key = _threshold_key(thresholds or {})
    return _quality_summary(key(), validate_range(range_key), validate_model(model), threshold_key)


def _threshold_key(thresholds: Mapping[str, Threshold]) -> tuple:
    return tuple(
        sorted(
            (name, float(t.warning), float(t.failing), bool(t.lower_is_better))
            for name, t in thresholds.items()
        )
    )


def _thresholds_of(threshold_key: tuple) -> dict[str, Threshold]:
    return {name: Threshold(warn, fail, lower) for name, warn, fail, lower in threshold_key}


@cache.memoize()
def _quality_summary(
    generation_key: str, range_key: str, model: str, threshold_key: tuple = ()
) -> pd.DataFrame:
    span = window(range_key)
    rows = quality_by_model(span, model)
    current = _all_models_daily(rows).mean().reindex(list(QUALITY_INDICATORS))
    before = span.previous()
    empty = pd.Series(float("nan"), index=current.index)
    previous = empty if before is None else _quality_in(before, model).mean().reindex(current.index)
    summary = pd.DataFrame({"current": current, "previous": previous})
    summary["change"] = summary["current"] - summary["previous"]
    if threshold_key:
        judged = indicator_summary(rows, _thresholds_of(threshold_key))
        summary = summary.join(judged[["status", "worst_model_type", "days_below", "days"]])
    return summary


# Windows


def day_window(start: object, end: object) -> Window:
    """The window of whole UTC days from `start` to `end`, both included ('YYYY-MM-DD').

    Raises ValueError for anything but two dates in order (what a date picker sends).
    """
    first, last = _day(start, "start"), _day(end, "end")
    if last < first:
        raise ValueError(f"the end date {last:%Y-%m-%d} is before the start {first:%Y-%m-%d}")
    return Window(first, last + pd.Timedelta(days=1))


def _day(value: object, name: str) -> pd.Timestamp:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError(f"the {name} date {str(value)[:24]!r} is not a date (YYYY-MM-DD)")
    try:
        day = pd.Timestamp(value[:10], tz="UTC")
    except ValueError:
        raise ValueError(f"the {name} date {value[:24]!r} does not exist") from None
    if not _EARLIEST <= day < _LATEST:
        raise ValueError(f"the {name} date {value[:10]} is out of range")
    return day.as_unit("us")


def sample_dates() -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last day with feature samples, or None when there are none."""
    try:
        return _sample_dates(key())
    except MissingTable:
        return None


@cache.memoize()
def _sample_dates(generation_key: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    table = contract_table("feature_samples")
    span = fetch(table.aggregate(first=table.date.min(), last=table.date.max())).iloc[0]
    if pd.isna(span["first"]):
        return None
    return span["first"].as_unit("us"), span["last"].as_unit("us")


def features() -> list[str]:
    """The features with samples, sorted."""
    return _features(key())


@cache.memoize()
def _features(generation_key: str) -> list[str]:
    table = contract_table("feature_samples")
    return sorted(str(name) for name in fetch(table.select("feature").distinct())["feature"])


def _window_key(span: Window) -> tuple[str | None, str]:
    if not isinstance(span, Window):
        raise ValueError(f"expected a Window, got {type(span).__name__}")
    if span.start is not None and span.start >= span.end:
        raise ValueError("a window must end after it starts")
    return (None if span.start is None else span.start.isoformat()), span.end.isoformat()


def _from_key(key: tuple[str | None, str]) -> Window:
    start, end = key
    return Window(None if start is None else pd.Timestamp(start), pd.Timestamp(end))


# Drift


@dataclass(frozen=True)
class DriftReport:
    """Per-feature drift of a current window against a reference window, and the verdict.

    `features` has one row per feature: feature, test, kind (how it was tested), statistic,
    p_value, threshold, drifted (None when untested), psi, band (None when too few samples),
    n_reference, n_current, note. `dataset` is `dataset_drift` over the tested features (None
    when none could be tested). `*_days` are the first and last sample dates in each window.
    """

    features: pd.DataFrame
    dataset: dict[str, Any] | None
    current_days: tuple[pd.Timestamp, pd.Timestamp] | None
    reference_days: tuple[pd.Timestamp, pd.Timestamp] | None

    @property
    def overlap(self) -> bool:
        """Whether the two windows share sample days (which hides drift)."""
        if self.current_days is None or self.reference_days is None:
            return False
        return (
            self.current_days[0] <= self.reference_days[1]
            and self.reference_days[0] <= self.current_days[1]
        )


def drift_report(model: str, current: Window, reference: Window) -> DriftReport:
    """Test every feature's samples in `current` against those in `reference`.

    The test per feature is `column_drift`'s choice; PSI (deciles of the reference) gives the
    band when both windows hold at least PSI_MIN_SAMPLES samples.
    """
    model = validate_model(model)
    return _drift_report(*_drift_key(model, current, reference))


def _drift_key(model: str, current: Window, reference: Window) -> tuple:
    """What a drift computation depends on: the samples' version and the sample dates each
    window holds. Samples arrive once a day, so a window that ends 'now' keeps its key (and
    its cached report) through every refresh of the day, on every worker."""
    generation_key = key()
    return (
        table_version("feature_samples"),
        model,
        _covered(generation_key, model, _window_key(current)),
        _covered(generation_key, model, _window_key(reference)),
    )


@cache.memoize()
def _covered(generation_key: str, model: str, window_key: tuple) -> tuple[str, str] | None:
    """The first and last sample date inside the window, as a window key that holds exactly
    those samples (None when it holds none)."""
    table = contract_table("feature_samples")
    chosen = model_filter(table.filter(within(table.date, _from_key(window_key))), model)
    span = fetch(chosen.aggregate(first=chosen.date.min(), last=chosen.date.max())).iloc[0]
    if pd.isna(span["first"]):
        return None
    last = span["last"] + pd.Timedelta(microseconds=1)
    return span["first"].isoformat(), last.isoformat()


@dataclass(frozen=True)
class FeatureSamples:
    """Each feature's values in a window (`values`), and how many the window holds
    (`totals`): more than `values` has where a feature was sampled (DRIFT_SAMPLE_MAX)."""

    values: dict[str, pd.Series]
    totals: dict[str, int]

    def sampled(self, feature: str) -> bool:
        return len(self.values.get(feature, ())) < self.totals.get(feature, 0)


def _feature_values(
    covered: tuple[str, str] | None, model: str, feature: str | None = None
) -> FeatureSamples:
    """Each feature's sample values in the window (one feature's with `feature`).

    Only values cross from the engine. A feature with more than DRIFT_SAMPLE_MAX values comes
    whole as counts of its values when it has few distinct ones (a category: exact), else as a
    deterministic sample of about DRIFT_SAMPLE_MAX (a value's hash decides, so every worker
    and every run test the same values)."""
    if covered is None:
        return FeatureSamples({}, {})
    table = contract_table("feature_samples")
    chosen = model_filter(table.filter(within(table.date, _from_key(covered))), model)
    if feature is not None:
        chosen = chosen.filter(chosen.feature == feature)
    sizes = fetch(
        chosen.group_by("feature")
        .aggregate(n=chosen.count(), distinct=chosen.value.approx_nunique())
        .order_by("feature")
    )
    totals = {str(row.feature): int(row.n) for row in sizes.itertuples()}
    large = sizes[sizes["n"] > DRIFT_SAMPLE_MAX]
    categories = [str(name) for name in large.loc[large["distinct"] <= CATEGORY_MAX, "feature"]]
    sampled = {
        str(row.feature): int(row.n) for row in large.itertuples() if row.distinct > CATEGORY_MAX
    }
    whole = [name for name in totals if name not in categories and name not in sampled]
    values = _whole_values(chosen, whole, totals)
    values.update(_counted_values(chosen, categories))
    values.update(_sampled_values(chosen, sampled))
    return FeatureSamples(values, totals)


def _whole_values(chosen: ir.Table, names: list[str], totals: dict[str, int]) -> dict:
    if not names:
        return {}
    rows = chosen.filter(chosen.feature.isin(names)).order_by(["feature", "date"])
    values = fetch(rows.select("value"))["value"]
    edges = np.cumsum([0, *(totals[name] for name in sorted(names))])
    return {
        name: values.iloc[first:last].reset_index(drop=True)
        for name, first, last in zip(sorted(names), edges[:-1], edges[1:], strict=True)
    }


def _counted_values(chosen: ir.Table, names: list[str]) -> dict:
    if not names:
        return {}
    rows = chosen.filter(chosen.feature.isin(names))
    counts = fetch(rows.group_by(["feature", "value"]).aggregate(n=rows.count()))
    return {
        str(name): pd.Series(np.repeat(group["value"].to_numpy(), group["n"].to_numpy()))
        for name, group in counts.groupby("feature", sort=True)
    }


def _sampled_values(chosen: ir.Table, totals: dict[str, int]) -> dict:
    if not totals:
        return {}
    # in [0, buckets) from a signed hash, without abs() (which overflows on the smallest one)
    bucket = (chosen.value.hash() % _HASH_BUCKETS + _HASH_BUCKETS) % _HASH_BUCKETS
    kept = ibis.or_(
        *(
            (chosen.feature == name) & (bucket < _HASH_BUCKETS * DRIFT_SAMPLE_MAX // total)
            for name, total in totals.items()
        )
    )
    rows = fetch(chosen.filter(kept).order_by(["feature", "date"]).select("feature", "value"))
    return {
        str(name): group["value"].reset_index(drop=True)
        for name, group in rows.groupby("feature", sort=True)
    }


def _days(covered: tuple[str, str] | None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if covered is None:
        return None
    span = _from_key(covered)
    return span.start.as_unit("us"), (span.end - pd.Timedelta(microseconds=1)).as_unit("us")


@cache.memoize(timeout=_SAMPLES_DAY_SECONDS)
def _drift_report(
    samples_version: str, model: str, current_key: tuple | None, reference_key: tuple | None
) -> DriftReport:
    current = _feature_values(current_key, model)
    reference = _feature_values(reference_key, model)
    nothing = pd.Series(dtype=float)
    rows = []
    for feature in features():
        row = feature_drift(
            feature,
            reference.values.get(feature, nothing),
            current.values.get(feature, nothing),
        )
        if current.sampled(feature) or reference.sampled(feature):
            tested = f"tested on {row['n_reference']:,} and {row['n_current']:,} sampled values"
            row["note"] = "; ".join(filter(None, [tested, row["note"]]))
            row["n_reference"] = reference.totals.get(feature, 0)
            row["n_current"] = current.totals.get(feature, 0)
        rows.append(row)
    table = pd.DataFrame(rows)
    tested = [row for row in rows if row["drifted"] is not None]
    return DriftReport(
        features=table,
        dataset=dataset_drift(tested) if tested else None,
        current_days=_days(current_key),
        reference_days=_days(reference_key),
    )


def feature_distribution(
    model: str, feature: str, current: Window, reference: Window
) -> dict[str, Any]:
    """The feature's distribution in both windows on common bins (see `compared_shares`).

    Categorical features (those the drift report tests as categories) get a bar per value.
    Raises ValueError for an unknown feature or when a window holds no sample of it.
    """
    model = validate_model(model)
    if not isinstance(feature, str) or feature not in features():
        raise ValueError(f"unknown feature {str(feature)[:40]!r}")
    samples_version, _, current_key, reference_key = _drift_key(model, current, reference)
    return _feature_distribution(samples_version, model, feature, current_key, reference_key)


@cache.memoize(timeout=_SAMPLES_DAY_SECONDS)
def _feature_distribution(
    samples_version: str,
    model: str,
    feature: str,
    current_key: tuple | None,
    reference_key: tuple | None,
) -> dict[str, Any]:
    nothing = pd.Series(dtype=float)
    current_values = _feature_values(current_key, model, feature).values.get(feature, nothing)
    reference_values = _feature_values(reference_key, model, feature).values.get(feature, nothing)
    if current_values.empty or reference_values.empty:
        raise ValueError(f"no samples of {feature} in one of the windows")
    report = _drift_report(samples_version, model, current_key, reference_key).features
    kind = report.set_index("feature").at[feature, "kind"] or "numeric"
    return compared_shares(reference_values, current_values, kind=kind)


# Marks for the Training page


def quality_marks(range_key: str, model: str, thresholds: Mapping[str, Threshold]) -> pd.DataFrame:
    """Days in the range that need attention, one row per (date, reason).

    reason "quality": some indicator of some model type was at warning or failing.
    reason "drift": the day is in a week in which some feature drifted from the week
    before, by its drift test and with PSI above 0.25 (weeks end on the newest sample day).
    Columns: date, reason. A source without the table behind a reason gives none of it.
    """
    threshold_key = _threshold_key(thresholds)
    return _quality_marks(key(), validate_range(range_key), validate_model(model), threshold_key)


@cache.memoize()
def _quality_marks(
    generation_key: str, range_key: str, model: str, threshold_key: tuple
) -> pd.DataFrame:
    thresholds = _thresholds_of(threshold_key)
    span = window(range_key)
    # A source without data_quality or feature_samples simply gives no marks of that kind.
    try:
        # A day is marked when any model type was past a threshold: none is averaged away.
        rows = quality_by_model(span, model).set_index("date")
        flagged = flagged_days(statuses(rows[list(QUALITY_INDICATORS)], thresholds))
        flagged = flagged.groupby(level="date").any()
        quality_days = list(flagged.index[flagged.to_numpy()])
    except MissingTable:
        quality_days = []
    try:
        weeks = drift_weeks(model)
    except MissingTable:
        weeks = []
    drift_days = [
        day for day in weeks if (span.start is None or day >= span.start) and day < span.end
    ]
    marks = pd.DataFrame(
        {
            "date": pd.DatetimeIndex([*quality_days, *drift_days], dtype="datetime64[us, UTC]"),
            "reason": ["quality"] * len(quality_days) + ["drift"] * len(drift_days),
        }
    )
    return marks.sort_values(["date", "reason"]).reset_index(drop=True)


def prepare() -> None:
    """Find the weeks of drift of every model type now (gunicorn's master, before the workers
    fork; with a shared cache, for every worker)."""
    for model in MODEL_LABELS:
        try:
            drift_weeks(model)
        except MissingTable:
            return


def drift_weeks(model: str) -> list[pd.Timestamp]:
    """Every day of each week in which some feature drifted from the week before, computed
    once for each version of the samples (they change once a day) and kept in the process:
    gunicorn's master computes them before forking, so a new worker finds them."""
    key = (table_version("feature_samples"), validate_model(model))
    with _DRIFT_WEEKS_LOCK:
        found = _DRIFT_WEEKS.get(key)
    if found is None:
        found = _drift_weeks(*key)
        with _DRIFT_WEEKS_LOCK:
            _DRIFT_WEEKS[key] = found
    return found


def _drift_weeks(samples_version: str, model: str) -> list[pd.Timestamp]:
    if store.holds(DRIFT_WEEKS):  # the ingest keeps them for the embedded store
        table = cell_table(DRIFT_WEEKS)
        days = fetch(table.filter(table.model == model).order_by("date"))["date"]
        return [day.as_unit("us") for day in days]
    table = contract_table("feature_samples")
    samples = rows_of("feature_samples", model_filter(table, model).order_by(["date", "feature"]))
    return drift_weeks_of(samples, features())
