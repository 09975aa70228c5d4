"""Verifying a timbre's SelloSAT with SAT's certificate for its NoCertificadoSAT.

The cadena original of the TimbreFiscalDigital comes from SAT's XSLT packaged by satcfdi,
applied to the timbre as received (as the sandbox PAC builds it). It covers the UUID,
FechaTimbrado, RfcProvCertif, SelloCFD and NoCertificadoSAT, so a changed UUID or date
breaks the seal, which the comprobante's own seal (``cfdi/seals.py``) cannot see. SHA-256
for TimbreFiscalDigital 1.1, SHA-1 for 1.0.
"""

from __future__ import annotations

import base64
import logging

from satcfdi.transform import xslt_transform

from despacho.cfdi.parsing import TFD, parse_xml
from despacho.cfdi.refusals import Refusal
from despacho.satstatus.certificates import CertificateUnavailable, is_sandbox, sat_certificate
from despacho.satstatus.models import Verdict

logger = logging.getLogger(__name__)


def timbre_verdict(xml: bytes) -> tuple[Verdict, str]:
    """The verdict on the document's SelloSAT and the NoCertificadoSAT it names."""
    try:
        root = parse_xml(xml)
    except Refusal:
        return Verdict.MISSING, ""
    tfd = root.find(f".//{{{TFD}}}TimbreFiscalDigital")
    if tfd is None:
        return Verdict.MISSING, ""
    version = tfd.get("Version") or tfd.get("version") or ""
    number = (tfd.get("NoCertificadoSAT") or tfd.get("noCertificadoSAT") or "").strip()
    sello = (tfd.get("SelloSAT") or tfd.get("selloSAT") or "").strip()
    if not number or not sello:
        return Verdict.MISSING, number
    try:
        certificate = sat_certificate(number)
    except CertificateUnavailable as exc:
        # Logged once, when asking SAT's repository failed (certificates.py), not per timbre.
        logger.debug("SAT certificate %s unavailable: %s", number, exc)
        return Verdict.UNAVAILABLE, number
    try:
        cadena = str(xslt_transform(tfd.tag, version)(tfd)).encode("utf-8")
        signature = base64.b64decode(sello)
    except Exception:
        return Verdict.INVALID, number
    valid = (
        certificate.verify_sha1(cadena, signature)
        if version == "1.0"
        else certificate.verify_sha256(cadena, signature)
    )
    if not valid:
        return Verdict.INVALID, number
    return (Verdict.SANDBOX if is_sandbox(number) else Verdict.VALID), number
