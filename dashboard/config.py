"""Settings from the environment, read in one place.

`settings_from_env()` gives the defaults documented in the README; `create_app(config)` lays a
test's overrides on top of it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from dashboard.data.downsample import DEFAULT_MAX_POINTS
from simulator.incidents import incidents_setting, parse_incidents

CACHE_TYPES = ("SimpleCache", "FileSystemCache", "RedisCache", "NullCache")
AUTH_MODES = ("none", "basic", "proxy")
# What gunicorn binds unless DASHBOARD_HOST says otherwise (./scripts/run says 127.0.0.1).
DEFAULT_HOST = "0.0.0.0"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum:  # also rejects NaN
        raise ValueError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in _TRUE + _FALSE:
        raise ValueError(f"{name} must be true or false, got {raw!r}")
    return raw in _TRUE


def _networks(env: Mapping[str, str], name: str, default: str) -> tuple[IPNetwork, ...]:
    raw = env.get(name, "").strip() or default
    try:
        return tuple(
            ipaddress.ip_network(item.strip(), strict=False)
            for item in raw.split(",")
            if item.strip()
        )
    except ValueError as error:
        raise ValueError(
            f"{name} must be addresses or CIDR ranges, comma-separated: {error}"
        ) from None


def is_loopback(host: str) -> bool:
    """Whether `host`, an address to bind, is reachable from this machine only."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, or "" (every address)
        return False


def refusal_to_serve(env: Mapping[str, str] | None = None) -> str | None:
    """Why a server must not start: a network address to bind and no DASHBOARD_AUTH chosen."""
    env = os.environ if env is None else env
    host = env.get("DASHBOARD_HOST", "").strip() or DEFAULT_HOST
    if is_loopback(host) or env.get("DASHBOARD_AUTH", "").strip():
        return None
    return (
        f"DASHBOARD_HOST={host} serves the dashboard to the network, and DASHBOARD_AUTH does not "
        "say who may see it. Set DASHBOARD_AUTH=basic (users in DASHBOARD_AUTH_USERS_FILE), "
        "DASHBOARD_AUTH=proxy (a reverse proxy signs users in and names them in a header) or "
        "DASHBOARD_AUTH=none (an open dashboard: every page and /metrics to anyone who can reach "
        "it); or DASHBOARD_HOST=127.0.0.1 to serve this machine only."
    )


def open_to_network(settings: Mapping[str, object]) -> bool:
    """Whether anyone on the network may see the dashboard without signing in."""
    return settings.get("AUTH_MODE") == "none" and not is_loopback(str(settings.get("HOST", "")))


