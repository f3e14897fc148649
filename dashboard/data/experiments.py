"""Experiment queries: the two arms of an A/B comparison as small, cached aggregates.

A comparison is either a randomised experiment (its arms as logged) or any two model versions
(every pilot alert each version handled, whatever the experiment: an observational comparison).
Like the query layer, public functions validate their arguments (ValueError otherwise) and call
memoised functions keyed on the store's generation; counts and means are computed by the engine
that holds the pilot alerts. The time range does not apply: an experiment is always read over
its whole run.
"""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

from dashboard.data.cache import cache
from dashboard.data.filters import Window
from dashboard.data.queries import (
    as_of,
    experiments,
    fetch,
    key,
    model_filter,
    model_versions,
    rows_of,
    version_table,
    within,
)
from dashboard.data.tables import contract_table, indicator
from dashboard.domain import Comparison, validate_model

CONTROL, TREATMENT = "control", "treatment"
ARMS = (CONTROL, TREATMENT)
# Each rate metric is the share of one boolean column of experiment_alerts.
RATE_COLUMNS = {
    "accuracy": "correct",
    "automation_rate": "automated",
    "false_positive_rate": "false_positive",
}
RESPONSE_COLUMN = "response_time_min"
MAX_ID_LENGTH = 64
ONE_TICK = pd.Timedelta(microseconds=1)


def experiment_list() -> pd.DataFrame:
    """The experiments table, newest first."""
    return experiments().sort_values("started_at", ascending=False, kind="stable")


def latest_experiment_id() -> str | None:
    experiments = experiment_list()
    return None if experiments.empty else str(experiments["experiment_id"].iloc[0])


def experiment_comparison(experiment_id: object) -> Comparison:
    """The comparison of one experiment; ValueError for an id the experiments table lacks."""
    table = experiments()
    if isinstance(experiment_id, str) and len(experiment_id) <= MAX_ID_LENGTH:
        rows = table[table["experiment_id"] == experiment_id]
    else:
        rows = table.iloc[0:0]
    if rows.empty:
        raise ValueError(f"unknown experiment {str(experiment_id)[:MAX_ID_LENGTH]!r}")
    row = rows.iloc[0]
    return Comparison(
        control=str(row["control_version"]),
        treatment=str(row["treatment_version"]),
        experiment_id=str(row["experiment_id"]),
        treatment_share=float(row["treatment_share"]),
        started_at=row["started_at"],
        ended_at=None if pd.isna(row["ended_at"]) else row["ended_at"],
    )


def compared_versions() -> list[str]:
    """Versions that handled pilot alerts, in release order: the ones two can be picked from."""
    present = set(_pilot_versions(key()))
    return [version for version in model_versions()["version"] if version in present]


@cache.memoize()
def _pilot_versions(generation_key: str) -> list[str]:
    alerts = contract_table("experiment_alerts")
    versions = fetch(alerts.select("model_version").distinct())["model_version"]
    return [str(version) for version in versions.dropna()]


def version_comparison(control: object, treatment: object) -> Comparison:
    """Two versions compared on all their pilot alerts; ValueError unless both are known."""
    known = compared_versions()
    for name, version in (("control", control), ("treatment", treatment)):
        if not isinstance(version, str) or version not in known:
            raise ValueError(f"unknown {name} version {str(version)[:MAX_ID_LENGTH]!r}")
    if control == treatment:
        raise ValueError("control and treatment must be different versions")
    return Comparison(control=str(control), treatment=str(treatment))


def comparison_rows(comparison: Comparison, model: str) -> pd.DataFrame:
    """The pilot alerts of both arms (uncached), with `arm` set to control or treatment."""
    rows = rows_of("experiment_alerts", _rows(comparison, validate_model(model)))
    return rows.sort_values("timestamp", kind="stable", ignore_index=True)


def _rows(comparison: Comparison, model: str) -> ir.Table:
    """The comparison's pilot alerts, as an expression: an experiment's arms as logged, or
    every pilot alert of either version with `arm` from its version."""
    alerts = model_filter(contract_table("experiment_alerts"), model)
    if comparison.randomised:
        end = comparison.ended_at if comparison.ended_at is not None else as_of()
        span = Window(comparison.started_at, end + ONE_TICK)
        return alerts.filter(
            within(alerts.timestamp, span), alerts.experiment_id == comparison.experiment_id
        )
    rows = alerts.filter(alerts.model_version.isin([comparison.control, comparison.treatment]))
    arm = (rows.model_version == comparison.control).ifelse(CONTROL, TREATMENT)
    return rows.mutate(arm=arm)


