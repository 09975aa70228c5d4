"""SAT's descarga masiva through satcfdi's client, with the e.firma signing through seals.

satcfdi's ``SAT`` builds and reads the SOAP envelopes; two things are ours:

- ``FielSigner``: the certificate satcfdi puts in the envelopes, whose ``sign_sha1`` calls
  ``seals.services.seal_sign`` — the private key never leaves seals' code path, and every
  signature (authentication, each request, verification and download) is audited there
  with its purpose.
- ``DescargaMasiva``: SAT's two hosts come from settings (``DESPACHO_SAT_DESCARGA_*_URL``),
  so the same code talks to SAT in production and to a fake on 127.0.0.1 in the tests;
  requests time out, and a SOAP Fault becomes a ``SatError`` in Spanish.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree
from OpenSSL import crypto
from satcfdi.models import Certificate as SatCertificate
from satcfdi.pacs.sat import SAT

from despacho.people.models import User
from despacho.seals.models import Certificate, SealKind
from despacho.seals.services import seal_sign
from despacho.tenancy.models import Company

SOLICITUD_HOST = "cfdidescargamasivasolicitud.clouda.sat.gob.mx"
DESCARGA_HOST = "cfdidescargamasiva.clouda.sat.gob.mx"


class SatError(Exception):
    """SAT could not be asked (network, HTTP error, SOAP Fault): ``message`` in Spanish.
    ``retryable`` when asking again later may work (the network, SAT's own outages)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class FielSigner(SatCertificate):
    """The company's e.firma as satcfdi's signer: signing goes through ``seal_sign``."""

    def __init__(self, *, company: Company, certificate: Certificate, actor: User | None) -> None:
        der = bytes(certificate.certificate_der)
        super().__init__(crypto.X509.from_cryptography(x509.load_der_x509_certificate(der)))
        self._company = company
        self._seal = certificate
        self._actor = actor
        self.purpose = "descarga masiva"

    def _signed(self, data: bytes, algorithm: str) -> str:
        signature = seal_sign(
            company=self._company,
            kind=SealKind.FIEL,
            data=data,
            actor=self._actor,
            purpose=f"SAT: {self.purpose}",
            certificate=self._seal,
            algorithm=algorithm,
        )
        return base64.b64encode(signature).decode()

    def sign_sha1(self, data: bytes) -> str:
        """What the descarga masiva's XMLDSig asks for (RSA-SHA1)."""
        return self._signed(data, "sha1")

    def sign_sha256(self, data: bytes) -> str:
        """satcfdi's Signer interface; no SAT service this client calls asks for it."""
        return self._signed(data, "sha256")


def _rebased(url: str) -> str:
    parts = urlsplit(url)
    bases = {
        SOLICITUD_HOST: settings.DESPACHO_SAT_DESCARGA_SOLICITUD_URL,
        DESCARGA_HOST: settings.DESPACHO_SAT_DESCARGA_URL,
    }
    base = bases.get(parts.hostname or "")
    if base is None:
        raise ValueError(f"not a descarga masiva URL: {url}")
    return base + parts.path


# SAT's answers: no entities, no network; huge_tree because a package arrives as one base64
# text node of tens of megabytes (lxml refuses text nodes above 10 MB otherwise).
def _answers_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _fault(content: bytes) -> str:
    try:
        root = etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError:
        return ""
    found = root.find(".//{*}Fault/faultstring")
    return (found.text or "").strip() if found is not None else ""


class DescargaMasiva(SAT):
    """satcfdi's SAT client, pointed at the configured hosts, with timeouts."""

    def __init__(self, signer: FielSigner) -> None:
        super().__init__(signer=signer)
        self.fiel = signer

    def _execute_req(self, req: Any, needs_token_fn: Any) -> Any:
        req.soap_url = _rebased(req.soap_url)
        self.fiel.purpose = type(req).__name__.removeprefix("_CFDI")
        return super()._execute_req(req, needs_token_fn)

    def _request(
        self, soap_url: str, data: Any, soap_action: str, needs_token_fn: Any, verify: bool = True
    ) -> Any:
        try:
            response = requests.post(
                url=soap_url,
                data=data,
                headers=self._get_headers(soap_action, needs_token_fn=needs_token_fn),
                verify=verify,
                timeout=settings.DESPACHO_SAT_TIMEOUT,
            )
        except requests.RequestException:
            raise SatError(
                _("No se pudo conectar con el servicio de descarga masiva del SAT."),
                retryable=True,
            ) from None
        if not response.ok:
            fault = _fault(response.content)
            if "security" in fault.lower():
                raise SatError(
                    _(
                        "El SAT no aceptó la e.firma de la empresa (firma o certificado no "
                        "válidos): revisa que la e.firma esté vigente y súbela de nuevo."
                    ),
                    retryable=False,
                )
            raise SatError(
                _(
                    "El servicio de descarga masiva del SAT respondió con un error "
                    "(HTTP %(status)s)."
                )
                % {"status": response.status_code},
                retryable=True,
            )
        try:
            return etree.fromstring(response.content, parser=_answers_parser())
        except etree.XMLSyntaxError:
            raise SatError(
                _("El servicio de descarga masiva del SAT respondió algo que no es XML."),
                retryable=True,
            ) from None
