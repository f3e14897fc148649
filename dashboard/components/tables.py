"""dash-ag-grid tables: sortable, filterable, CSV export, colour-coded session status."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.components import format as fmt
from dashboard.components.csv_export import GRID_CSV_CELL
from dashboard.domain import GridColumn, model_label


def number_format(spec: str) -> str:
    """A grid value formatter: d3 format `spec`, and a dash for a missing value (not 0)."""
    return f"params.value == null ? '–' : d3.format('{spec}')(params.value)"


STATUS_CELL = {
    "cellClassRules": {
        "status-completed": "params.value === 'completed'",
        "status-active": "params.value === 'active'",
        "status-failed": "params.value === 'failed'",
    }
}


def data_grid(
    grid_id: str,
    columns: list[dict],
    height: int | None = 380,
    export_name: str = "export",
    selectable: bool = False,
    page_size: int | None = None,
    infinite: bool = False,
) -> dag.AgGrid:
    """An empty grid with `columns`; a callback fills rowData. `height=None` fits the rows.

    `infinite`: the grid asks the server for one block of rows at a time (AG Grid's infinite
    row model), sorted and filtered there, so it never holds every row in the browser.
    """
    options: dict = {
        "animateRows": False,
        "suppressCellFocus": not selectable,
        "localeText": {"noRowsToShow": "No rows for the current filters"},
        "tooltipShowDelay": 400,
    }
    if selectable:
        options["rowSelection"] = {
            "mode": "singleRow",
            "enableClickSelection": True,
            "checkboxes": False,
        }
    if height is None:
        options["domLayout"] = "autoHeight"
    if page_size:
        options.update(
            pagination=True, paginationPageSize=page_size, paginationPageSizeSelector=False
        )
    # No rowData until the callback answers: meanwhile the grid says "Loading...", where an
    # empty list would have said "No rows for the current filters".
    rows: dict = {}
    if infinite:
        rows = {"rowModelType": "infinite"}
        options.update(
            cacheBlockSize=INFINITE_BLOCK,
            maxBlocksInCache=INFINITE_BLOCKS_KEPT,
            infiniteInitialRowCount=1,
        )
    return dag.AgGrid(
        id=grid_id,
        columnDefs=grown_in_proportion(columns),
        **rows,
        defaultColDef={
            "sortable": True,
            "filter": True,
            "resizable": True,
            "minWidth": MIN_COLUMN_WIDTH,
            "flex": 1,
            # A header longer than its column wraps onto a second line instead of being cut.
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        dashGridOptions=options,
        csvExportParams={"fileName": f"{export_name}.csv", "processCellCallback": GRID_CSV_CELL},
        getRowId="params.data.id",
        style={"width": "100%"} if height is None else {"height": f"{height}px", "width": "100%"},
        className="grid",
    )


def grown_in_proportion(columns: list[dict]) -> list[dict]:
    """`columns` sharing a wide grid's room in proportion to their minimum widths, so that the
    columns of long values widen most (a column of fixed width keeps it)."""
    return [
        column
        if "width" in column or "flex" in column
        else {**column, "flex": column.get("minWidth", MIN_COLUMN_WIDTH)}
        for column in columns
    ]


def export_button(button_id: str) -> dbc.Button:
    return dbc.Button(
        [html.I(className="bi bi-download me-1"), "CSV"],
        id=button_id,
        size="sm",
        color="secondary",
        outline=True,
        className="float-end",
    )


MIN_COLUMN_WIDTH = 90
# Infinite grids fetch this many rows per request and keep this many blocks.
INFINITE_BLOCK = 60
INFINITE_BLOCKS_KEPT = 10
TEXT_FILTER = {"filter": "agTextColumnFilter"}
NUMBER_FILTER = {"filter": "agNumberColumnFilter"}


def _metric_column(field: str, header: str, tooltip: str, spec: str) -> dict:
    """A narrow numeric column of SESSION_COLUMNS, its full name in the header's tooltip."""
    return {
        "field": field,
        "headerName": header,
        "headerTooltip": tooltip,
        "minWidth": 75,
        "type": "numericColumn",
        "valueFormatter": {"function": number_format(spec)},
    }


# Millions with one decimal ('124.3 M'): the exact count is in the cell's tooltip.
MILLIONS = (
    "params.value == null ? '–' : params.value >= 1e6 ? "
    "d3.format(',.1f')(params.value / 1e6) + ' M' : d3.format(',')(params.value)"
)

