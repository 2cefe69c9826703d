"""Dashboard sessions: an API token exchanged for a signed, HttpOnly cookie (ADR 0017).

The cookie carries the token's SHA-256 (what the token store keys on), a CSRF secret and an
expiry, signed with HMAC-SHA256. Every request looks the token up again, so the page sees the
token's role and jurisdiction as they are now and a revoked token ends its sessions at once;
nothing about a session is kept on the server, so any web worker can serve any request.

The signing key is ``FIVESTAR_UI_SECRET`` when set (several hosts behind one address must
share it); otherwise one random key per ``fivestar serve``, put into the environment before the
web workers start so that they all share it (a restart signs everyone out).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

from api.http.auth import ROLES, Principal, hash_token

COOKIE = "fivestar_ui"
PRE_COOKIE = "fivestar_ui_login"  # the sign-in form's own CSRF secret
SECRET_ENV = "FIVESTAR_UI_SECRET"
LIFETIME = 8 * 3600  # a working day
COOKIE_PATH = "/ui"

# Set once in the process that imports the app first (``fivestar serve``'s supervisor), so
# the web workers it starts inherit the same key.
os.environ.setdefault(SECRET_ENV, secrets.token_hex(32))


def _key() -> bytes:
    return os.environ[SECRET_ENV].encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(payload: dict[str, Any]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(_key(), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def unsign(value: str | None) -> dict[str, Any] | None:
    """The payload of a cookie this server signed and that has not expired; else None."""
    if not value or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    expected = hmac.new(_key(), body.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or payload.get("exp", 0) < time.time():
        return None
    return payload


@dataclass(frozen=True)
class Session:
    token_hash: str
    csrf: str
    expires: int

    @classmethod
    def start(cls, token: str) -> Session:
        return cls(hash_token(token), secrets.token_urlsafe(24), int(time.time()) + LIFETIME)

    def cookie_value(self) -> str:
        return sign({"h": self.token_hash, "c": self.csrf, "exp": self.expires})

    @classmethod
    def from_cookie(cls, value: str | None) -> Session | None:
        payload = unsign(value)
        if payload is None or not isinstance(payload.get("h"), str):
            return None
        return cls(payload["h"], str(payload.get("c", "")), int(payload["exp"]))

    def principal(self, tokens: Any) -> Principal | None:
        """The token's holder as the token store says now (None: revoked or unknown)."""
        stored = tokens.find(self.token_hash)
        if stored is None or stored.revoked_at is not None or stored.role not in ROLES:
            return None
        return Principal.from_token(stored)

    def csrf_ok(self, submitted: str | None) -> bool:
        return bool(submitted) and hmac.compare_digest(self.csrf, str(submitted))


def login_nonce() -> str:
    """A signed nonce for the sign-in form (cookie and hidden field must agree)."""
    return sign({"n": secrets.token_urlsafe(16), "exp": int(time.time()) + 3600})


def login_nonce_ok(cookie: str | None, submitted: str | None) -> bool:
    return (
        bool(cookie)
        and bool(submitted)
        and hmac.compare_digest(str(cookie), str(submitted))
        and unsign(cookie) is not None
    )


def secure_request(scheme: str, forwarded_proto: str | None) -> bool:
    """Behind HTTPS (directly, or a proxy that says so): the cookie gets ``Secure``."""
    proto = (forwarded_proto or "").split(",")[0].strip().lower()
    return scheme == "https" or proto == "https"
