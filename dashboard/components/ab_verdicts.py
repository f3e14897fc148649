"""A/B verdicts a manager can read: per-metric sentences, cards and the detailed results table.

The builders take `MetricResult`s (one per metric, treatment minus control) and never compute
statistics; colours follow the metric's direction (lower is better for false positives and
response time) and only a significant change earns green or red.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import dash_bootstrap_components as dbc
from dash import html

from dashboard.components import format as fmt

MINUS = "−"


@dataclass(frozen=True)
class Metric:
    key: str
    label: str  # as a heading: "False-positive rate"
    noun: str  # inside a sentence: "false-positive rate"
    lower_is_better: bool
    in_minutes: bool = False  # a mean in minutes, not a rate


METRICS: tuple[Metric, ...] = (
    Metric("accuracy", "Accuracy", "accuracy", lower_is_better=False),
    Metric("automation_rate", "Automation rate", "automation rate", lower_is_better=False),
    Metric(
        "false_positive_rate", "False-positive rate", "false-positive rate", lower_is_better=True
    ),
    Metric(
        "response_min", "Response time", "mean response time", lower_is_better=True, in_minutes=True
    ),
)
METRIC_BY_KEY = {metric.key: metric for metric in METRICS}


class MetricResult(TypedDict):
    """One metric's comparison; differences are treatment minus control."""

    metric: str
    control_value: float
    treatment_value: float
    n_control: int
    n_treatment: int
    difference: float
    # The intervals are at `confidence`, the level Holm's procedure tested this metric at, so
    # that they exclude 0 exactly when the change is significant.
    ci_low: float
    ci_high: float
    relative_lift: float
    relative_ci_low: float
    relative_ci_high: float
    confidence: float
    always_valid: bool  # a confidence sequence and its always-valid p-value (running data)
    p_value: float
    adjusted_p_value: float  # Holm across the metrics shown together
    significant: bool  # adjusted_p_value below alpha
    # The smallest change the comparison would find with 80% power, now and at the planned
    # size (None when not applicable or not known).
    detectable_now: float | None
    detectable_planned: float | None
    planned_alerts: int | None  # the planned size the last figure is for (both arms)


def signed(value: float, digits: int = 1) -> str:
    """A signed number with a typographic minus sign: 2.5 -> '+2.5'."""
    return f"{value:+.{digits}f}".replace("-", MINUS)


