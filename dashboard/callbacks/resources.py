"""Resources callbacks: headline figures, utilisation, memory, per-GPU view, sessions."""

from __future__ import annotations

import pandas as pd
from dash import Dash, Input, Output, Patch, State
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.callbacks.filters import checked_filters, filter_inputs, scope
from dashboard.callbacks.guard import page_callback, page_callback_when_seen
from dashboard.callbacks.session_grid import register_session_grid
from dashboard.callbacks.views import memoised_view
from dashboard.callbacks.zoom import register_zoom, zoom_window
from dashboard.components import format as fmt
from dashboard.components.kpi import kpi_card
from dashboard.components.resource_charts import gpu_heatmap, memory_figure, utilisation_figure
from dashboard.data import queries
from dashboard.data.downsample import point_limit


def resources(range_key: object, model: object, _tick: object = None, width: object = None):
    """KPIs and the utilisation and memory charts, at about a point per pixel of the charts
    in a window `width` px wide (the browser's; a default when unknown)."""
    range_key, model = checked_filters(range_key, model)
    return _resources_view(range_key, model, chart_points(width))


def chart_points(width: object) -> int:
    """How many points a trace of the half-width Resources charts can show in a window
    `width` px wide: about one per pixel of the plot area, in steps of 100 (few cache keys);
    with downsampling off, as many as the range's own buckets give."""
    if point_limit() is None:  # downsampling off: the range's own buckets
        return queries.TREND_POINTS
    if isinstance(width, bool) or not isinstance(width, int | float) or not 320 <= width <= 8_000:
        width = DEFAULT_WINDOW
    chart = width / 2 if width >= SIDE_BY_SIDE else width
    return max(MIN_POINTS, int(chart - PLOT_MARGINS) // 100 * 100)


# Bootstrap's lg breakpoint: from there the two charts sit side by side (pages/resources.py).
SIDE_BY_SIDE = 992
DEFAULT_WINDOW = 1366
# The page's padding and each chart's left and right margins (resource_charts.py), in px.
PLOT_MARGINS = 160
MIN_POINTS = 200


@memoised_view
def _resources_view(range_key: str, model: str, points: int):
    summary = queries.resource_summary(range_key, model, points)
    fleet = queries.fleet_trends(range_key, model, points)
    gpus = 0 if pd.isna(summary["gpus"]) else int(summary["gpus"])
    bucket = queries.fleet_trend_bucket(range_key, points)
    subtitle = resource_subtitle(range_key, model, gpus, bucket)
    cards = [
        kpi_card(
            "GPU utilisation while training",
            fmt.percent(summary["gpu_util_training"]),
            f"{gpus} GPUs · minutes with a session running",
            icon="bi-gpu-card",
        ),
        kpi_card(
            "Peak GPU memory",
            fmt.gigabytes(summary["gpu_mem_peak_gb"]),
            f"of {fmt.gigabytes(summary['gpu_mem_total_gb'], 0)} per GPU",
            icon="bi-memory",
        ),
        kpi_card(
            "Peak host memory",
            fmt.gigabytes(summary["host_mem_peak_gb"]),
            "While training",
            icon="bi-hdd-stack",
        ),
        kpi_card(
            "GPU time busy",
            fmt.percent(summary["busy_share"]),
            "Share of GPU-minutes with a session; the rest is idle",
            icon="bi-hourglass-split",
        ),
    ]
    return cards, utilisation_figure(fleet, subtitle), memory_figure(fleet, subtitle)


def resources_per_gpu(range_key: object, model: object, _tick: object = None):
    """The per-GPU heatmap (below the fold: drawn once seen)."""
    range_key, model = checked_filters(range_key, model)
    return _heatmap_view(range_key, model)


@memoised_view
def _heatmap_view(range_key: str, model: str):
    # Not the whole resource_summary: the other worker may be computing it for the charts above.
    gpus = queries.gpus_in_range(range_key, model)
    trends = queries.resource_trends(range_key, model)
    subtitle = resource_subtitle(range_key, model, gpus, queries.gpu_trend_bucket(range_key))
    return gpu_heatmap(trends, subtitle, queries.gpu_names())


def resource_subtitle(range_key: str, model: str, gpus: int, bucket: pd.Timedelta) -> str:
    """'All Models · Last 30 Days · 4 GPUs · mean per 30 min'."""
    return f"{scope(range_key, model)} · {gpus} GPUs · mean per {fmt.period(bucket)}"


def zoomed_fleet(
    relayout: object, range_key: object, model: object, width: object, figure: str
) -> Patch:
    """A zoom on the utilisation or memory chart: the zoomed window's buckets, as fine as the
    chart's pixels show (down to the telemetry's minute), as a partial update of that chart;
    a reset: the range as first drawn."""
    span = zoom_window(relayout)
    range_key, model = checked_filters(range_key, model)
    points = chart_points(width)
    if span is None:
        fleet = queries.fleet_trends(range_key, model, points)
        bucket = queries.fleet_trend_bucket(range_key, points)
    else:
        fleet = queries.fleet_trends_in(span, model, points)
        bucket = queries.fleet_trend_bucket_in(span, points)
    if fleet.empty:
        raise PreventUpdate
    gpus = queries.gpus_in_range(range_key, model)
    subtitle = resource_subtitle(range_key, model, gpus, bucket)
    if span is not None:
        subtitle += " · zoomed"
    drawn = (utilisation_figure if figure == "utilisation" else memory_figure)(fleet, subtitle)
    patch = Patch()
    for index, trace in enumerate(drawn.data):
        patch["data"][index]["x"] = trace.x
        patch["data"][index]["y"] = trace.y
    patch["layout"]["title"]["subtitle"]["text"] = drawn.layout.title.subtitle.text
    return patch


def zoomed_utilisation(relayout: object, range_key: object, model: object, width: object):
    return zoomed_fleet(relayout, range_key, model, width, "utilisation")


def zoomed_memory(relayout: object, range_key: object, model: object, width: object):
    return zoomed_fleet(relayout, range_key, model, width, "memory")


WINDOW_WIDTH = """
function(_id, _tick, known) {
    const width = window.innerWidth;
    return width === known ? dash_clientside.no_update : width;
}
"""


def register(app: Dash) -> None:
    # The window's width, read when the page mounts (before the charts' first request, which
    # waits for it) and on every refresh tick, when it changes only: a resize is drawn anew by
    # the next tick.
    app.clientside_callback(
        WINDOW_WIDTH,
        Output(ids.RS_WIDTH, "data"),
        Input(ids.RS_WIDTH, "id"),
        Input(ids.page_filter(ids.RESOURCES, "tick"), "data"),
        State(ids.RS_WIDTH, "data"),
    )
    page_callback(
        app,
        Output(ids.RS_KPIS, "children"),
        Output(ids.RS_UTILISATION, "figure"),
        Output(ids.RS_MEMORY, "figure"),
        *filter_inputs(ids.RESOURCES),
        Input(ids.RS_WIDTH, "data"),
    )(resources)
    # As on the Training charts: a zoom patches its chart alone.
    width = State(ids.RS_WIDTH, "data")
    for graph_id, zoom_id, zoomed in (
        (ids.RS_UTILISATION, ids.RS_UTILISATION_ZOOM, zoomed_utilisation),
        (ids.RS_MEMORY, ids.RS_MEMORY_ZOOM, zoomed_memory),
    ):
        register_zoom(app, ids.RESOURCES, graph_id, zoom_id, zoomed, width)
    page_callback_when_seen(
        app, ids.RS_HEATMAP_VIEW, Output(ids.RS_HEATMAP, "figure"), *filter_inputs(ids.RESOURCES)
    )(resources_per_gpu)
    register_session_grid(
        app,
        ids.RESOURCES,
        ids.RS_SESSIONS,
        ids.RS_SESSIONS_SHOWN,
        ids.RS_SESSIONS_EXPORT,
        ids.RS_SESSIONS_DOWNLOAD,
        "session-resources",
    )
