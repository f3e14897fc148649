"""Every page's default view drawn once in gunicorn's master, so that the workers fork warm.

The first figure of a kind that a process builds costs plotly 0.1-0.2 s of one-time work (it
imports the validators of each trace and layout attribute on first use), and pandas, scipy and
statsmodels have first-call costs of their own: a fresh worker answered its first Training or
Overview request in about 0.23 s instead of 0.05 s. Drawing the default views in the master,
before the fork, pays that once for every worker, including those gunicorn recycles later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask_caching.backends import SimpleCache

from dashboard.callbacks import ab_testing, data_quality, overview, resources, training
from dashboard.callbacks.views import views_of_app
from dashboard.components.ab_controls import EXPERIMENT_MODE
from dashboard.components.soc_charts import SOC_KPIS
from dashboard.data.cache import cache
from dashboard.domain import DEFAULT_MODEL, DEFAULT_RANGE

log = logging.getLogger(__name__)


def _ab_comparison() -> object:
    """The comparison the A/B page opens on: the latest experiment."""
    experiment = ab_testing.picker_choices().experiment
    return ab_testing.comparison(
        DEFAULT_RANGE, DEFAULT_MODEL, None, EXPERIMENT_MODE, experiment, None, None
    )


DEFAULT_VIEWS: dict[str, Callable[[], object]] = {
    "overview": lambda: overview.impact(DEFAULT_RANGE, DEFAULT_MODEL),
    "training": lambda: training.training_overview(DEFAULT_RANGE, DEFAULT_MODEL),
    "session drill-down": lambda: training.session_detail(None, DEFAULT_RANGE, DEFAULT_MODEL),
    "A/B comparison": _ab_comparison,
    "version trends": lambda: ab_testing.version_trends(
        DEFAULT_RANGE, DEFAULT_MODEL, None, next(iter(SOC_KPIS))
    ),
    "data quality": lambda: data_quality.quality(DEFAULT_RANGE, DEFAULT_MODEL),
    "drift": lambda: data_quality.drift(DEFAULT_RANGE, DEFAULT_MODEL, None),
    "resources": lambda: resources.resources(DEFAULT_RANGE, DEFAULT_MODEL),
}


def warm_up() -> None:
    """Draw each default view once (the app in context), then forget the answers kept in this
    process, so that a worker's first request is computed from the data like any other: only
    the one-time costs are gone. A view that fails here is logged and left to the workers."""
    for name, view in DEFAULT_VIEWS.items():
        try:
            view()
        except Exception:  # whatever it is, the server still starts
            log.warning("warming up the %s view failed", name, exc_info=True)
    views_of_app().clear()
    if isinstance(cache.cache, SimpleCache):  # this process's own; Redis and files are shared
        cache.clear()
