"""Sign-in: HTTP basic auth against a users table, or a reverse proxy that names the user.

Each kind answers `user_of_request()` (who the request's credentials sign in, or None) and
`refusal()` (the response to a request without them).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import Counter
from collections.abc import Sequence

from cachetools import LRUCache
from flask import Response, g, jsonify, request
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.config import IPNetwork
from dashboard.security.clients import client_address, client_key, peer_address, trusted
from dashboard.security.throttle import SignInThrottle

log = logging.getLogger(__name__)

# werkzeug's generate_password_hash() output starts with its method.
HASH_METHODS = ("scrypt:", "pbkdf2:")
# Correct passwords are checked once per process, then remembered by digest (the browser sends
# them with every request).
VERIFIED_ENTRIES = 1024
# Longest user name a proxy may send.
MAX_PROXY_USER = 256


def _method(stored_hash: str) -> str:
    return stored_hash.split("$", 1)[0]


class BasicUsersAuth:
    """HTTP basic auth against `users` (user -> password or werkzeug password hash).

    Every failed check costs one password hash, an unknown user's too (against a decoy of the
    users' commonest method); failures are throttled per client (`SignInThrottle`).
    """

    def __init__(
        self, users: dict[str, str], proxies: Sequence[IPNetwork], throttle: SignInThrottle
    ) -> None:
        # A plain password is hashed here, so that it costs as much to check as a hashed one.
        self.hashes = {
            user: stored if stored.startswith(HASH_METHODS) else generate_password_hash(stored)
            for user, stored in users.items()
        }
        methods = Counter(_method(stored) for stored in self.hashes.values())
        decoy_method = methods.most_common(1)[0][0] if methods else "scrypt"
        self.decoy = generate_password_hash(secrets.token_hex(16), method=decoy_method)
        self.proxies = tuple(proxies)
        self.throttle = throttle
        self.verified: LRUCache[bytes, bool] = LRUCache(VERIFIED_ENTRIES)

    def check_password(self, username: str, password: str) -> bool:
        stored = self.hashes.get(username)
        digest = hashlib.sha256(f"{username}\0{password}\0{stored}".encode()).digest()
        if stored is not None and self.verified.get(digest):
            return True
        # An unknown user is checked against the decoy: a wrong name costs a wrong password's time.
        matches = check_password_hash(stored or self.decoy, password)
        if stored is None or not matches:
            return False
        self.verified[digest] = True
        return True

    def user_of_request(self) -> str | None:
        # werkzeug parses the header and gives None for anything malformed.
        credentials = request.authorization
        if credentials is None or credentials.type != "basic":
            return None
        username, password = credentials.username, credentials.password
        if not username or password is None:
            return None
        client = client_key(client_address(self.proxies))
        if self.throttle.blocked(client):
            g.sign_in_throttled = True
            return None
        if not self.check_password(username, password):
            failures = self.throttle.failed(client)
            if failures == self.throttle.allowed:
                log.warning(
                    "%d failed sign-ins from %s: refusing its sign-ins for %.0f s",
                    failures,
                    client,
                    self.throttle.window,
                    extra={"client": str(client)},
                )
            return None
        self.throttle.succeeded(client)
        return username

    def refusal(self) -> Response:
        if g.get("sign_in_throttled"):
            response = jsonify(error="too many failed sign-ins: try again later")
            response.status_code = 429
            response.headers["Retry-After"] = str(int(self.throttle.window))
            return response
        response = jsonify(error="authentication required")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = (
            'Basic realm="AI Model Training Dashboard", charset="UTF-8"'
        )
        return response


class ProxyHeaderAuth:
    """Trusts a reverse proxy that authenticates users and names them in `header`; requests
    from any address but the proxy's (`proxies`, addresses or CIDR ranges) are refused."""

    def __init__(self, header: str, proxies: Sequence[IPNetwork]) -> None:
        self.header = header
        self.proxies = tuple(proxies)

    def user_of_request(self) -> str | None:
        user = request.headers.get(self.header, "").strip()
        if not user or len(user) > MAX_PROXY_USER or not user.isprintable():
            return None
        if not trusted(peer_address(), self.proxies):
            return None
        return user

    def refusal(self) -> Response:
        response = jsonify(error="sign in through the dashboard's proxy")
        response.status_code = 403
        return response
