"""Security of every response and request: headers, a CSP that the app's own scripts satisfy,
and optional authentication (`AUTH_MODE`: none, basic, proxy) with the health checks public.
"""

from __future__ import annotations

import hashlib
import hmac

import dash_auth
from dash import Dash
from dash_auth.auth import Auth
from flask import Response, g, jsonify, request
from werkzeug.security import check_password_hash

# Load balancers and orchestrators probe these without credentials.
PUBLIC_PATHS = frozenset({"/health", "/ready"})
# werkzeug's generate_password_hash() output starts with its method.
HASH_METHODS = ("scrypt:", "pbkdf2:")
# A password stored as a hash is checked once per process, then remembered by digest.
VERIFIED_LIMIT = 1024

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def content_security_policy(app: Dash) -> str:
    """Scripts only from the app itself and its own inline scripts (by hash); no eval."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *app.csp_hashes()],
        # Dash's renderer, dcc and Plotly inject <style> elements and style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class _PublicPathsOnly:
    """dash-auth lets a callback through when its `pathname` input is a public route, which a
    forged request can claim; here only the public paths themselves are public."""

    public_paths: frozenset[str]

    def _protect(self) -> None:
        @self.app.server.before_request
        def require_login() -> Response | None:
            if request.path in self.public_paths or self.is_authorized():
                return None
            return self.login_request()


class BasicUsersAuth(_PublicPathsOnly, dash_auth.BasicAuth):
    """HTTP basic auth against `users` (user -> password or werkzeug password hash)."""

    def __init__(self, app: Dash, users: dict[str, str], public_paths: frozenset[str]) -> None:
        self.public_paths = public_paths
        self.users = dict(users)
        self.verified: set[bytes] = set()
        super().__init__(app, auth_func=self.check_password)

    def check_password(self, username: str, password: str) -> bool:
        stored = self.users.get(username)
        if stored is None:
            # Compare anyway, so that an unknown user takes as long as a wrong password.
            hmac.compare_digest(password.encode(), password.encode()[::-1])
            return False
        if not stored.startswith(HASH_METHODS):
            return hmac.compare_digest(stored.encode(), password.encode())
        digest = hashlib.sha256(f"{username}\0{password}\0{stored}".encode()).digest()
        if digest in self.verified:
            return True
        if not check_password_hash(stored, password):
            return False
        if len(self.verified) >= VERIFIED_LIMIT:
            self.verified.clear()
        self.verified.add(digest)
        return True

    def is_authorized(self) -> bool:
        # werkzeug parses the header and gives None for anything malformed (dash-auth raises).
        credentials = request.authorization
        if credentials is None or credentials.type != "basic":
            return False
        username, password = credentials.username, credentials.password
        if not username or password is None or not self.check_password(username, password):
            return False
        g.user = username
        return True

    def login_request(self) -> Response:
        response = jsonify(error="authentication required")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = (
            'Basic realm="AI Model Training Dashboard", charset="UTF-8"'
        )
        return response


class ProxyHeaderAuth(_PublicPathsOnly, Auth):
    """Trusts a reverse proxy that authenticates users and names them in `header`; requests
    from any address but the proxy's (`trusted_ips`) are refused, header or not."""

    def __init__(
        self, app: Dash, header: str, trusted_ips: tuple[str, ...], public_paths: frozenset[str]
    ) -> None:
        self.public_paths = public_paths
        self.header = header
        self.trusted_ips = frozenset(trusted_ips)
        super().__init__(app)

    def is_authorized(self) -> bool:
        user = request.headers.get(self.header, "").strip()
        if not user or len(user) > 256 or request.remote_addr not in self.trusted_ips:
            return False
        g.user = user
        return True

    def login_request(self) -> Response:
        response = jsonify(error="sign in through the dashboard's proxy")
        response.status_code = 403
        return response


def init_app(app: Dash) -> None:
    """Authentication as configured, and the security headers on every response."""
    server = app.server
    config = server.config
    public = PUBLIC_PATHS | ({"/metrics"} if config.get("METRICS_PUBLIC") else set())
    mode = config.get("AUTH_MODE", "none")
    if mode == "basic":
        BasicUsersAuth(app, config["AUTH_USERS"], public)
    elif mode == "proxy":
        ProxyHeaderAuth(app, config["AUTH_PROXY_HEADER"], config["AUTH_PROXY_IPS"], public)
    elif mode != "none":
        raise ValueError(f"unknown AUTH_MODE {mode!r}")

    @server.after_request
    def security_headers(response: Response) -> Response:
        # Computed each time (microseconds): Dash adds inline scripts while serving its first
        # requests, and a policy fixed earlier would block them.
        response.headers["Content-Security-Policy"] = content_security_policy(app)
        response.headers.update(HEADERS)
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response
