"""A/B Testing callbacks: the comparison picker, a comparison's statistics and verdicts, the
version table and per-version live trends.

Every comparison runs queries (dashboard.data.experiments) -> statistics (dashboard.analysis.ab)
-> builders (dashboard.components.ab_*). Values from the browser are checked against the data
before anything is queried: an unknown experiment or version gives no update.
"""

from __future__ import annotations

import logging
import math

import pandas as pd
from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate
from flask import current_app

from dashboard import ids
from dashboard.analysis import ab
from dashboard.callbacks.filters import (
    checked_filters,
    checked_model,
    filter_inputs,
    per_bucket,
    scope,
)
from dashboard.callbacks.grid_export import register_export
from dashboard.callbacks.guard import page_callback, page_callback_when_seen
from dashboard.callbacks.views import memoised_view
from dashboard.components.ab_charts import cumulative_figure, forest_figure
from dashboard.components.ab_controls import (
    EXPERIMENT_MODE,
    HIDDEN,
    MODES,
    NO_CHOICES,
    SHOWN,
    PickerChoices,
    experiment_options,
    version_options,
)
from dashboard.components.ab_notices import (
    comparison_summary,
    guardrail_banner,
    not_comparable,
    srm_banner,
)
from dashboard.components.ab_verdicts import (
    METRICS,
    Metric,
    MetricResult,
    headline,
    results_table,
    verdict_cards,
)
from dashboard.components.soc_charts import SOC_KPIS, version_trend_figure
from dashboard.components.tables import VERSION_INTERVAL_FIELDS, version_rows
from dashboard.components.theme import empty_figure
from dashboard.data import experiment_checks, experiments, queries
from dashboard.data.cache import cache
from dashboard.data.experiment_checks import (
    ALPHA,
    Analysis,
    analysis_of,
    sample_ratio,
)
from dashboard.data.experiments import ARMS, CONTROL, RESPONSE_COLUMN, TREATMENT
from dashboard.data.sources import MissingTable
from dashboard.domain import ALL_MODELS, Comparison, model_label

log = logging.getLogger(__name__)

POWER = 0.8
# Detectable changes are sized at the Bonferroni level, the strictest one Holm applies, so a
# change of that size would come out significant after the adjustment.
FAMILY_ALPHA = ALPHA / len(METRICS)
MIN_PER_ARM = ab.MIN_SAMPLE_PER_ARM
ONE_DAY = pd.Timedelta(days=1)


def picker_choices() -> PickerChoices:
    """From the data: the experiments, newest first, with the latest chosen; the versions
    that handled pilot alerts, with that experiment's control and treatment chosen."""
    latest = experiments.latest_experiment_id()
    default = experiments.experiment_comparison(latest) if latest else None
    return PickerChoices(
        experiment_options(experiments.experiment_list()),
        latest,
        version_options(experiments.compared_versions()),
        default.control if default else None,
        default.treatment if default else None,
    )


def initial_choices() -> PickerChoices:
    """The picker's choices for the page's layout, so that the comparison is asked for with
    the page's first callbacks instead of after a round trip for the choices. Data that
    cannot be read leaves the selects empty; the comparison callback then says why."""
    try:
        return picker_choices()
    except MissingTable:  # no data yet, or no experiments: the callbacks say so
        return NO_CHOICES
    except Exception:  # the layout must render whatever the data; the callbacks explain
        log.warning("the A/B picker's choices could not be read", exc_info=True)
        return NO_CHOICES


def comparison_choices(_tick: object, experiment: object, control: object, treatment: object):
    """On a data refresh: the selects' options from the data; a select whose value is no
    longer one of them gets the default (the latest experiment and its versions)."""
    choices = picker_choices()
    versions = [option["value"] for option in choices.versions]

    def kept(value: object, allowed: list[str], fallback: str | None):
        if isinstance(value, str) and value in allowed:
            return no_update
        return fallback if fallback is not None else no_update

    return (
        choices.experiments,
        kept(experiment, [option["value"] for option in choices.experiments], choices.experiment),
        choices.versions,
        kept(control, versions, choices.control),
        choices.versions,
        kept(treatment, versions, choices.treatment),
    )


