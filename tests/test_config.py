"""Configuration from the environment: EMAIL_URL forms, the generated secret, production checks."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import despacho
from despacho import config


def test_email_url_console_locmem_and_dummy():
    assert config.email_settings("console:") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }
    assert config.email_settings("locmem:")["EMAIL_BACKEND"].endswith("locmem.EmailBackend")
    assert config.email_settings("dummy:")["EMAIL_BACKEND"].endswith("dummy.EmailBackend")


def test_email_url_file_writes_messages_into_a_directory():
    parsed = config.email_settings("file:///var/tmp/correo%20saliente")
    assert parsed["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
    assert parsed["EMAIL_FILE_PATH"] == "/var/tmp/correo saliente"


def test_email_url_smtp_with_credentials_and_port():
    parsed = config.email_settings("smtp://user%40example.mx:p%40ss%3Aw@mail.example.mx:2525")
    assert parsed == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.mx",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "user@example.mx",
        "EMAIL_HOST_PASSWORD": "p@ss:w",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
    }


def test_email_url_smtp_defaults_to_port_25_without_credentials():
    parsed = config.email_settings("smtp://localhost")
    assert (parsed["EMAIL_HOST"], parsed["EMAIL_PORT"]) == ("localhost", 25)
    assert (parsed["EMAIL_HOST_USER"], parsed["EMAIL_HOST_PASSWORD"]) == ("", "")


def test_email_url_starttls_and_implicit_tls():
    tls = config.email_settings("smtp+tls://mail.example.mx:587")
    assert (tls["EMAIL_USE_TLS"], tls["EMAIL_USE_SSL"], tls["EMAIL_PORT"]) == (True, False, 587)
    ssl = config.email_settings("smtp+ssl://mail.example.mx")
    assert (ssl["EMAIL_USE_TLS"], ssl["EMAIL_USE_SSL"], ssl["EMAIL_PORT"]) == (False, True, 465)


def test_email_url_from_parameter_sets_the_sender():
    parsed = config.email_settings("console:?from=Despacho%20%3Cavisos%40example.mx%3E")
    assert parsed["DEFAULT_FROM_EMAIL"] == "Despacho <avisos@example.mx>"


def test_an_unknown_email_url_scheme_is_an_error():
    with pytest.raises(ValueError, match="unsupported scheme: 'sendgrid'"):
        config.email_settings("sendgrid://key")


def test_secret_key_is_generated_once_into_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.secret_key(tmp_path)
    assert len(first) >= 50
    assert config.secret_key(tmp_path) == first
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_secret_key_from_the_environment_wins_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "desde-el-entorno")
    assert config.secret_key(tmp_path) == "desde-el-entorno"
    assert not (tmp_path / "secret_key").exists()


def test_the_vault_key_is_generated_once_into_the_data_dir(tmp_path, monkeypatch):
    from cryptography.fernet import Fernet

    monkeypatch.delenv("DESPACHO_VAULT_KEY", raising=False)
    first = config.vault_keys(tmp_path)
    assert len(first) == 1
    Fernet(first[0])  # a valid Fernet key
    assert config.vault_keys(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "vault_key").stat().st_mode) == 0o600


def test_vault_keys_from_the_environment_are_newest_first_and_write_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("DESPACHO_VAULT_KEY", " nueva , vieja ")
    assert config.vault_keys(tmp_path) == ["nueva", "vieja"]
    assert not (tmp_path / "vault_key").exists()


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("sí", True), ("on", True), ("0", False), ("", False)]
)
def test_boolean_variables(monkeypatch, raw, expected):
    monkeypatch.setenv("DESPACHO_X", raw)
    assert config.env_bool("DESPACHO_X") is expected


def test_list_variables(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " a.example , b.example,,")
    assert config.env_list("ALLOWED_HOSTS", ["x"]) == ["a.example", "b.example"]
    monkeypatch.delenv("ALLOWED_HOSTS")
    assert config.env_list("ALLOWED_HOSTS", ["x"]) == ["x"]


def _despacho(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DESPACHO_", "SECRET", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    clean.pop("DATABASE_URL", None)
    # The code under test, not whatever copy the virtualenv has installed.
    source = str(Path(despacho.__file__).resolve().parents[1])
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [source, clean.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "despacho", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DESPACHO_DEBUG": "0",
    "SECRET_KEY": "prueba-" + "k" * 60,
    "ALLOWED_HOSTS": "despacho.example",
    "SITE_URL": "https://despacho.example",
    "DESPACHO_PAC": "finkok",
    "DESPACHO_PAC_USER": "despacho",
    "DESPACHO_PAC_PASSWORD": "secreta",
}


def test_deploy_checks_are_silent_with_production_settings(tmp_path):
    result = _despacho(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {**PRODUCTION, "DESPACHO_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_checks_warn_that_the_sandbox_pac_stamps_without_fiscal_validity(tmp_path):
    environ = {**PRODUCTION, "DESPACHO_DATA_DIR": str(tmp_path), "DESPACHO_PAC": "sandbox"}
    result = _despacho(["check", "--deploy", "--fail-level", "WARNING"], environ)
    assert result.returncode != 0
    assert "pac.W001" in result.stdout + result.stderr


def test_production_hashes_passwords_with_argon2(tmp_path):
    code = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    result = _despacho(["shell", "-c", code], {**PRODUCTION, "DESPACHO_DATA_DIR": str(tmp_path)})
    assert (
        result.stdout.strip().splitlines()[-1] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    ), result.stderr


# --- where emailed links point -------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8100"}, "http://127.0.0.1:8100"),
        ({"HOST": "localhost", "PORT": "8100"}, "http://localhost:8100"),
        ({"HOST": "0.0.0.0", "PORT": "9000"}, "http://127.0.0.1:9000"),
        ({"HOST": "::1", "PORT": "8100"}, "http://[::1]:8100"),
        ({"HOST": "[::1]"}, "http://[::1]:8000"),
        ({"HOST": "::", "PORT": "8100"}, "http://[::1]:8100"),
        ({"SITE_URL": "", "PORT": "8100"}, "http://127.0.0.1:8100"),
    ],
)
def test_links_follow_the_host_and_port_the_server_runs_on_when_site_url_is_unset(
    environ, expected
):
    assert config.site_url(environ) == expected


def test_an_explicit_site_url_wins_over_host_and_port_without_its_trailing_slash():
    environ = {"SITE_URL": "https://despacho.example/", "HOST": "0.0.0.0", "PORT": "8100"}
    assert config.site_url(environ) == "https://despacho.example"


def test_the_app_started_on_another_port_mails_links_to_that_port(tmp_path):
    code = "from django.conf import settings; print(settings.SITE_URL)"
    result = _despacho(
        ["shell", "-c", code],
        {"SITE_URL": "", "HOST": "", "PORT": "8100", "DESPACHO_DATA_DIR": str(tmp_path)},
    )
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8100", result.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_passes_host_and_port_to_every_command_it_runs():
    root = Path(__file__).resolve().parents[1]
    plan = subprocess.run(
        ["make", "-n", "-C", str(root), "run", "HOST=localhost", "PORT=8100"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    commands = [line for line in plan.splitlines() if "bin/despacho " in line]
    assert [c.split("bin/despacho ")[1].split()[0] for c in commands] == [
        "migrate",
        "demo",
        "runserver",
    ]
    for command in commands:
        assert "HOST=localhost PORT=8100 " in command, command


def _modes(paths: list[Path]) -> dict[str, str]:
    return {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in paths}


def test_the_data_dir_the_database_the_secret_and_stored_files_are_the_owners_alone(tmp_path):
    data = tmp_path / "datos"
    code = (
        "from django.core.files.base import ContentFile; "
        "from django.core.files.storage import default_storage; "
        "from django.db import connection; "
        "connection.ensure_connection(); connection.cursor().execute('create table t (x int)'); "
        "print(default_storage.save('cfdi/7/factura.xml', ContentFile(b'<x/>')))"
    )
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _despacho(["shell", "-c", code], {**env, "DESPACHO_DATA_DIR": str(data)})
    assert result.returncode == 0, result.stderr
    media = data / "media"
    assert _modes([data, media / "cfdi", media / "cfdi" / "7"]) == {
        "datos": "0o700",
        "cfdi": "0o700",
        "7": "0o700",
    }
    assert _modes(
        [data / "despacho.sqlite3", data / "secret_key", media / "cfdi" / "7" / "factura.xml"]
    ) == {"despacho.sqlite3": "0o600", "secret_key": "0o600", "factura.xml": "0o600"}


def test_a_data_dir_made_before_the_rule_is_narrowed_at_start(tmp_path):
    data = tmp_path / "datos"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    for name in ("despacho.sqlite3", "secret_key"):
        (data / name).write_text("x" * 64)
        (data / name).chmod(0o644)
    result = _despacho(["shell", "-c", "print('ok')"], {"DESPACHO_DATA_DIR": str(data)})
    assert result.returncode == 0, result.stderr
    assert _modes([data, data / "despacho.sqlite3", data / "secret_key"]) == {
        "datos": "0o700",
        "despacho.sqlite3": "0o600",
        "secret_key": "0o600",
    }


@pytest.mark.parametrize(
    ("behind_proxy", "expected"), [("", None), ("1", ["HTTP_X_FORWARDED_PROTO", "https"])]
)
def test_x_forwarded_proto_is_trusted_only_behind_a_named_proxy(tmp_path, behind_proxy, expected):
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)))"
    )
    env = {**PRODUCTION, "DESPACHO_DATA_DIR": str(tmp_path), "DESPACHO_BEHIND_PROXY": behind_proxy}
    result = _despacho(["shell", "-c", code], env)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected
