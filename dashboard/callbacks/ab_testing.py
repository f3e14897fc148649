"""A/B Testing callbacks: the comparison picker, a comparison's statistics and verdicts, the
version table and per-version live trends.

Every comparison runs queries (dashboard.data.experiments) -> statistics (dashboard.analysis.ab)
-> builders (dashboard.components.ab_*). Values from the browser are checked against the data
before anything is queried: an unknown experiment or version gives no update.
"""

from __future__ import annotations

import logging

import pandas as pd
from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate
from flask import current_app

from dashboard import ids
from dashboard.analysis import ab
from dashboard.callbacks.filters import FILTER_INPUTS, checked_filters, per_bucket, scope
from dashboard.callbacks.grid_export import register_export
from dashboard.callbacks.guard import page_callback
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
    MetricResult,
    headline,
    results_table,
    verdict_cards,
)
from dashboard.components.soc_charts import SOC_KPIS, version_trend_figure
from dashboard.components.tables import VERSION_INTERVAL_FIELDS, version_rows
from dashboard.components.theme import empty_figure
from dashboard.data import experiments, queries
from dashboard.data.cache import cache
from dashboard.data.experiments import CONTROL, RESPONSE_COLUMN, TREATMENT, Comparison
from dashboard.data.filters import ALL_MODELS, model_label
from dashboard.data.sources import MissingTable

log = logging.getLogger(__name__)

ALPHA = 0.05
POWER = 0.8
# Sample sizes are found at the Bonferroni level, the strictest one Holm applies, so a change
# of the observed size would come out significant after the adjustment.
FAMILY_ALPHA = ALPHA / len(METRICS)
MIN_PER_ARM = ab.MIN_SAMPLE_PER_ARM
ONE_DAY = pd.Timedelta(days=1)
NOT_SIZED = {"required_per_arm": None, "more_control": None, "more_treatment": None}


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
    results, effects = comparison_statistics(chosen, model)
    alerts = (int(arms.at[CONTROL, "alerts"]), int(arms.at[TREATMENT, "alerts"]))
    srm, srm_alerts = sample_ratio(chosen)
    false_positive = next(r for r in results if r["metric"] == "false_positive_rate")
    guardrail = ab.non_inferiority(false_positive["ci_low"], false_positive["ci_high"], margin)
    population = f"{model_label(model)} · " + (
        "whole experiment" if chosen.randomised else "all pilot alerts of both versions"
    )
    named = f"{chosen.experiment_id} · " if chosen.randomised else ""
    subtitle = f"{named}{chosen.treatment} vs {chosen.control} · {population}"
    return (
        comparison_summary(
            chosen,
            alerts,
            population,
            queries.as_of(),
            headline(results, chosen.treatment, chosen.control),
            srm,
        ),
        None if srm is None else srm_banner(chosen, srm_alerts, srm),
        guardrail_banner(guardrail, chosen.control, chosen.treatment),
        verdict_cards(results, chosen.control, chosen.treatment),
        results_table(results, chosen.control, chosen.treatment),
        forest_figure(results, subtitle),
        cumulative_figure(effects, subtitle + " · treatment − control up to each day"),
    )


def comparison_statistics(
    chosen: Comparison, model: str
) -> tuple[list[MetricResult], pd.DataFrame]:
    """`metric_results` and `cumulative_effects` of a comparison, computed once per data
    snapshot: the tests and Holm's adjustment (statsmodels collects garbage on every call)
    cost far more than reading the cached answer."""
    return _comparison_statistics(
        queries.key(),
        chosen.experiment_id or "",
        chosen.control,
        chosen.treatment,
        model,
    )


@cache.memoize()
def _comparison_statistics(
    version: str, experiment_id: str, control: str, treatment: str, model: str
) -> tuple[list[MetricResult], pd.DataFrame]:
    if experiment_id:
        chosen = experiments.experiment_comparison(experiment_id)
    else:
        chosen = experiments.version_comparison(control, treatment)
    arms = experiments.arm_summary(chosen, model)
    samples = experiments.response_samples(chosen, model)
    results = metric_results(arms, samples)
    return results, cumulative_effects(experiments.cumulative_counts(chosen, model), samples)


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


