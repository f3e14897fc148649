"""Distribution drift between a reference and a current sample.

`column_drift` picks the test the way Evidently's default data-drift algorithm does:

| reference | column                                 | test                    | drift when |
| --------- | -------------------------------------- | ----------------------- | ---------- |
| <= 1000   | numeric, > 5 unique values             | Kolmogorov-Smirnov      | p <= 0.05  |
| <= 1000   | categorical, or numeric <= 5 unique    | chi-square              | p < 0.05   |
| <= 1000   | at most two categories                 | two-proportion z-test   | p < 0.05   |
| > 1000    | numeric, > 5 unique values             | Wasserstein / std(ref)  | >= 0.1     |
| > 1000    | categorical, or numeric <= 5 unique    | Jensen-Shannon distance | >= 0.1     |

Sizes and unique counts are taken from the reference after dropping NaN. Categorical tests
treat each distinct value as a category. A category seen only in the current sample makes the
small-sample tests (chi-square, z) raise ValueError, because the reference gives it an expected
count of zero; Jensen-Shannon and PSI give it a zero reference share instead.

Every function returns plain Python numbers, so results can go straight into a `dcc.Store`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

Kind = Literal["numeric", "categorical"]
Method = Literal["ks", "chisquare", "z", "wasserstein", "jensenshannon"]
Sample = pd.Series | np.ndarray | Sequence[Any]

KINDS: tuple[str, ...] = ("numeric", "categorical")
NUMERIC_TESTS: tuple[str, ...] = ("ks", "wasserstein")
CATEGORICAL_TESTS: tuple[str, ...] = ("chisquare", "z", "jensenshannon")

SMALL_REFERENCE_MAX = 1000
FEW_UNIQUE_MAX = 5
BINARY_UNIQUE_MAX = 2
P_VALUE_THRESHOLD = 0.05
DISTANCE_THRESHOLD = 0.1
STD_FLOOR = 0.001

PSI_EMPTY_BIN = 0.0001
PSI_MODERATE = 0.1
PSI_SIGNIFICANT = 0.25
# Below this many samples per side, decile PSI is mostly noise: two samples of one distribution
# score about 9 * (1/n_reference + 1/n_current), 0.04 at 500 each but 0.11 at 160.
PSI_MIN_SAMPLES = 500
# shares are often rounded before they reach us (0.333 x 3)
SHARE_SUM_TOLERANCE = 1e-3

DATASET_DRIFT_SHARE = 0.5


def column_drift(
    reference: Sample,
    current: Sample,
    kind: Kind | None = None,
    method: Method | None = None,
) -> dict[str, Any]:
    """Test whether `current` is drawn from the same distribution as `reference`.

    The test is chosen as in Evidently's defaults (see the module docstring) unless `method`
    forces one of "ks", "chisquare", "z", "wasserstein" or "jensenshannon". `kind` forces the
    column to be read as "numeric" or "categorical"; otherwise bool, object, string and
    category dtypes are categorical and numbers numeric. A numeric column with at most five
    unique reference values still gets a categorical test, as in Evidently. NaN are dropped.

    Returns `test`, `kind`, `statistic` (KS D, chi-square, z, normalised Wasserstein distance
    or Jensen-Shannon distance), `p_value` (None for the distances), `threshold`, `drifted`,
    `n_reference` and `n_current`.
    """
    reference_values = _drop_missing(reference, "reference")
    current_values = _drop_missing(current, "current")
    column_kind = _column_kind(reference_values, kind)
    if column_kind == "numeric":
        reference_values = _as_numeric(reference_values, "reference")
        current_values = _as_numeric(current_values, "current")
    test = _chosen_test(reference_values, column_kind, method)

    p_value: float | None = None
    if test == "ks":
        result = stats.ks_2samp(reference_values.to_numpy(), current_values.to_numpy())
        statistic, p_value = float(result.statistic), float(result.pvalue)
        threshold = P_VALUE_THRESHOLD
        drifted = p_value <= threshold
    elif test == "wasserstein":
        statistic = _normalised_wasserstein(reference_values, current_values)
        threshold = DISTANCE_THRESHOLD
        drifted = statistic >= threshold
    elif test == "jensenshannon":
        reference_counts, current_counts = _category_counts(
            reference_values, current_values, allow_new=True
        )
        statistic = float(
            distance.jensenshannon(
                reference_counts / reference_counts.sum(), current_counts / current_counts.sum()
            )
        )
        threshold = DISTANCE_THRESHOLD
        drifted = statistic >= threshold
    else:
        reference_counts, current_counts = _category_counts(
            reference_values, current_values, allow_new=False
        )
        if test == "z":
            statistic, p_value = _two_proportion_z(reference_counts, current_counts)
        else:
            statistic, p_value = _chisquare(reference_counts, current_counts)
        threshold = P_VALUE_THRESHOLD
        drifted = p_value < threshold

    return {
        "test": test,
        "kind": column_kind,
        "statistic": statistic,
        "p_value": p_value,
        "threshold": threshold,
        "drifted": bool(drifted),
        "n_reference": len(reference_values),
        "n_current": len(current_values),
    }


def population_stability_index(reference_shares: Sample, current_shares: Sample) -> float:
    """PSI = sum((current - reference) * ln(current / reference)) over matching bins.

    Each argument holds the share of its sample in each bin (non-negative, summing to 1 within
    0.001). Empty bins count as 0.0001 so the logarithm stays finite, as in Evidently.
    """
    reference = _validated_shares(reference_shares, "reference_shares")
    current = _validated_shares(current_shares, "current_shares")
    if len(current) != len(reference):
        raise ValueError(
            f"current_shares has {len(current)} bins but reference_shares has {len(reference)}"
        )
    reference = np.where(reference == 0, PSI_EMPTY_BIN, reference)
    current = np.where(current == 0, PSI_EMPTY_BIN, current)
    return float(np.sum((current - reference) * np.log(current / reference)))


def psi_band(psi: float) -> str:
    """Name the PSI band: "stable" below 0.1, "moderate" up to 0.25, "significant" above."""
    if not math.isfinite(psi) or psi < 0:
        raise ValueError(f"psi must be a finite non-negative number, got {psi!r}")
    if psi < PSI_MODERATE:
        return "stable"
    if psi <= PSI_SIGNIFICANT:
        return "moderate"
    return "significant"


def psi_for_samples(
    reference: Sample,
    current: Sample,
    bins: int = 10,
    kind: Kind | None = None,
) -> dict[str, Any]:
    """PSI of two raw samples, binned on the reference.

    Numeric columns are cut at the reference's quantiles (deciles for `bins=10`), bins closed
    on the right, the outer bins open-ended so current values beyond the reference's range are
    counted; tied quantiles merge bins, so there can be fewer than `bins`. Categorical columns
    use one bin per category. NaN are dropped; `kind` is inferred as in `column_drift`.

    Returns `psi`, `band`, `reference_shares`, `current_shares`, `cut_points` (numeric; None
    for categorical), `categories` (categorical; None for numeric), `n_reference`, `n_current`.
    """
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 2:
        raise ValueError(f"bins must be an integer of at least 2, got {bins!r}")
    reference_values = _drop_missing(reference, "reference")
    current_values = _drop_missing(current, "current")
    column_kind = _column_kind(reference_values, kind)

    cut_points: list[float] | None = None
    categories: list[Any] | None = None
    if column_kind == "numeric":
        reference_array = _as_numeric(reference_values, "reference").to_numpy()
        current_array = _as_numeric(current_values, "current").to_numpy()
        inner_quantiles = np.linspace(0.0, 1.0, bins + 1)[1:-1]
        cuts = np.unique(np.quantile(reference_array, inner_quantiles))
        # side="left" puts a value equal to a cut point in the lower bin: bins are (a, b]
        reference_counts = np.bincount(
            np.searchsorted(cuts, reference_array, side="left"), minlength=len(cuts) + 1
        )
        current_counts = np.bincount(
            np.searchsorted(cuts, current_array, side="left"), minlength=len(cuts) + 1
        )
        cut_points = [float(cut) for cut in cuts]
    else:
        reference_series, current_series = _category_counts(
            reference_values, current_values, allow_new=True
        )
        categories = _plain_list(reference_series.index)
        reference_counts, current_counts = reference_series.to_numpy(), current_series.to_numpy()

    reference_shares = reference_counts / reference_counts.sum()
    current_shares = current_counts / current_counts.sum()
    psi = population_stability_index(reference_shares, current_shares)
    return {
        "psi": psi,
        "band": psi_band(psi),
        "reference_shares": [float(share) for share in reference_shares],
        "current_shares": [float(share) for share in current_shares],
        "cut_points": cut_points,
        "categories": categories,
        "n_reference": len(reference_values),
        "n_current": len(current_values),
    }


def dataset_drift(
    results: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
    drift_share: float = DATASET_DRIFT_SHARE,
) -> dict[str, Any]:
    """Call the dataset drifted when at least `drift_share` of its features drifted.

    `results` holds `column_drift` results, either as a list or keyed by feature name. The
    default share of 0.5 is Evidently's.

    Returns `n_features`, `n_drifted`, `share`, `drift_share` and `drifted`.
    """
    if not 0 < drift_share <= 1:
        raise ValueError(f"drift_share must be in (0, 1], got {drift_share!r}")
    feature_results = list(results.values() if isinstance(results, Mapping) else results)
    if not feature_results:
        raise ValueError("results is empty: no feature results to combine")
    if not all(isinstance(result, Mapping) and "drifted" in result for result in feature_results):
        raise ValueError("results must hold column_drift results, each with a 'drifted' key")
    n_drifted = sum(bool(result["drifted"]) for result in feature_results)
    share = n_drifted / len(feature_results)
    return {
        "n_features": len(feature_results),
        "n_drifted": n_drifted,
        "share": share,
        "drift_share": drift_share,
        "drifted": share >= drift_share,
    }


def compared_shares(
    reference: Sample,
    current: Sample,
    kind: Kind | None = None,
    bins: int = 30,
) -> dict[str, Any]:
    """The two samples' distributions on common bins, as shares, for drawing one over the other.

    Numeric columns get `bins` equal-width bins spanning both samples (one bin when every value
    is the same); categorical columns one bin per category, the reference's first (most common
    first), then any new ones. NaN are dropped; `kind` is inferred as in `column_drift`.

    Returns `kind`, `edges` (numeric; None for categorical), `categories` (categorical; None
    for numeric), `reference_shares`, `current_shares`, `n_reference` and `n_current`.
    """
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    reference_values = _drop_missing(reference, "reference")
    current_values = _drop_missing(current, "current")
    column_kind = _column_kind(reference_values, kind)
    edges: list[float] | None = None
    categories: list[Any] | None = None
    if column_kind == "numeric":
        reference_array = _as_numeric(reference_values, "reference").to_numpy()
        current_array = _as_numeric(current_values, "current").to_numpy()
        low = min(reference_array.min(), current_array.min())
        high = max(reference_array.max(), current_array.max())
        bin_edges = np.linspace(low, high, bins + 1) if high > low else np.array([low, low + 1])
        reference_counts = np.histogram(reference_array, bin_edges)[0]
        current_counts = np.histogram(current_array, bin_edges)[0]
        edges = [float(edge) for edge in bin_edges]
    else:
        reference_series, current_series = _category_counts(
            reference_values, current_values, allow_new=True
        )
        categories = _plain_list(reference_series.index)
        reference_counts, current_counts = reference_series.to_numpy(), current_series.to_numpy()
    return {
        "kind": column_kind,
        "edges": edges,
        "categories": categories,
        "reference_shares": [float(share) for share in reference_counts / reference_counts.sum()],
        "current_shares": [float(share) for share in current_counts / current_counts.sum()],
        "n_reference": len(reference_values),
        "n_current": len(current_values),
    }


def _drop_missing(values: Sample, name: str) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.empty:
        raise ValueError(f"{name} is empty")
    series = series.dropna().reset_index(drop=True)
    if series.empty:
        raise ValueError(f"{name} holds only missing values (NaN)")
    return series


def _column_kind(reference: pd.Series, kind: str | None) -> str:
    if kind is not None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        return kind
    # bool counts as numeric to pandas, but a flag is a category
    if pd.api.types.is_bool_dtype(reference.dtype):
        return "categorical"
    return "numeric" if pd.api.types.is_numeric_dtype(reference.dtype) else "categorical"


def _as_numeric(values: pd.Series, name: str) -> pd.Series:
    try:
        numbers = pd.to_numeric(values, errors="raise").astype(float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} is not numeric: {error}") from error
    if not np.isfinite(numbers.to_numpy()).all():
        raise ValueError(f"{name} contains infinite values")
    return numbers


def _chosen_test(reference: pd.Series, column_kind: str, method: str | None) -> str:
    if method is not None:
        if method not in NUMERIC_TESTS + CATEGORICAL_TESTS:
            raise ValueError(
                f"method must be one of {', '.join(NUMERIC_TESTS + CATEGORICAL_TESTS)}, "
                f"got {method!r}"
            )
        if method in NUMERIC_TESTS and column_kind != "numeric":
            raise ValueError(f"method {method!r} needs numeric data, but reference is categorical")
        return method
    small = len(reference) <= SMALL_REFERENCE_MAX
    n_unique = reference.nunique()
    if column_kind == "numeric" and n_unique > FEW_UNIQUE_MAX:
        return "ks" if small else "wasserstein"
    if not small:
        return "jensenshannon"
    return "z" if n_unique <= BINARY_UNIQUE_MAX else "chisquare"


def _normalised_wasserstein(reference: pd.Series, current: pd.Series) -> float:
    reference_array = reference.to_numpy()
    # population std, floored so a constant reference does not divide by zero
    scale = max(float(np.std(reference_array)), STD_FLOOR)
    return float(stats.wasserstein_distance(reference_array, current.to_numpy())) / scale


def _category_counts(
    reference: pd.Series, current: pd.Series, allow_new: bool
) -> tuple[pd.Series, pd.Series]:
    """Counts per category, reference categories first (most common first), then new ones."""
    # a category dtype also lists declared categories that never occur
    reference_counts = reference.value_counts().loc[lambda counts: counts > 0]
    current_counts = current.value_counts().loc[lambda counts: counts > 0]
    new_categories = current_counts.index.difference(reference_counts.index, sort=False)
    if len(new_categories) and not allow_new:
        shown = ", ".join(sorted(str(category) for category in new_categories)[:10])
        raise ValueError(f"current has categories absent from reference: {shown}")
    categories = reference_counts.index.append(new_categories)
    return (
        reference_counts.reindex(categories, fill_value=0).astype(float),
        current_counts.reindex(categories, fill_value=0).astype(float),
    )


def _chisquare(reference_counts: pd.Series, current_counts: pd.Series) -> tuple[float, float]:
    if len(reference_counts) < 2:
        # one category: every sample has share 1, nothing can differ
        return 0.0, 1.0
    expected = reference_counts.to_numpy() / reference_counts.sum() * current_counts.sum()
    result = stats.chisquare(current_counts.to_numpy(), expected)
    return float(result.statistic), float(result.pvalue)


def _two_proportion_z(
    reference_counts: pd.Series, current_counts: pd.Series
) -> tuple[float, float]:
    """Pooled z-test on the share of the reference's most common category, current minus ref."""
    n_reference, n_current = reference_counts.sum(), current_counts.sum()
    hits_reference, hits_current = reference_counts.iloc[0], current_counts.iloc[0]
    pooled = (hits_reference + hits_current) / (n_reference + n_current)
    if pooled in (0.0, 1.0):
        return 0.0, 1.0
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / n_reference + 1 / n_current))
    z = (hits_current / n_current - hits_reference / n_reference) / standard_error
    return float(z), float(2 * stats.norm.sf(abs(z)))


