"""gunicorn settings for the dashboard, read from the environment (see README, Configuration).

Run with `gunicorn -c gunicorn.conf.py`; the app is `dashboard.wsgi:server`.
"""

import os


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


wsgi_app = "dashboard.wsgi:server"
bind = f"{_env('DASHBOARD_HOST', '0.0.0.0')}:{_env_int('DASHBOARD_PORT', 8503)}"
workers = _env_int("WEB_CONCURRENCY", 2)
threads = _env_int("GUNICORN_THREADS", 4)
timeout = _env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
# Build the app (imports, page registry, callbacks) once in the master; workers fork from it.
preload_app = True
accesslog = "-"
errorlog = "-"
