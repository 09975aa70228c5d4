"""Every write on seals: upload, remove, and the one place a private key signs.

A refusal is a ``ValidationError`` naming the field (``cer``, ``key``, ``password``,
``kind``) and the rule in Spanish; none of them quotes the key, the password or the
files. The audit's before/after holds metadata only (kind, serial, RFC, validity).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from despacho.access.catalog import Perm
from despacho.access.decisions import can, may_manage
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.people.models import User
from despacho.seals import vault
from despacho.seals.models import Certificate, SealKind
from despacho.tenancy.models import Company

KIND_NAMES = {SealKind.CSD: "CSD", SealKind.FIEL: "e.firma"}
# The hashes seal_sign signs with: SHA-256 for CFDI seals, SHA-1 for SAT's XMLDSig requests.
SIGNATURE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha1": hashes.SHA1,
}


@dataclass(frozen=True)
class _Parsed:
    """What an upload proved, before it is stored (the key still in memory only)."""

    kind: SealKind | None
    serial: str
    rfc: str
    holder: str
    valid_from: datetime
    valid_to: datetime
    certificate_der: bytes
    key: rsa.RSAPrivateKey = field(repr=False)


def _day(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j \\d\\e F \\d\\e Y")


def _load_certificate(cer: bytes) -> x509.Certificate:
    for loader in (x509.load_der_x509_certificate, x509.load_pem_x509_certificate):
        try:
            return loader(cer)
        except ValueError:
            continue
    raise ValidationError(
        {
            "cer": _(
                "El archivo .cer no es un certificado del SAT: sube el .cer tal cual te lo "
                "entregó el SAT."
            )
        }
    )


@sensitive_variables("key", "password", "loaded")
def _load_key(key: bytes, password: str) -> rsa.RSAPrivateKey:
    if not key or key[:1] != b"\x30":  # every DER structure starts with a SEQUENCE
        raise ValidationError(
            {"key": _("El archivo .key no es una llave privada del SAT (formato DER).")}
        )
    try:
        loaded = serialization.load_der_private_key(key, password=password.encode() or None)
    except TypeError:  # a key without a password (SAT never issues one, but it is a key)
        try:
            loaded = serialization.load_der_private_key(key, password=None)
        except (TypeError, ValueError):
            raise ValidationError(
                {"key": _("El archivo .key no es una llave privada del SAT (formato DER).")}
            ) from None
    except ValueError:
        raise ValidationError(
            {
                "password": _(
                    "La contraseña no abre la llave privada (.key). Escribe la contraseña "
                    "de la llave que te dio el SAT, respetando mayúsculas y minúsculas."
                )
            }
        ) from None
    except Exception:  # an unsupported algorithm or a damaged file
        raise ValidationError(
            {"key": _("El archivo .key no es una llave privada del SAT (formato DER).")}
        ) from None
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValidationError({"key": _("La llave privada del SAT debe ser RSA.")})
    return loaded


def _public_der(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@sensitive_variables("key", "password", "private_key", "signer")
def _parse(cer: bytes, key: bytes, password: str) -> _Parsed:
    from OpenSSL import crypto
    from satcfdi.models import Signer
    from satcfdi.models.certificate import CertificateType

    certificate = _load_certificate(cer)
    private_key = _load_key(key, password)
    if _public_der(private_key.public_key()) != _public_der(certificate.public_key()):
        raise ValidationError(
            {
                "key": _(
                    "La llave privada (.key) no corresponde al certificado (.cer): sube los "
                    "dos archivos del mismo certificado."
                )
            }
        )
    signer = Signer(crypto.X509.from_cryptography(certificate), private_key, check=False)
    kind = {CertificateType.CSD: SealKind.CSD, CertificateType.Fiel: SealKind.FIEL}.get(signer.type)
    return _Parsed(
        kind=kind,
        serial=str(signer.certificate_number or ""),
        rfc=str(signer.rfc or "").upper(),
        holder=str(signer.legal_name or ""),
        valid_from=certificate.not_valid_before_utc,
        valid_to=certificate.not_valid_after_utc,
        certificate_der=certificate.public_bytes(serialization.Encoding.DER),
        key=private_key,
    )


def _check(parsed: _Parsed, *, company: Company, kind: SealKind) -> None:
    if parsed.kind is None:
        raise ValidationError(
            {"cer": _("El certificado no es un CSD ni una e.firma emitidos por el SAT.")}
        )
    if parsed.kind != kind:
        raise ValidationError(
            {
                "kind": _(
                    "El certificado es de %(actual)s, no de %(asked)s: elige «%(actual)s» "
                    "o sube los archivos de %(asked)s."
                )
                % {"actual": KIND_NAMES[parsed.kind], "asked": KIND_NAMES[kind]}
            }
        )
    if parsed.rfc != company.rfc.upper():
        raise ValidationError(
            {
                "cer": _(
                    "El certificado es del RFC %(cert_rfc)s y la empresa tiene el RFC "
                    "%(company_rfc)s: sube el certificado de esta empresa."
                )
                % {"cert_rfc": parsed.rfc or "—", "company_rfc": company.rfc}
            }
        )
    if settings.DESPACHO_SEALS_SANDBOX:
        return  # SAT's public test certificates are expired: the sandbox accepts them
    now = timezone.now()
    if now < parsed.valid_from:
        raise ValidationError(
            {
                "cer": _("El certificado aún no es vigente: su vigencia empieza el %(day)s.")
                % {"day": _day(parsed.valid_from)}
            }
        )
    if now >= parsed.valid_to:
        raise ValidationError(
            {
                "cer": _("El certificado venció el %(day)s: tramita uno nuevo en el SAT y súbelo.")
                % {"day": _day(parsed.valid_to)}
            }
        )


def _metadata(certificate: Certificate) -> dict[str, str]:
    """What the audit keeps of a certificate: never its key."""
    return {
        "seal": certificate.kind,
        "serial": certificate.serial,
        "rfc": certificate.rfc,
        "valid_from": certificate.valid_from.isoformat(),
        "valid_to": certificate.valid_to.isoformat(),
    }


def _require_manager(actor: User, company: Company) -> None:
    if not (can(actor, company, Perm.DATOS_MAESTROS) and may_manage(actor, company.account_id)):
        raise PermissionDenied(
            _("Solo el propietario y los administradores de la cuenta suben o eliminan sellos.")
        )


@sensitive_variables("key", "password", "parsed", "plain")
def certificate_upload(
    *, company: Company, actor: User, kind: SealKind | str, cer: bytes, key: bytes, password: str
) -> Certificate:
    """Check the pair and store it: the key decrypted with ``password`` and re-encrypted by
    the vault (the password itself is not kept)."""
    _require_manager(actor, company)
    if kind not in SealKind.values:
        raise ValidationError({"kind": _("Elige si es CSD o e.firma.")})
    kind = SealKind(kind)
    parsed = _parse(cer, key, password)
    _check(parsed, company=company, kind=kind)
    plain = parsed.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    sealed = vault.seal(plain)
    del plain
    duplicate = ValidationError(
        {
            "cer": _("Este certificado (número %(serial)s) ya está registrado en la empresa.")
            % {"serial": parsed.serial}
        }
    )
    if Certificate.objects.filter(company=company, serial=parsed.serial).exists():
        raise duplicate
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                company=company,
                kind=kind,
                serial=parsed.serial,
                rfc=parsed.rfc,
                holder=parsed.holder[:300],
                valid_from=parsed.valid_from,
                valid_to=parsed.valid_to,
                certificate_der=parsed.certificate_der,
                sealed_key=sealed,
                uploaded_by=actor,
            )
            audit_record(
                actor=actor,
                action=Action.SEAL_UPLOADED,
                account=company.account,
                company=company,
                target=certificate,
                after=_metadata(certificate),
            )
    except IntegrityError:  # the same certificate uploaded twice at once
        raise duplicate from None
    return certificate


@transaction.atomic
def certificate_remove(*, certificate: Certificate, actor: User) -> None:
    """Delete the certificate and its key; the audit keeps what it was (metadata)."""
    company = certificate.company
    _require_manager(actor, company)
    before = _metadata(certificate)
    audit_record(
        actor=actor,
        action=Action.SEAL_REMOVED,
        account=company.account,
        company=company,
        target=certificate,
        before=before,
    )
    certificate.delete()


def signing_certificate(*, company: Company, kind: SealKind | str) -> Certificate:
    """The certificate ``seal_sign`` uses: the company's current one of that kind that
    expires last (in sandbox mode, expired ones count too). ValidationError if none."""
    kind = SealKind(kind)
    candidates = Certificate.objects.filter(company=company, kind=kind)
    if not settings.DESPACHO_SEALS_SANDBOX:
        now = timezone.now()
        candidates = candidates.filter(valid_from__lte=now, valid_to__gt=now)
    found = candidates.order_by("-valid_to", "-id").first()
    if found is None:
        raise ValidationError(
            {
                "kind": _("La empresa no tiene un %(kind)s vigente: súbelo en Sellos y e.firma.")
                % {"kind": KIND_NAMES[kind]}
            }
        )
    return found


@sensitive_variables("private_key")
def seal_sign(
    *,
    company: Company,
    kind: SealKind | str,
    data: bytes,
    actor: User | None,
    purpose: str,
    certificate: Certificate | None = None,
    algorithm: str = "sha256",
) -> bytes:
    """Sign ``data`` (RSA PKCS#1 v1.5, SHA-256) with the company's seal of ``kind``.

    ``algorithm="sha1"`` is for the one SAT request signed RSA-SHA1 (the XMLDSig of a
    Cancelacion, ``pac/cancelrequest.py``); everything else (the CFDI's Sello) is SHA-256.

    The key is decrypted in this function's memory only and the use is audited: who
    (``actor``; None for the system), what (``purpose``, the data's size and SHA-256, the
    certificate) and when. The caller checks its own permission (issuing asks Facturar,
    the SAT connection its own): signing is what those features do, not Datos maestros.
    ``certificate`` (from ``signing_certificate``) pins the one the caller already named in
    the document; it must be the company's and of ``kind``.
    """
    kind = SealKind(kind)
    if algorithm not in SIGNATURE_HASHES:
        raise ValueError(f"unsupported signature algorithm {algorithm!r}")
    if certificate is None:
        certificate = signing_certificate(company=company, kind=kind)
    elif certificate.company_id != company.pk or certificate.kind != kind:
        raise ValidationError({"kind": _("Ese certificado no es de la empresa.")})
    # Validated when it was uploaded (loaded, checked against its certificate), and the
    # vault's token is authenticated (HMAC): re-validating the RSA key on every signature
    # would cost ~135 ms of the ~3 ms a signature takes (docs/apps/seals.md).
    private_key = serialization.load_der_private_key(
        vault.unseal(certificate.sealed_key), password=None, unsafe_skip_rsa_key_validation=True
    )
    assert isinstance(private_key, rsa.RSAPrivateKey)
    signature = private_key.sign(data, padding.PKCS1v15(), SIGNATURE_HASHES[algorithm]())
    del private_key
    # One INSERT is atomic by itself: no savepoint (two round trips) inside a caller's
    # transaction, which rolls back whole if it fails.
    with transaction.atomic(savepoint=False):
        audit_record(
            actor=actor,
            action=Action.SEAL_USED,
            account=company.account,
            company=company,
            target=certificate,
            after={
                "seal": certificate.kind,
                "serial": certificate.serial,
                "purpose": purpose[:200],
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )
    return signature


def vault_rotate() -> int:
    """Re-encrypt every stored key with the vault's newest key; how many were rewritten."""
    count = 0
    with transaction.atomic():
        for certificate in Certificate.objects.select_for_update().only("pk", "sealed_key"):
            Certificate.objects.filter(pk=certificate.pk).update(
                sealed_key=vault.reseal(certificate.sealed_key)
            )
            count += 1
    return count
