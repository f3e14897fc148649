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


def smooth_noise(rng: np.random.Generator, size: int, sd: float, span: int = 5) -> np.ndarray:
    """Autocorrelated noise of standard deviation `sd`: white noise, exponentially smoothed."""
    kernel = np.exp(-np.arange(4 * span) / span)
    white = rng.standard_normal(size + kernel.size)
    smooth = np.convolve(white, kernel, mode="valid")[:size]
    return sd * smooth / np.sqrt(np.sum(kernel**2))


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