def picker_visibility(mode: object):
    """Show the experiment select or the two version selects."""
    if not isinstance(mode, str) or mode not in MODES:
        raise PreventUpdate
    return (SHOWN, HIDDEN) if mode == EXPERIMENT_MODE else (HIDDEN, SHOWN)


def comparison(
    range_key: object,
    model: object,
    _tick: object,
    mode: object,
    experiment_id: object,
    control: object,
    treatment: object,
):
    """Summary, SRM banner, guardrail, verdict cards, results table, forest and cumulative."""
    _range_key, model = checked_filters(range_key, model)
    chosen = chosen_comparison(mode, experiment_id, control, treatment)
    if isinstance(chosen, str):
        return nothing_to_compare(chosen)
    return _comparison_view(chosen, model, float(current_app.config["AB_GUARDRAIL_MARGIN"]))


@memoised_view
def _comparison_view(chosen: Comparison, model: str, margin: float):
    arms = experiments.arm_summary(chosen, model)
    if arms["alerts"].min() < MIN_PER_ARM or arms["responded"].min() < MIN_PER_ARM:
        return nothing_to_compare(
            f"Too few {model_label(model)} alerts in one arm to compare "
            f"{chosen.control} with {chosen.treatment}: pick another model type or comparison."
        )
    analysis = analysis_of(chosen)
    results, effects = comparison_statistics(chosen, model, analysis)
    alerts = (int(arms.at[CONTROL, "alerts"]), int(arms.at[TREATMENT, "alerts"]))
    srm, srm_alerts = sample_ratio(chosen)
    guardrail = experiment_checks.guardrail(chosen, model, margin)
    population = f"{model_label(model)} · " + (
        "whole experiment" if chosen.randomised else "all pilot alerts of both versions"
    )
    named = f"{chosen.experiment_id} · " if chosen.randomised else ""
    subtitle = f"{named}{chosen.treatment} vs {chosen.control} · {population}"
    kind = "always-valid" if analysis.always_valid else "fixed-horizon"
    return (
        comparison_summary(
            chosen,
            alerts,
            population,
            queries.as_of(),
            headline(results, chosen.treatment, chosen.control),
            srm,
            analysis.always_valid,
        ),
        None if srm is None else srm_banner(chosen, srm_alerts, srm),
        guardrail_banner(guardrail, chosen.control, chosen.treatment, analysis.always_valid),
        verdict_cards(results, chosen.control, chosen.treatment),
        results_table(results, chosen.control, chosen.treatment),
        # Two lines: one is wider than the chart beside the cumulative one at 1366 px.
        forest_figure(results, f"{subtitle}<br>{kind}, Holm-adjusted"),
        cumulative_figure(
            effects, subtitle + " · treatment − control up to each day, always-valid intervals"
        ),
    )


def comparison_statistics(
    chosen: Comparison, model: str, analysis: Analysis
) -> tuple[list[MetricResult], pd.DataFrame]:
    """`metric_results` and `cumulative_effects` of a comparison, computed once per data
    generation: the tests and Holm's adjustment (statsmodels collects garbage on every call)
    cost far more than reading the cached answer."""
    return _comparison_statistics(
        queries.key(),
        chosen.experiment_id or "",
        chosen.control,
        chosen.treatment,
        model,
        analysis,
    )


@cache.memoize()
def _comparison_statistics(
    version: str,
    experiment_id: str,
    control: str,
    treatment: str,
    model: str,
    analysis: Analysis,
) -> tuple[list[MetricResult], pd.DataFrame]:
    if experiment_id:
        chosen = experiments.experiment_comparison(experiment_id)
    else:
        chosen = experiments.version_comparison(control, treatment)
    arms = experiments.arm_summary(chosen, model)
    samples = experiments.response_samples(chosen, model)
    planned = planned_arms(chosen, model, analysis)
    results = metric_results(arms, samples, analysis, planned)
    levels = {result["metric"]: 1 - result["confidence"] for result in results}
    counts = experiments.cumulative_counts(chosen, model)
    return results, cumulative_effects(counts, samples, levels, analysis.rho)


