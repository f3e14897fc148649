"""Time units and conversions: the simulator computes in integer microseconds since the epoch."""

from __future__ import annotations

import functools
from datetime import datetime

import numpy as np
import pandas as pd

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR
NAT_US = np.iinfo(np.int64).min

UTC_MICROS = pd.DatetimeTZDtype("us", "UTC")


def as_utc(moment: pd.Timestamp | datetime | str | None) -> pd.Timestamp:
    """`moment` as a UTC timestamp at microsecond resolution; None means now, naive means UTC."""
    stamp = pd.Timestamp.now(tz="UTC") if moment is None else pd.Timestamp(moment)
    if pd.isna(stamp):
        raise ValueError("now must be a timestamp, not NaT")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.as_unit("us")


def to_micros(stamp: pd.Timestamp) -> int:
    """Microseconds since the epoch of a timezone-aware timestamp."""
    return int(stamp.value // 1_000)  # Timestamp.value is nanoseconds whatever the unit


def utc_times(micros: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A `datetime64[us, UTC]` array from epoch microseconds (NAT_US becomes NaT)."""
    return pd.array(np.asarray(micros, dtype=np.int64).view("M8[us]"), dtype=UTC_MICROS)


def day_of(micros: int) -> int:
    """The UTC day (days since the epoch) holding the instant `micros`."""
    return int(micros // US_PER_DAY)


@functools.lru_cache(maxsize=1024)
def day_label(day: int) -> str:
    """A UTC day as `YYYYMMDD`, the form ids carry."""
    return pd.Timestamp(day * US_PER_DAY, unit="us").strftime("%Y%m%d")
