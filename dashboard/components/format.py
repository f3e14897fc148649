"""The one formatter for numbers on screen: percentages, points, durations, counts, times."""

from __future__ import annotations

import math

import pandas as pd

DASH = "–"
UNKNOWN = "unknown"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def text(value: object, missing: str = DASH) -> str:
    """A name or label from the data (a version, a failure reason); `missing` when it is
    empty, never pandas' '<NA>' or 'nan'."""
    if _missing(value) or value is pd.NaT or (isinstance(value, str) and not value.strip()):
        return missing
    return str(value)


def texts(values: pd.Series, missing: str = DASH) -> pd.Series:
    """`text` of every value of a column."""
    shown = values.astype("string")
    present = shown.notna() & (shown.str.strip() != "")
    return shown.where(present, missing).astype(object)


def session_name(run_name: object, session_id: object) -> str:
    """A session as people know it: 'orca-sentinel-17 (3f9c…)', its name then its id; the id
    alone when it has no name."""
    if _missing(run_name) or str(run_name) == str(session_id):
        return str(session_id)
    return f"{run_name} ({session_id})"


def session_names(sessions: pd.DataFrame) -> pd.Series:
    """`session_name` of each row of a sessions frame."""
    names = sessions["run_name"] if "run_name" in sessions else pd.Series(pd.NA, sessions.index)
    ids = sessions["session_id"].astype(str)
    named = names.notna() & (names.astype("string") != ids)
    return (names.astype("string") + " (" + ids + ")").where(named, ids).astype(str)


def percent(fraction: float | None, digits: int = 1) -> str:
    """0.942 -> '94.2%'."""
    return DASH if _missing(fraction) else f"{fraction * 100:.{digits}f}%"


def points(delta: float | None, digits: int = 1) -> str:
    """A change of a fraction in percentage points: 0.021 -> '+2.1 pts'."""
    return DASH if _missing(delta) else f"{delta * 100:+.{digits}f} pts"


def minutes(value: float | None, digits: int = 1) -> str:
    return DASH if _missing(value) else f"{value:.{digits}f} min"


def signed_minutes(delta: float | None, digits: int = 1) -> str:
    return DASH if _missing(delta) else f"{delta:+.{digits}f} min"


def days(value: float | None, digits: int = 1, signed: bool = False) -> str:
    if _missing(value):
        return DASH
    return f"{value:+.{digits}f} days" if signed else f"{value:.{digits}f} days"


def decimal(value: float | None, digits: int = 3) -> str:
    """0.1234 -> '0.123'."""
    return DASH if _missing(value) else f"{value:.{digits}f}"


def count(value: float | None) -> str:
    """127842828389 -> '127,842,828,389'."""
    return DASH if _missing(value) else f"{int(value):,}"


def gigabytes(value: float | None, digits: int = 1) -> str:
    return DASH if _missing(value) else f"{value:.{digits}f} GB"


def duration(total_minutes: float | None) -> str:
    """95.0 -> '1 h 35 min'."""
    if _missing(total_minutes):
        return DASH
    hours, mins = divmod(round(total_minutes), 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def timestamp(value: pd.Timestamp | None) -> str:
    return DASH if value is None or pd.isna(value) else value.strftime("%Y-%m-%d %H:%M UTC")


def date(value: pd.Timestamp | None) -> str:
    return DASH if value is None or pd.isna(value) else value.strftime("%Y-%m-%d")


def period(length: pd.Timedelta) -> str:
    """pd.Timedelta(days=7) -> '7 days'; pd.Timedelta(hours=3) -> '3 hours'."""
    hours = length / pd.Timedelta(hours=1)
    if hours < 1:
        return f"{hours * 60:g} min"
    if hours < 24:
        return f"{hours:g} hour" + ("" if hours == 1 else "s")
    days_ = hours / 24
    return f"{days_:g} day" + ("" if days_ == 1 else "s")
