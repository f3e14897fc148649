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

# A/B Testing
AB_VERSIONS = "ab-version-table"
AB_VERSIONS_EXPORT = "ab-version-table-export"
AB_TRENDS = "ab-version-trends"
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
DQ_DRIFT_EXPORT = "dq-drift-table-export"
DQ_DISTRIBUTION = "dq-distribution-chart"

# Resources
RS_KPIS = "rs-kpis"
RS_UTILISATION = "rs-utilisation-chart"
RS_MEMORY = "rs-memory-chart"
RS_HEATMAP = "rs-gpu-heatmap"
RS_SESSIONS = "rs-sessions"
RS_SESSIONS_EXPORT = "rs-sessions-export"
RS_SESSIONS_DOWNLOAD = "rs-sessions-download"
RS_SESSIONS_SHOWN = "rs-sessions-shown"
