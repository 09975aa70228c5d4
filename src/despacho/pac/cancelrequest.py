"""SAT's Cancelacion, built and signed on our side: the request every adapter's ``cancel`` takes.

The XML follows SAT's cancellation schema (namespace ``http://cancelacfd.sat.gob.mx``:
``Cancelacion`` with ``RfcEmisor`` and ``Fecha``, ``Folios/Folio`` with ``UUID``,
``Motivo`` and, for motive 01, ``FolioSustitucion``) and carries an enveloped XMLDSig:
C14N 1.0, RSA-SHA1, SHA-1 digest, the certificate in ``KeyInfo`` — the form SAT and the
PACs verify. The signature is made by ``seals.services.seal_sign`` with the company's
CSD, so the private key never leaves the vault's code and every use is audited; no PAC
operation that uploads the ``.cer``/``.key`` is ever needed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from django.utils import timezone
from lxml import etree

from despacho.cfdi.parsing import CFDI_ZONE
from despacho.pac.cancelrules import validate_motivo
from despacho.people.models import User
from despacho.seals.models import SealKind
from despacho.seals.services import seal_sign, signing_certificate
from despacho.tenancy.models import Company

CANCELA = "http://cancelacfd.sat.gob.mx"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSD = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"


@dataclass(frozen=True)
class CancelFolio:
    """One UUID to cancel, its c_MotivoCancelacion and (motive 01) the substituting UUID."""

    uuid: str
    motivo: str
    folio_sustitucion: str = ""


def cancellation_xml(
    *,
    rfc_emisor: str,
    folios: Sequence[CancelFolio],
    fecha: datetime,
    certificate_der: bytes,
    sign_sha1: Callable[[bytes], bytes],
) -> bytes:
    """SAT's Cancelacion for ``folios``, signed by ``sign_sha1`` (RSA PKCS#1 v1.5, SHA-1)."""
    root = etree.Element(
        f"{{{CANCELA}}}Cancelacion",
        nsmap={None: CANCELA, "xsd": XSD, "xsi": XSI},
        RfcEmisor=rfc_emisor.upper(),
        Fecha=fecha.astimezone(CFDI_ZONE).strftime("%Y-%m-%dT%H:%M:%S"),
    )
    folios_element = etree.SubElement(root, f"{{{CANCELA}}}Folios")
    for folio in folios:
        motivo = validate_motivo(
            motivo=folio.motivo, folio_sustitucion=folio.folio_sustitucion, uuid=folio.uuid
        )
        element = etree.SubElement(
            folios_element, f"{{{CANCELA}}}Folio", UUID=folio.uuid.upper(), Motivo=motivo.value
        )
        if folio.folio_sustitucion:
            element.set("FolioSustitucion", folio.folio_sustitucion.upper())
    digest = hashlib.sha1(etree.tostring(root, method="c14n")).digest()  # noqa: S324

    signature = etree.SubElement(root, f"{{{DS}}}Signature", nsmap={None: DS})
    signed_info = etree.SubElement(signature, f"{{{DS}}}SignedInfo")
    etree.SubElement(signed_info, f"{{{DS}}}CanonicalizationMethod", Algorithm=C14N)
    etree.SubElement(signed_info, f"{{{DS}}}SignatureMethod", Algorithm=f"{DS}rsa-sha1")
    reference = etree.SubElement(signed_info, f"{{{DS}}}Reference", URI="")
    transforms = etree.SubElement(reference, f"{{{DS}}}Transforms")
    etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=f"{DS}enveloped-signature")
    etree.SubElement(reference, f"{{{DS}}}DigestMethod", Algorithm=f"{DS}sha1")
    etree.SubElement(reference, f"{{{DS}}}DigestValue").text = base64.b64encode(digest).decode()
    # The SignedInfo is signed canonicalized in place, with the namespaces it inherits.
    signature_value = sign_sha1(etree.tostring(signed_info, method="c14n"))
    etree.SubElement(signature, f"{{{DS}}}SignatureValue").text = base64.b64encode(
        signature_value
    ).decode()
    certificate = x509.load_der_x509_certificate(certificate_der)
    x509_data = etree.SubElement(
        etree.SubElement(signature, f"{{{DS}}}KeyInfo"), f"{{{DS}}}X509Data"
    )
    issuer_serial = etree.SubElement(x509_data, f"{{{DS}}}X509IssuerSerial")
    etree.SubElement(
        issuer_serial, f"{{{DS}}}X509IssuerName"
    ).text = certificate.issuer.rfc4514_string()
    etree.SubElement(issuer_serial, f"{{{DS}}}X509SerialNumber").text = str(
        certificate.serial_number
    )
    etree.SubElement(x509_data, f"{{{DS}}}X509Certificate").text = base64.b64encode(
        certificate_der
    ).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def signed_cancellation(
    *,
    company: Company,
    folios: Sequence[CancelFolio],
    actor: User | None,
    now: datetime | None = None,
) -> bytes:
    """The company's Cancelacion for ``folios``, signed with its current CSD (audited use).

    Refuses, as ValidationError, an invalid motive or substitute and a company without a
    CSD to sign with. The caller checks the permission (Cancelar CFDIs) first.
    """
    certificate = signing_certificate(company=company, kind=SealKind.CSD)
    uuids = ", ".join(folio.uuid.lower() for folio in folios)

    def sign_sha1(data: bytes) -> bytes:
        return seal_sign(
            company=company,
            kind=SealKind.CSD,
            data=data,
            actor=actor,
            purpose=f"Cancelación (XMLDSig RSA-SHA1) {uuids}",
            certificate=certificate,
            algorithm="sha1",
        )

    return cancellation_xml(
        rfc_emisor=company.rfc,
        folios=folios,
        fecha=now or timezone.now(),
        certificate_der=bytes(certificate.certificate_der),
        sign_sha1=sign_sha1,
    )