def plain(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace("-", MINUS)


def level(metric: Metric, value: float) -> str:
    """A level on screen: '43.9%' or '7.19 min'."""
    return fmt.minutes(value, 2) if metric.in_minutes else fmt.percent(value)


def change(metric: Metric, value: float) -> str:
    """A change on screen: '+2.9 pts' or '+0.40 min'."""
    return f"{signed(value, 2)} min" if metric.in_minutes else f"{signed(value * 100)} pts"


def change_interval(metric: Metric, low: float, high: float) -> str:
    if metric.in_minutes:
        return f"{signed(low, 2)} to {signed(high, 2)} min"
    return f"{signed(low * 100)} to {signed(high * 100)} pts"


def relative(value: float) -> str:
    return fmt.DASH if value != value else f"{signed(value * 100)}%"


def tone(metric: Metric, result: MetricResult) -> str:
    """'good' or 'bad' for a significant change in the better or worse direction, else 'neutral'."""
    if not result["significant"] or result["difference"] == 0:
        return "neutral"
    return "good" if (result["difference"] < 0) == metric.lower_is_better else "bad"


TONE_TEXT = {"good": "text-success", "bad": "text-danger", "neutral": "text-secondary"}
TONE_BADGE = {
    "good": ("success", "Significant improvement"),
    "bad": ("danger", "Significant regression"),
    "neutral": ("secondary", "Not significant"),
}


def interval_name(result: MetricResult) -> str:
    """'98.75% CI' or '98.75% always-valid CI': the interval's level and kind."""
    level = f"{result['confidence'] * 100:.2f}".rstrip("0").rstrip(".")
    return f"{level}% {'always-valid ' if result['always_valid'] else ''}CI"


def verdict_sentence(result: MetricResult, treatment: str) -> str:
    """'v5.2.1 raises automation rate by 2.9 points (98.75% CI 0.2 to 5.6), significant — an
    improvement': the amount and its interval read in the direction of the verb."""
    metric = METRIC_BY_KEY[result["metric"]]
    difference = result["difference"]
    significance = "significant" if result["significant"] else "not significant"
    if difference == 0:
        return f"{treatment} leaves {metric.noun} unchanged, {significance}"
    rises = difference > 0
    low, high = (
        (result["ci_low"], result["ci_high"]) if rises else (-result["ci_high"], -result["ci_low"])
    )
    name = interval_name(result)
    if metric.in_minutes:
        amount = f"{abs(difference):.2f} min"
        interval = f"{name} {plain(low, 2)} to {plain(high, 2)}"
    else:
        amount = f"{abs(difference) * 100:.1f} points"
        interval = f"{name} {plain(low * 100)} to {plain(high * 100)}"
    sentence = (
        f"{treatment} {'raises' if rises else 'lowers'} {metric.noun} by {amount} ({interval}), "
        f"{significance}"
    )
    verdict = tone(metric, result)
    if verdict != "neutral":
        sentence += " — an improvement" if verdict == "good" else " — a regression"
    return sentence


def detectable(metric: Metric, value: float) -> str:
    """A detectable change on screen: '±2.1 points' or '±0.41 min'."""
    return f"±{value:.2f} min" if metric.in_minutes else f"±{value * 100:.1f} points"


def _known(value: float | None) -> bool:
    return value is not None and value == value


def detectable_sentence(result: MetricResult) -> str | None:
    """For a change that is not significant: the smallest change this comparison would find
    (80% power), now and at the planned size; None when it cannot be sized."""
    if result["significant"] or not _known(result["detectable_now"]):
        return None
    metric = METRIC_BY_KEY[result["metric"]]
    now = detectable(metric, result["detectable_now"])
    planned = result["detectable_planned"]
    if _known(planned) and result["planned_alerts"]:
        return (
            f"Detectable with 80% power: {now} now, {detectable(metric, planned)} at the "
            f"planned {about(result['planned_alerts'])} alerts."
        )
    if result["always_valid"]:
        return f"Detectable with 80% power: {now} now."
    return f"Detectable with 80% power: {now}; a smaller true change may have been missed."


def about(count: int) -> str:
    """A sample size to two significant figures, as precise as a power calculation deserves."""
    if count < 100:
        return fmt.count(count)
    return fmt.count(round(count, 2 - len(str(count))))


def verdict_card(result: MetricResult, control: str, treatment: str) -> dbc.Card:
    metric = METRIC_BY_KEY[result["metric"]]
    verdict = tone(metric, result)
    badge_colour, badge_text = TONE_BADGE[verdict]
    better = "lower is better" if metric.lower_is_better else "higher is better"
    more = detectable_sentence(result)
    body = [
        html.Div(
            [
                html.Span(metric.label, className="kpi-label"),
                dbc.Badge(badge_text, color=badge_colour, className="ms-auto"),
            ],
            className="d-flex align-items-center",
        ),
        html.Div(
            [
                html.Span(level(metric, result["control_value"]), className="text-secondary"),
                html.Span(" → ", className="text-secondary"),
                html.Span(level(metric, result["treatment_value"])),
            ],
            className="kpi-value",
        ),
        html.Div(
            f"{control} (n = {fmt.count(result['n_control'])}) → "
            f"{treatment} (n = {fmt.count(result['n_treatment'])}) · {better}",
            className="small text-secondary",
        ),
        html.Div(
            f"{change(metric, result['difference'])} "
            f"({interval_name(result)} "
            f"{change_interval(metric, result['ci_low'], result['ci_high'])}) · "
            f"{relative(result['relative_lift'])} relative",
            className=f"fw-semibold mt-2 {TONE_TEXT[verdict]}",
        ),
        html.P(
            verdict_sentence(result, treatment) + ".",
            className="mt-2 mb-1 ab-verdict-sentence",
        ),
        html.P(more, className="small text-secondary mb-1 ab-detectable") if more else None,
        html.Div(
            f"{'Always-valid ' if result['always_valid'] else ''}"
            f"{p_equals(result['p_value'])} · Holm-adjusted {p_equals(result['adjusted_p_value'])}",
            className="small text-secondary mt-auto",
        ),
    ]
    return dbc.Card(
        dbc.CardBody([part for part in body if part is not None], className="d-flex flex-column"),
        className="kpi-card h-100 ab-verdict",
    )


def verdict_cards(results: list[MetricResult], control: str, treatment: str) -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col(verdict_card(result, control, treatment), xs=12, md=6, xxl=3)
            for result in results
        ],
        className="g-3",
    )


def p_value(value: float) -> str:
    if value != value:
        return fmt.DASH
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}" if value < 0.01 else f"{value:.3f}"


def p_equals(value: float) -> str:
    """'p = 0.015' or 'p < 0.0001'."""
    shown = p_value(value)
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def _names(results: list[MetricResult]) -> str:
    nouns = [METRIC_BY_KEY[result["metric"]].noun for result in results]
    return nouns[0] if len(nouns) == 1 else f"{', '.join(nouns[:-1])} and {nouns[-1]}"


