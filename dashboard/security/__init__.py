"""Security of every response and request: headers, a CSP that the app's own scripts satisfy,
and optional sign-in (`AUTH_MODE`: none, basic, proxy) with the health checks public.

`signed_in_user()` says who the current request signs in; the user also goes to the access
log (`REMOTE_USER`).
"""

from __future__ import annotations

import ipaddress
import re

from dash import Dash
from flask import Response, current_app, g, request

from dashboard.security.auth import BasicUsersAuth, ProxyHeaderAuth
from dashboard.security.clients import from_this_machine
from dashboard.security.headers import HEADERS, content_security_policy
from dashboard.security.throttle import SignInThrottle

__all__ = ["from_this_machine", "init_app", "signed_in_user", "without_credentials"]

EXTENSION = "dashboard_auth"
# Load balancers and orchestrators probe these without credentials (/ready then says only
# its status).
PUBLIC_PATHS = frozenset({"/health", "/ready"})

# The password of a URI's user part (an MLflow or Redis URL may hold one).
URI_PASSWORD = re.compile(r"(?P<user>[a-z][a-z0-9+.-]*://[^/@:\s;]*):[^/@\s;]*@", re.IGNORECASE)


def without_credentials(text: str) -> str:
    """`text` with the password of every URI in it masked."""
    return URI_PASSWORD.sub(r"\g<user>:***@", text)


def _auth_of_app() -> BasicUsersAuth | ProxyHeaderAuth | None:
    return current_app.extensions.get(EXTENSION)


def signed_in_user() -> str | None:
    """The user the current request's credentials sign in (checked once a request), or None."""
    if "signed_in_user" not in g:
        auth = _auth_of_app()
        user = auth.user_of_request() if auth is not None else None
        if user is not None:
            request.environ["REMOTE_USER"] = user
        g.signed_in_user = user
    return g.signed_in_user


def init_app(app: Dash) -> None:
    """Sign-in as configured, and the security headers on every response."""
    server = app.server
    config = server.config
    public = PUBLIC_PATHS | ({"/metrics"} if config.get("METRICS_PUBLIC") else set())
    mode = config.get("AUTH_MODE", "none")
    proxies = tuple(
        ipaddress.ip_network(str(proxy), strict=False) for proxy in config.get("AUTH_PROXY_IPS", ())
    )
    if mode == "basic":
        auth = BasicUsersAuth(config["AUTH_USERS"], proxies, SignInThrottle())
    elif mode == "proxy":
        auth = ProxyHeaderAuth(config["AUTH_PROXY_HEADER"], proxies)
    elif mode == "none":
        auth = None
    else:
        raise ValueError(f"unknown AUTH_MODE {mode!r}")
    if auth is not None:
        server.extensions[EXTENSION] = auth

        # Every path but the public ones, Dash's callbacks and assets included: a callback that
        # claims a public page in its body is no exception.
        @server.before_request
        def require_sign_in() -> Response | None:
            if request.path in public or signed_in_user() is not None:
                return None
            return auth.refusal()

    @server.after_request
    def security_headers(response: Response) -> Response:
        # Computed each time (microseconds): Dash adds inline scripts while serving its first
        # requests, and a policy fixed earlier would block them.
        response.headers["Content-Security-Policy"] = content_security_policy(app)
        response.headers.update(HEADERS)
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response
