"""Keys at rest: encrypted by the vault, rotated by a command, used only by seal_sign, and
never shown — not in the database row, the audit, the logs, repr, a page or the API."""

from __future__ import annotations

import base64
import logging

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.core.exceptions import ValidationError
from django.core.management import call_command
from satcfdi.models import Signer

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.seals import vault
from despacho.seals.models import Certificate, SealKind
from despacho.seals.services import certificate_upload, seal_sign, signing_certificate
from tests.factories import make_account, owner_of
from tests.seals.samples import EKU, company_of, pair

pytestmark = pytest.mark.django_db

DATA = b"||4.0|A|1|2026-12-04T10:00:00|...||"


@pytest.fixture
def uploaded(settings):
    settings.DESPACHO_SEALS_SANDBOX = True
    company = company_of(make_account(), EKU)
    sample = pair(EKU, "csd")
    certificate = certificate_upload(
        company=company,
        actor=owner_of(company.account),
        kind=SealKind.CSD,
        cer=sample.cer,
        key=sample.key,
        password=sample.password,
    )
    return certificate


def _secrets() -> list[bytes]:
    """Every form of the key and its password that must never be stored or shown."""
    sample = pair(EKU, "csd")
    signer = Signer.load(sample.cer, sample.key, sample.password)
    plain = signer.key_bytes()  # PKCS#8 DER, unencrypted
    pem = signer.key_bytes(encoding=serialization.Encoding.PEM)
    return [
        sample.key,
        plain,
        pem,
        base64.b64encode(sample.key),
        base64.b64encode(plain),
        sample.password.encode(),
    ]


def _expected_signature(data: bytes) -> bytes:
    sample = pair(EKU, "csd")
    signer = Signer.load(sample.cer, sample.key, sample.password)
    return base64.b64decode(signer.sign_sha256(data))


def test_the_stored_blob_holds_neither_the_key_nor_its_password(uploaded):
    row = Certificate.objects.get(pk=uploaded.pk)
    blob = bytes(row.sealed_key)
    for secret in _secrets():
        assert secret not in blob
    sample = pair(EKU, "csd")
    assert bytes(row.certificate_der) == sample.cer  # the public part stays as SAT issued it
    assert "sealed_key" not in repr(row) and str(blob[:20]) not in repr(row)


def test_seal_sign_signs_with_the_companys_key_and_the_certificate_verifies_it(uploaded):
    company = uploaded.company
    signature = seal_sign(
        company=company, kind="csd", data=DATA, actor=owner_of(company.account), purpose="prueba"
    )
    assert signature == _expected_signature(DATA)
    sample = pair(EKU, "csd")
    Signer.load(sample.cer, sample.key, sample.password).public_key().verify(
        signature, DATA, padding.PKCS1v15(), hashes.SHA256()
    )


def test_every_signature_is_audited_with_who_what_and_when(uploaded):
    company = uploaded.company
    owner = owner_of(company.account)
    seal_sign(company=company, kind="csd", data=DATA, actor=owner, purpose="CFDI A-1")
    seal_sign(company=company, kind="csd", data=b"otro", actor=None, purpose="tarea")
    used = list(AuditEvent.objects.filter(action=Action.SEAL_USED).order_by("id"))
    assert [(e.actor, e.company, e.target_id) for e in used] == [
        (owner, company, str(uploaded.pk)),
        (None, company, str(uploaded.pk)),
    ]
    assert used[0].after["purpose"] == "CFDI A-1"
    assert used[0].after["size"] == len(DATA)
    assert len(used[0].after["sha256"]) == 64
    assert used[0].occurred_at is not None


def test_without_a_current_seal_signing_is_refused_in_spanish(settings, uploaded):
    settings.DESPACHO_SEALS_SANDBOX = False  # the test CSD expired in 2023
    with pytest.raises(ValidationError) as caught:
        seal_sign(company=uploaded.company, kind="csd", data=DATA, actor=None, purpose="x")
    assert caught.value.message_dict["kind"] == [
        "La empresa no tiene un CSD vigente: súbelo en Sellos y e.firma."
    ]
    with pytest.raises(ValidationError):
        signing_certificate(company=uploaded.company, kind=SealKind.FIEL)


def test_rotation_re_encrypts_every_key_and_signing_still_works(settings, uploaded):
    old_key = settings.DESPACHO_VAULT_KEYS[0]
    before = bytes(Certificate.objects.get(pk=uploaded.pk).sealed_key)
    new_key = Fernet.generate_key().decode()
    settings.DESPACHO_VAULT_KEYS = [new_key, old_key]
    call_command("vault_rotate", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = bytes(Certificate.objects.get(pk=uploaded.pk).sealed_key)
    assert after != before
    # The old key alone no longer opens it; the new key alone does.
    settings.DESPACHO_VAULT_KEYS = [old_key]
    with pytest.raises(vault.VaultError):
        vault.unseal(after)
    settings.DESPACHO_VAULT_KEYS = [new_key]
    signature = seal_sign(
        company=uploaded.company, kind="csd", data=DATA, actor=None, purpose="tras rotar"
    )
    assert signature == _expected_signature(DATA)


def test_no_secret_reaches_the_audit_or_the_logs(uploaded, caplog):
    caplog.set_level(logging.DEBUG)
    seal_sign(company=uploaded.company, kind="csd", data=DATA, actor=None, purpose="x")
    events = "".join(
        f"{e.before}{e.after}{e.target_label}"
        for e in AuditEvent.objects.filter(company=uploaded.company)
    )
    for secret in _secrets():
        assert secret.decode("latin-1") not in events
        assert secret.decode("latin-1") not in caplog.text


def test_a_vault_key_that_is_not_a_fernet_key_fails_the_system_check(settings):
    from despacho.seals.apps import vault_keys_check

    assert vault_keys_check() == []
    settings.DESPACHO_VAULT_KEYS = ["no-es-una-llave"]
    (error,) = vault_keys_check()
    assert error.id == "seals.E001" and "Fernet" in error.msg
    settings.DESPACHO_VAULT_KEYS = []
    assert vault_keys_check()[0].id == "seals.E001"