def headline(results: list[MetricResult], treatment: str, control: str) -> str:
    """One line over the verdicts: what got significantly better, worse, or did not move."""
    tones = [tone(METRIC_BY_KEY[result["metric"]], result) for result in results]
    improved = [result for result, verdict in zip(results, tones, strict=True) if verdict == "good"]
    regressed = [result for result, verdict in zip(results, tones, strict=True) if verdict == "bad"]
    unclear = [
        result for result, verdict in zip(results, tones, strict=True) if verdict == "neutral"
    ]
    if not improved and not regressed:
        return f"{treatment} vs {control}: no significant change on any of the four metrics."
    parts = [f"significantly better on {_names(improved)}"] if improved else []
    parts.append(
        f"significantly worse on {_names(regressed)}"
        if regressed
        else "nothing significantly worse"
    )
    if unclear:
        parts.append(f"no significant change in {_names(unclear)}")
    return f"{treatment} vs {control}: {'; '.join(parts)}."


def two_lines(value: str, detail: str) -> list:
    """A table cell's figure, and under it what qualifies it (n, interval), never wrapped
    mid-phrase."""
    return [
        html.Span(value, className="text-nowrap"),
        html.Br(),
        html.Span(detail, className="small text-secondary text-nowrap"),
    ]


def results_table(results: list[MetricResult], control: str, treatment: str) -> dbc.Table:
    """Every figure behind the verdicts: levels with n, changes with intervals, p-values."""
    header = html.Thead(
        html.Tr(
            [
                html.Th("Metric"),
                html.Th(f"Control · {control}"),
                html.Th(f"Treatment · {treatment}"),
                html.Th("Change (CI)"),
                html.Th("Relative change (CI)"),
                html.Th("CI level"),
                html.Th("p-value"),
                html.Th("Holm p"),
                html.Th("Verdict"),
            ]
        )
    )
    rows = []
    for result in results:
        metric = METRIC_BY_KEY[result["metric"]]
        verdict = tone(metric, result)
        colour = TONE_TEXT[verdict]
        rows.append(
            html.Tr(
                [
                    html.Td(metric.label),
                    html.Td(
                        two_lines(
                            level(metric, result["control_value"]),
                            f"n = {fmt.count(result['n_control'])}",
                        )
                    ),
                    html.Td(
                        two_lines(
                            level(metric, result["treatment_value"]),
                            f"n = {fmt.count(result['n_treatment'])}",
                        )
                    ),
                    html.Td(
                        two_lines(
                            change(metric, result["difference"]),
                            change_interval(metric, result["ci_low"], result["ci_high"]),
                        ),
                        className=colour,
                    ),
                    html.Td(
                        two_lines(
                            relative(result["relative_lift"]),
                            f"{relative(result['relative_ci_low'])} to "
                            f"{relative(result['relative_ci_high'])}",
                        ),
                        className=colour,
                    ),
                    html.Td(interval_name(result).removesuffix(" CI")),
                    html.Td(p_value(result["p_value"])),
                    html.Td(p_value(result["adjusted_p_value"])),
                    html.Td(TONE_BADGE[verdict][1], className=colour),
                ]
            )
        )
    table = dbc.Table(
        [header, html.Tbody(rows)],
        responsive=True,
        hover=True,
        size="sm",
        className="mb-2 align-middle ab-results-table",
    )
    always_valid = bool(results) and results[0]["always_valid"]
    return html.Div(
        [table, html.P(methods_note(always_valid), className="small text-secondary mb-0")]
    )


def methods_note(always_valid: bool) -> str:
    """How to read the table, for the analysis the comparison gets."""
    if always_valid:
        tests = (
            "Running: always-valid analysis. Each interval is an asymptotic confidence "
            "sequence (Waudby-Smith et al. 2024) for the difference, and the p-values are the "
            "matching always-valid p-values, so they stay valid however often the page is "
            "looked at and the experiment may be stopped as soon as a change is significant. "
            "Relative changes: Fieller's interval with the same width factor. "
        )
    else:
        tests = (
            "Fixed horizon: one analysis of all alerts. Rates: pooled two-proportion z-test, "
            "with the score intervals that invert it (Mee for the difference, Koopman for the "
            "ratio). Response time: Welch's t-test on every response (open alerts left out), "
            "with the Welch interval and Fieller's interval for the relative change. "
        )
    return (
        "How to read this: changes are treatment minus control. "
        + tests
        + "'Significant' means the Holm-adjusted p-value, corrected for testing four metrics at "
        "once, is below 0.05; each interval is at the level Holm tested its metric at (0.05/4 "
        "for the smallest p-value, then 0.05/3, … for those found significant; the level of the "
        "first one not significant for the rest), so an interval excludes 0 exactly when its "
        "change is significant. Detectable changes: the smallest true change found with 80% "
        "power at the level 0.05 / 4, from the arms' spread and sizes."
    )
