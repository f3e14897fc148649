"""The contract tables as Ibis tables: the names and types every query is written against.

Queries build expressions on these unbound tables and the store compiles them for the engine
that holds the data (DuckDB over the embedded store's files, or PostgreSQL in place), so one
query layer serves every engine Ibis speaks.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping

import ibis
import ibis.expr.types as ir
import pandas as pd

from simulator.schema import TABLES, TIMESTAMP


def _ibis_type(dtype: object) -> str:
    if dtype == TIMESTAMP:
        return 'timestamp("UTC", 6)'
    if isinstance(dtype, pd.CategoricalDtype) or dtype == "string":
        return "string"
    return {"int64": "int64", "float64": "float64", "float32": "float32", "bool": "boolean"}[
        str(dtype)
    ]


SCHEMAS: dict[str, ibis.Schema] = {
    name: ibis.schema({column: _ibis_type(dtype) for column, dtype in columns.items()})
    for name, columns in TABLES.items()
}


@functools.cache
def contract_table(name: str) -> ir.Table:
    """The unbound Ibis table of a contract table."""
    return ibis.table(SCHEMAS[name], name=name)


def with_absent_columns(expression: ir.Expr, absent: Mapping[str, Collection[str]]) -> ir.Expr:
    """`expression` for tables that lack the optional `absent` columns (training_sessions
    without run_name in a database made before it): those read as empty."""
    replaced = {}
    for name, columns in absent.items():
        if not columns:
            continue
        schema = SCHEMAS[name]
        held = ibis.table({c: t for c, t in schema.items() if c not in columns}, name=name)
        filled = held.mutate(**{column: ibis.null(schema[column]) for column in columns})
        replaced[contract_table(name).op()] = filled.select(*schema.names).op()
    return expression.op().replace(replaced).to_expr() if replaced else expression


# Tables the ingest derives and keeps in the embedded store: rollup cells
# (dashboard.data.cells) and the weeks of drift.
CELL_SCHEMAS: dict[str, ibis.Schema] = {
    "alert_cells": ibis.schema(
        {
            "bin": "int64",
            "model_type": "string",
            "model_version": "string",
            "alerts": "int64",
            "automated": "int64",
            "false_positive": "int64",
            "responded": "int64",
            "response_sum": "float64",
        }
    ),
    "fleet_cells": ibis.schema(
        {
            "bin": "int64",
            "code": "string",
            "rows": "int64",
            "util_sum": "float64",
            "mem_sum": "float64",
            "host_sum": "float64",
            "minutes": "int64",
            "mem_max": "float64",
            "host_max": "float64",
            "total_max": "float64",
        }
    ),
    # The days of weeks in which some feature drifted, per model filter (dashboard.data.ingest).
    "drift_weeks": ibis.schema({"model": "string", "date": 'timestamp("UTC", 6)'}),
    # What each gpu_id is, when the telemetry source says (Prometheus: "gpu-node-a gpu 0").
    "gpu_names": ibis.schema({"gpu_id": "int64", "name": "string"}),
    "gpu_cells": ibis.schema(
        {
            "bin": "int64",
            "gpu_id": "int64",
            "code": "string",
            "rows": "int64",
            "util_sum": "float64",
        }
    ),
}


DRIFT_WEEKS = "drift_weeks"
GPU_NAMES = "gpu_names"


@functools.cache
def cell_table(name: str) -> ir.Table:
    """The unbound Ibis table of a rollup-cell table."""
    return ibis.table(CELL_SCHEMAS[name], name=name)


def indicator(flag: ir.BooleanValue) -> ir.IntegerValue:
    """1 where `flag` holds, else 0 (PostgreSQL casts no boolean to a number)."""
    return flag.ifelse(1, 0)
