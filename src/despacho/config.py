"""Configuration read from environment variables, with safe defaults.

Kept apart from settings.py so the parsing rules are testable and documented
in one place (see README, "Configuration").
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TRUE_WORDS = {"1", "true", "yes", "on", "si", "sí"}


def env_bool(name: str, default: bool = False) -> bool:
    """Return the boolean value of an environment variable."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in TRUE_WORDS


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated environment variable as a list."""
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


# A server bound to every interface is reached, on the machine itself, at loopback.
_WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


def site_url(environ: Mapping[str, str]) -> str:
    """The absolute base of links in emails: ``SITE_URL``, or where ``make run`` serves.

    Unset, it follows ``HOST`` and ``PORT`` (the Makefile passes them to every command of
    ``make run``; defaults 127.0.0.1 and 8000), so ``PORT=8100 make run`` mails links that
    reach port 8100. An IPv6 host gets its brackets; a wildcard host becomes loopback.
    """
    explicit = (environ.get("SITE_URL") or "").strip()
    if explicit:
        return explicit.rstrip("/")
    host = (environ.get("HOST") or "127.0.0.1").strip().strip("[]")
    host = _WILDCARD_HOSTS.get(host, host)
    port = (environ.get("PORT") or "8000").strip()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def data_dir() -> Path:
    """The directory for the embedded database, generated secret and local files: only the
    process's user may read it (0700), and what the process creates from now on is its
    user's alone (umask 077: the SQLite file and its journals, media folders and files)."""
    os.umask(0o077)
    path = Path(os.environ.get("DESPACHO_DATA_DIR") or "var").resolve()
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    _restrict(path, PRIVATE_DIR_MODE)
    # Made before this rule (0644 by a common umask): close what is already there.
    for name in ("despacho.sqlite3", "secret_key", "vault_key"):
        _restrict(path / name, PRIVATE_FILE_MODE)
    return path


def _restrict(path: Path, mode: int) -> None:
    """Narrow ``path`` to ``mode`` if it exists, is ours and is wider (never widen)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and info.st_mode & 0o777 & ~mode:
        path.chmod(mode)


def secret_key(directory: Path) -> str:
    """SECRET_KEY from the environment, or one generated once into the data directory."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = directory / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting together must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(64))
    return key_file.read_text().strip()


def vault_keys(directory: Path) -> list[str]:
    """The vault's Fernet keys, newest first: ``DESPACHO_VAULT_KEY`` (comma-separated), or
    the lines of one generated once into the data directory (``make run``'s embedded mode).

    The first key encrypts; every key decrypts. To rotate, put the new key first and the
    old after it, run ``despacho vault_rotate``, then drop the old one (docs/apps/seals.md).
    """
    from_env = os.environ.get("DESPACHO_VAULT_KEY")
    if from_env and from_env.strip():
        return [key.strip() for key in from_env.split(",") if key.strip()]
    key_file = directory / "vault_key"
    if not key_file.exists():
        from cryptography.fernet import Fernet

        # O_EXCL: two processes starting together must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(Fernet.generate_key().decode() + "\n")
    lines = key_file.read_text().splitlines()
    return [line.strip() for line in lines if line.strip()]


def email_settings(url: str) -> dict[str, Any]:
    """Translate EMAIL_URL into Django's EMAIL_* settings.

    Accepted forms: ``console:``, ``locmem:``, ``dummy:``, ``file:///path``,
    ``smtp://user:password@host:port``, ``smtp+tls://…`` (STARTTLS) and
    ``smtp+ssl://…`` (implicit TLS). Query ``?from=`` sets DEFAULT_FROM_EMAIL.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = parse_qs(parts.query)
    result: dict[str, Any] = {}
    if "from" in query:
        result["DEFAULT_FROM_EMAIL"] = query["from"][0]
    simple = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if scheme in simple:
        result["EMAIL_BACKEND"] = simple[scheme]
        return result
    if scheme == "file":
        result["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
        result["EMAIL_FILE_PATH"] = unquote(parts.path)
        return result
    if scheme in {"smtp", "smtp+tls", "smtp+ssl"}:
        result["EMAIL_BACKEND"] = "django.core.mail.backends.smtp.EmailBackend"
        result["EMAIL_HOST"] = parts.hostname or "localhost"
        result["EMAIL_PORT"] = parts.port or (465 if scheme == "smtp+ssl" else 25)
        result["EMAIL_HOST_USER"] = unquote(parts.username or "")
        result["EMAIL_HOST_PASSWORD"] = unquote(parts.password or "")
        result["EMAIL_USE_TLS"] = scheme == "smtp+tls"
        result["EMAIL_USE_SSL"] = scheme == "smtp+ssl"
        result["EMAIL_TIMEOUT"] = 10
        return result
    raise ValueError(f"EMAIL_URL has an unsupported scheme: {scheme!r}")
