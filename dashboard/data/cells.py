"""Rollup cells: the big event tables summed into fixed time bins, from which every trend,
level and peak of the Overview, A/B and Resources pages follows exactly.

A cell holds, per bin and key, sums, counts and maxima: alerts per hour, model type and
version; GPU telemetry per half hour and model type (fleet) and per half hour, GPU and model
type (GPU). Means are sums over counts, peaks maxima of maxima, distinct minutes add up over
bins, so a query over any whole number of bins equals the aggregation of the raw rows.

The same expressions serve twice: the ingest computes the cells of each partition it writes
(dashboard.data.ingest), and queries compute the cells of raw rows where no stored cell covers
them (the partial bin at a window's start, or a SQL store with no cells at all). Bins are
whole epoch seconds, which every engine floors the same way.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from dashboard.data.tables import CELL_SCHEMAS, indicator

ALERT_STEP = pd.Timedelta(hours=1)
RESOURCE_STEP = pd.Timedelta(minutes=30)
# The fleet code of GPU minutes with no session, of a session the sessions table lacks, and
# of every minute whatever its session (distinct minutes of the whole fleet).
IDLE, UNKNOWN, ANY = "idle", "unknown", "any"
ALERT_SUMS = ("alerts", "automated", "false_positive", "responded", "response_sum")
FLEET_SUMS = ("rows", "util_sum", "mem_sum", "host_sum", "minutes")
FLEET_MAXES = ("mem_max", "host_max", "total_max")


def seconds(step: pd.Timedelta) -> int:
    return int(step.total_seconds())


def bin_of(times: ir.TimestampValue, step: pd.Timedelta) -> ir.IntegerValue:
    """The start of each time's bin, in epoch seconds."""
    width = seconds(step)
    return (times.epoch_seconds() // width) * width


def _count(flag: ir.BooleanValue) -> ir.IntegerValue:
    return indicator(flag).sum()


def alert_cells(alerts: ir.Table) -> ir.Table:
    """Per hour, model type and model version: alerts, automated, false_positive, responded
    (alerts with a response time) and response_sum (minutes)."""
    return (
        alerts.group_by(
            bin=bin_of(alerts.timestamp, ALERT_STEP),
            model_type=alerts.model_type,
            model_version=alerts.model_version,
        )
        .aggregate(
            alerts=alerts.count(),
            automated=_count(alerts.automated),
            false_positive=_count(alerts.false_positive),
            responded=_count(alerts.response_time_min.notnull()),
            response_sum=alerts.response_time_min.sum().fill_null(0.0),
        )
        .cast(CELL_SCHEMAS["alert_cells"])
    )


def resource_codes(rows: ir.Table, sessions: ir.Table) -> ir.Table:
    """`rows` of resource_usage with `code`: the model type of its session, IDLE or UNKNOWN."""
    models = sessions.select(sid=sessions.session_id, session_model=sessions.model_type)
    joined = rows.left_join(models, rows.session_id == models.sid)
    code = ibis.cases(
        (joined.session_id.isnull(), IDLE),
        (joined.session_model.isnull(), UNKNOWN),
        else_=joined.session_model,
    )
    # Telemetry may be stored as 4-byte floats: sum it as doubles in every engine.
    measures = {
        column: joined[column].cast("float64")
        for column in ("gpu_util", "gpu_mem_used_gb", "gpu_mem_total_gb", "host_mem_used_gb")
    }
    others = [column for column in rows.columns if column not in measures]
    return joined.select(*others, **measures, code=code)


def fleet_cells(rows: ir.Table, sessions: ir.Table, step: pd.Timedelta = RESOURCE_STEP) -> ir.Table:
    """Per half hour and code (ANY included): rows, util_sum, mem_sum, host_sum, minutes
    (distinct timestamps), mem_max, host_max and total_max."""
    coded = resource_codes(rows, sessions)
    coded = coded.mutate(bin=bin_of(coded.timestamp, step))

    def cells(table: ir.Table, keys: dict) -> ir.Table:
        return table.group_by(**keys).aggregate(
            rows=table.count(),
            util_sum=table.gpu_util.sum(),
            mem_sum=table.gpu_mem_used_gb.sum(),
            host_sum=table.host_mem_used_gb.sum(),
            minutes=table.timestamp.nunique(),
            mem_max=table.gpu_mem_used_gb.max(),
            host_max=table.host_mem_used_gb.max(),
            total_max=table.gpu_mem_total_gb.max(),
        )

    by_code = cells(coded, {"bin": coded.bin, "code": coded.code})
    every = cells(coded, {"bin": coded.bin}).mutate(code=ibis.literal(ANY))
    return by_code.union(every.select(*by_code.columns)).cast(CELL_SCHEMAS["fleet_cells"])


def gpu_cells(rows: ir.Table, sessions: ir.Table, step: pd.Timedelta = RESOURCE_STEP) -> ir.Table:
    """Per half hour, GPU and code: rows and util_sum."""
    coded = resource_codes(rows, sessions)
    return coded.group_by(
        bin=bin_of(coded.timestamp, step), gpu_id=coded.gpu_id, code=coded.code
    ).aggregate(rows=coded.count(), util_sum=coded.gpu_util.sum())
