"""SAT's certificates, by number: in process, then the database, then SAT's repository.

A timbre's NoCertificadoSAT names the certificate SAT (or the PAC, with SAT's) signed
SelloSAT with. It is fetched once from ``settings.SATSTATUS_CERTIFICATE_URL`` (SAT's
``rdc.sat.gob.mx/rccf/``, with satcfdi's ``recover_certificate`` path:
``00001/000005/04/46/50/00001000000504465028.cer``), kept in ``SatCertificate`` and in a
per-process dictionary so verifying thousands of timbres reads it once. The sandbox PAC's
stand-in certificate is known without asking anyone.
"""

from __future__ import annotations

import logging
import re
import time

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from satcfdi.models import Certificate

from despacho.pac.sandbox import SANDBOX_CERTIFICATE_STEM, sandbox_certificate_number
from despacho.satstatus.models import SatCertificate

logger = logging.getLogger(__name__)

_NUMBER = re.compile(r"^\d{20}$")
_IN_PROCESS: dict[str, Certificate] = {}
# A number SAT's repository did not give is not asked again by this process for a while:
# a batch of thousands of timbres of one certificate makes one request, not thousands.
_UNAVAILABLE: dict[str, float] = {}
RETRY_AFTER_SECONDS = 600.0


class CertificateUnavailable(Exception):
    """SAT's repository did not give the certificate (it stays unknown; asked again later)."""


def certificate_path(number: str) -> str:
    """satcfdi's path of a certificate in SAT's repository."""
    return f"{number[0:6]}/{number[6:12]}/{number[12:14]}/{number[14:16]}/{number[16:18]}/{number}"


def is_sandbox(number: str) -> bool:
    return number == sandbox_certificate_number()


def _download(number: str) -> bytes:
    url = settings.SATSTATUS_CERTIFICATE_URL.rstrip("/") + "/" + certificate_path(number) + ".cer"
    try:
        response = requests.get(url, timeout=settings.SATSTATUS_TIMEOUT)
    except requests.RequestException as exc:
        raise CertificateUnavailable(exc.__class__.__name__) from None
    if response.status_code != 200:
        raise CertificateUnavailable(f"HTTP {response.status_code}")
    return response.content


def _load(number: str) -> tuple[bytes, Certificate]:
    """The certificate's DER and object: the sandbox's, the database's or SAT's."""
    if is_sandbox(number):
        der = SANDBOX_CERTIFICATE_STEM.with_suffix(".cer").read_bytes()
    else:
        row = SatCertificate.objects.filter(no_certificado=number).only("der").first()
        der = bytes(row.der) if row is not None else _download(number)
    try:
        certificate = Certificate.load_certificate(der)
    except Exception:
        raise CertificateUnavailable("certificado ilegible") from None
    if certificate.certificate_number != number:
        raise CertificateUnavailable("el certificado descargado es de otro número")
    return der, certificate


def sat_certificate(number: str) -> Certificate:
    """SAT's certificate with that number; CertificateUnavailable if it cannot be had."""
    cached = _IN_PROCESS.get(number)
    if cached is not None:
        return cached
    if not _NUMBER.match(number):
        raise CertificateUnavailable("número de certificado inválido")
    failed_at = _UNAVAILABLE.get(number)
    if failed_at is not None and time.monotonic() - failed_at < RETRY_AFTER_SECONDS:
        raise CertificateUnavailable("no disponible hace poco; se pedirá más tarde")
    try:
        der, certificate = _load(number)
    except CertificateUnavailable as exc:
        _UNAVAILABLE[number] = time.monotonic()
        logger.warning("SAT certificate %s unavailable (asked again later): %s", number, exc)
        raise
    if not is_sandbox(number):
        try:
            with transaction.atomic():
                SatCertificate.objects.get_or_create(no_certificado=number, defaults={"der": der})
        except IntegrityError:
            pass  # another worker stored it first: same certificate
    _IN_PROCESS[number] = certificate
    return certificate


def forget_in_process() -> None:
    """Empty the process's dictionaries (tests; a worker never needs to)."""
    _IN_PROCESS.clear()
    _UNAVAILABLE.clear()
