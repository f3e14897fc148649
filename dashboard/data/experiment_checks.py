"""Checks on an A/B comparison that the A/B page and the alerting figures both read: which
analysis applies, the false-positive guardrail and the sample-ratio check.

They sit beside the experiment queries (dashboard.data.experiments) so that the page's banners
and `/metrics` (dashboard.data.health) come from one computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from flask import current_app

from dashboard.analysis import ab
from dashboard.data import experiments
from dashboard.data.experiments import CONTROL, TREATMENT, Comparison
from dashboard.domain import ALL_MODELS

ALPHA = 0.05


@dataclass(frozen=True)
class Analysis:
    """How a comparison is analysed: always valid while its alerts keep arriving (a running
    experiment is re-tested on every refresh), fixed horizon once they no longer change."""

    always_valid: bool
    # The confidence sequences' tuning parameter, fixed from the planned size before any data.
    rho: float
    # Alerts (both arms, every model type) the experiment is planned to reach; None when no
    # more are coming or there is no plan (observational comparisons).
    planned_alerts: int | None


def analysis_of(chosen: Comparison) -> Analysis:
    """A running experiment, or two versions one of which is still in one, gets the
    always-valid analysis; a completed experiment, or versions no longer tested, the fixed."""
    planned = int(current_app.config["AB_PLANNED_ALERTS"])
    rho = ab.mixture_rho(planned, ALPHA)
    if chosen.randomised:
        running = chosen.ended_at is None
        return Analysis(running, rho, planned if running else None)
    listed = experiments.experiment_list()
    ongoing = listed[listed["ended_at"].isna()]
    versions = {chosen.control, chosen.treatment}
    tested = set(ongoing["control_version"].astype(str)) | set(
        ongoing["treatment_version"].astype(str)
    )
    return Analysis(bool(versions & tested), rho, None)


def guardrail_interval(arms: pd.DataFrame, analysis: Analysis) -> tuple[float, float]:
    """The 95% interval of the false-positive rate's change that the guardrail reads: always
    valid while the data keep arriving, since the guardrail too is checked on every refresh."""
    counts = (
        int(arms.at[CONTROL, "false_positive_rate"]),
        int(arms.at[CONTROL, "alerts"]),
        int(arms.at[TREATMENT, "false_positive_rate"]),
        int(arms.at[TREATMENT, "alerts"]),
    )
    if analysis.always_valid:
        result = ab.sequential_proportions(*counts, alpha=ALPHA, rho=analysis.rho)
    else:
        result = ab.compare_proportions(*counts, alpha=ALPHA)
    return result["ci_low"], result["ci_high"]


def sample_ratio(chosen: Comparison) -> tuple[ab.SrmResult | None, tuple[int, int]]:
    """The SRM check of an experiment over all its alerts (randomisation ignores model type)."""
    share = chosen.treatment_share
    if not chosen.randomised or share is None or not 0 < share < 1:
        return None, (0, 0)
    arms = experiments.arm_summary(chosen, ALL_MODELS)
    alerts = (int(arms.at[CONTROL, "alerts"]), int(arms.at[TREATMENT, "alerts"]))
    if sum(alerts) == 0:
        return None, alerts
    return ab.srm_check(list(alerts), [1 - share, share]), alerts


def guardrail(chosen: Comparison, model: str, margin: float) -> ab.NonInferiority:
    """The false-positive guardrail of a comparison for one model type: non-inferiority of the
    treatment's change within `margin` (a fraction), read off `guardrail_interval`."""
    arms = experiments.arm_summary(chosen, model)
    low, high = guardrail_interval(arms, analysis_of(chosen))
    return ab.non_inferiority(low, high, margin)
