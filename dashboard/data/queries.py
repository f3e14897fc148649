"""The query layer: validated, cached, filtered DataFrames for the pages.

Public functions validate their arguments (ValueError for anything outside the allowed set),
then call a memoised function keyed on the store's generation and the normalised arguments,
so equal requests share one cache entry (across workers and hosts with Redis), a refresh that
brings nothing new invalidates nothing, and a new generation never serves stale results.

Each memoised function builds an Ibis expression on the contract tables: time filters and
aggregation (time buckets, per model type, version, GPU, session) run in the engine that holds
the data (dashboard.data.store), and only the small result comes back. Trends of the two big
tables read the rollup cells the ingest keeps (dashboard.data.cells) where the store has them,
and compute cells from raw rows elsewhere, with the same result.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from dashboard.analysis.response_time import response_time_estimate
from dashboard.data import aggregates
from dashboard.data.cache import cache
from dashboard.data.cells import (
    ALERT_STEP,
    ALERT_SUMS,
    ANY,
    IDLE,
    RESOURCE_STEP,
    UNKNOWN,
    bin_of,
    seconds,
)
from dashboard.data.cells import alert_cells as raw_alert_cells
from dashboard.data.cells import fleet_cells as raw_fleet_cells
from dashboard.data.cells import gpu_cells as raw_gpu_cells
from dashboard.data.filters import RECENT_PERIODS, Window, validate_period, window_for
from dashboard.data.manifest import Manifest
from dashboard.data.store import store
from dashboard.data.tables import GPU_NAMES, cell_table, contract_table, indicator
from dashboard.domain import ALL_MODELS, validate_model, validate_range
from simulator.schema import MODEL_TYPES, conform

# Bucket widths that keep every trend at a few hundred to ~1,500 points per series.
TREND_BUCKETS = {"24h": "1h", "7d": "6h", "30d": "1D", "90d": "1D", "all": "1D"}
RESOURCE_BUCKETS = {"24h": "1min", "7d": "10min", "30d": "30min", "90d": "2h", "all": "3h"}
# Widths a resource trend's buckets may take, finest first (each divides a day), and how many
# buckets a trend has at most unless the chart says how many it can show.
RESOURCE_BUCKET_WIDTHS = tuple(
    pd.Timedelta(width)
    for width in (
        "1min", "2min", "3min", "5min", "10min", "15min", "20min", "30min",
        "1h", "2h", "3h", "4h", "6h", "8h", "12h", "1D",
    )
)  # fmt: skip
TREND_POINTS = 1_500
# At most this many GPU x bucket cells in the per-GPU trends: about what a heatmap can draw.
GPU_TREND_CELLS = 40_000
# Start and current levels of a KPI compare whole days or weeks, so that daily and weekly
# cycles never read as change: the last 24 hours against the 24 before, the last 7 days
# against the 7 before, and for longer ranges the range's first 7 days against its last 7.
COMPARISON_PERIODS = {
    "24h": pd.Timedelta(hours=24),
    "7d": pd.Timedelta(days=7),
    "30d": pd.Timedelta(days=7),
    "90d": pd.Timedelta(days=7),
    "all": pd.Timedelta(days=7),
}
PREVIOUS, FIRST = "the period before", "the range's first period"
LEVELS = ("automation_rate", "false_positive_rate", "response_min")
COMPARED_WITH = {"24h": PREVIOUS, "7d": PREVIOUS, "30d": FIRST, "90d": FIRST, "all": FIRST}
BUSY_CODES = (*MODEL_TYPES, UNKNOWN)


def generation() -> Manifest:
    """The store's generation in force (MissingTable, saying so, before the first)."""
    return store.loaded()


def key() -> str:
    """The cache key part that changes whenever the data may have (the generation's content,
    so that every worker and host keys the same data alike)."""
    return generation().content_key


def table_version(name: str) -> str:
    """What changes whenever one table's content does (MissingTable when it is absent)."""
    manifest = generation()
    if name in manifest.sql_tables:
        return f"{name}:{manifest.sql_tables[name]}"
    store.require(name)
    return f"{name}:" + ",".join(manifest.files(name))


def as_of() -> pd.Timestamp:
    return generation().as_of_time().as_unit("us")


def fetch(expression: ir.Expr) -> pd.DataFrame:
    return store.run(expression)


def prepare() -> None:
    """Open the store now (gunicorn's master, before the workers fork)."""
    store.manifest()


def time_slice(frame: pd.DataFrame, column: str, window: Window) -> pd.DataFrame:
    """Rows of `frame` (sorted by `column`) inside `window`, found by bisection, not a scan."""
    values = frame[column]
    start = 0 if window.start is None else values.searchsorted(window.start, side="left")
    stop = values.searchsorted(window.end, side="left")
    return frame.iloc[start:stop]


def of_model(frame: pd.DataFrame, model: str) -> pd.DataFrame:
    return frame if model == ALL_MODELS else frame[frame["model_type"] == model]