def _users(env: Mapping[str, str]) -> dict[str, str]:
    """Basic-auth users: `user:password` items, comma-separated in DASHBOARD_AUTH_USERS and one
    a line in the file DASHBOARD_AUTH_USERS_FILE; a password may be a werkzeug password hash."""
    items = [item for item in env.get("DASHBOARD_AUTH_USERS", "").split(",") if item.strip()]
    path = env.get("DASHBOARD_AUTH_USERS_FILE", "").strip()
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise ValueError(f"DASHBOARD_AUTH_USERS_FILE cannot be read: {error}") from None
        items += [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    users = {}
    for item in items:
        user, colon, password = item.strip().partition(":")
        if not colon or not user or not password:
            raise ValueError("basic-auth users must be given as user:password")
        users[user] = password
    return users


def _json(env: Mapping[str, str], name: str) -> dict[str, object]:
    raw = env.get(name, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"{name} must be a JSON object: {error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a JSON object")
    return value


def _mlflow_ui_url(env: Mapping[str, str]) -> str:
    """DASHBOARD_MLFLOW_UI_URL, else the MLflow tracking server's URL when the data source
    names one over http(s) (a sqlite:/// store has no UI to link to)."""
    explicit = env.get("DASHBOARD_MLFLOW_UI_URL", "").strip()
    if explicit:
        return explicit
    for part in env.get("DASHBOARD_DATA_SOURCE", "").split(";"):
        uri = part.strip().removeprefix("mlflow:")
        if part.strip().startswith("mlflow:") and uri.startswith(("http://", "https://")):
            return uri
    return ""


def _prometheus(env: Mapping[str, str]) -> dict[str, object]:
    return {
        "metrics": _json(env, "DASHBOARD_PROMETHEUS_METRICS"),
        "labels": _json(env, "DASHBOARD_PROMETHEUS_LABELS"),
        "lookback_days": _float(env, "DASHBOARD_PROMETHEUS_LOOKBACK_DAYS", 30.0, minimum=0.01),
        "min_step_seconds": _int(env, "DASHBOARD_PROMETHEUS_STEP_SECONDS", 60, minimum=1),
    }


def _default_data_dir(env: Mapping[str, str]) -> str:
    cache_home = env.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return str(Path(cache_home) / "ai-training-dashboard")


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _instant(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        moment = pd.Timestamp(raw)
    except ValueError:
        raise ValueError(f"{name} must be an ISO-8601 time, e.g. 2026-12-01T23:58:00Z") from None
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return moment.isoformat()


def _incidents(env: Mapping[str, str], name: str) -> str | None:
    try:
        incidents = parse_incidents(env.get(name))
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    return incidents_setting(incidents) or None


def settings_from_env(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """Return the dashboard's settings (Flask config keys) from `env` (default: os.environ)."""
    env = os.environ if env is None else env
    cache_type = env.get("DASHBOARD_CACHE_TYPE", "SimpleCache").strip() or "SimpleCache"
    if cache_type not in CACHE_TYPES:
        raise ValueError(f"DASHBOARD_CACHE_TYPE must be one of {', '.join(CACHE_TYPES)}")
    settings: dict[str, object] = {
        # The address gunicorn binds (gunicorn.conf.py); the app warns when it is open there.
        "HOST": env.get("DASHBOARD_HOST", "").strip() or DEFAULT_HOST,
        "DATA_SOURCE": env.get("DASHBOARD_DATA_SOURCE", "simulator").strip() or "simulator",
        "SIM_SEED": _int(env, "DASHBOARD_SIM_SEED", 20261126),
        "SIM_SCALE": _int(env, "DASHBOARD_SIM_SCALE", 1, minimum=1),
        "REFRESH_SECONDS": _int(env, "DASHBOARD_REFRESH_SECONDS", 30),
        # The embedded store's files (one folder per source below it), and who reads the
        # source: "process" (an ingest process gunicorn's master starts) or "inline" (the app
        # factory ingests once itself: tests, the development server).
        "DATA_DIR": env.get("DASHBOARD_DATA_DIR", "").strip() or _default_data_dir(env),
        "INGEST": _choice(env, "DASHBOARD_INGEST", "process", ("process", "inline")),
        # How long gunicorn's master waits for the first generation before it forks anyway.
        "FIRST_LOAD_WAIT": _float(env, "DASHBOARD_FIRST_LOAD_WAIT", 60.0),
        # The simulated clock starts at this instant (ISO-8601) and advances in real time.
        "SIM_CLOCK_START": _instant(env, "DASHBOARD_SIM_CLOCK_START"),
        # Incidents injected into the simulated data (simulator.incidents), e.g.
        # fp-spike:threat_detection@2026-12-01T12:00:00Z; checked here, so a typo stops the start.
        "SIM_INCIDENT": _incidents(env, "DASHBOARD_SIM_INCIDENT"),
        # Each worker's DuckDB: threads and memory (DuckDB's own syntax: 512MB, 2GB).
        "ENGINE_THREADS": _int(env, "DASHBOARD_ENGINE_THREADS", 2, minimum=1),
        "ENGINE_MEMORY": env.get("DASHBOARD_ENGINE_MEMORY", "").strip() or "512MB",
        "SECRET_KEY": env.get("DASHBOARD_SECRET_KEY") or secrets.token_hex(32),
        "CACHE_TYPE": cache_type,
        "CACHE_DEFAULT_TIMEOUT": _int(env, "DASHBOARD_CACHE_TIMEOUT", 300),
        "CACHE_THRESHOLD": _int(env, "DASHBOARD_CACHE_THRESHOLD", 500, minimum=1),
        # Reduce long series to MAX_POINTS per trace (on in production; off only to measure
        # what it saves).
        "DOWNSAMPLE": _bool(env, "DASHBOARD_DOWNSAMPLE", default=True),
        "MAX_POINTS": _int(env, "DASHBOARD_MAX_POINTS", DEFAULT_MAX_POINTS, minimum=100),
        # Most finished page views (figures and cards) each worker keeps (callbacks.views).
        "VIEW_CACHE_ENTRIES": _int(env, "DASHBOARD_VIEW_CACHE_ENTRIES", 100, minimum=1),
        # A/B guardrail: a treatment whose false-positive rate is worse than control by more
        # than this (a fraction; 0.01 = 1 point) fails the non-inferiority check.
        "AB_GUARDRAIL_MARGIN": _float(env, "DASHBOARD_AB_GUARDRAIL_POINTS", 1.0) / 100.0,
        # A/B: alerts (both arms, every model type) an experiment is planned to reach; tunes the
        # always-valid intervals of running experiments and sizes "detectable at the plan".
        "AB_PLANNED_ALERTS": _int(env, "DASHBOARD_AB_PLANNED_ALERTS", 8000, minimum=100),
        # Data-quality thresholds: JSON {"indicator": [warning, failing], ...} overriding the
        # defaults in dashboard/analysis/quality.py.
        "QUALITY_THRESHOLDS": _json(env, "DASHBOARD_QUALITY_THRESHOLDS"),
        # Real training data: extra metric-name aliases and folder/experiment -> model type.
        "METRIC_ALIASES": _json(env, "DASHBOARD_METRIC_ALIASES"),
        "MODEL_TYPE_MAP": _json(env, "DASHBOARD_MODEL_TYPE_MAP"),
        # MLflow: registry aliases/stages -> version statuses, and where its UI opens a run
        # (else the tracking URI when it is an http(s) server).
        "MLFLOW_VERSION_STATUS": _json(env, "DASHBOARD_MLFLOW_VERSION_STATUS"),
        "MLFLOW_UI_URL": _mlflow_ui_url(env),
        # prometheus:<URL>: metric and label names, lookback and query step (sources.prometheus).
        "PROMETHEUS": _prometheus(env),
        # A request body larger than this is refused with 413 before Dash parses it.
        "MAX_CONTENT_LENGTH": _int(env, "DASHBOARD_MAX_REQUEST_BYTES", 1_000_000, minimum=1024),
    }
    auth = env.get("DASHBOARD_AUTH", "none").strip().lower() or "none"
    if auth not in AUTH_MODES:
        raise ValueError(f"DASHBOARD_AUTH must be one of {', '.join(AUTH_MODES)}")
    settings.update(
        {
            # Who may see the dashboard; /health and /ready's status are always public.
            "AUTH_MODE": auth,
            "AUTH_USERS": _users(env),
            "AUTH_PROXY_HEADER": env.get("DASHBOARD_AUTH_PROXY_HEADER", "").strip()
            or "X-Forwarded-User",
            # Reverse proxies (addresses or CIDR ranges) believed when they name the user
            # (proxy mode) and the client (the last address of X-Forwarded-For).
            "AUTH_PROXY_IPS": _networks(env, "DASHBOARD_AUTH_PROXY_IPS", "127.0.0.1,::1"),
            "METRICS_PUBLIC": _bool(env, "DASHBOARD_METRICS_PUBLIC"),
            # Redis: how long one operation may take, and how long to answer from the source
            # alone after a failure before trying Redis again.
            "CACHE_REDIS_TIMEOUT": _float(env, "DASHBOARD_CACHE_REDIS_TIMEOUT", 1.0),
            "CACHE_RETRY_SECONDS": _float(env, "DASHBOARD_CACHE_RETRY_SECONDS", 5.0),
        }
    )
    if auth == "basic" and not settings["AUTH_USERS"]:
        raise ValueError(
            "DASHBOARD_AUTH=basic needs users in DASHBOARD_AUTH_USERS or DASHBOARD_AUTH_USERS_FILE"
        )
    if cache_type == "RedisCache":
        settings["CACHE_REDIS_URL"] = env.get(
            "DASHBOARD_CACHE_REDIS_URL", "redis://127.0.0.1:6379/0"
        )
    if cache_type == "FileSystemCache":
        settings["CACHE_DIR"] = env.get("DASHBOARD_CACHE_DIR", "/tmp/ai-training-dashboard-cache")
    return settings