def planned_arms(chosen: Comparison, model: str, analysis: Analysis) -> tuple[int, int] | None:
    """Alerts per arm (control, treatment) the planned size gives this model type: the plan
    split as designed, scaled by the model type's share of the alerts so far."""
    if analysis.planned_alerts is None or chosen.treatment_share is None:
        return None
    everything = experiments.arm_summary(chosen, ALL_MODELS)["alerts"].sum()
    shown = experiments.arm_summary(chosen, model)["alerts"].sum()
    if everything == 0:
        return None
    population = analysis.planned_alerts * shown / everything
    treatment = round(population * chosen.treatment_share)
    return round(population) - treatment, treatment


def chosen_comparison(
    mode: object, experiment_id: object, control: object, treatment: object
) -> Comparison | str:
    """The comparison the picker asks for, a message when it cannot be made, or no update
    for values the data does not hold."""
    if not isinstance(mode, str) or mode not in MODES:
        raise PreventUpdate
    if mode == EXPERIMENT_MODE:
        if experiment_id is None and experiments.latest_experiment_id() is None:
            return "The data holds no A/B experiments yet."
        try:
            return experiments.experiment_comparison(experiment_id)
        except ValueError:
            raise PreventUpdate from None
    try:
        return experiments.version_comparison(control, treatment)
    except ValueError:
        same = isinstance(control, str) and control == treatment
        if same and control in experiments.compared_versions():
            return "Pick two different versions to compare."
        raise PreventUpdate from None


def nothing_to_compare(message: str):
    empty = empty_figure("A/B comparison", message)
    return not_comparable(message), None, None, None, None, empty, empty


def metric_results(
    arms: pd.DataFrame,
    samples: pd.DataFrame,
    analysis: Analysis,
    planned: tuple[int, int] | None = None,
) -> list[MetricResult]:
    """Each metric's comparison (always valid or fixed horizon, as `analysis` says),
    significance after Holm across the metrics, intervals at the level Holm tested each metric
    at (so that they agree with the verdicts), and the smallest change each would detect now
    and at the `planned` arm sizes (control, treatment)."""
    control, treatment = arms.loc[CONTROL], arms.loc[TREATMENT]
    times = {arm: samples.loc[samples["arm"] == arm, RESPONSE_COLUMN].to_numpy() for arm in ARMS}

    def compare(metric: Metric, alpha: float) -> dict:
        if metric.in_minutes:
            if analysis.always_valid:
                return ab.sequential_means(
                    times[CONTROL], times[TREATMENT], alpha=alpha, rho=analysis.rho
                )
            return ab.compare_means(times[CONTROL], times[TREATMENT], alpha=alpha)
        counts = (
            int(control[metric.key]),
            int(control["alerts"]),
            int(treatment[metric.key]),
            int(treatment["alerts"]),
        )
        if analysis.always_valid:
            return ab.sequential_proportions(*counts, alpha=alpha, rho=analysis.rho)
        return ab.compare_proportions(*counts, alpha=alpha)

    tested = [compare(metric, ALPHA) for metric in METRICS]
    p_values = [result["p_value"] for result in tested]
    adjusted = ab.adjust_pvalues(p_values, "holm")
    levels = ab.holm_levels(p_values, ALPHA)
    results = []
    for metric, first, p_adjusted, level in zip(METRICS, tested, adjusted, levels, strict=True):
        result = compare(metric, float(level))
        values = _levels(result)
        now, at_plan = detectable_changes(metric, arms, times, analysis, planned)
        results.append(
            MetricResult(
                metric=metric.key,
                control_value=values[0],
                treatment_value=values[1],
                n_control=result["n_control"],
                n_treatment=result["n_treatment"],
                difference=result["difference"],
                ci_low=result["ci_low"],
                ci_high=result["ci_high"],
                relative_lift=result["relative_lift"],
                relative_ci_low=result["relative_ci_low"],
                relative_ci_high=result["relative_ci_high"],
                confidence=1 - float(level),
                always_valid=analysis.always_valid,
                p_value=first["p_value"],
                adjusted_p_value=float(p_adjusted),
                significant=bool(p_adjusted < ALPHA),
                detectable_now=now,
                detectable_planned=at_plan,
                planned_alerts=None if planned is None else sum(planned),
            )
        )
    return results


