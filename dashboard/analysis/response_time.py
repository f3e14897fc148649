"""Response time of alerts that may still be open: a survival estimate, pure (no Dash, no I/O).

An open alert has been open for `now - timestamp` minutes and is not finished: its response
time is at least that long (right-censored). Leaving open alerts out, as a mean of the answered
ones does, drops exactly the slow ones and makes response look faster than it is, the more so
the more alerts are still open. The Kaplan-Meier estimator counts an open alert among those
still waiting for as long as it has been open, and no longer.
"""

from __future__ import annotations

import math
from typing import TypedDict

import numpy as np
from numpy.typing import ArrayLike
from statsmodels.duration.survfunc import SurvfuncRight


class ResponseTimeEstimate(TypedDict):
    n: int  # alerts
    open: int  # still open (censored)
    median: float  # Kaplan-Meier median, minutes; NaN while half or more could still be open
    restricted_mean: float  # mean response time capped at `horizon`, minutes
    horizon: float  # minutes


def response_time_estimate(
    durations: ArrayLike,
    answered: ArrayLike,
    horizon: float | None = None,
    counts: ArrayLike | None = None,
) -> ResponseTimeEstimate:
    """Median and restricted mean response time of alerts, open ones included.

    ``durations[i]`` is the response time of alert i in minutes if ``answered[i]``, else how
    long it has been open so far. The Kaplan-Meier curve S(t) (``statsmodels.duration.survfunc.
    SurvfuncRight``) is the estimated share of alerts still unanswered after t minutes.

    - ``median``: the first time S falls below one half (``SurvfuncRight.quantile(0.5)``, the
      SAS convention); NaN when it never does, because too many alerts are still open to know.
    - ``restricted_mean``: the area under S from 0 to ``horizon``, the mean of min(response
      time, horizon). It always exists, and with no open alert and the default horizon it is
      the plain mean. ``horizon`` defaults to the longest duration.

    ``counts[i]``, when given, is how many alerts share duration i and state (a table of
    distinct durations, as an engine's GROUP BY returns it): the estimate equals that of the
    alerts listed one by one. Durations must be finite and non-negative, counts positive
    integers; with no alert every estimate is NaN.
    """
    times = np.asarray(durations, dtype=float)
    events = np.asarray(answered)
    if times.ndim != 1 or events.shape != times.shape:
        raise ValueError("durations and answered must be one-dimensional and of equal length")
    if np.any(~np.isfinite(times)) or np.any(times < 0):
        raise ValueError("durations must be finite, non-negative minutes")
    if events.dtype != bool:
        if not np.all(np.isin(events, (0, 1))):
            raise ValueError("answered must hold booleans (or 0/1)")
        events = events.astype(bool)
    weights = np.ones(times.shape, dtype=np.int64) if counts is None else _counts(counts, times)
    n, still_open = int(weights.sum()), int(weights[~events].sum())
    if n == 0:
        return ResponseTimeEstimate(
            n=0, open=0, median=math.nan, restricted_mean=math.nan, horizon=math.nan
        )
    limit = float(times.max()) if horizon is None else float(horizon)
    if not math.isfinite(limit) or limit < 0:
        raise ValueError(f"horizon must be a finite, non-negative number of minutes, got {horizon}")
    if not events.any():
        # No alert answered yet: S stays at 1, statsmodels has no curve to build.
        return ResponseTimeEstimate(
            n=n, open=still_open, median=math.nan, restricted_mean=limit, horizon=limit
        )
    curve = SurvfuncRight(times, events.astype(int), freq_weights=weights.astype(float))
    return ResponseTimeEstimate(
        n=n,
        open=still_open,
        median=float(curve.quantile(0.5)),
        restricted_mean=_area_under(curve.surv_times, curve.surv_prob, limit),
        horizon=limit,
    )


def _counts(counts: ArrayLike, times: np.ndarray) -> np.ndarray:
    weights = np.asarray(counts)
    if weights.shape != times.shape:
        raise ValueError("counts must be as long as durations")
    if not np.all(np.isfinite(weights)) or np.any(weights < 1) or np.any(weights % 1 != 0):
        raise ValueError("counts must be positive whole numbers of alerts")
    return weights.astype(np.int64)


def _area_under(steps: np.ndarray, survival: np.ndarray, horizon: float) -> float:
    """The area under the step curve that is 1 before steps[0], survival[i] from steps[i]."""
    starts = np.concatenate([[0.0], steps])
    levels = np.concatenate([[1.0], survival])
    ends = np.minimum(np.concatenate([steps, [np.inf]]), horizon)
    widths = np.clip(ends - np.minimum(starts, horizon), 0.0, None)
    return float(np.sum(widths * levels))