# Widths that show a whole value and fit a 1366 px screen; the session ID, too long for that
# (an MLflow run ID has 32 characters), is the Run cell's tooltip and stands in for a missing
# run name.
SESSION_COLUMNS = [
    {
        "field": "run_name",
        "headerName": "Run",
        "headerTooltip": "The run's name (its session ID without one): filter by either; "
        "hover a run for its session ID",
        "minWidth": 165,
        "valueFormatter": {"function": "params.value || (params.data && params.data.session_id)"},
        # Grids filtered in the browser (the Overview's) match the session ID too, as the
        # server does for the others (GridColumn.also).
        "filterValueGetter": {
            "function": "params.data ? (params.data.run_name || '') + ' ' + params.data.session_id"
            " : null"
        },
        "tooltipValueGetter": {
            "function": "params.data ? 'Session ID: ' + params.data.session_id : null"
        },
    },
    {"field": "model_type", "headerName": "Model type", "minWidth": 165},
    {
        "field": "model_version",
        "headerName": "Version",
        "headerTooltip": "Model version",
        "minWidth": 90,
    },
    {"field": "status", "headerName": "Status", "minWidth": 105, **STATUS_CELL},
    {"field": "started_at", "headerName": "Started (UTC)", "minWidth": 140},
    {"field": "duration", "headerName": "Duration", "minWidth": 95},
    {
        "field": "samples",
        "headerName": "Samples",
        "headerTooltip": "Samples trained on, in millions (M); hover a cell for the exact count",
        "minWidth": 100,
        "type": "numericColumn",
        "valueFormatter": {"function": MILLIONS},
        "tooltipValueGetter": {
            "function": "params.value == null ? null : d3.format(',')(params.value)"
        },
    },
    _metric_column(
        "train_accuracy", "Train acc.", "Training accuracy at the end of the session", ".1%"
    ),
    _metric_column(
        "val_accuracy", "Val. acc.", "Validation accuracy at the end of the session", ".1%"
    ),
    _metric_column(
        "val_loss", "Val. loss", "Validation (cross-entropy) loss at the end of the session", ".3f"
    ),
    {
        "field": "failure_reason",
        "headerName": "Failure reason",
        "minWidth": 170,
        "tooltipField": "failure_reason",
    },
]


def session_rows(sessions: pd.DataFrame, newest_first: bool = True) -> list[dict]:
    """Grid rows for training sessions (newest first, or in the given order), with readable
    times and durations."""
    newest = sessions.sort_values("started_at", ascending=False) if newest_first else sessions
    rows = pd.DataFrame(
        {
            "id": newest["session_id"].astype(str),
            "run_name": fmt.texts(newest["run_name"], ""),
            "session_id": newest["session_id"].astype(str),
            "model_type": newest["model_type"].astype(str).map(model_label),
            "model_version": fmt.texts(newest["model_version"]),
            "status": newest["status"].astype(str),
            "started_at": newest["started_at"].dt.strftime("%Y-%m-%d %H:%M"),
            "duration": newest["duration_min"].map(fmt.duration),
            "duration_min": newest["duration_min"].round(1),
            "samples": newest["samples"].astype("int64"),
            "train_accuracy": newest["train_accuracy"].round(4),
            "val_accuracy": newest["val_accuracy"].round(4),
            "val_loss": newest["val_loss"].round(4),
            "gpu_util_mean": newest["gpu_util_mean"].round(3),
            "gpu_mem_peak_gb": newest["gpu_mem_peak_gb"].round(2),
            "failure_reason": failure_reasons(newest),
        }
    )
    # NaN is not JSON: a missing measurement (no validation metric) goes as null.
    return rows.astype(object).where(rows.notna(), None).to_dict("records")


def failure_reasons(sessions: pd.DataFrame) -> pd.Series:
    """Each session's failure reason: 'unknown' for a failure without one, empty otherwise."""
    failed = sessions["status"].astype(str) == "failed"
    reasons = fmt.texts(sessions["failure_reason"], fmt.UNKNOWN)
    return reasons.where(failed, fmt.texts(sessions["failure_reason"], "")).astype(str)


def _version_interval_column(field: str, header: str, percent: bool) -> dict:
    """A numeric column of VERSION_COLUMNS showing its value and 95% interval, sorted by the
    value: '90.0% (89.1-90.9)' for a rate, '7.21 (7.09-7.33)' for minutes."""
    number = "d3.format('.1f')(%s * 100)" if percent else "d3.format('.2f')(%s)"
    value, low, high = (
        number % f"params.{part}" for part in ("value", f"data.{field}_low", f"data.{field}_high")
    )
    unit = " + '%'" if percent else ""
    interval = f"' (' + {low} + '–' + {high} + ')'"
    return {
        "field": field,
        "headerName": header,
        "type": "numericColumn",
        "minWidth": 135 if field == "response_min" else 150,
        "headerTooltip": f"{header} with its 95% interval",
        "valueFormatter": {
            "function": f"params.value == null ? '' : {value}{unit} + "
            f"(params.data.{field}_low == null ? '' : {interval})"
        },
    }


