"""Command line: `python -m simulator export --out DIR [--format parquet|csv] ...`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from simulator import DEFAULT_SEED, simulate
from simulator.clock import as_utc
from simulator.incidents import apply_incidents, parse_incidents
from simulator.io import FORMATS, write_tables


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _moment(text: str) -> pd.Timestamp:
    try:
        return as_utc(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 timestamp: {text!r}") from error


def _incidents(text: str):
    try:
        return parse_incidents(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description="Simulated contract tables of the dashboard."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write every contract table to a directory")
    export.add_argument("--out", required=True, type=Path, help="directory to write into")
    export.add_argument("--format", choices=FORMATS, default="parquet", help="default: parquet")
    export.add_argument("--seed", type=_non_negative, default=DEFAULT_SEED)
    export.add_argument("--scale", type=_positive, default=1, help="multiplies GPUs and alerts")
    export.add_argument(
        "--now", type=_moment, default=None, help="ISO-8601, naive means UTC (default: now)"
    )
    export.add_argument(
        "--incident",
        type=_incidents,
        default=(),
        help="inject incidents, e.g. fp-spike:threat_detection@2026-12-01T12:00Z,gpu-idle:all "
        "(see simulator.incidents)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tables = apply_incidents(
        args.incident, simulate(seed=args.seed, scale=args.scale, now=args.now)
    )
    for path in write_tables(tables, args.out, args.format):
        print(f"{path}\t{len(tables[path.stem]):,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
