"""The WSGI entry point for gunicorn: `dashboard.wsgi:server`, configured from the environment."""

from dashboard import create_app

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
