"""Every figure `/metrics` exports is the one its page's callback shows for the same filters
(dashboard.data.health.VIEWS), read from the callbacks' own outputs where they show it."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest
from flask import current_app

from dashboard import create_app
from dashboard.callbacks import ab_testing, data_quality, overview
from dashboard.components import format as fmt
from dashboard.components.ab_controls import EXPERIMENT_MODE
from dashboard.components.drift import DRIFTED
from dashboard.conditions import GUARDRAIL_STATES, VIEWS
from dashboard.data import queries
from dashboard.data.filters import RECENT_PERIODS
from dashboard.data.health import EXTENSION, GPU_WINDOW, MODEL_FILTERS, model_health
from dashboard.data.sources import MissingTable
from dashboard.ops.domain_metrics import ModelHealthCollector
from simulator.schema import QUALITY_INDICATORS
from tests.conftest import testing_config
from tests.helpers import card_texts, stored_table, text_of
from tests.serving.harness import wait_for

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def health():
    return model_health(wait=True)


def exported(health, checked_at=None) -> dict[tuple[str, tuple], float]:
    """The samples /metrics serves for `health`: {(name, sorted labels): value}."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in ModelHealthCollector(health, checked_at).collect()
        for sample in family.samples
    }


def soc_row(health, model: str, period: str) -> pd.Series:
    rows = health.soc
    return rows[(rows["model_type"] == model) & (rows["period"] == period)].iloc[0]


@pytest.mark.parametrize("model", MODEL_FILTERS)
def test_the_last_day_of_soc_kpis_is_the_overviews_current_level(health, model):
    samples = exported(health)
    labels = (("model_type", model), ("window", "1d"))
    change = queries.alert_kpi_change(VIEWS["soc"], model)
    assert (
        samples[("dashboard_soc_automation_ratio", labels)]
        == change.at["automation_rate", "current"]
    )
    assert (
        samples[("dashboard_soc_false_positive_ratio", labels)]
        == change.at["false_positive_rate", "current"]
    )
    assert samples[("dashboard_soc_response_time_seconds", labels)] == pytest.approx(
        change.at["response_min", "current"] * 60
    )
    cards, _figure = overview.impact(VIEWS["soc"], model, None)
    texts = card_texts(cards)
    row = soc_row(health, model, "1d")
    assert f"→ {fmt.percent(row['automation_rate'])}" in texts[0]
    assert f"→ {fmt.percent(row['false_positive_rate'])}" in texts[1]
    assert f"→ {fmt.minutes(row['response_min'])}" in texts[2]


@pytest.mark.parametrize("model", MODEL_FILTERS)
def test_the_last_hour_of_soc_kpis_counts_the_alerts_of_that_hour(health, model):
    alerts = stored_table("alerts")
    end = queries.window("24h").end
    hour = alerts[
        (alerts["timestamp"] >= end - pd.Timedelta(hours=1)) & (alerts["timestamp"] < end)
    ]
    if model != "all":
        hour = hour[hour["model_type"] == model]
    row = soc_row(health, model, "1h")
    assert row["alerts"] == len(hour)
    assert row["automation_rate"] == pytest.approx(hour["automated"].mean())
    assert row["false_positive_rate"] == pytest.approx(hour["false_positive"].mean())


@pytest.mark.parametrize("model", MODEL_FILTERS)
def test_per_version_response_times_are_those_of_the_days_answered_alerts(health, model):
    alerts = stored_table("alerts")
    end = queries.window("24h").end
    day = alerts[(alerts["timestamp"] >= end - pd.Timedelta(days=1)) & (alerts["timestamp"] < end)]
    if model != "all":
        day = day[day["model_type"] == model]
    samples = exported(health)
    for version, rows in day.groupby("model_version"):
        labels = (("model_type", model), ("model_version", str(version)), ("window", "1d"))
        answered = rows["response_time_min"].dropna()
        exported_seconds = samples[("dashboard_soc_version_response_time_seconds", labels)]
        assert exported_seconds == pytest.approx(answered.mean() * 60)


