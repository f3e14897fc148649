"""Random building blocks shared by the generators: model-type mix, noise, exact cohorts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MODEL_TYPE_WEIGHTS = np.array([0.40, 0.25, 0.20, 0.15])  # in schema.MODEL_TYPES order


def model_types(rng: np.random.Generator, size: int) -> np.ndarray:
    """Model-type codes drawn with MODEL_TYPE_WEIGHTS."""
    return rng.choice(MODEL_TYPE_WEIGHTS.size, size=size, p=MODEL_TYPE_WEIGHTS).astype(np.int8)


def centred(offsets: Sequence[float]) -> np.ndarray:
    """Per-model-type additive offsets shifted so that their mix-weighted mean is zero."""
    values = np.asarray(offsets, dtype=np.float64)
    return values - values @ MODEL_TYPE_WEIGHTS


def normalised(factors: Sequence[float]) -> np.ndarray:
    """Per-model-type multipliers scaled so that their mix-weighted mean is one."""
    values = np.asarray(factors, dtype=np.float64)
    return values / (values @ MODEL_TYPE_WEIGHTS)


def lognormal_with_mean(
    rng: np.random.Generator, mean: np.ndarray, sigma: float | np.ndarray
) -> np.ndarray:
    """Lognormal draws whose expectation is `mean`."""
    return mean * np.exp(sigma * rng.standard_normal(np.shape(mean)) - np.square(sigma) / 2)


def hashed_normals(key: Sequence[int], counters: np.ndarray) -> np.ndarray:
    """Standard normal draws that are a pure function of (key, counter).

    Unlike a generator's stream, a draw does not depend on which others are asked for, so the
    noise of a day is the same whichever days are generated with it (Box-Muller on splitmix64).
    """
    mixed = _hashed(key, counters)
    first = _unit_interval(_splitmix64(mixed))
    second = _unit_interval(_splitmix64(mixed ^ np.uint64(0x5851F42D4C957F2D)))
    return np.sqrt(-2 * np.log(first)) * np.cos(2 * np.pi * second)


def hashed_uniforms(key: Sequence[int], counters: np.ndarray) -> np.ndarray:
    """Uniform draws in (0, 1) that are a pure function of (key, counter)."""
    return _unit_interval(_splitmix64(_hashed(key, counters)))


def daily_noise(
    key: Sequence[int], series: np.ndarray, day: int, sd: np.ndarray | float, span: int = 5
) -> np.ndarray:
    """Autocorrelated noise of standard deviation `sd` of each of `series` on UTC day `day`.

    Per series, the white noise of the day and of the 4 * span - 1 days before it,
    exponentially smoothed: the value depends on the key, the series and the day alone.
    """
    kernel = np.exp(-np.arange(4 * span) / span)
    days = day - np.arange(kernel.size)
    series = np.asarray(series, dtype=np.int64)
    # Counters pack (series, day): days since 1970 stay far below 2**32.
    white = hashed_normals(key, (series[:, None] << 32) + days[None, :])
    return sd * (white @ kernel) / np.sqrt(np.sum(kernel**2))


def _hashed(key: Sequence[int], counters: np.ndarray) -> np.ndarray:
    state = np.zeros(1, dtype=np.uint64)
    for part in key:  # a loop over the few key parts
        state = _splitmix64(state ^ np.uint64(part))
    return _splitmix64(state ^ np.asarray(counters, dtype=np.int64).view(np.uint64))


def _splitmix64(values: np.ndarray) -> np.ndarray:
    values = values + np.uint64(0x9E3779B97F4A7C15)
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def _unit_interval(values: np.ndarray) -> np.ndarray:
    """Floats in (0, 1) from the top 53 bits."""
    return ((values >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53


def exact_successes(rng: np.random.Generator, groups: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Bernoulli outcomes with exactly round(rate * n) successes in each group, randomly placed.

    Keeps a pilot cohort's measured rates on target while every alert still gets a random outcome.
    """
    order = np.lexsort((rng.random(groups.size), groups))
    sorted_groups = groups[order]
    first = np.searchsorted(sorted_groups, sorted_groups, side="left")
    sizes = np.bincount(groups, minlength=rates.size)
    rank = np.arange(groups.size) - first
    wins = rank < np.rint(rates * sizes)[sorted_groups]
    out = np.empty(groups.size, dtype=bool)
    out[order] = wins
    return out