def window(range_key: str) -> Window:
    return window_for(validate_range(range_key), as_of())


def within(column: ir.TimestampValue, span: Window) -> ir.BooleanValue:
    """`column` inside the half-open window (no lower bound for all time)."""
    inside = column < span.end
    return inside if span.start is None else inside & (column >= span.start)


def model_filter(table: ir.Table, model: str) -> ir.Table:
    return table if model == ALL_MODELS else table.filter(table.model_type == model)


def rows_of(name: str, expression: ir.Table) -> pd.DataFrame:
    """Whole rows of a contract table, with the contract's dtypes."""
    return conform(name, fetch(expression))


def data_start() -> pd.Timestamp:
    """The earliest time any alert or session exists: where 'All Time' begins."""
    return _data_start(key())


@cache.memoize()
def _data_start(generation_key: str) -> pd.Timestamp:
    firsts = []
    for name, column in (("alerts", "timestamp"), ("training_sessions", "started_at")):
        if store.holds(name):
            table = contract_table(name)
            firsts.append(fetch(table.aggregate(first=table[column].min()))["first"].iloc[0])
    present = [first for first in firsts if pd.notna(first)]
    return min(present) if present else as_of()


# Sessions


def sessions_in_range(range_key: str, model: str) -> pd.DataFrame:
    """Training sessions started in the range, oldest first."""
    return _sessions_in_range(key(), validate_range(range_key), validate_model(model))


@cache.memoize()
def _sessions_in_range(generation_key: str, range_key: str, model: str) -> pd.DataFrame:
    table = contract_table("training_sessions")
    chosen = model_filter(table.filter(within(table.started_at, window(range_key))), model)
    sessions = rows_of("training_sessions", chosen.order_by(["started_at", "session_id"]))
    sessions["duration_min"] = _duration_minutes(sessions, as_of())
    return sessions.reset_index(drop=True)


def _duration_minutes(sessions: pd.DataFrame, moment: pd.Timestamp) -> pd.Series:
    ended = sessions["ended_at"].fillna(moment)
    return (ended - sessions["started_at"]).dt.total_seconds() / 60.0


SESSION_METRICS = ("train_accuracy", "val_accuracy", "train_loss", "val_loss")


def session_trends(range_key: str, model: str) -> pd.DataFrame:
    """Completed sessions per time bucket: count, and per final accuracy and loss column its
    mean (named as the column) and its lowest and highest (`<column>_min`, `<column>_max`)."""
    return _session_trends(key(), validate_range(range_key), validate_model(model))


@cache.memoize()
def _session_trends(generation_key: str, range_key: str, model: str) -> pd.DataFrame:
    sessions = sessions_in_range(range_key, model)
    completed = sessions[sessions["status"] == "completed"]
    bucket = completed["started_at"].dt.floor(TREND_BUCKETS[range_key]).rename("bucket")
    grouped = completed.groupby(bucket)[list(SESSION_METRICS)]
    trends = grouped.mean()
    for extreme, values in (("min", grouped.min()), ("max", grouped.max())):
        trends = trends.join(values.add_suffix(f"_{extreme}"))
    trends["sessions"] = completed.groupby(bucket)["session_id"].count()
    return trends.reset_index()


def active_sessions(model: str = ALL_MODELS) -> pd.DataFrame:
    """Sessions running now (independent of the time range), newest first."""
    return _active_sessions(key(), validate_model(model))


@cache.memoize()
def _active_sessions(generation_key: str, model: str) -> pd.DataFrame:
    table = contract_table("training_sessions")
    active = rows_of(
        "training_sessions", model_filter(table.filter(table.status == "active"), model)
    )
    active["duration_min"] = _duration_minutes(active, as_of())
    progress = session_progress(active)
    active = active.merge(progress, on="session_id", how="left")
    return active.sort_values("started_at", ascending=False).reset_index(drop=True)


def session_progress(sessions: pd.DataFrame) -> pd.DataFrame:
    """Per session of `sessions`: the last logged epoch as a share of its planned epochs, and
    the time of its newest metric point (`last_point_at`)."""
    if sessions.empty:
        return pd.DataFrame(
            {
                "session_id": pd.Series(dtype="string"),
                "epoch": [],
                "last_point_at": pd.Series(dtype="datetime64[us, UTC]"),
                "progress": [],
            }
        )
    metrics = contract_table("training_metrics")
    ids = sessions["session_id"].astype(str).tolist()
    epochs = metrics.filter(
        metrics.session_id.isin(ids), metrics.timestamp >= sessions["started_at"].min()
    )
    last = fetch(
        epochs.group_by("session_id").aggregate(
            epoch=epochs.value.max(where=epochs.metric == "epoch"),
            last_point_at=epochs.timestamp.max(),
        )
    )
    planned = sessions.set_index(sessions["session_id"].astype(str))["epochs"]
    frame = last.set_index(last["session_id"].astype(str))[["epoch", "last_point_at"]]
    frame["progress"] = (frame["epoch"] / planned.reindex(frame.index)).clip(upper=1.0)
    frame.index = frame.index.astype("string").rename("session_id")
    return frame.reset_index()


