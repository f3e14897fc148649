"""The navbar's alert badge: which alerting conditions hold now, each a link to its page."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.conditions import CRITICAL, INFO, WARNING, Condition

# Worst first: the badge takes the colour of its worst condition.
SEVERITY_ORDER = (CRITICAL, WARNING, INFO)
SEVERITY_COLOURS = {CRITICAL: "danger", WARNING: "warning", INFO: "info"}
SEVERITY_ICONS = {
    CRITICAL: "bi-exclamation-octagon",
    WARNING: "bi-exclamation-triangle",
    INFO: "bi-info-circle",
}


def _item(condition: Condition) -> dbc.DropdownMenuItem:
    return dbc.DropdownMenuItem(
        [
            html.I(
                className=f"bi {SEVERITY_ICONS[condition.severity]} me-2 "
                f"text-{SEVERITY_COLOURS[condition.severity]}"
            ),
            condition.summary,
        ],
        href=condition.href,
        className="alert-condition",
    )


def alert_badge(
    conditions: list[Condition] | None, checking: bool = False
) -> html.Span | dbc.DropdownMenu:
    """'No alerts', or a menu of the conditions that hold, worst first; None: no data yet, or
    (`checking`) the figures are being computed from the data."""
    if conditions is None:
        waiting = "Alerts: being checked" if checking else "Alerts: waiting for data"
        return html.Span(waiting, className="updated-at")
    if not conditions:
        return html.Span(
            [html.I(className="bi bi-check-circle me-1"), "No alerts"],
            className="updated-at alert-none",
        )
    ordered = sorted(conditions, key=lambda condition: SEVERITY_ORDER.index(condition.severity))
    worst = ordered[0].severity
    count = len(ordered)
    return dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem("Holding now (thresholds of the alerting rules)", header=True),
            *(_item(condition) for condition in ordered),
        ],
        label=[
            html.I(className=f"bi {SEVERITY_ICONS[worst]} me-1"),
            f"{count} alert{'' if count == 1 else 's'}",
        ],
        color=SEVERITY_COLOURS[worst],
        size="sm",
        align_end=True,
        className="alert-badge",
        toggleClassName="alert-badge-toggle",
    )
