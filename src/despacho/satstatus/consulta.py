"""SAT's public status service (ConsultaCFDIService), spoken as satcfdi's ``SAT.status`` does.

satcfdi's client picks SAT's host from its environment; the same envelope is sent here to
``settings.SATSTATUS_CONSULTA_URL`` so production asks SAT and the tests a fake on
127.0.0.1. The question is the CFDI's printed expression (``?re=…&rr=…&tt=…&id=…``) and
the answer ``ConsultaResult``'s CodigoEstatus, EsCancelable, Estado, EstatusCancelacion and
ValidacionEFOS.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import requests
from django.conf import settings
from lxml import etree

SOAP_ACTION = "http://tempuri.org/IConsultaCFDIService/Consulta"


class ConsultaError(Exception):
    """SAT did not answer, or answered something that is not a ConsultaResult."""


@dataclass(frozen=True)
class ConsultaResult:
    codigo_estatus: str
    estado: str  # as SAT writes it: "Vigente", "Cancelado", "No Encontrado"
    es_cancelable: str
    estatus_cancelacion: str
    validacion_efos: str


def expresion_impresa(*, emisor_rfc: str, receptor_rfc: str, total: Decimal, uuid: str) -> str:
    """The QR's expression the service is asked with (Anexo 20's ``tt``, 6 decimals)."""
    return f"?re={emisor_rfc}&rr={receptor_rfc}&tt={total:.6f}&id={uuid.upper()}"


def envelope(expression: str) -> bytes:
    """The SOAP request satcfdi's ``SAT.status`` sends (the expression in a CDATA)."""
    return (
        '<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:tem="http://tempuri.org/"><Body><tem:Consulta><tem:expresionImpresa>'
        f"<![CDATA[{expression}]]>"
        "</tem:expresionImpresa></tem:Consulta></Body></Envelope>"
    ).encode()


def parse_answer(body: bytes) -> ConsultaResult:
    """ConsultaResult's fields; ConsultaError for anything else."""
    try:
        root = etree.fromstring(
            body,
            parser=etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False),
        )
    except etree.XMLSyntaxError as exc:
        raise ConsultaError(f"respuesta ilegible: {exc}") from None
    result = root.find("{*}Body/{*}ConsultaResponse/{*}ConsultaResult")
    if result is None:
        raise ConsultaError("la respuesta no trae ConsultaResult")
    values = {etree.QName(child).localname: (child.text or "").strip() for child in result}
    if not values.get("Estado"):
        raise ConsultaError("la respuesta no trae Estado")
    return ConsultaResult(
        codigo_estatus=values.get("CodigoEstatus", ""),
        estado=values["Estado"],
        es_cancelable=values.get("EsCancelable", ""),
        estatus_cancelacion=values.get("EstatusCancelacion", ""),
        validacion_efos=values.get("ValidacionEFOS", ""),
    )


def consulta(
    *, emisor_rfc: str, receptor_rfc: str, total: Decimal, uuid: str, session: requests.Session
) -> ConsultaResult:
    """Ask SAT the status of one CFDI; ConsultaError when there is no usable answer."""
    expression = expresion_impresa(
        emisor_rfc=emisor_rfc, receptor_rfc=receptor_rfc, total=total, uuid=uuid
    )
    try:
        response = session.post(
            settings.SATSTATUS_CONSULTA_URL,
            data=envelope(expression),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": SOAP_ACTION},
            timeout=settings.SATSTATUS_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise ConsultaError(f"sin respuesta: {exc.__class__.__name__}") from None
    if response.status_code != 200:
        raise ConsultaError(f"HTTP {response.status_code}")
    return parse_answer(response.content)
