"""The query cache (flask-caching), attached to the app with `cache.init_app(app)`."""

from flask_caching import Cache

cache = Cache()
