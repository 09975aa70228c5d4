"""The vault: secrets at rest encrypted with the keys of ``DESPACHO_VAULT_KEYS``.

Fernet (AES-128-CBC with HMAC-SHA256) through ``MultiFernet``: the first key encrypts,
every key decrypts, so a new key goes first and ``despacho vault_rotate`` re-encrypts every
stored token with it (docs/apps/seals.md). Tokens are opaque bytes; what they hold lives
decrypted only in the memory of the function that asked.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class VaultError(Exception):
    """A token none of the configured keys opens (a key was dropped too early)."""


def _vault() -> MultiFernet:
    keys = list(getattr(settings, "DESPACHO_VAULT_KEYS", []) or [])
    if not keys:
        raise ImproperlyConfigured("DESPACHO_VAULT_KEY is empty: the vault has no key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "DESPACHO_VAULT_KEY must be Fernet keys (32 bytes, url-safe base64), comma-separated."
        ) from None


def seal(secret: bytes) -> bytes:
    """Encrypt with the newest key."""
    return _vault().encrypt(secret)


def unseal(token: bytes | memoryview) -> bytes:
    """Decrypt with whichever key made it; VaultError if none does."""
    try:
        return _vault().decrypt(bytes(token))
    except InvalidToken:
        raise VaultError("No vault key opens this token.") from None


def reseal(token: bytes | memoryview) -> bytes:
    """The same secret, encrypted with the newest key."""
    try:
        return _vault().rotate(bytes(token))
    except InvalidToken:
        raise VaultError("No vault key opens this token.") from None


def check_keys() -> str:
    """ "" if the configured keys make a vault; otherwise why not (for the system check)."""
    try:
        _vault()
    except ImproperlyConfigured as exc:
        return str(exc)
    return ""
