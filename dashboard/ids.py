"""Component ids, one constant each, prefixed by page: ov-, tr-, ab-, dq-, rs- (none: shell)."""

# Shell: location, global filters, live refresh, navigation.
URL = "url"
RANGE = "filter-range"
MODEL = "filter-model"
FILTER_ERROR = "filter-error"
REFRESH = "refresh-interval"
REFRESH_PAUSE = "refresh-pause"
UPDATED_AT = "updated-at"
NAV_LINK = "nav-link"  # pattern-matching type: {"type": NAV_LINK, "path": "/training"}
DATA_WARNING = "data-warning"
DATA_SOURCE = "data-source"
DATA_SOURCE_DETAILS = "data-source-details"  # popover: rows per table, missing tables, age
ALERT_BADGE = "alert-badge"  # the alerting conditions that hold now (callbacks.alert_badge)
ALERT_BADGE_RETRY = "alert-badge-retry"  # asks again while the figures are being computed

# Pages: each is drawn into a slot of its own the first time it is shown, then shown or hidden
# (callbacks/router.py). The prefixes name each page's slot and the filters its callbacks see,
# which change only while the page shows: a hidden page is neither re-queried nor redrawn.
PAGES = "pages"
PAGE_WANTED = "page-wanted"  # the path of a page to draw, set by the browser's router
OVERVIEW, TRAINING, AB_TESTING, DATA_QUALITY, RESOURCES, NOT_FOUND = (
    "ov",
    "tr",
    "ab",
    "dq",
    "rs",
    "nf",
)
PAGE_PREFIXES = (OVERVIEW, TRAINING, AB_TESTING, DATA_QUALITY, RESOURCES, NOT_FOUND)
PAGE_FILTERS = ("range", "model", "tick")


def page_slot(prefix: str) -> str:
    """'page-tr': where the page of `prefix` is drawn."""
    return f"page-{prefix}"


SEEN_SUFFIX = "-seen"


def seen(section_id: str) -> str:
    """'tr-detail-seen': whether a section below the fold has come into view (drawn once it
    has: components/layout.py when_seen)."""
    return f"{section_id}{SEEN_SUFFIX}"


def page_filter(prefix: str, name: str) -> str:
    """'page-tr-range': a global filter's value (range, model, tick) the page last showed."""
    return f"page-{prefix}-{name}"


def is_page_filter(component_id: str) -> bool:
    return filtered_page(component_id) is not None


def filtered_page(component_id: str) -> str | None:
    """The page prefix of a page filter's id ('page-tr-range' -> 'tr'), else None."""
    for prefix in PAGE_PREFIXES:
        if any(component_id == page_filter(prefix, name) for name in PAGE_FILTERS):
            return prefix
    return None


def is_seen(component_id: str) -> bool:
    return component_id.endswith(SEEN_SUFFIX)


def answered(component_id: str) -> str:
    """'ab-summary-answered': the digest of the last answer of the callback drawing
    `component_id` first (callbacks/answered.py)."""
    return f"{component_id}-answered"


# Overview
OV_KPIS = "ov-kpis"
OV_LIVE = "ov-live-session"
OV_IMPACT = "ov-impact"
OV_IMPACT_CHART = "ov-impact-chart"
OV_SESSIONS = "ov-sessions"

# Training
TR_KPIS = "tr-kpis"
TR_LIVE = "tr-live-session"
TR_ACCURACY = "tr-accuracy-chart"
TR_LOSS = "tr-loss-chart"
TR_ACCURACY_ZOOM = "tr-accuracy-zoom"  # the accuracy chart's last change of x range
TR_LOSS_ZOOM = "tr-loss-zoom"
TR_DURATION = "tr-duration-chart"
TR_SESSIONS = "tr-sessions"
TR_SESSIONS_EXPORT = "tr-sessions-export"
TR_SESSIONS_DOWNLOAD = "tr-sessions-download"
TR_SESSIONS_SHOWN = "tr-sessions-shown"  # the filters the infinite grid last refreshed for
TR_DETAIL = "tr-session-detail"
TR_DETAIL_TITLE = "tr-session-detail-title"
TR_DETAIL_CURVES = "tr-session-curves"
TR_DETAIL_GPU = "tr-session-gpu"
TR_DURATION_VIEW = "tr-duration-view"  # below the fold: drawn once seen (layout.when_seen)
TR_DETAIL_VIEW = "tr-detail-view"

# A/B Testing
AB_VERSIONS = "ab-version-table"
AB_VERSIONS_EXPORT = "ab-version-table-export"
AB_TRENDS = "ab-version-trends"
AB_TRENDS_VIEW = "ab-trends-view"  # below the fold: drawn once seen
AB_TREND_METRIC = "ab-trend-metric"
AB_MODE = "ab-mode"
AB_EXPERIMENT = "ab-experiment"
AB_EXPERIMENT_PICKER = "ab-experiment-picker"
AB_CONTROL = "ab-control-version"
AB_TREATMENT = "ab-treatment-version"
AB_VERSION_PICKER = "ab-version-picker"
AB_SUMMARY = "ab-summary"
AB_SRM = "ab-srm"
AB_GUARDRAIL = "ab-guardrail"
AB_VERDICTS = "ab-verdicts"
AB_RESULTS = "ab-results"
AB_FOREST = "ab-forest-chart"
AB_CUMULATIVE = "ab-cumulative-chart"

# Data Quality
DQ_INDICATORS = "dq-indicators"
DQ_SCORE_NOTE = "dq-score-note"
DQ_TRENDS = "dq-trends"
DQ_CURRENT_DATES = "dq-current-dates"
DQ_REFERENCE_DATES = "dq-reference-dates"
DQ_WINDOWS = "dq-drift-windows"
DQ_DRIFT_VERDICT = "dq-drift-verdict"
DQ_DRIFT_TABLE = "dq-drift-table"
DQ_DRIFT_VIEW = "dq-drift-view"  # below the fold: drawn once seen
DQ_DRIFT_EXPORT = "dq-drift-table-export"
DQ_DISTRIBUTION = "dq-distribution-chart"

# Resources
RS_KPIS = "rs-kpis"
RS_UTILISATION = "rs-utilisation-chart"
RS_MEMORY = "rs-memory-chart"
RS_UTILISATION_ZOOM = "rs-utilisation-zoom"  # the chart's last change of x range
RS_MEMORY_ZOOM = "rs-memory-zoom"
RS_WIDTH = "rs-window-width"  # the browser window's width: how many points a chart can show
RS_HEATMAP = "rs-gpu-heatmap"
RS_HEATMAP_VIEW = "rs-heatmap-view"  # below the fold: drawn once seen
RS_SESSIONS = "rs-sessions"
RS_SESSIONS_EXPORT = "rs-sessions-export"
RS_SESSIONS_DOWNLOAD = "rs-sessions-download"
RS_SESSIONS_SHOWN = "rs-sessions-shown"