def _levels(result: dict) -> tuple[float, float]:
    """(control, treatment) level of a rate, mean or sequential comparison."""
    for control_key, treatment_key in (
        ("control_value", "treatment_value"),
        ("control_rate", "treatment_rate"),
        ("control_mean", "treatment_mean"),
    ):
        if control_key in result:
            return result[control_key], result[treatment_key]
    raise KeyError("a comparison without levels")


def detectable_changes(
    metric: Metric,
    arms: pd.DataFrame,
    times: dict[str, object],
    analysis: Analysis,
    planned: tuple[int, int] | None,
) -> tuple[float | None, float | None]:
    """The smallest change found with 80% power at the strictest Holm level, at the arms'
    sizes now and at the `planned` sizes (None when there is no plan or it is reached)."""
    rho = analysis.rho if analysis.always_valid else None
    if metric.in_minutes:
        control_n, treatment_n = len(times[CONTROL]), len(times[TREATMENT])
        sd = _pooled_sd(times[CONTROL], times[TREATMENT])
        responded = arms["responded"] / arms["alerts"].where(arms["alerts"] > 0)
        shares = (float(responded[CONTROL]), float(responded[TREATMENT]))
    else:
        control_n, treatment_n = int(arms.at[CONTROL, "alerts"]), int(arms.at[TREATMENT, "alerts"])
        rate = (arms[metric.key].sum()) / max(1, control_n + treatment_n)
        sd = math.sqrt(rate * (1 - rate))
        shares = (1.0, 1.0)

    def size(n_control: int, n_treatment: int) -> float | None:
        value = ab.minimum_detectable_effect(
            sd, n_control, n_treatment, alpha=FAMILY_ALPHA, power=POWER, rho=rho
        )
        return None if math.isnan(value) else value

    now = size(control_n, treatment_n)
    if planned is None or sum(planned) <= control_n + treatment_n:
        return now, None
    return now, size(round(planned[0] * shares[0]), round(planned[1] * shares[1]))


def _pooled_sd(control: object, treatment: object) -> float:
    control, treatment = pd.Series(control).dropna(), pd.Series(treatment).dropna()
    freedom = len(control) + len(treatment) - 2
    if freedom <= 0:
        return math.nan
    squares = (len(control) - 1) * control.var() + (len(treatment) - 1) * treatment.var()
    return math.sqrt(squares / freedom)


def cumulative_effects(
    counts: pd.DataFrame, samples: pd.DataFrame, levels: dict[str, float], rho: float
) -> pd.DataFrame:
    """Per day, each metric's treatment - control on all alerts so far, with its confidence
    sequence at the metric's level in `levels` (its verdict's): a day-by-day chart is a look a
    day, so only an interval valid at every look may be read off it."""
    control = counts[counts["arm"] == CONTROL].set_index("day")
    treatment = counts[counts["arm"] == TREATMENT].set_index("day")
    times = samples["timestamp"]
    rows = []
    for day in control.index:
        before, after = control.loc[day], treatment.loc[day]
        sizes = (before["alerts"], after["alerts"], before["responded"], after["responded"])
        if min(sizes) < MIN_PER_ARM:
            continue
        so_far = samples.iloc[: times.searchsorted(day + ONE_DAY, side="left")]
        for metric in METRICS:
            alpha = levels.get(metric.key, ALPHA)
            if metric.in_minutes:
                arm = so_far["arm"]
                result = ab.sequential_means(
                    so_far.loc[arm == CONTROL, RESPONSE_COLUMN].to_numpy(),
                    so_far.loc[arm == TREATMENT, RESPONSE_COLUMN].to_numpy(),
                    alpha=alpha,
                    rho=rho,
                )
            else:
                result = ab.sequential_proportions(
                    int(before[metric.key]),
                    int(before["alerts"]),
                    int(after[metric.key]),
                    int(after["alerts"]),
                    alpha=alpha,
                    rho=rho,
                )
            rows.append(
                {
                    "day": day,
                    "metric": metric.key,
                    "difference": result["difference"],
                    "ci_low": result["ci_low"],
                    "ci_high": result["ci_high"],
                }
            )
    return pd.DataFrame(rows, columns=["day", "metric", "difference", "ci_low", "ci_high"])


