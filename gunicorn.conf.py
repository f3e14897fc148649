"""gunicorn settings for the dashboard, read from the environment (see README, Configuration).

Run with `gunicorn -c gunicorn.conf.py`; the app is `dashboard.wsgi:server`. Every setting has a
default that suits one host; README's Operations section says what to change in production.
"""

import os
import shutil
import tempfile
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = _env(name, default).lower()
    if value not in allowed:
        raise SystemExit(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def _dashboard_settings() -> dict[str, object]:
    """The dashboard's settings, checked before anything binds: a network address with no
    DASHBOARD_AUTH chosen, or any bad setting, stops the start with what to set."""
    # Imported here: the dashboard imports prometheus_client, which needs METRICS_DIR first.
    from dashboard.config import refusal_to_serve, settings_from_env

    refusal = refusal_to_serve()
    if refusal:
        raise SystemExit(refusal)
    try:
        return settings_from_env()
    except ValueError as error:
        raise SystemExit(str(error)) from None


# Metrics of every worker go to files in one directory, which /metrics adds up. It must exist
# before prometheus_client is imported (the app is preloaded below) and start empty.
METRICS_DIR_CREATED = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if METRICS_DIR_CREATED:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="dashboard-metrics-")
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

SETTINGS = _dashboard_settings()

wsgi_app = "dashboard.wsgi:server"
bind = _bind_address(str(SETTINGS["HOST"]), _env_int("DASHBOARD_PORT", 8503))
workers = _env_int("WEB_CONCURRENCY", 2)
threads = _env_int("GUNICORN_THREADS", 4)
timeout = _env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
# Recycle each worker after about this many requests (0: never), spread by the jitter so that
# the workers do not restart together.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 500)
# Only these addresses (the load balancer or reverse proxy) may say, with X-Forwarded-Proto,
# that the client used HTTPS.
forwarded_allow_ips = _env("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Build the app (imports, page registry, callbacks) once in the master; workers fork from it.
preload_app = True

# gunicornc's control socket: off unless a path is given, so two servers never share one.
CONTROL_SOCKET = _env("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not CONTROL_SOCKET
if CONTROL_SOCKET:
    control_socket = CONTROL_SOCKET

LOG_FORMAT = _choice("DASHBOARD_LOG_FORMAT", "text", ("text", "json"))
loglevel = _choice("DASHBOARD_LOG_LEVEL", "info", ("debug", "info", "warning", "error"))
accesslog = "-"
errorlog = "-"
# Access lines name the user the dashboard signed in (dashboard.ops.logs).
logger_class = "dashboard.ops.logs.AccessLogger"
access_log_format = _env(
    "GUNICORN_ACCESS_LOG_FORMAT",
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms "%({x-forwarded-for}i)s"',
)
# Access lines to stdout; gunicorn's and the app's own messages to stderr; JSON lines on demand.
_formatters = {
    "text": {
        "app": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"},
        "access": {"format": "%(message)s"},
    },
    "json": {
        "app": {"()": "dashboard.ops.logs.JsonFormatter"},
        "access": {"()": "dashboard.ops.logs.JsonFormatter"},
    },
}[LOG_FORMAT]
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": _formatters,
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "app",
            "stream": "ext://sys.stderr",
        },
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "stream": "ext://sys.stdout",
        },
    },
    "root": {"level": loglevel.upper(), "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}


def pre_request(worker, req):
    from dashboard.request_bodies import closes_connection

    # A body the app will refuse unread, or of unknown length: answer with Connection: close.
    if closes_connection(req.headers, int(SETTINGS["MAX_CONTENT_LENGTH"])):
        req.must_close = True


def when_ready(server):
    from dashboard.config import open_to_network

    if open_to_network(SETTINGS):
        server.log.warning(
            "DASHBOARD_AUTH=none on %s: every page and /metrics are open to anyone who can reach "
            "this port (set DASHBOARD_AUTH=basic or proxy to require a sign-in)",
            bind,
        )


def on_starting(server):
    # A directory given by ops may hold the files of a previous run: its counts would add up.
    if not METRICS_DIR_CREATED:
        for stale in METRICS_DIR.glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    import sys

    wsgi = sys.modules.get("dashboard.wsgi")
    if wsgi is not None:
        from dashboard.data import ingest_process

        ingest_process.stop(wsgi.ingest)
    if METRICS_DIR_CREATED:
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