@pytest.mark.parametrize("model", MODEL_FILTERS)
def test_per_version_levels_are_the_ab_pages_live_version_trends(health, model):
    trends = queries.version_trends(VIEWS["soc"], model)
    figure = ab_testing.version_trends(VIEWS["soc"], model, None, "false_positive_rate")
    shown = {trace.name for trace in figure.data}
    samples = exported(health)
    for version, per_bucket in trends.groupby("model_version"):
        labels = (("model_type", model), ("model_version", str(version)), ("window", "1d"))
        weights = per_bucket["alerts"]
        assert samples[("dashboard_soc_version_alerts", labels)] == weights.sum()
        for metric, name in (
            ("automation_rate", "dashboard_soc_version_automation_ratio"),
            ("false_positive_rate", "dashboard_soc_version_false_positive_ratio"),
        ):
            expected = (per_bucket[metric] * weights).sum() / weights.sum()
            assert samples[(name, labels)] == pytest.approx(expected)
        assert any(str(version) in name for name in shown)


@pytest.mark.parametrize("model", MODEL_FILTERS)
def test_quality_values_and_statuses_are_the_data_quality_cards(health, model):
    cards, _figure = data_quality.quality(VIEWS["quality"], model, None)
    summary = data_quality.quality_data.quality_summary(
        VIEWS["quality"], model, data_quality.configured_thresholds()
    )
    texts = " ".join(card_texts(cards))
    samples = exported(health)
    for indicator, row in summary.iterrows():
        labels = (("indicator", indicator), ("model_type", model))
        if indicator == "freshness_days":
            value = samples[("dashboard_data_quality_freshness_seconds", (("model_type", model),))]
            assert value == pytest.approx(row["current"] * 86_400)
            assert fmt.days(row["current"]) in texts
        else:
            assert samples[("dashboard_data_quality_ratio", labels)] == row["current"]
            assert fmt.percent(row["current"]) in texts
        code = samples[("dashboard_data_quality_status", labels)]
        assert code == {"ok": 0, "warning": 1, "failing": 2}[row["status"]]


@pytest.mark.parametrize("model", MODEL_FILTERS)
def test_the_drifted_share_is_the_drift_tables(health, model):
    _windows, _verdict, rows = data_quality.drift(VIEWS["drift"], model, None)
    tested = [row for row in rows if row["verdict"] != "–"]
    drifted = [row for row in tested if row["verdict"] == DRIFTED]
    share = exported(health)[("dashboard_feature_drift_ratio", (("model_type", model),))]
    assert share == pytest.approx(len(drifted) / len(tested))


@pytest.mark.parametrize("model", MODEL_FILTERS)
def test_active_and_failed_sessions_are_the_overviews_training_status(health, model):
    cards, _live = overview.headline(VIEWS["training"], model, None)
    status = card_texts(cards)[1]
    samples = exported(health)
    active = samples[("dashboard_training_sessions_active", (("model_type", model),))]
    failed = samples[
        ("dashboard_training_sessions_failed", (("model_type", model), ("window", "1d")))
    ]
    assert f"{int(active)} training now" in status
    assert f"· {int(failed)} failed in range" in status


def test_ages_are_measured_from_the_sessions_to_the_ingests_last_read(health):
    checked_at = pd.Timestamp("2026-11-26 14:00", tz="UTC")
    samples = exported(health, checked_at)
    for model in MODEL_FILTERS:
        last_start = queries.sessions_in_range("all", model)["started_at"].max()
        age = samples[
            ("dashboard_training_last_session_start_age_seconds", (("model_type", model),))
        ]
        assert age == (checked_at - last_start).total_seconds()
    active = queries.active_sessions("all")
    assert len(active) == len(health.active) > 0
    for session in active.itertuples():
        labels = (("model_type", str(session.model_type)), ("session_id", session.session_id))
        newest = queries.session_metrics(session.session_id)["timestamp"].max()
        age = samples[("dashboard_training_last_metric_age_seconds", labels)]
        assert age == (checked_at - newest).total_seconds()
        usage = queries.session_resources(session.session_id)
        recent = usage[usage["timestamp"] > queries.as_of() - GPU_WINDOW]
        gpu = samples[("dashboard_training_gpu_utilization_ratio", labels)]
        assert gpu == pytest.approx(recent["gpu_util"].mean())


