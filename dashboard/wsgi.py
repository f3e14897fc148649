"""The WSGI entry point for gunicorn: `dashboard.wsgi:server`, configured from the environment.

gunicorn's master imports this once (`preload_app`): it builds the app, starts the ingest
process that reads the source for every worker (dashboard.data.ingest_process), waits a
little for the first generation so that it can draw the default views before forking, and
forks workers that only read the store.
"""

import gc
import logging
from pathlib import Path

from dashboard import create_app
from dashboard.callbacks.warmup import warm_up
from dashboard.data import health, ingest_process, quality, queries
from dashboard.data.store import store

log = logging.getLogger(__name__)

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

ingest = ingest_process.supervise() if server.config["INGEST"] == "process" else None
data_dir = Path(server.config["DATA_DIR_PATH"])
if ingest_process.wait_for_data(data_dir, float(server.config["FIRST_LOAD_WAIT"])):
    # Pay each process's one-time costs of drawing a page (callbacks.warmup) here, once.
    with server.app_context():
        try:
            queries.prepare()
            quality.prepare()
            warm_up()
            # every worker starts with these figures (dashboard.data.health)
            health.model_health(wait=True)
        except Exception:  # whatever it is, serving still starts
            log.exception("warming up on the first generation failed")
else:
    log.warning(
        "no data yet after %s s: serving starts, pages say the data is being read",
        server.config["FIRST_LOAD_WAIT"],
    )
# The workers open their own DuckDB: a connection's threads would not survive the fork.
with server.app_context():
    store.release()
# Hide everything built so far from the garbage collector: the workers' full collections then
# skip it and never write to, and so copy, the pages they share with the master.
gc.freeze()
