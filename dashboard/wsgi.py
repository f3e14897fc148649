"""The WSGI entry point for gunicorn: `dashboard.wsgi:server`, configured from the environment."""

import gc
import logging

from dashboard import create_app
from dashboard.callbacks.warmup import warm_up
from dashboard.data import quality, queries

app = create_app()
server = app.server
# Production never runs in debug mode, whatever FLASK_DEBUG says: no tracebacks to clients,
# and flask-caching keeps serving when the cache fails instead of raising.
server.debug = False
# Dash finishes its setup (callbacks of the pages router, inline scripts) on the first request;
# concurrent first requests to a fresh worker would find it half done and fail. Run it once
# here, in gunicorn's master, so that every worker forks from a finished app.
with server.test_request_context("/"):
    server.preprocess_request()
# Load the data and derive its rollups and drift weeks here too, so that the workers fork with
# them and share their memory (copy-on-write) instead of each building its own. A source that
# cannot be read yet is retried by the workers, and /ready says so.
with server.app_context():
    try:
        queries.prepare()
        quality.prepare()
    except Exception:  # the source failed: serving still starts, /ready answers 503
        logging.getLogger(__name__).exception("loading the data before forking failed")
    else:
        # And pay each process's one-time costs of drawing a page (callbacks.warmup) here.
        warm_up()
# Hide everything built so far from the garbage collector: the workers' full collections then
# skip the data (150 ms a pass instead of 15 at scale 20) and never write to, and so copy, the
# pages they share with the master.
gc.freeze()