def test_a_running_experiments_checks_and_arms_are_the_ab_pages(health):
    running = health.experiments
    assert len(running) > 0
    samples = exported(health)
    for experiment in running.itertuples():
        outputs = ab_testing.comparison(
            "30d",
            experiment.model_type,
            None,
            EXPERIMENT_MODE,
            experiment.experiment_id,
            None,
            None,
        )
        _summary, srm_banner, guardrail_banner, *_rest = outputs
        labels = (
            ("experiment_id", experiment.experiment_id),
            ("model_type", experiment.model_type),
        )
        state = samples[("dashboard_experiment_guardrail_state", labels)]
        banner = text_of(guardrail_banner)
        titles = {0: "Guardrail holds", 1: "Guardrail flag", 2: "Guardrail failed"}
        assert titles[int(state)] in banner
        assert state == GUARDRAIL_STATES[experiment.guardrail]
        mismatch = samples[("dashboard_experiment_sample_ratio_mismatch", labels)]
        assert mismatch == (0.0 if srm_banner is None else 1.0)
        chosen = ab_testing.experiments.experiment_comparison(experiment.experiment_id)
        results, _effects = ab_testing.comparison_statistics(
            chosen, experiment.model_type, ab_testing.analysis_of(chosen)
        )
        by_metric = {result["metric"]: result for result in results}
        for metric, name in (
            ("accuracy", "dashboard_experiment_arm_accuracy_ratio"),
            ("automation_rate", "dashboard_experiment_arm_automation_ratio"),
        ):
            for arm, version in (
                ("control", chosen.control),
                ("treatment", chosen.treatment),
            ):
                key = (
                    name,
                    tuple(sorted({**dict(labels), "arm": arm, "model_version": version}.items())),
                )
                value = by_metric[metric][f"{arm}_value"]
                assert samples[key] == pytest.approx(value)
                assert not math.isnan(samples[key])


def test_warm_figures_are_kept_for_the_generation(health):
    assert model_health() is health


UNIT_SUFFIXES = ("_ratio", "_seconds")
DIMENSIONLESS = (
    "_alerts",
    "_active",
    "_failed",
    "_status",
    "_state",
    "_mismatch",
    "_info",
    "_generation",
)


def test_names_follow_prometheus_rules_and_labels_stay_bounded(health):
    versions = set(queries.model_versions()["version"].astype(str))
    allowed = {
        "model_type": set(MODEL_FILTERS),
        "window": set(RECENT_PERIODS),
        "indicator": set(QUALITY_INDICATORS),
        "arm": {"control", "treatment"},
        "session_id": set(queries.active_sessions("all")["session_id"].astype(str)),
        "experiment_id": set(health.experiments["experiment_id"]),
        "model_version": versions,
        "status": {"stable", "canary", "retired"},
    }
    families = list(ModelHealthCollector(health, None).collect())
    assert len(families) > 20
    for family in families:
        assert family.type == "gauge", family.name
        assert not family.name.endswith("_total"), family.name
        if family.name != "dashboard_model_health_available":
            assert family.name.endswith(UNIT_SUFFIXES + DIMENSIONLESS), family.name
        for sample in family.samples:
            for label, value in sample.labels.items():
                assert value in allowed[label], (family.name, label, value)


def test_a_new_generation_keeps_the_last_figures_while_its_own_are_computed(health):
    kept = current_app.extensions[EXTENSION]
    older = replace(health, generation_key="an older generation", generation=0)
    kept.health = older
    # The request that finds a new generation is answered at once, with the last figures.
    assert model_health() is older
    computed = wait_for(
        lambda: kept.health if kept.health.generation_key == queries.key() else None,
        60,
        "the new generation's figures were never computed",
    )
    assert model_health() is computed
    assert computed.generation == queries.generation().generation


@pytest.mark.parametrize("period", ["2h", None, ["1h"], "1h<script>"])
def test_recent_windows_refuse_anything_but_their_own(period):
    with pytest.raises(ValueError, match="unknown period"):
        queries.recent_alert_levels(period, "all")
    with pytest.raises(ValueError, match="unknown period"):
        queries.recent_version_levels(period)


def test_a_workers_first_request_never_waits_for_the_figures():
    # At scale 100 the figures take seconds: the badge and /metrics answer without them.
    app = create_app(testing_config())
    with app.server.app_context():
        with pytest.raises(MissingTable, match="being computed"):
            model_health()
        kept = app.server.extensions[EXTENSION]
        wait_for(lambda: kept.health is not None, 60, "the figures were never computed")
        assert model_health() is kept.health