def version_table(model: object, _tick: object = None) -> list[dict]:
    """Each version in its release experiment's treatment arm, with n and 95% intervals (the
    whole experiment whatever the time range: a range change sends no request for it)."""
    return version_rows(with_intervals(experiments.version_summary(checked_model(model))))


def with_intervals(table: pd.DataFrame) -> pd.DataFrame:
    """`table` plus `<metric>_low`/`_high`: Wilson for rates, a t-interval for response time."""
    table = table.copy()
    for field in VERSION_INTERVAL_FIELDS:
        if field == "response_min":
            low, high = ab.mean_interval(table[field], table["response_sd"], table["responded"])
        else:
            low, high = ab.rate_interval(table[field] * table["alerts"], table["alerts"])
        table[f"{field}_low"], table[f"{field}_high"] = low, high
    return table


def version_trends(range_key: object, model: object, _tick: object, kpi: object):
    range_key, model = checked_filters(range_key, model)
    if not isinstance(kpi, str) or kpi not in SOC_KPIS:
        raise PreventUpdate
    return _version_trends_view(range_key, model, kpi)


@memoised_view
def _version_trends_view(range_key: str, model: str, kpi: str):
    trends = queries.version_trends(range_key, model)
    subtitle = f"Live alerts · {scope(range_key, model)} · {per_bucket(range_key)}"
    return version_trend_figure(trends, kpi, subtitle)


def register(app: Dash) -> None:
    page_callback(
        app,
        Output(ids.AB_EXPERIMENT, "options"),
        Output(ids.AB_EXPERIMENT, "value"),
        Output(ids.AB_CONTROL, "options"),
        Output(ids.AB_CONTROL, "value"),
        Output(ids.AB_TREATMENT, "options"),
        Output(ids.AB_TREATMENT, "value"),
        Input(ids.REFRESH, "n_intervals"),
        State(ids.AB_EXPERIMENT, "value"),
        State(ids.AB_CONTROL, "value"),
        State(ids.AB_TREATMENT, "value"),
        # The layout holds the first choices (initial_choices); this keeps them current.
        prevent_initial_call=True,
    )(comparison_choices)
    page_callback(
        app,
        Output(ids.AB_EXPERIMENT_PICKER, "style"),
        Output(ids.AB_VERSION_PICKER, "style"),
        Input(ids.AB_MODE, "value"),
    )(picker_visibility)
    page_callback(
        app,
        Output(ids.AB_SUMMARY, "children"),
        Output(ids.AB_SRM, "children"),
        Output(ids.AB_GUARDRAIL, "children"),
        Output(ids.AB_VERDICTS, "children"),
        Output(ids.AB_RESULTS, "children"),
        Output(ids.AB_FOREST, "figure"),
        Output(ids.AB_CUMULATIVE, "figure"),
        *filter_inputs(ids.AB_TESTING),
        Input(ids.AB_MODE, "value"),
        Input(ids.AB_EXPERIMENT, "value"),
        Input(ids.AB_CONTROL, "value"),
        Input(ids.AB_TREATMENT, "value"),
    )(comparison)
    _range, model, tick = filter_inputs(ids.AB_TESTING)
    page_callback(app, Output(ids.AB_VERSIONS, "rowData"), model, tick)(version_table)
    page_callback_when_seen(
        app,
        ids.AB_TRENDS_VIEW,
        Output(ids.AB_TRENDS, "figure"),
        *filter_inputs(ids.AB_TESTING),
        Input(ids.AB_TREND_METRIC, "value"),
    )(version_trends)
    register_export(app, ids.AB_VERSIONS_EXPORT, ids.AB_VERSIONS)