def _key(comparison: Comparison) -> tuple[str, str, str]:
    return comparison.experiment_id or "", comparison.control, comparison.treatment


def _comparison(experiment_id: str, control: str, treatment: str) -> Comparison:
    if experiment_id:
        return experiment_comparison(experiment_id)
    return Comparison(control=control, treatment=treatment)


def arm_summary(comparison: Comparison, model: str) -> pd.DataFrame:
    """Per arm (index control, treatment): version, alerts, successes of each rate metric
    (columns named by metric), responded (alerts with a response time), response_mean and
    response_sd. An arm without alerts has zero counts and NaN response figures."""
    return _arm_summary(key(), *_key(comparison), validate_model(model))


@cache.memoize()
def _arm_summary(
    generation_key: str, experiment_id: str, control: str, treatment: str, model: str
) -> pd.DataFrame:
    rows = _rows(_comparison(experiment_id, control, treatment), model)
    response = rows[RESPONSE_COLUMN]
    grouped = rows.group_by("arm").aggregate(
        alerts=rows.count(),
        **{metric: indicator(rows[column]).sum() for metric, column in RATE_COLUMNS.items()},
        responded=response.count(),
        response_mean=response.mean(),
        response_sd=response.std(how="sample"),
    )
    summary = fetch(grouped)
    summary["arm"] = summary["arm"].astype(str)
    summary = summary.set_index("arm").reindex(list(ARMS))
    summary["response_sd"] = (
        summary["response_sd"].astype("float64").where(summary["responded"] > 1)
    )
    counts = ["alerts", *RATE_COLUMNS, "responded"]
    summary[counts] = summary[counts].fillna(0).astype("int64")
    summary.insert(0, "version", [control, treatment])
    return summary.rename_axis("arm")


def cumulative_counts(comparison: Comparison, model: str) -> pd.DataFrame:
    """Per UTC day with alerts and per arm: the counts of `arm_summary` up to that day's end.

    Columns: day, arm, alerts, one success count per rate metric, responded.
    """
    return _cumulative_counts(key(), *_key(comparison), validate_model(model))


@cache.memoize()
def _cumulative_counts(
    generation_key: str, experiment_id: str, control: str, treatment: str, model: str
) -> pd.DataFrame:
    rows = _rows(_comparison(experiment_id, control, treatment), model)
    day = (rows.timestamp.epoch_seconds() // 86_400) * 86_400
    grouped = rows.group_by(day=day, arm=rows.arm).aggregate(
        alerts=rows.count(),
        **{metric: indicator(rows[column]).sum() for metric, column in RATE_COLUMNS.items()},
        responded=rows[RESPONSE_COLUMN].count(),
    )
    daily = fetch(grouped)
    daily["day"] = pd.to_datetime(daily["day"].astype("int64"), unit="s", utc=True).dt.as_unit("us")
    daily["arm"] = daily["arm"].astype(str)
    daily = daily.set_index(["day", "arm"])
    days = daily.index.get_level_values("day").unique().sort_values()
    every_cell = pd.MultiIndex.from_product([days, list(ARMS)], names=["day", "arm"])
    daily = daily.reindex(every_cell, fill_value=0).astype("int64")
    return daily.groupby(level="arm").cumsum().reset_index()


def response_samples(comparison: Comparison, model: str) -> pd.DataFrame:
    """Response times of both arms (uncached, open alerts dropped): timestamp, arm, minutes."""
    rows = comparison_rows(comparison, model)
    rows = rows[["timestamp", "arm", RESPONSE_COLUMN]]
    return rows[rows[RESPONSE_COLUMN].notna()]


def version_summary(model: str) -> pd.DataFrame:
    """The query layer's version table (each version's treatment arm in its release
    experiment) with the standard deviation of its response times, `response_sd`."""
    return _version_summary(key(), validate_model(model))


@cache.memoize()
def _version_summary(generation_key: str, model: str) -> pd.DataFrame:
    alerts = model_filter(contract_table("experiment_alerts"), model)
    treated = alerts.filter(alerts.arm == TREATMENT)
    spread = fetch(
        treated.group_by(["experiment_id", "model_version"]).aggregate(
            response_sd=treated[RESPONSE_COLUMN].std(how="sample")
        )
    )
    spread = spread.rename(columns={"model_version": "version"})
    for column in ("experiment_id", "version"):
        spread[column] = spread[column].astype("string")
    spread["response_sd"] = spread["response_sd"].astype("float64")
    return version_table(model).merge(spread, on=["experiment_id", "version"], how="left")