def metric_results(arms: pd.DataFrame, samples: pd.DataFrame) -> list[MetricResult]:
    """Each metric's comparison, significance after Holm across the metrics, and for changes
    that are not significant, how many more alerts per arm would detect them."""
    control, treatment = arms.loc[CONTROL], arms.loc[TREATMENT]
    control_times = samples.loc[samples["arm"] == CONTROL, RESPONSE_COLUMN].to_numpy()
    treatment_times = samples.loc[samples["arm"] == TREATMENT, RESPONSE_COLUMN].to_numpy()
    compared, needed = [], []
    for metric in METRICS:
        if metric.in_minutes:
            result = ab.compare_means(control_times, treatment_times, alpha=ALPHA)
            values = result["control_mean"], result["treatment_mean"]
            need = ab.additional_sample_needed_for_means
            need_args = (control_times, treatment_times)
        else:
            counts = (
                int(control[metric.key]),
                int(control["alerts"]),
                int(treatment[metric.key]),
                int(treatment["alerts"]),
            )
            result = ab.compare_proportions(*counts, alpha=ALPHA)
            values = result["control_rate"], result["treatment_rate"]
            need, need_args = ab.additional_sample_needed, counts
        compared.append((metric, result, values))
        needed.append((need, need_args))
    adjusted = ab.adjust_pvalues([result["p_value"] for _, result, _ in compared], "holm")
    results = []
    for (metric, result, values), (need, need_args), p_adjusted in zip(
        compared, needed, adjusted, strict=True
    ):
        significant = bool(p_adjusted < ALPHA)
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
                p_value=result["p_value"],
                adjusted_p_value=float(p_adjusted),
                significant=significant,
                **(NOT_SIZED if significant else sample_needed(need, need_args)),
            )
        )
    return results


def sample_needed(need, arguments: tuple) -> dict[str, int | None]:
    """Alerts per arm that would detect the observed change, and how many more each arm needs."""
    try:
        sample = need(*arguments, alpha=FAMILY_ALPHA, power=POWER)
    except ValueError:  # a change too small for the power solver to size
        return NOT_SIZED
    return {
        "required_per_arm": sample["required_per_arm"],
        "more_control": sample["additional_control"],
        "more_treatment": sample["additional_treatment"],
    }


def sample_ratio(chosen: Comparison) -> tuple[ab.SrmResult | None, tuple[int, int]]:
    """The SRM check of an experiment over all its alerts (randomisation ignores model type)."""
    share = chosen.treatment_share
    if not chosen.randomised or share is None or not 0 < share < 1:
        return None, (0, 0)
    arms = experiments.arm_summary(chosen, ALL_MODELS)
    alerts = (int(arms.at[CONTROL, "alerts"]), int(arms.at[TREATMENT, "alerts"]))
    if sum(alerts) == 0:
        return None, alerts
    return ab.srm_check(list(alerts), [1 - share, share]), alerts


def cumulative_effects(counts: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """Per day, each metric's treatment - control and 95% interval on all alerts so far."""
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
            if metric.in_minutes:
                arm = so_far["arm"]
                result = ab.compare_means(
                    so_far.loc[arm == CONTROL, RESPONSE_COLUMN].to_numpy(),
                    so_far.loc[arm == TREATMENT, RESPONSE_COLUMN].to_numpy(),
                    alpha=ALPHA,
                )
            else:
                result = ab.compare_proportions(
                    int(before[metric.key]),
                    int(before["alerts"]),
                    int(after[metric.key]),
                    int(after["alerts"]),
                    alpha=ALPHA,
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


def version_table(range_key: object, model: object, _tick: object = None) -> list[dict]:
    """Each version in its release experiment's treatment arm, with n and 95% intervals."""
    _range_key, model = checked_filters(range_key, model)
    return version_rows(with_intervals(experiments.version_summary(model)))


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
        *FILTER_INPUTS,
        Input(ids.AB_MODE, "value"),
        Input(ids.AB_EXPERIMENT, "value"),
        Input(ids.AB_CONTROL, "value"),
        Input(ids.AB_TREATMENT, "value"),
    )(comparison)
    page_callback(app, Output(ids.AB_VERSIONS, "rowData"), *FILTER_INPUTS)(version_table)
    page_callback(
        app, Output(ids.AB_TRENDS, "figure"), *FILTER_INPUTS, Input(ids.AB_TREND_METRIC, "value")
    )(version_trends)
    register_export(app, ids.AB_VERSIONS_EXPORT, ids.AB_VERSIONS)
