"""Ibis expressions to SQL, compiled once per query shape.

Compiling is most of a small query's time: 30-40 % of a page's cold view (a Resources view
spent 73 of 243 ms compiling three queries at scale 1). Every refresh moves the time windows, so
the same query comes back with other timestamps each generation, and Ibis compiles it whole
again. Here an expression's timestamp literals are swapped for placeholders (distinct dates in
the year 1000, which no data holds), the SQL of that shape is compiled once and kept, and each
later query with the same shape gets the kept SQL with its own timestamps written in, in the
dialect's own spelling of a literal. A shape whose SQL does not show every placeholder (a
rewrite that altered a literal) is never kept: it is compiled whole each time.

Bounded (SHAPES_KEPT, least recently used out) and thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd
from cachetools import LRUCache

SHAPES_KEPT = 512
PLACEHOLDER_ORIGIN = pd.Timestamp("1000-01-01", tz="UTC")
UNCACHEABLE = None


def direct_sql(expression: ir.Expr, dialect: str) -> str:
    """The query's SQL on one line (the pretty layout alone costs a fifth of compiling)."""
    return ibis.to_sql(expression, dialect=dialect, pretty=False)


def _literal_compiler(dialect: str) -> Callable[[ops.Literal], str]:
    if dialect == "duckdb":
        from ibis.backends.sql.compilers.duckdb import compiler
    elif dialect == "postgres":
        from ibis.backends.sql.compilers.postgres import compiler
    else:
        raise ValueError(f"no literal compiler for {dialect!r}")

    def spell(literal: ops.Literal) -> str:
        node = compiler.visit_Literal(literal, value=literal.value, dtype=literal.dtype)
        return node.sql(dialect=compiler.dialect)

    return spell


class CompiledShapes:
    """SQL per query shape (the expression with placeholders for its timestamps)."""

    def __init__(self, kept: int = SHAPES_KEPT) -> None:
        self.lock = threading.Lock()
        self.shapes: LRUCache = LRUCache(maxsize=kept)
        self.spellers: dict[str, Callable[[ops.Literal], str]] = {}
        self.hits = self.misses = 0

    def sql(self, expression: ir.Expr, dialect: str) -> str:
        op = expression.op()
        times = _timestamp_literals(op)
        if not times:
            return direct_sql(expression, dialect)
        placeholders = _placeholders(times)
        key = (op.replace(placeholders), dialect)
        with self.lock:
            template = self.shapes.get(key, False)
            spell = self.spellers.get(dialect)
        if spell is None:
            spell = _literal_compiler(dialect)
        if template is False:
            template = self._compile(key[0], placeholders, spell, dialect)
            with self.lock:
                self.shapes[key] = template
                self.spellers[dialect] = spell
                self.misses += 1
        else:
            with self.lock:
                self.hits += 1
        if template is UNCACHEABLE:
            return direct_sql(expression, dialect)
        for literal, placeholder in placeholders.items():
            template = template.replace(spell(placeholder), spell(literal))
        return template

    @staticmethod
    def _compile(
        shape: ops.Node,
        placeholders: dict[ops.Literal, ops.Literal],
        spell: Callable[[ops.Literal], str],
        dialect: str,
    ) -> str | None:
        template = direct_sql(shape.to_expr(), dialect)
        shown = all(spell(placeholder) in template for placeholder in placeholders.values())
        return template if shown else UNCACHEABLE

    def clear(self) -> None:
        with self.lock:
            self.shapes.clear()


def _timestamp_literals(op: ops.Node) -> list[ops.Literal]:
    return [node for node in op.find(ops.Literal) if node.dtype.is_timestamp()]


def _placeholders(times: list[ops.Literal]) -> dict[ops.Literal, ops.Literal]:
    """Each timestamp literal's placeholder: the k-th distinct time gets the origin plus k
    minutes, so that the shape depends on the order of the times, never on their values."""
    distinct = sorted({_utc(literal.value) for literal in times})
    rank = {moment: index for index, moment in enumerate(distinct, start=1)}
    placeholders = {}
    for literal in times:
        moment = PLACEHOLDER_ORIGIN + pd.Timedelta(minutes=rank[_utc(literal.value)])
        if literal.dtype.timezone is None:
            moment = moment.tz_localize(None)
        placeholders[literal] = ops.Literal(moment, literal.dtype)
    return placeholders


def _utc(value: object) -> pd.Timestamp:
    moment = pd.Timestamp(value)
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


shapes = CompiledShapes()