VERSION_COLUMNS = [
    {"field": "version", "headerName": "Version", "headerTooltip": "Model version", "minWidth": 90},
    {"field": "status", "headerName": "Status", "minWidth": 85},
    {"field": "released_at", "headerName": "Released", "minWidth": 100},
    {
        "field": "experiment_id",
        "headerName": "Experiment",
        "headerTooltip": "The experiment that released the version",
        "minWidth": 115,
    },
    {
        "field": "alerts",
        "headerName": "Alerts (n)",
        "headerTooltip": "Alerts the treatment arm triaged",
        "minWidth": 85,
        "type": "numericColumn",
        "valueFormatter": {"function": number_format(",")},
    },
    _version_interval_column("accuracy", "Accuracy", percent=True),
    _version_interval_column("automation_rate", "Automation rate", percent=True),
    _version_interval_column("false_positive_rate", "False-positive rate", percent=True),
    _version_interval_column("response_min", "Response time (min)", percent=False),
    {
        "field": "responded",
        "headerName": "Responses (n)",
        "headerTooltip": "Alerts with a response time",
        "minWidth": 105,
        "type": "numericColumn",
        "valueFormatter": {"function": number_format(",")},
    },
]
VERSION_INTERVAL_FIELDS = ("accuracy", "automation_rate", "false_positive_rate", "response_min")


def version_rows(table: pd.DataFrame) -> list[dict]:
    """Grid rows of each version's treatment arm: n, levels, and `<field>_low`/`_high` bounds
    of the 95% intervals that `table` carries."""
    rows = pd.DataFrame(
        {
            "id": table["experiment_id"].astype(str) + "/" + table["version"].astype(str),
            "version": table["version"].astype(str),
            "status": table["status"].fillna("").astype(str),
            "released_at": table["released_at"].map(fmt.date),
            "experiment_id": table["experiment_id"].astype(str),
            "alerts": table["alerts"].astype("int64"),
            "responded": table["responded"].astype("int64"),
        }
    )
    for field in VERSION_INTERVAL_FIELDS:
        digits = 2 if field == "response_min" else 4
        for column in (field, f"{field}_low", f"{field}_high"):
            rows[column] = table[column].astype("float64").round(digits)
    # NaN is not JSON: a missing interval goes to the browser as null.
    return rows.astype(object).where(rows.notna(), None).to_dict("records")


RESOURCE_SESSION_COLUMNS = [
    {"field": "run_name", "headerName": "Run", "minWidth": 200},
    {"field": "session_id", "headerName": "Session ID", "minWidth": 190},
    {"field": "model_type", "headerName": "Model type", "minWidth": 190},
    {"field": "status", "headerName": "Status", "minWidth": 120, **STATUS_CELL},
    {"field": "started_at", "headerName": "Started (UTC)", "minWidth": 175},
    {"field": "duration", "headerName": "Duration", "minWidth": 120},
    {
        "field": "gpu_util_mean",
        "headerName": "Mean GPU utilisation",
        "minWidth": 140,
        "type": "numericColumn",
        "valueFormatter": {"function": number_format(".1%")},
    },
    {
        "field": "gpu_mem_peak_gb",
        "headerName": "Peak GPU memory (GB)",
        "minWidth": 140,
        "type": "numericColumn",
        "valueFormatter": {"function": number_format(".1f")},
    },
]


def _with_filters(columns: list[dict], grid: dict[str, GridColumn]) -> list[dict]:
    """`columns` with the filter each field's server-side GridColumn understands."""
    return [
        {**column, **(NUMBER_FILTER if grid[column["field"]].kind == "number" else TEXT_FILTER)}
        for column in columns
    ]


def _duration_header(columns: list[dict]) -> list[dict]:
    return [
        {**column, "headerTooltip": "Sort and filter in minutes"}
        if column["field"] == "duration"
        else column
        for column in columns
    ]


# How each session column sorts and filters on the server (infinite grids).
SESSION_GRID = {
    "run_name": GridColumn("run_name", also="session_id"),
    "session_id": GridColumn("session_id"),
    "model_type": GridColumn("model_type", text=lambda values: values.astype(str).map(model_label)),
    "model_version": GridColumn("model_version"),
    "status": GridColumn("status"),
    "started_at": GridColumn(
        "started_at", text=lambda values: values.dt.strftime("%Y-%m-%d %H:%M")
    ),
    "duration": GridColumn("duration_min", kind="number"),
    "samples": GridColumn("samples", kind="number"),
    "train_accuracy": GridColumn("train_accuracy", kind="number"),
    "val_accuracy": GridColumn("val_accuracy", kind="number"),
    "val_loss": GridColumn("val_loss", kind="number"),
    "failure_reason": GridColumn("failure_reason"),
    "gpu_util_mean": GridColumn("gpu_util_mean", kind="number"),
    "gpu_mem_peak_gb": GridColumn("gpu_mem_peak_gb", kind="number"),
}
# Newest first unless the user sorts.
SESSION_GRID_DEFAULT_SORT = ("started_at", False)
SESSION_GRID_COLUMNS = _duration_header(_with_filters(SESSION_COLUMNS, SESSION_GRID))
RESOURCE_SESSION_GRID_COLUMNS = _duration_header(
    _with_filters(RESOURCE_SESSION_COLUMNS, SESSION_GRID)
)
