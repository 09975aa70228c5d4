"""Finkok, the real PAC, through satcfdi's client (``satcfdi.pacs.finkok.Finkok``, SOAP).

Why Finkok and not SW Sapien (docs/apps/pac.md has the longer answer): its ``stamp`` is
idempotent by itself (a CFDI it already stamped answers incidence 307 with the first
stamp), it has ``stamped`` to fetch a stamp whose answer we lost, its ``cancel_signature``
takes SAT's Cancelacion already signed on our side (the CSD's private key never leaves the
server), and ``get_sat_status`` answers SAT's consulta in the same account.

What this subclass changes in satcfdi's client:

- the base URL comes from settings (``DESPACHO_PAC_URL``), not from a hard-coded host;
- every request has a timeout (satcfdi posts without one), and timeouts or refused
  connections become a retryable ``PacError`` with a Spanish message;
- answers are read with the project's hardened parser (``cfdi.parsing.parse_xml``: no
  DOCTYPE, no entities, no network), never with a bare ``etree.fromstring``;
- the CFDI goes out as the exact bytes that were sealed (satcfdi's envelope would
  re-serialize a ``CFDI`` object), and Finkok's incidence codes become Spanish messages.
"""

from __future__ import annotations

import base64
from datetime import datetime
from decimal import Decimal

import requests
from django.utils.translation import gettext as _
from lxml import etree
from satcfdi.pacs import Environment
from satcfdi.pacs.finkok import Finkok

from despacho.cfdi.parsing import CFDI_ZONE, TFD, parse_xml
from despacho.cfdi.refusals import Refusal
from despacho.pac.base import (
    CancelAnswer,
    EstatusCancelacion,
    PacError,
    SatStatus,
    Stamped,
    unreachable,
)

APPS = "apps.services.soap.core.views"
#: Incidence of a CFDI Finkok already stamped: the answer carries the first stamp.
PREVIOUS_STAMP = "307"
#: Incidences of ``stamped`` for a CFDI Finkok never stamped.
NEVER_STAMPED = frozenset({"603", "602"})
#: Incidences worth retrying: the SAT or Finkok could not answer this time.
RETRYABLE = frozenset({"708", "712"})


def finkok_message(code: str, original: str) -> str:
    """Finkok's incidence code as a Spanish sentence for the person issuing."""
    messages = {
        "300": _("El usuario o la contraseña del PAC son incorrectos: revisa la configuración."),
        "301": _("El XML está mal formado (el PAC no pudo leerlo)."),
        "302": _("El sello del CFDI está mal formado o no es válido."),
        "303": _("El sello no corresponde al certificado del emisor."),
        "304": _("El certificado de sello digital está revocado o caduco."),
        "305": _("La fecha de emisión no está dentro de la vigencia del certificado del emisor."),
        "306": _("El certificado usado no es un CSD (sello digital); no se puede usar la e.firma."),
        "307": _("El CFDI ya había sido timbrado."),
        "308": _("El certificado no fue expedido por el SAT."),
        "401": _("La fecha de emisión está fuera del rango permitido (72 horas)."),
        "402": _("El RFC emisor no está en la lista de contribuyentes obligados del SAT (LCO)."),
        "702": _("El RFC emisor no está registrado en la cuenta del PAC."),
        "703": _("La cuenta del PAC está suspendida."),
        "705": _("El XML no tiene la estructura que exige el SAT."),
        "708": _("El PAC no pudo conectar con el SAT. Inténtalo de nuevo en unos minutos."),
        "712": _("El PAC está ocupado. Inténtalo de nuevo en unos minutos."),
    }
    known = messages.get(code)
    if known is not None:
        return known
    return _("El PAC rechazó la operación (código %(code)s): %(message)s") % {
        "code": code,
        "message": original or _("sin detalle"),
    }


def _text(root: etree._Element, name: str) -> str:
    return (root.findtext(f".//{{{APPS}}}{name}") or "").strip()