def _validated_shares(shares: Sample, name: str) -> np.ndarray:
    try:
        array = np.asarray(shares, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numbers: {error}") from error
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty one-dimensional list of shares")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if (array < 0).any():
        raise ValueError(f"{name} contains negative shares")
    if abs(array.sum() - 1.0) > SHARE_SUM_TOLERANCE:
        raise ValueError(f"{name} must sum to 1, sums to {array.sum():.6g}")
    return array


def _plain_list(index: pd.Index) -> list[Any]:
    # numpy scalars become Python ones so the result serialises to JSON
    return [value.item() if isinstance(value, np.generic) else value for value in index]


# A feature needs this many samples in each window to be tested at all.
MIN_SAMPLES = 30
DRIFT_SCAN_DAYS = 7


def feature_drift(feature: str, reference: pd.Series, current: pd.Series) -> dict[str, Any]:
    """One feature's drift row of a report: test, statistic, verdict, PSI and its band (with
    at least PSI_MIN_SAMPLES a window), the sample counts, and a note on what was not done."""
    row: dict[str, Any] = {
        "feature": feature,
        "test": None,
        "kind": None,
        "statistic": None,
        "p_value": None,
        "threshold": None,
        "drifted": None,
        "psi": None,
        "band": None,
        "n_reference": len(reference),
        "n_current": len(current),
        "note": "",
    }
    if min(len(reference), len(current)) < MIN_SAMPLES:
        row["note"] = f"fewer than {MIN_SAMPLES} samples in a window"
        return row
    try:
        result = column_drift(reference, current)
    except ValueError:
        # A value the reference never had makes the small-sample tests undefined.
        result = column_drift(reference, current, method="jensenshannon")
        row["note"] = "new values in the current window: Jensen-Shannon distance used"
    kind = "categorical" if result["test"] in CATEGORICAL_TESTS else "numeric"
    psi = psi_for_samples(reference, current, kind=kind)
    row.update(
        test=result["test"],
        kind=kind,
        statistic=result["statistic"],
        p_value=result["p_value"],
        threshold=result["threshold"],
        drifted=result["drifted"],
        psi=psi["psi"],
    )
    if min(len(reference), len(current)) >= PSI_MIN_SAMPLES:
        row["band"] = psi["band"]
    else:
        row["note"] = "; ".join(
            filter(None, [row["note"], f"PSI band needs {PSI_MIN_SAMPLES}+ samples per window"])
        )
    return row


def drift_weeks_of(samples: pd.DataFrame, features: list[str]) -> list[pd.Timestamp]:
    """Every day of each week in which some feature drifted from the week before, for feature
    samples (columns date, feature, value) sorted by date; weeks end on the newest day.

    Drifted here means both that the feature's drift test fires and that its PSI exceeds 0.25:
    run week after week over the whole history, a test alone raises false alarms (about one in
    twenty per feature at p 0.05) and PSI alone is noisy on a week of one model type.
    """
    if samples.empty:
        return []
    last = samples["date"].iloc[-1]
    age = (last - samples["date"]).dt.days.to_numpy()
    week = age // DRIFT_SCAN_DAYS
    grouped = dict(list(samples.groupby([week, samples["feature"]], observed=True)["value"]))
    full_weeks = (int(age.max()) + 1) // DRIFT_SCAN_DAYS
    empty = pd.Series(dtype=float)
    days = []
    for newer in range(full_weeks - 1):
        for feature in features:
            row = feature_drift(
                feature,
                grouped.get((newer + 1, feature), empty),
                grouped.get((newer, feature), empty),
            )
            if row["drifted"] and row["psi"] > PSI_SIGNIFICANT:
                end = last - pd.Timedelta(days=DRIFT_SCAN_DAYS * newer)
                days.extend(end - pd.Timedelta(days=offset) for offset in range(DRIFT_SCAN_DAYS))
                break
    return sorted(days)
