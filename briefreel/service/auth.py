"""Bearer-token auth. Keys come from ``BRIEFREEL_API_KEY`` (several, comma-separated, so they can be rotated).

A request is identified by a key id (a short hash of its key), never by the key itself: the id owns jobs and
is what the rate limiter counts and the log shows.
"""

from __future__ import annotations

import hashlib
import hmac


def key_id(key: str) -> str:
    return "k_" + hashlib.sha256(key.encode()).hexdigest()[:12]


class KeyRing:
    def __init__(self, keys: tuple[str, ...] | list[str], allow_anonymous: bool = False):
        self._ids = {key_id(k): k for k in keys}
        self.allow_anonymous = allow_anonymous

    def identify(self, authorization: str | None) -> str | None:
        """The key id for an ``Authorization`` header value, or None when it does not carry a valid key."""
        if not self._ids:
            return "anonymous" if self.allow_anonymous else None
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        token = token.strip()
        found = None
        for kid, key in self._ids.items():  # compare with every key, in constant time
            if hmac.compare_digest(token.encode(), key.encode()):
                found = kid
        return found