class FinkokPac(Finkok):
    """Finkok's SOAP services at a configurable base URL, with a timeout, as a ``Pac``."""

    name = "finkok"

    def __init__(self, *, base_url: str, username: str, password: str, timeout: float) -> None:
        super().__init__(username, password, environment=Environment.TEST)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @property
    def host(self) -> str:
        return self.base_url

    # Transport ----------------------------------------------------------------------

    def _perform_request(self, url: str, envelope: etree._Element) -> etree._Element:
        """POST the envelope with a timeout; the answer's root, read by the hardened parser."""
        try:
            response = requests.post(
                url,
                data=etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"),
                headers={"Content-Type": "text/xml; charset=utf-8"},
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise unreachable(error) from None
        if response.status_code >= 500 and b"Fault" not in response.content:
            raise PacError(
                str(response.status_code),
                _("El PAC tuvo un error interno. Inténtalo de nuevo en unos minutos."),
                retryable=True,
            )
        if 400 <= response.status_code < 500:
            raise PacError(
                str(response.status_code),
                _(
                    "El PAC respondió con el error HTTP %(status)s: revisa la dirección "
                    "configurada en DESPACHO_PAC_URL."
                )
                % {"status": response.status_code},
            )
        try:
            root = parse_xml(response.content)
        except Refusal:
            raise PacError(
                "respuesta",
                _("El PAC respondió algo que no es XML. Inténtalo de nuevo en unos minutos."),
                retryable=True,
            ) from None
        fault = root.findtext(".//faultstring")
        if fault is not None:
            raise PacError("fault", finkok_message("fault", fault.strip()))
        return root

    def _call(self, service: str, tag: str, fields: dict[str, str]) -> etree._Element:
        """One SOAP operation of ``service`` (stamp or cancel) with the account's credentials."""
        namespace = self.namespaces[service]
        operation = etree.Element(etree.QName(namespace, tag))
        for name, value in fields.items():
            etree.SubElement(operation, etree.QName(namespace, name)).text = value
        self._add_auth(operation, namespace)
        return self._perform_request(self.get_service_url(service), self._build_envelope(operation))

    # Stamping -----------------------------------------------------------------------

    def stamp(self, xml: bytes) -> Stamped:
        """Stamp the sealed bytes; a CFDI Finkok already stamped returns its first stamp."""
        root = self._call("stamp", "stamp", {"xml": base64.b64encode(xml).decode()})
        incidences = _incidences(root)
        stamped_text = _text(root, "xml")
        if stamped_text:
            return _stamped(stamped_text, sent=xml)
        if PREVIOUS_STAMP in incidences:
            previous = self.recover(xml)
            if previous is not None:
                return previous
            raise PacError(
                PREVIOUS_STAMP,
                _(
                    "El PAC ya timbró este CFDI pero todavía no entrega su timbre. Inténtalo de "
                    "nuevo en unos minutos."
                ),
                retryable=True,
            )
        raise _incidence_error(incidences)

    def recover(self, xml: bytes) -> Stamped | None:
        """The stamp Finkok already gave these bytes (its ``stamped`` operation), or None."""
        root = self._call("stamp", "stamped", {"xml": base64.b64encode(xml).decode()})
        stamped_text = _text(root, "xml")
        if stamped_text:
            return _stamped(stamped_text, sent=xml)
        incidences = _incidences(root)
        if not incidences or NEVER_STAMPED & incidences.keys():
            return None
        raise _incidence_error(incidences)

    # Cancelling and status ----------------------------------------------------------

    def cancel(self, *, request_xml: bytes) -> CancelAnswer:
        """``cancel_signature``: SAT's Cancelacion signed by us; EstatusUUID per folio."""
        root = self._call(
            "cancel", "cancel_signature", {"xml": base64.b64encode(request_xml).decode()}
        )
        statuses = {}
        for folio in root.iter(f"{{{APPS}}}Folio"):
            uuid = (folio.findtext(f"{{{APPS}}}UUID") or "").strip().lower()
            if uuid:
                statuses[uuid] = (folio.findtext(f"{{{APPS}}}EstatusUUID") or "").strip()
        if not statuses:
            status_text = _text(root, "CodEstatus") or _text(root, "error")
            code, dash, message = status_text.partition(" - ")
            if not (dash and code.isdigit()):
                code, message = "cancel", status_text
            raise _incidence_error({code: message})
        return CancelAnswer(statuses=statuses, acuse=_text(root, "Acuse").encode("utf-8"))

    def status(self, *, uuid: str, emisor_rfc: str, receptor_rfc: str, total: Decimal) -> SatStatus:
        """``get_sat_status``: SAT's consulta through Finkok."""
        root = self._call(
            "cancel",
            "get_sat_status",
            {
                "taxpayer_id": emisor_rfc,
                "rtaxpayer_id": receptor_rfc,
                "uuid": uuid.upper(),
                "total": f"{total}",
            },
        )
        error = _text(root, "error")
        if error:
            raise _incidence_error({"status": error})
        return SatStatus(
            estado=_text(root, "Estado"),
            es_cancelable=_text(root, "EsCancelable"),
            estatus_cancelacion=_text(root, "EstatusCancelacion") or EstatusCancelacion.NINGUNO,
        )


def _incidences(root: etree._Element) -> dict[str, str]:
    """Finkok's incidences of a stamp answer: code → its own message."""
    found = {}
    for incidence in root.iter(f"{{{APPS}}}Incidencia"):
        code = (incidence.findtext(f"{{{APPS}}}CodigoError") or "").strip()
        found[code] = (incidence.findtext(f"{{{APPS}}}MensajeIncidencia") or "").strip()
    return found


def _incidence_error(incidences: dict[str, str]) -> PacError:
    if not incidences:
        return PacError(
            "respuesta",
            _("El PAC no devolvió el CFDI timbrado ni un motivo. Inténtalo de nuevo."),
            retryable=True,
        )
    code, message = next(iter(incidences.items()))
    return PacError(code, finkok_message(code, message), retryable=code in RETRYABLE)


def _stamped(text: str, *, sent: bytes) -> Stamped:
    """The stamped CFDI Finkok returned, checked to be the one we sent, with its timbre."""
    xml = text.encode("utf-8")
    try:
        root = parse_xml(xml)
    except Refusal:
        raise PacError(
            "respuesta",
            _("El PAC devolvió un CFDI timbrado que no es XML válido."),
            retryable=True,
        ) from None
    tfd = root.find(f".//{{{TFD}}}TimbreFiscalDigital")
    sent_sello = parse_xml(sent).get("Sello")
    if tfd is None or tfd.get("SelloCFD") != sent_sello or root.get("Sello") != sent_sello:
        raise PacError(
            "respuesta",
            _("El PAC devolvió un timbre que no corresponde al CFDI enviado."),
            retryable=False,
        )
    fecha = datetime.fromisoformat(tfd.get("FechaTimbrado", "")).replace(tzinfo=CFDI_ZONE)
    return Stamped(
        xml=xml,
        uuid=tfd.get("UUID", "").lower(),
        fecha_timbrado=fecha,
        no_certificado_sat=tfd.get("NoCertificadoSAT", ""),
    )
