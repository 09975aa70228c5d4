"""Verifying the comprobante's seal with the certificate the file carries.

The cadena original comes from the SAT's own XSLT as packaged by satcfdi,
applied to the tree exactly as received (satcfdi's ``CFDI.cadena_original``
would rebuild the XML from its object model first, slower and one step removed
from the original). The certificate is read with satcfdi's ``Certificate`` once per
distinct Certificado (``_certificate``, a bounded per-process cache keyed by the
certificate's own bytes: a batch of thousands from one issuer reads it once), and the RSA
check calls ``cryptography`` directly on the cadena.

What is checked: the Sello against the cadena original with the Certificado's
public key (SHA-256; SHA-1 too for 3.2), that the certificate belongs to the
emisor's RFC, and that the timbre's SelloCFD is the comprobante's Sello.

A stamped comprobante without its Sello or Certificado is not a pass: it is
``MISSING``, which ingestion treats like an invalid seal (stored only when
confirmed, flagged unverified). What is not checked: the timbre's own SelloSAT
(the SAT certificate is not in the file) and the certificate's chain to the
SAT's CA (next step: satcfdi's CertificateStore).
"""

from __future__ import annotations

import base64
import enum
import logging
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from lxml import etree
from satcfdi.exceptions import CFDIError
from satcfdi.models import Certificate
from satcfdi.transform import xslt_transform

from despacho.cfdi.parsing import TFD, CfdiIndex

logger = logging.getLogger(__name__)


class SealCheck(enum.Enum):
    VERIFIED = "verified"
    INVALID = "invalid"
    MISSING = "missing"  # no Sello or no Certificado: nothing to verify

    @property
    def verified(self) -> bool:
        """The row's ``seal_verified``: only a verified seal is True."""
        return self is SealCheck.VERIFIED


@dataclass(frozen=True)
class _Certificate:
    """What the seal check needs of a certificate: its public key and the RFC it names."""

    public_key: PublicKeyTypes
    rfc: str | None

    def verifies(self, data: bytes, signature: bytes, algorithm: hashes.HashAlgorithm) -> bool:
        if not isinstance(self.public_key, rsa.RSAPublicKey):
            raise TypeError("the certificate's key is not RSA")  # as satcfdi's verify fails
        try:
            self.public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            return False
        return True


@lru_cache(maxsize=512)
def _certificate(certificate_b64: str) -> _Certificate:
    """The Certificado attribute's certificate, read once per process (keyed by its bytes)."""
    certificate = Certificate.load_certificate(base64.b64decode(certificate_b64))
    rfc = certificate.rfc
    return _Certificate(
        public_key=certificate.public_key(), rfc=None if rfc is None else str(rfc).upper()
    )


def seal_check(root: etree._Element, index: CfdiIndex) -> SealCheck:
    """Whether the comprobante's seal verifies with the certificate it carries."""
    legacy = index.version == "3.2"
    certificate_b64 = (root.get("certificado" if legacy else "Certificado") or "").strip()
    sello_b64 = (root.get("sello" if legacy else "Sello") or "").strip()
    if not certificate_b64 or not sello_b64:
        return SealCheck.MISSING
    try:
        transform = xslt_transform(root.tag, index.version)
    except CFDIError:
        return SealCheck.INVALID  # a seal nobody can check is not a pass
    try:
        certificate = _certificate(certificate_b64)
        signature = base64.b64decode(sello_b64)
    except Exception:
        logger.info("CFDI %s: certificate or seal cannot be decoded", index.uuid)
        return SealCheck.INVALID
    cadena = str(transform(root)).encode("utf-8")
    valid = certificate.verifies(cadena, signature, hashes.SHA256()) or (
        # CFDI 3.2 was sealed with SHA-1: verifying old documents, not choosing a hash.
        legacy and certificate.verifies(cadena, signature, hashes.SHA1())  # noqa: S303
    )
    if not valid:
        return SealCheck.INVALID
    if certificate.rfc is not None and certificate.rfc != index.emisor_rfc:
        return SealCheck.INVALID
    tfd = root.find(f".//{{{TFD}}}TimbreFiscalDigital")
    # TimbreFiscalDigital 1.0 spells it selloCFD.
    sello_cfd = None if tfd is None else (tfd.get("SelloCFD") or tfd.get("selloCFD"))
    if sello_cfd is not None and sello_cfd != sello_b64:
        return SealCheck.INVALID
    return SealCheck.VERIFIED
