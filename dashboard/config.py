"""Settings from the environment, read in one place.

`settings_from_env()` gives the defaults documented in the README; `create_app(config)` lays a
test's overrides on top of it.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping

CACHE_TYPES = ("SimpleCache", "FileSystemCache", "RedisCache", "NullCache")


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


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


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


def settings_from_env(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """Return the dashboard's settings (Flask config keys) from `env` (default: os.environ)."""
    env = os.environ if env is None else env
    cache_type = env.get("DASHBOARD_CACHE_TYPE", "SimpleCache").strip() or "SimpleCache"
    if cache_type not in CACHE_TYPES:
        raise ValueError(f"DASHBOARD_CACHE_TYPE must be one of {', '.join(CACHE_TYPES)}")
    settings: dict[str, object] = {
        "DATA_SOURCE": env.get("DASHBOARD_DATA_SOURCE", "simulator").strip() or "simulator",
        "SIM_SEED": _int(env, "DASHBOARD_SIM_SEED", 20261126),
        "SIM_SCALE": _int(env, "DASHBOARD_SIM_SCALE", 1, minimum=1),
        "REFRESH_SECONDS": _int(env, "DASHBOARD_REFRESH_SECONDS", 30),
        "SECRET_KEY": env.get("DASHBOARD_SECRET_KEY") or secrets.token_hex(32),
        "CACHE_TYPE": cache_type,
        "CACHE_DEFAULT_TIMEOUT": _int(env, "DASHBOARD_CACHE_TIMEOUT", 300),
        "CACHE_THRESHOLD": _int(env, "DASHBOARD_CACHE_THRESHOLD", 500, minimum=1),
        # A/B guardrail: a treatment whose false-positive rate is worse than control by more
        # than this (a fraction; 0.01 = 1 point) fails the non-inferiority check.
        "AB_GUARDRAIL_MARGIN": _float(env, "DASHBOARD_AB_GUARDRAIL_POINTS", 1.0) / 100.0,
        # Data-quality thresholds: JSON {"indicator": [warning, failing], ...} overriding the
        # defaults in dashboard/analysis/quality.py.
        "QUALITY_THRESHOLDS": _json(env, "DASHBOARD_QUALITY_THRESHOLDS"),
        # A request body larger than this is refused with 413 before Dash parses it.
        "MAX_CONTENT_LENGTH": _int(env, "DASHBOARD_MAX_REQUEST_BYTES", 1_000_000, minimum=1024),
    }
    if cache_type == "RedisCache":
        settings["CACHE_REDIS_URL"] = env.get(
            "DASHBOARD_CACHE_REDIS_URL", "redis://127.0.0.1:6379/0"
        )
    if cache_type == "FileSystemCache":
        settings["CACHE_DIR"] = env.get("DASHBOARD_CACHE_DIR", "/tmp/ai-training-dashboard-cache")
    return settings
