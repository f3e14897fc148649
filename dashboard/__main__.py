"""Command line: `python -m dashboard check-data SOURCE` checks a data source against the contract.

SOURCE is anything `DASHBOARD_DATA_SOURCE` accepts (a directory, `mlflow:<URI>`,
`tensorboard:<log dir>`, `prometheus:<URL>`, `simulator`, or several joined by `;`). The report
lists the tables found with their rows and time span, the missing ones and how to provide them,
what they hold in the source's own words (runs by name, registry versions, GPUs and hosts), what
was left out and why, and every problem; the exit status is 1 when there is a problem or the
source cannot be read, else 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

import pandas as pd

from dashboard.config import settings_from_env
from dashboard.data.sources import Snapshot, read_source, source_from_config
from dashboard.data.sources.findings import findings
from simulator.schema import TABLES, TIME_COLUMNS

# Where a table without a sorting time column keeps its times.
SPAN_COLUMNS = {**TIME_COLUMNS, "training_metrics": "timestamp"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-data", help="check a data source against the contract")
    check.add_argument(
        "source",
        help="a directory, mlflow:<tracking URI>, tensorboard:<log dir>, prometheus:<URL> or "
        "simulator, or several joined by ';'",
    )
    return parser


def _span(frame: pd.DataFrame, table: str) -> str:
    times = frame[SPAN_COLUMNS[table]].dropna()
    if times.empty:
        return "–"
    return f"{times.min():%Y-%m-%d %H:%M} → {times.max():%Y-%m-%d %H:%M} UTC"


def report(snapshot: Snapshot, out: TextIO) -> None:
    """Tables found (rows, time span), missing tables, notes and problems of one reading."""
    width = max(map(len, TABLES))
    print(f"Source: {snapshot.source}", file=out)
    print(f"Read at: {snapshot.as_of:%Y-%m-%d %H:%M:%S} UTC", file=out)
    print("Tables:", file=out)
    for table in TABLES:
        if table in snapshot.tables:
            frame = snapshot.tables[table]
            line = f"{len(frame):>12,} rows  {_span(frame, table)}"
        elif any(problem.where.startswith(table + ".") for problem in snapshot.problems):
            line = "     invalid  (see problems)"
        else:
            line = f"     missing  {snapshot.hints.get(table, '')}"
        print(f"  {table:<{width}}  {line}", file=out)
    for line in findings(snapshot):
        print(line, file=out)
    for note in snapshot.notes:
        print(f"Note: {note}", file=out)
    if snapshot.problems:
        print(f"Problems ({len(snapshot.problems)}):", file=out)
        for problem in snapshot.problems:
            print(f"  - {problem}", file=out)
    else:
        print("Problems: none", file=out)


def check_data(setting: str, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        settings = settings_from_env()
        source = source_from_config(setting, settings)
        snapshot = read_source(source, pd.Timestamp.now(tz="UTC").as_unit("us"))
    except Exception as error:  # anything that stops the read is the report's answer
        print(f"Cannot read {setting}: {type(error).__name__}: {error}", file=err)
        return 1
    report(snapshot, out)
    return 1 if snapshot.problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return check_data(args.source)


if __name__ == "__main__":
    sys.exit(main())