def _valid_session_id(session_id: object) -> bool:
    return isinstance(session_id, str) and 0 < len(session_id) <= 64


def session_exists(session_id: object) -> bool:
    if not _valid_session_id(session_id):
        return False
    return _session_row(key(), session_id) is not None


@cache.memoize()
def _session_row(generation_key: str, session_id: str) -> pd.Series | None:
    table = contract_table("training_sessions")
    rows = rows_of("training_sessions", table.filter(table.session_id == session_id).limit(1))
    return None if rows.empty else rows.iloc[0]


def session_summary(session_id: str) -> pd.Series:
    """The training_sessions row of one session."""
    row = _session_row(key(), session_id) if _valid_session_id(session_id) else None
    if row is None:
        raise ValueError(f"unknown training session {str(session_id)[:64]!r}")
    return row


def session_metrics(session_id: str) -> pd.DataFrame:
    """The metric history of one session: columns session_id, step, timestamp, metric, value."""
    session = session_summary(session_id)
    return _session_metrics(key(), session_id, session["started_at"].isoformat())


@cache.memoize()
def _session_metrics(generation_key: str, session_id: str, started_at: str) -> pd.DataFrame:
    metrics = contract_table("training_metrics")
    # The session's start bounds its metrics' times: the engine skips the older partitions.
    rows = metrics.filter(
        metrics.session_id == session_id, metrics.timestamp >= pd.Timestamp(started_at)
    )
    frame = rows_of("training_metrics", rows.order_by(["step", "metric"]))
    return frame.reset_index(drop=True)


def session_resources(session_id: str) -> pd.DataFrame:
    """Per-minute GPU rows of one session (timestamp, gpu_id, utilisation and memory)."""
    session_summary(session_id)
    return _session_resources(key(), session_id)


@cache.memoize()
def _session_resources(generation_key: str, session_id: str) -> pd.DataFrame:
    session = session_summary(session_id)
    started, ended = session["started_at"], session["ended_at"]
    end = as_of() if pd.isna(ended) else ended
    usage = contract_table("resource_usage")
    rows = usage.filter(
        within(usage.timestamp, Window(started, end + pd.Timedelta(microseconds=1))),
        usage.session_id == session_id,
    )
    return rows_of("resource_usage", rows.order_by(["timestamp", "gpu_id"])).reset_index(drop=True)


# Versions and live SOC alerts


def model_versions() -> pd.DataFrame:
    return _model_versions(key())


@cache.memoize()
def _model_versions(generation_key: str) -> pd.DataFrame:
    table = contract_table("model_versions")
    return rows_of("model_versions", table.order_by(["released_at", "version"]))


def current_version() -> pd.Series | None:
    """The latest stable release, or None when there is none."""
    versions = model_versions()
    stable = versions[versions["status"] == "stable"]
    return None if stable.empty else stable.iloc[-1]


def alerts_in_range(range_key: str, model: str) -> pd.DataFrame:
    """Every alert of the range (for tests and exports: the pages read aggregates)."""
    table = contract_table("alerts")
    chosen = table.filter(within(table.timestamp, window(validate_range(range_key))))
    return rows_of("alerts", model_filter(chosen, validate_model(model)).order_by("timestamp"))


def _bin_edges(span: Window, step: pd.Timedelta) -> tuple[pd.Timestamp | None, pd.Timestamp]:
    """The whole bins of `step` inside `span`: from its start rounded up (None for all time)
    to its end rounded down."""
    low = None if span.start is None else span.start.ceil(step)
    return low, span.end.floor(step)


def _cells(name: str, span: Window, build, step: pd.Timedelta) -> ir.Table:
    """The cells of the rows in `span`: whole bins from the stored cells where the store keeps
    them, the partial bins at the window's edges (or everything, without stored cells)
    computed from the raw rows with the same expression."""
    raw = contract_table("alerts" if name == "alert_cells" else "resource_usage")
    if not store.holds(name):
        return build(raw.filter(within(raw.timestamp, span)))
    low, high = _bin_edges(span, step)
    if low is not None and low >= high:
        return build(raw.filter(within(raw.timestamp, span)))
    stored = cell_table(name)
    stored = stored.filter(stored.bin < _epoch(high))
    edges = [Window(high, span.end)]
    if low is not None:
        stored = stored.filter(stored.bin >= _epoch(low))
        edges.insert(0, Window(span.start, low))
    edges = [edge for edge in edges if edge.start < edge.end]
    if not edges:
        return stored
    # Both edges' rows in one expression: their bins differ, and one build costs half as much.
    inside = within(raw.timestamp, edges[0])
    for edge in edges[1:]:
        inside |= within(raw.timestamp, edge)
    return ibis.union(stored, build(raw.filter(inside)).select(*stored.columns))


