"""Resources callbacks: headline figures, utilisation, memory, per-GPU view, sessions."""

from __future__ import annotations

import pandas as pd
from dash import Dash, Output

from dashboard import ids
from dashboard.callbacks.filters import checked_filters, filter_inputs, scope
from dashboard.callbacks.guard import page_callback, page_callback_when_seen
from dashboard.callbacks.session_grid import register_session_grid
from dashboard.callbacks.views import memoised_view
from dashboard.components import format as fmt
from dashboard.components.kpi import kpi_card
from dashboard.components.resource_charts import gpu_heatmap, memory_figure, utilisation_figure
from dashboard.data import queries


def resources(range_key: object, model: object, _tick: object = None):
    range_key, model = checked_filters(range_key, model)
    return _resources_view(range_key, model)


@memoised_view
def _resources_view(range_key: str, model: str):
    summary = queries.resource_summary(range_key, model)
    fleet = queries.fleet_trends(range_key, model)
    gpus = 0 if pd.isna(summary["gpus"]) else int(summary["gpus"])
    subtitle = resource_subtitle(range_key, model, gpus)
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


def resource_subtitle(
    range_key: str, model: str, gpus: int, bucket: pd.Timedelta | None = None
) -> str:
    """'All Models · Last 30 Days · 4 GPUs · mean per 30 min' (the range's bucket by default)."""
    bucket = fmt.period(
        pd.Timedelta(queries.RESOURCE_BUCKETS[range_key]) if bucket is None else bucket
    )
    return f"{scope(range_key, model)} · {gpus} GPUs · mean per {bucket}"


def register(app: Dash) -> None:
    page_callback(
        app,
        Output(ids.RS_KPIS, "children"),
        Output(ids.RS_UTILISATION, "figure"),
        Output(ids.RS_MEMORY, "figure"),
        *filter_inputs(ids.RESOURCES),
    )(resources)
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
