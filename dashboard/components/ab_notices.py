"""What an A/B comparison is and whether to trust it: the summary card and the warning banners."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.analysis.ab import INFERIOR, NON_INFERIOR, NonInferiority, SrmResult
from dashboard.components import format as fmt
from dashboard.components.ab_verdicts import plain, signed
from dashboard.domain import Comparison

RANGE_NOTE = {
    True: "The time range does not restrict an experiment: it is always compared over its whole "
    "run. The model-type filter applies.",
    False: "The time range does not restrict this comparison: every pilot alert of the two "
    "versions counts. The model-type filter applies.",
}


def _split(share: float) -> str:
    return f"{round((1 - share) * 100):g}/{round(share * 100):g}"


def _fact(icon: str, text: object) -> html.Li:
    return html.Li([html.I(className=f"bi {icon} me-2 text-info"), text], className="mb-1")


def _period(comparison: Comparison, as_of: pd.Timestamp) -> str:
    start = comparison.started_at
    if comparison.ended_at is None:
        so_far = fmt.period(pd.Timedelta(days=round((as_of - start) / pd.Timedelta(days=1), 1)))
        return f"{fmt.timestamp(start)} → running ({so_far} so far)"
    length = fmt.period(
        pd.Timedelta(days=round((comparison.ended_at - start) / pd.Timedelta(days=1)))
    )
    return f"{fmt.date(start)} → {fmt.date(comparison.ended_at)} ({length})"


def p_text(value: float) -> str:
    return "p < 0.0001" if value < 0.0001 else f"p = {value:.2g}"


def analysis_fact(comparison: Comparison, always_valid: bool) -> html.Li:
    """Which analysis the verdicts use, and why."""
    if comparison.randomised and always_valid:
        text = (
            "Running: always-valid analysis (confidence sequences). Its verdicts hold however "
            "often this page refreshes, so a significant one can be acted on now"
        )
    elif comparison.randomised:
        text = (
            "Completed: fixed-horizon analysis, one look at all its alerts, which no longer change"
        )
    elif always_valid:
        text = (
            "A version is still in a running experiment, so alerts keep arriving: "
            "always-valid analysis (confidence sequences)"
        )
    else:
        text = "Neither version takes pilot alerts any more: fixed-horizon analysis"
    return _fact("bi-hourglass-split" if always_valid else "bi-flag", text)


def comparison_summary(
    comparison: Comparison,
    alerts: tuple[int, int],
    scope: str,
    as_of: pd.Timestamp,
    verdict: str,
    srm: SrmResult | None,
    always_valid: bool = False,
) -> dbc.Card:
    """The card over the verdicts: what is compared, on what, since when, how it is analysed,
    and the headline."""
    control_n, treatment_n = alerts
    if comparison.randomised:
        title = (
            f"{comparison.experiment_id} · {comparison.control} (control) vs "
            f"{comparison.treatment} (treatment)"
        )
        facts = [
            _fact(
                "bi-shuffle",
                f"Randomised per alert, planned split {_split(comparison.treatment_share)} "
                "control/treatment",
            ),
            _fact("bi-calendar3", _period(comparison, as_of)),
        ]
        if srm is not None and not srm["mismatch"]:
            facts.append(
                _fact(
                    "bi-check2-circle",
                    "Split check passed: the arm sizes agree with the plan "
                    f"({p_text(srm['p_value'])})",
                )
            )
    else:
        title = f"{comparison.control} (control) vs {comparison.treatment} (treatment)"
        facts = [_fact("bi-collection", "All pilot alerts each version handled, in any experiment")]
    facts.append(
        _fact(
            "bi-funnel",
            f"{scope}: {fmt.count(control_n)} control and {fmt.count(treatment_n)} "
            "treatment alerts",
        )
    )
    facts.append(analysis_fact(comparison, always_valid))
    heading: list = [title]
    if srm is not None and srm["mismatch"]:
        heading.append(
            dbc.Badge("Suspect: sample ratio mismatch", color="danger", className="ms-3")
        )
    children = [
        html.H5(heading, className="mb-2"),
        html.P(verdict, className="fs-5 fw-semibold mb-2 ab-headline"),
        html.Ul(facts, className="list-unstyled mb-2 text-secondary small"),
        html.Div(RANGE_NOTE[comparison.randomised], className="small text-secondary fst-italic"),
    ]
    if not comparison.randomised:
        children.insert(1, observational_note(comparison))
    return dbc.Card(dbc.CardBody(children), className="live-card")


def observational_note(comparison: Comparison) -> dbc.Alert:
    return dbc.Alert(
        [
            html.I(className="bi bi-eye me-2"),
            html.Strong("Observational comparison. "),
            f"{comparison.control} and {comparison.treatment} were not randomised against each "
            "other: their alerts come from different experiments and periods, so a difference may "
            "reflect when and on which alerts each ran, not only the model. Use an experiment to "
            "decide a release.",
        ],
        color="warning",
        className="py-2 mb-2",
    )


def srm_banner(comparison: Comparison, alerts: tuple[int, int], srm: SrmResult) -> dbc.Alert | None:
    """A red banner when the arm sizes contradict the planned split (None when they agree)."""
    if not srm["mismatch"]:
        return None
    control_n, treatment_n = alerts
    expected_control, expected_treatment = srm["expected"]
    return dbc.Alert(
        [
            html.H5(
                [html.I(className="bi bi-exclamation-octagon me-2"), "Sample ratio mismatch"],
                className="alert-heading",
            ),
            html.P(
                f"{comparison.experiment_id} planned a {_split(comparison.treatment_share)} split "
                f"but logged {fmt.count(control_n)} control and {fmt.count(treatment_n)} treatment "
                f"alerts, where about {fmt.count(round(expected_control))} and "
                f"{fmt.count(round(expected_treatment))} were expected "
                f"(χ² = {srm['chi2']:.1f}, {p_text(srm['p_value'])}).",
                className="mb-1",
            ),
            html.P(
                "Alerts went missing from one arm or were assigned unevenly, so the arms may no "
                "longer be comparable: treat the verdicts below as suspect until the assignment "
                "and logging are fixed.",
                className="mb-0",
            ),
        ],
        color="danger",
        className="ab-srm-banner",
    )


def guardrail_banner(
    result: NonInferiority, control: str, treatment: str, always_valid: bool = False
) -> dbc.Alert:
    """The false-positive guardrail: a non-inferiority check against the configured margin, on
    the 95% interval (always valid while the data keep arriving)."""
    interval = "95% always-valid interval" if always_valid else "95% interval"
    margin = f"{plain(result['margin'] * 100)}-point"
    worst = f"{signed(result['worst_case'] * 100)} pts"
    if result["status"] == NON_INFERIOR:
        colour, icon, title = "success", "bi-shield-check", "Guardrail holds"
        text = (
            f"{treatment}'s false-positive rate is not worse than {control}'s by more than the "
            f"{margin} margin: even the worst case in the {interval} is {worst}."
        )
    elif result["status"] == INFERIOR:
        colour, icon, title = "danger", "bi-shield-x", "Guardrail failed"
        text = (
            f"{treatment} raises the false-positive rate by more than the {margin} margin over "
            f"{control}: the whole {interval} lies beyond it."
        )
    else:
        colour, icon, title = "warning", "bi-shield-exclamation", "Guardrail flag"
        text = (
            f"It cannot yet be ruled out that {treatment} raises the false-positive rate by more "
            f"than the {margin} margin over {control}: the {interval} reaches {worst}. "
            "Non-inferiority is not shown."
        )
    return dbc.Alert(
        [html.I(className=f"bi {icon} me-2"), html.Strong(f"{title}: "), text],
        color=colour,
        className="py-2 ab-guardrail",
    )


def not_comparable(message: str) -> dbc.Alert:
    """Shown instead of the results when there is nothing sound to compare."""
    return dbc.Alert([html.I(className="bi bi-info-circle me-2"), message], color="secondary")