def _epoch(moment: pd.Timestamp) -> int:
    return int(moment.value // 1_000_000_000)


def _alert_cells(span: Window, model: str) -> ir.Table:
    cells = _cells("alert_cells", span, raw_alert_cells, ALERT_STEP)
    return cells if model == ALL_MODELS else cells.filter(cells.model_type == model)


def _bucketed(cells: ir.Table, bucket: str | pd.Timedelta) -> ir.IntegerValue:
    width = seconds(pd.Timedelta(bucket))
    return (cells.bin // width) * width


def _bucket_times(frame: pd.DataFrame, column: str = "bucket") -> pd.DataFrame:
    frame[column] = pd.to_datetime(frame[column].astype("int64"), unit="s", utc=True).dt.as_unit(
        "us"
    )
    return frame


def _alert_sums(cells: ir.Table, keys: dict) -> pd.DataFrame:
    sums = {
        name: cells[name].sum()
        for name in ("alerts", "automated", "false_positive", "responded", "response_sum")
    }
    expression = cells.group_by(**keys).aggregate(**sums) if keys else cells.aggregate(**sums)
    return fetch(expression)


def alert_trends(range_key: str, model: str) -> pd.DataFrame:
    """SOC KPIs per time bucket: alerts, automation_rate, false_positive_rate, response_min."""
    return _alert_trends(key(), validate_range(range_key), validate_model(model))


@cache.memoize()
def _alert_trends(generation_key: str, range_key: str, model: str) -> pd.DataFrame:
    sums = _range_alert_sums(generation_key, range_key, model)
    trends = aggregates.alert_kpis(sums, ["bucket"])
    trends["open"] = _open(sums)
    if (trends["open"] > 0).any():
        # Buckets with open alerts (the newest): their mean counts those alerts as waiting.
        waits = _range_waits(generation_key, range_key, model)
        means = _restricted_means(waits[waits["group"] != BEFORE_OPEN], "group").reset_index()
        means = _bucket_times(means, "group").set_index("group")["mean"]
        fixed = trends["bucket"].map(means)
        trends["response_min"] = fixed.where(trends["open"] > 0, trends["response_min"])
    return trends


@cache.memoize()
def _range_alert_sums(generation_key: str, range_key: str, model: str) -> pd.DataFrame:
    """The alert cell sums per trend bucket of the range: alert_trends reads them, and so do
    the current levels of a range that is one comparison period long (24h, 7d)."""
    cells = _alert_cells(window(range_key), model)
    sums = _alert_sums(cells, {"bucket": _bucketed(cells, TREND_BUCKETS[range_key])})
    return _bucket_times(sums).sort_values("bucket", ignore_index=True)


# The group of the waits before the range's first bucket with open alerts: no bucket's mean
# reads them, only the current period's.
BEFORE_OPEN = -1


@cache.memoize()
def _range_waits(generation_key: str, range_key: str, model: str) -> pd.DataFrame:
    """The response waits (_response_waits) both Kaplan-Meier means of a range need, in one
    query: those of the trend buckets from the first with open alerts on (`group`: the
    bucket, BEFORE_OPEN earlier), and those of the current comparison period (`current`)."""
    span = window(range_key)
    sums = _range_alert_sums(generation_key, range_key, model)
    first = sums.loc[_open(sums) > 0, "bucket"].min()
    if span.start is not None:
        first = max(first, span.start)
    current = _comparison_periods(range_key)[1]
    bucket = pd.Timedelta(TREND_BUCKETS[range_key])

    def marks(alerts: ir.Table) -> dict[str, ir.Value]:
        grouped = bin_of(alerts.timestamp, bucket)
        return {
            "group": ibis.ifelse(alerts.timestamp >= first, grouped, BEFORE_OPEN),
            "current": alerts.timestamp >= current.start,
        }

    return _response_waits(Window(min(first, current.start), span.end), model, marks)


def alert_kpi_change(range_key: str, model: str) -> pd.DataFrame:
    """Each KPI's level in the first and the last comparison period of the range, and change.

    Index: automation_rate, false_positive_rate, response_min; columns: start, current, change;
    `attrs`: `period` (a Timedelta), `compared_with` (PREVIOUS or FIRST) and `open` (alerts of
    the current period still unanswered, which response_min counts as still waiting).
    """
    return _alert_kpi_change(key(), validate_range(range_key), validate_model(model))


@cache.memoize()
def _alert_kpi_change(generation_key: str, range_key: str, model: str) -> pd.DataFrame:
    first_span = _comparison_periods(range_key)[0]
    sums = _period_sums(generation_key, range_key, model)

    def current_with_open() -> float:
        waits = _range_waits(generation_key, range_key, model)
        return _restricted_mean(waits[waits["current"]])

    parts = {
        "start": _levels(
            sums.loc[["start"]], lambda: _restricted_mean(_response_waits(first_span, model))
        ),
        "current": _levels(sums.loc[["current"]], current_with_open),
    }
    levels = pd.DataFrame({name: part[list(LEVELS)] for name, part in parts.items()}).rename_axis(
        columns="p"
    )
    levels["change"] = levels["current"] - levels["start"]
    levels.attrs["period"] = COMPARISON_PERIODS[range_key]
    levels.attrs["compared_with"] = COMPARED_WITH[range_key]
    levels.attrs["open"] = int(parts["current"]["open"])
    return levels


def _comparison_periods(range_key: str) -> tuple[Window, Window]:
    """The range's start and current comparison periods (COMPARISON_PERIODS, COMPARED_WITH)."""
    period = COMPARISON_PERIODS[range_key]
    span = window(range_key)
    last_span = Window(span.end - period, span.end)
    if COMPARED_WITH[range_key] == PREVIOUS:
        return Window(span.end - 2 * period, span.end - period), last_span
    start = span.start if span.start is not None else data_start()
    return Window(start, start + period), last_span


def _period_sums(generation_key: str, range_key: str, model: str) -> pd.DataFrame:
    """The alert sums of the start and the current period (index: start, current) in one
    query; the current period's from the range's bucket sums when it is the whole range."""
    first_span, last_span = _comparison_periods(range_key)
    whole = last_span == window(range_key)
    spans = {"start": first_span} if whole else {"start": first_span, "current": last_span}
    sums = _windows_sums(spans, model)
    if whole:
        buckets = _range_alert_sums(generation_key, range_key, model)
        sums.loc["current"] = buckets[list(ALERT_SUMS)].sum()
    return sums


def _windows_sums(spans: dict[str, Window], model: str) -> pd.DataFrame:
    """One row of alert sums per named window (index: the names; NaN for a window with no
    alert), in one query."""
    parts = [
        _alert_cells(span, model).mutate(period=ibis.literal(name)) for name, span in spans.items()
    ]
    cells = parts[0] if len(parts) == 1 else ibis.union(*parts)
    sums = _alert_sums(cells, {"period": cells.period})
    return sums.set_index("period")[list(ALERT_SUMS)].reindex(list(spans))


def _span_levels(span: Window, model: str) -> pd.Series:
    """The SOC KPIs over one window (LEVELS), with `alerts` and `open` (still unanswered,
    which response_min counts as still waiting)."""
    sums = _alert_sums(_alert_cells(span, model), {})
    return _levels(sums, lambda: _restricted_mean(_response_waits(span, model)))


def _levels(sums: pd.DataFrame, response_with_open: Callable[[], float]) -> pd.Series:
    """LEVELS, `alerts` and `open` of one row of alert sums; with alerts still open, the
    response time is `response_with_open()` (the Kaplan-Meier mean that counts them)."""
    levels = aggregates.alert_levels(sums)
    still_open = int(_open(sums).iloc[0])
    if still_open > 0:
        levels["response_min"] = response_with_open()
    levels["alerts"] = int(pd.to_numeric(sums["alerts"]).fillna(0).iloc[0])
    levels["open"] = still_open
    return levels


def recent_alert_levels(period: str, model: str) -> pd.Series:
    """The SOC KPIs over the last `period` (RECENT_PERIODS) up to the data's as_of: over the
    last day, the Overview's current level at Last 24 Hours."""
    return _recent_alert_levels(key(), validate_period(period), validate_model(model))


def _recent(period: str) -> Window:
    end = window("24h").end
    return Window(end - RECENT_PERIODS[period], end)


@cache.memoize()
def _recent_alert_levels(generation_key: str, period: str, model: str) -> pd.Series:
    return _span_levels(_recent(period), model)


def recent_version_levels(period: str) -> pd.DataFrame:
    """Per model type (and All Models) and model version, the SOC KPIs over the last `period`
    (as `version_trends` computes them per bucket): model_type, model_version, alerts,
    automation_rate, false_positive_rate, response_min (answered alerts)."""
    return _recent_version_levels(key(), validate_period(period))


@cache.memoize()
def _recent_version_levels(generation_key: str, period: str) -> pd.DataFrame:
    cells = _alert_cells(_recent(period), ALL_MODELS)
    sums = _alert_sums(
        cells, {"model_type": cells.model_type, "model_version": cells.model_version}
    )
    for column in ("model_type", "model_version"):
        sums[column] = sums[column].astype("string")
    counts = sums.columns.drop(["model_type", "model_version"])
    every = sums.groupby("model_version", as_index=False)[list(counts)].sum()
    every.insert(0, "model_type", ALL_MODELS)
    sums = pd.concat([every, sums], ignore_index=True).sort_values(
        ["model_type", "model_version"], ignore_index=True
    )
    return aggregates.alert_kpis(sums, ["model_type", "model_version"])


def _open(sums: pd.DataFrame) -> pd.Series:
    """Alerts not answered yet, from cell sums."""
    alerts = pd.to_numeric(sums["alerts"]).fillna(0)
    return (alerts - pd.to_numeric(sums["responded"]).fillna(0)).astype("int64")


def _response_waits(
    span: Window, model: str, marks: Callable[[ir.Table], dict[str, ir.Value]] = lambda _: {}
) -> pd.DataFrame:
    """The window's alerts as Kaplan-Meier durations, in one query: `minutes` (the response
    time, or for an open alert how long it has waited up to the data's as_of), `answered`,
    `alerts` (how many share the row) and the columns `marks` computes in the engine.

    Answered alerts cross as their distinct response times with counts: response times repeat
    (they are kept to the hundredth of a minute), so the millions of alerts of a week cross as
    a few thousand rows, and the estimate is the one of the alerts listed one by one. Open
    alerts cross one by one with their timestamps."""
    alerts = contract_table("alerts")
    alerts = model_filter(alerts.filter(within(alerts.timestamp, span)), model)
    marked = marks(alerts)
    alerts = alerts.mutate(**marked)
    keys = list(marked)
    answered = alerts.filter(alerts.response_time_min.notnull())
    answered = answered.group_by([*keys, answered.response_time_min.name("minutes")]).aggregate(
        alerts=answered.count(), opened_at=ibis.null(alerts.timestamp.type())
    )
    opened = alerts.filter(alerts.response_time_min.isnull())
    opened = opened.select(
        *keys,
        minutes=ibis.null("float64"),
        alerts=ibis.literal(1, "int64"),
        opened_at=opened.timestamp,
    )
    rows = fetch(answered.union(opened))
    is_answered = rows["opened_at"].isna().to_numpy()
    waited = (as_of() - rows["opened_at"]).dt.total_seconds() / 60.0
    return rows[keys].assign(
        minutes=np.where(is_answered, rows["minutes"], waited.clip(lower=0.0)).astype(float),
        answered=is_answered,
        alerts=rows["alerts"].astype("int64"),
    )


def _restricted_mean(waits: pd.DataFrame) -> float:
    """The Kaplan-Meier restricted mean response time of `waits` (_response_waits), up to the
    longest wait seen (analysis.response_time): open alerts count as still waiting."""
    estimate = response_time_estimate(
        waits["minutes"].to_numpy(dtype=float),
        waits["answered"].to_numpy(),
        counts=waits["alerts"].to_numpy(dtype=np.int64),
    )
    return estimate["restricted_mean"]


def _restricted_means(waits: pd.DataFrame, by: str) -> pd.Series:
    """_restricted_mean per value of the column `by` of `waits`, named `mean`."""
    means = {group: _restricted_mean(part) for group, part in waits.groupby(by)}
    return pd.Series(means, dtype="float64", name="mean").rename_axis(by)


def version_trends(range_key: str, model: str) -> pd.DataFrame:
    """Live SOC KPIs per bucket and model version (each version's incremental learning)."""
    return _version_trends(key(), validate_range(range_key), validate_model(model))


@cache.memoize()
def _version_trends(generation_key: str, range_key: str, model: str) -> pd.DataFrame:
    cells = _alert_cells(window(range_key), model)
    keys = {
        "bucket": _bucketed(cells, TREND_BUCKETS[range_key]),
        "model_version": cells.model_version,
    }
    sums = _bucket_times(_alert_sums(cells, keys))
    sums["model_version"] = sums["model_version"].astype("string")
    sums = sums.sort_values(["bucket", "model_version"], ignore_index=True)
    return aggregates.alert_kpis(sums, ["bucket", "model_version"])


# Experiments


def experiments() -> pd.DataFrame:
    return _experiments(key())


@cache.memoize()
def _experiments(generation_key: str) -> pd.DataFrame:
    table = contract_table("experiments")
    return rows_of("experiments", table.order_by(["started_at", "experiment_id"]))


def version_table(model: str) -> pd.DataFrame:
    """Each version in the treatment arm of its release experiment, with n per metric."""
    return _version_table(key(), validate_model(model))


@cache.memoize()
def _version_table(generation_key: str, model: str) -> pd.DataFrame:
    alerts = model_filter(contract_table("experiment_alerts"), model)
    treated = alerts.filter(alerts.arm == "treatment")
    grouped = treated.group_by(["experiment_id", "model_version"]).aggregate(
        alerts=treated.count(),
        accuracy=indicator(treated.correct).mean(),
        automation_rate=indicator(treated.automated).mean(),
        false_positive_rate=indicator(treated.false_positive).mean(),
        response_min=treated.response_time_min.mean(),
        responded=treated.response_time_min.count(),
    )
    table = fetch(grouped).rename(columns={"model_version": "version"})
    for column in ("experiment_id", "version"):
        table[column] = table[column].astype("string")
    versions = model_versions()[["version", "released_at", "status"]]
    table = table.merge(versions, on="version", how="left")
    return table.sort_values(["released_at", "version"], na_position="last").reset_index(drop=True)


# Resources


def _resource_step(bucket: str | pd.Timedelta) -> pd.Timedelta:
    """The cells resource buckets are made of: stored half hours when the buckets are whole
    half hours, else cells of the bucket's own width from raw rows."""
    bucket = pd.Timedelta(bucket)
    return RESOURCE_STEP if bucket % RESOURCE_STEP == pd.Timedelta(0) else bucket


def gpu_trend_bucket(range_key: str) -> pd.Timedelta:
    """The bucket of the per-GPU trends: the range's, or whole half hours wide enough that
    GPUs x buckets stay within GPU_TREND_CELLS (a large fleet: 400 GPUs over 7 days at 10
    minutes would be 400,000 cells computed from raw telemetry, for a chart that shows 40,000)."""
    return _gpu_trend_bucket(key(), validate_range(range_key))


@cache.memoize()
def _gpu_trend_bucket(generation_key: str, range_key: str) -> pd.Timedelta:
    bucket = pd.Timedelta(RESOURCE_BUCKETS[range_key])
    span = window(range_key)
    start = data_start() if span.start is None else span.start
    cells = _resource_cells("gpu_cells", span, RESOURCE_STEP)
    gpus = int(fetch(cells.aggregate(gpus=cells.gpu_id.nunique()))["gpus"].iloc[0] or 0)
    if gpus * ((span.end - start) / bucket) <= GPU_TREND_CELLS:
        return bucket
    steps = np.ceil(gpus * ((span.end - start) / RESOURCE_STEP) / GPU_TREND_CELLS)
    return RESOURCE_STEP * int(steps)


def _resource_cells(name: str, span: Window, step: pd.Timedelta) -> ir.Table:
    sessions = contract_table("training_sessions")
    if step == RESOURCE_STEP:
        build = lambda rows: (raw_fleet_cells if name == "fleet_cells" else raw_gpu_cells)(  # noqa: E731
            rows, sessions
        )
        return _cells(name, span, build, RESOURCE_STEP)
    raw = contract_table("resource_usage")
    rows = raw.filter(within(raw.timestamp, span))
    return (raw_fleet_cells if name == "fleet_cells" else raw_gpu_cells)(rows, sessions, step)


def _training_codes(model: str) -> list[str]:
    return list(BUSY_CODES) if model == ALL_MODELS else [model]


def gpu_names() -> dict[int, str]:
    """What each gpu_id is ("gpu-node-a gpu 0"), when the telemetry source names its GPUs."""
    return _gpu_names(key())


@cache.memoize()
def _gpu_names(generation_key: str) -> dict[int, str]:
    if not store.holds(GPU_NAMES):
        return {}
    names = fetch(cell_table(GPU_NAMES))
    return dict(zip(names["gpu_id"].astype(int), names["name"].astype(str), strict=True))


def resource_trends(range_key: str, model: str) -> pd.DataFrame:
    """Per bucket and GPU: mean utilisation and the share of minutes a session ran.

    With a model type selected, the utilisation is that of its sessions' minutes, and the
    busy share its sessions' share of all the GPU's minutes.
    """
    return _resource_trends(key(), validate_range(range_key), validate_model(model))


@cache.memoize()
def _resource_trends(generation_key: str, range_key: str, model: str) -> pd.DataFrame:
    bucket = gpu_trend_bucket(range_key)
    cells = _resource_cells("gpu_cells", window(range_key), _resource_step(bucket))
    busy = cells.code.isin(_training_codes(model))
    counted = cells.code.isin(_util_codes(model))
    keys = {"bucket": _bucketed(cells, bucket), "gpu_id": cells.gpu_id}
    sums = cells.group_by(**keys).aggregate(
        rows=cells.rows.sum(),
        busy=cells.rows.sum(where=busy),
        util_sum=cells.util_sum.sum(where=counted),
        util_rows=cells.rows.sum(where=counted),
    )
    frame = _bucket_times(fetch(sums)).sort_values(["bucket", "gpu_id"], ignore_index=True)
    return aggregates.gpu_trends(frame)


def _util_codes(model: str) -> list[str]:
    """The codes whose minutes a GPU's utilisation is averaged over: all, or the model's."""
    return [*MODEL_TYPES, UNKNOWN, IDLE] if model == ALL_MODELS else [model]


def fleet_trends(range_key: str, model: str, points: int = TREND_POINTS) -> pd.DataFrame:
    """Per bucket over all GPUs: utilisation overall (the whole fleet, idle included) and
    while training (the selected model's sessions), GPUs busy, memory while training.

    The buckets are the range's (RESOURCE_BUCKETS) or wider, at most `points` of them: about
    what a chart's plot area shows, a point a pixel (fleet_trend_bucket says which)."""
    return aggregates.fleet_trends(fleet_bucket_sums(range_key, model, points))


def fleet_bucket_sums(range_key: str, model: str, points: int = TREND_POINTS) -> pd.DataFrame:
    """Per bucket of fleet_trends(range_key, model, points), the sums and maxima its means
    and peaks are made of: kept rather than the trend, so that resource_summary totals them
    and a Resources view runs one fleet query for its charts and its headline figures."""
    points = validate_points(points)
    return _fleet_bucket_sums(key(), validate_range(range_key), validate_model(model), points)


def validate_points(points: object) -> int:
    if isinstance(points, bool) or not isinstance(points, int) or not 50 <= points <= 10_000:
        raise ValueError("points must be an integer from 50 to 10,000")
    return points


@cache.memoize()
def _fleet_bucket_sums(
    generation_key: str, range_key: str, model: str, points: int
) -> pd.DataFrame:
    span = window(range_key)
    return _bucketed_fleet_sums(
        span, model, fleet_bucket(span, RESOURCE_BUCKETS[range_key], points)
    )


def fleet_trends_in(span: Window, model: str, points: int = TREND_POINTS) -> pd.DataFrame:
    """fleet_trends over any window (a zoom), in the finest bucket that gives at most `points`
    (down to one minute, the telemetry's own step)."""
    bucket = fleet_trend_bucket_in(span, points)
    return _fleet_trends_in(key(), span.start, span.end, validate_model(model), bucket)


def fleet_trend_bucket_in(span: Window, points: int = TREND_POINTS) -> pd.Timedelta:
    """The bucket width of fleet_trends_in(span, ..., points)."""
    return fleet_bucket(span, RESOURCE_BUCKET_WIDTHS[0], validate_points(points))


@cache.memoize()
def _fleet_trends_in(
    generation_key: str,
    start: pd.Timestamp | None,
    end: pd.Timestamp,
    model: str,
    bucket: pd.Timedelta,
) -> pd.DataFrame:
    return aggregates.fleet_trends(_bucketed_fleet_sums(Window(start, end), model, bucket))


def fleet_bucket(span: Window, finest: str | pd.Timedelta, points: int) -> pd.Timedelta:
    """The finest bucket width, from `finest` up, that cuts `span` into at most `points`."""
    start = data_start() if span.start is None else span.start
    length = max(span.end - start, pd.Timedelta(minutes=1))
    widths = [width for width in RESOURCE_BUCKET_WIDTHS if width >= pd.Timedelta(finest)]
    fitting = [width for width in widths if length / width <= points]
    if fitting:
        return fitting[0]
    return pd.Timedelta(days=int(np.ceil(length / pd.Timedelta(days=1) / points)))


def fleet_trend_bucket(range_key: str, points: int = TREND_POINTS) -> pd.Timedelta:
    """The bucket width of fleet_trends(range_key, ..., points)."""
    range_key, points = validate_range(range_key), validate_points(points)
    return fleet_bucket(window(range_key), RESOURCE_BUCKETS[range_key], points)


def _bucketed_fleet_sums(span: Window, model: str, bucket: pd.Timedelta) -> pd.DataFrame:
    cells = _resource_cells("fleet_cells", span, _resource_step(bucket))
    sums = _fleet_sums(cells, model, {"bucket": _bucketed(cells, bucket)})
    return _bucket_times(sums).sort_values("bucket", ignore_index=True)


def _fleet_sums(cells: ir.Table, model: str, keys: dict) -> pd.DataFrame:
    overall = cells.code == ANY
    busy = cells.code.isin(_training_codes(model))
    measures = dict(
        all_rows=cells.rows.sum(where=overall),
        all_util=cells.util_sum.sum(where=overall),
        all_minutes=cells.minutes.sum(where=overall),
        total_max=cells.total_max.max(where=overall),
        busy_rows=cells.rows.sum(where=busy),
        busy_util=cells.util_sum.sum(where=busy),
        busy_mem=cells.mem_sum.sum(where=busy),
        busy_host=cells.host_sum.sum(where=busy),
        mem_max=cells.mem_max.max(where=busy),
        host_max=cells.host_max.max(where=busy),
    )
    return fetch(cells.group_by(**keys).aggregate(**measures))


def resource_summary(range_key: str, model: str, points: int = TREND_POINTS) -> pd.Series:
    """Headline resource figures over the range: utilisation while training, memory, and the
    share of all fleet GPU-minutes the selected model's sessions used.

    Totalled from the buckets of fleet_trends(range_key, model, points): any `points` gives
    the same figures, and the charts' own share one query with them."""
    totals = aggregates.fleet_totals(fleet_bucket_sums(range_key, model, points))
    return aggregates.resource_summary(totals, gpus_in_range(range_key, model))


def gpus_in_range(range_key: str, model: str) -> int:
    """How many GPUs ran a minute in the range (of the model's sessions, with one selected)."""
    return _gpus_in_range(key(), validate_range(range_key), validate_model(model))


@cache.memoize()
def _gpus_in_range(generation_key: str, range_key: str, model: str) -> int:
    gpus = _resource_cells("gpu_cells", window(range_key), RESOURCE_STEP)
    counted = gpus.filter(gpus.rows > 0)
    if model != ALL_MODELS:
        counted = counted.filter(counted.code == model)
    return int(fetch(counted.aggregate(gpus=counted.gpu_id.nunique()))["gpus"].iloc[0])
