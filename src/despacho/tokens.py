"""Single-use tokens: minted at random, stored only as a SHA-256."""

from __future__ import annotations

import hashlib
import secrets


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_mint() -> tuple[str, str]:
    """A fresh token and its hash."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)
