"""Experiment queries: the two arms of an A/B comparison as small, cached aggregates.

A comparison is either a randomised experiment (its arms as logged) or any two model versions
(every pilot alert each version handled, whatever the experiment: an observational comparison).
Like the query layer, public functions validate their arguments (ValueError otherwise) and call
memoised functions keyed on the snapshot's version, so a data refresh never serves stale results.
The time range does not apply: an experiment is always read over its whole run.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.data.cache import cache
from dashboard.data.filters import Window, validate_model
from dashboard.data.queries import model_versions, of_model, snapshot, time_slice, version_table

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


@dataclass(frozen=True)
class Comparison:
    """What is compared: a randomised experiment, or two versions outside one."""

    control: str
    treatment: str
    experiment_id: str | None = None
    treatment_share: float | None = None
    started_at: pd.Timestamp | None = None
    ended_at: pd.Timestamp | None = None  # None while the experiment runs

    @property
    def randomised(self) -> bool:
        return self.experiment_id is not None


def experiment_list() -> pd.DataFrame:
    """The experiments table, newest first."""
    return snapshot().table("experiments").sort_values("started_at", ascending=False)


def latest_experiment_id() -> str | None:
    experiments = experiment_list()
    return None if experiments.empty else str(experiments["experiment_id"].iloc[0])


def experiment_comparison(experiment_id: object) -> Comparison:
    """The comparison of one experiment; ValueError for an id the experiments table lacks."""
    experiments = snapshot().table("experiments")
    if isinstance(experiment_id, str) and len(experiment_id) <= MAX_ID_LENGTH:
        rows = experiments[experiments["experiment_id"] == experiment_id]
    else:
        rows = experiments.iloc[0:0]
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
    present = set(snapshot().table("experiment_alerts")["model_version"].unique())
    return [version for version in model_versions()["version"] if version in present]


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
    return _rows(comparison, validate_model(model))


def _rows(comparison: Comparison, model: str) -> pd.DataFrame:
    alerts = snapshot().table("experiment_alerts")
    if comparison.randomised:
        end = comparison.ended_at if comparison.ended_at is not None else snapshot().as_of
        span = Window(comparison.started_at, end + ONE_TICK)
        rows = time_slice(alerts, "timestamp", span)
        rows = rows[rows["experiment_id"] == comparison.experiment_id]
        return of_model(rows, model)
    rows = of_model(alerts, model)
    rows = rows[rows["model_version"].isin([comparison.control, comparison.treatment])]
    arm = (rows["model_version"] == comparison.control).map({True: CONTROL, False: TREATMENT})
    return rows.assign(arm=arm.astype("string"))


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
    return _arm_summary(snapshot().version, *_key(comparison), validate_model(model))


@cache.memoize()
def _arm_summary(
    version: str, experiment_id: str, control: str, treatment: str, model: str
) -> pd.DataFrame:
    rows = _rows(_comparison(experiment_id, control, treatment), model)
    grouped = rows.groupby("arm")
    summary = pd.DataFrame(
        {
            "alerts": grouped["alert_id"].count(),
            **{metric: grouped[column].sum() for metric, column in RATE_COLUMNS.items()},
            "responded": grouped[RESPONSE_COLUMN].count(),
            "response_mean": grouped[RESPONSE_COLUMN].mean(),
            "response_sd": grouped[RESPONSE_COLUMN].std(),
        }
    ).reindex(list(ARMS))
    counts = ["alerts", *RATE_COLUMNS, "responded"]
    summary[counts] = summary[counts].fillna(0).astype("int64")
    summary.insert(0, "version", [control, treatment])
    return summary.rename_axis("arm")


def cumulative_counts(comparison: Comparison, model: str) -> pd.DataFrame:
    """Per UTC day with alerts and per arm: the counts of `arm_summary` up to that day's end.

    Columns: day, arm, alerts, one success count per rate metric, responded.
    """
    return _cumulative_counts(snapshot().version, *_key(comparison), validate_model(model))


@cache.memoize()
def _cumulative_counts(
    version: str, experiment_id: str, control: str, treatment: str, model: str
) -> pd.DataFrame:
    rows = _rows(_comparison(experiment_id, control, treatment), model)
    day = rows["timestamp"].dt.floor("1D").rename("day")
    grouped = rows.groupby([day, rows["arm"]])
    daily = pd.DataFrame(
        {
            "alerts": grouped["alert_id"].count(),
            **{metric: grouped[column].sum() for metric, column in RATE_COLUMNS.items()},
            "responded": grouped[RESPONSE_COLUMN].count(),
        }
    )
    days = day.drop_duplicates().sort_values()
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
    return _version_summary(snapshot().version, validate_model(model))


@cache.memoize()
def _version_summary(version: str, model: str) -> pd.DataFrame:
    alerts = of_model(snapshot().table("experiment_alerts"), model)
    treated = alerts[alerts["arm"] == TREATMENT]
    spread = treated.groupby(["experiment_id", "model_version"])[RESPONSE_COLUMN].std()
    spread = spread.rename("response_sd").reset_index()
    spread = spread.rename(columns={"model_version": "version"})
    return version_table(model).merge(spread, on=["experiment_id", "version"], how="left")
