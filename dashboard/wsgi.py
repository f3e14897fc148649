"""The WSGI entry point for gunicorn: `dashboard.wsgi:server`, configured from the environment."""

from dashboard import create_app

app = create_app()
server = app.server
