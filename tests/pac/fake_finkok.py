"""A fake Finkok on 127.0.0.1 speaking its SOAP wire format (stamp.wsdl and cancel.wsdl).

It checks each request field by field — the path, the SOAP envelope, the operation, the
account's username and password, the base64 CFDI or Cancelacion inside — and answers as
Finkok documents it (wiki.finkok.com: ``stampResult`` with ``xml``, ``UUID``, ``Fecha``,
``CodEstatus``, ``SatSeal``, ``Incidencias``, ``NoCertificadoSAT``; ``cancel_signatureResult``
with ``Folios``/``Folio``/``EstatusUUID`` and the ``Acuse``; ``get_sat_statusResult`` with
``sat``/``Estado``/``EsCancelable``/``EstatusCancelacion``). A stamp is Finkok's own answer
from its test environment (``fixtures/finkok_stamped.xml``, see fixtures/SOURCES.md); the
request it expects is that document without its timbre.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from despacho.cfdi.parsing import TFD, parse_xml

FIXTURES = Path(__file__).parent / "fixtures"
USERNAME = "despacho@example.com"
PASSWORD = "s3cret-finkok"

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
STAMP_NS = "http://facturacion.finkok.com/stamp"
CANCEL_NS = "http://facturacion.finkok.com/cancel"
CANCELA = "http://cancelacfd.sat.gob.mx"
OPERATIONS = {
    "/servicios/soap/stamp.wsdl": (STAMP_NS, {"stamp", "stamped"}),
    "/servicios/soap/cancel.wsdl": (CANCEL_NS, {"cancel_signature", "get_sat_status"}),
}


def finkok_stamped() -> bytes:
    """Finkok's answer from its test environment: a CFDI with its timbre."""
    return (FIXTURES / "finkok_stamped.xml").read_bytes()


def unstamped() -> bytes:
    """The CFDI Finkok was sent: its answer without the TimbreFiscalDigital."""
    root = parse_xml(finkok_stamped())
    tfd = root.find(f".//{{{TFD}}}TimbreFiscalDigital")
    assert tfd is not None
    tfd.getparent().remove(tfd)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def stamped_uuid() -> str:
    tfd = parse_xml(finkok_stamped()).find(f".//{{{TFD}}}TimbreFiscalDigital")
    assert tfd is not None
    return tfd.get("UUID", "").lower()


@dataclass
class FakeFinkok:
    """What the fake was asked and what it will answer next."""

    base_url: str = ""
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    stamped: dict[str, bytes] = field(default_factory=dict)  # sha256 of sent CFDI → answer
    next_incidence: tuple[str, str] | None = None  # (CodigoError, MensajeIncidencia)
    duplicate_with_xml: bool = False  # 307 with the first stamp inline (wiki) or empty
    cancel_codes: dict[str, str] = field(default_factory=dict)  # UUID → EstatusUUID
    cancel_error: str = ""  # CodEstatus of a refused cancellation
    sat: dict[str, str] = field(default_factory=dict)
    # Stamp any sealed CFDI (not only the fixture's), with a timbre signed by the sandbox's
    # test certificate: for the issuing service's tests, whose CFDIs are their own.
    stamp_any: bool = False

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.requests]

    # Answers -------------------------------------------------------------------------

    def answer(self, operation: str, fields: dict[str, str]) -> str:
        if operation in ("stamp", "stamped"):
            return self._stamp(operation, fields)
        if operation == "cancel_signature":
            return self._cancel(fields)
        return self._status(fields)

    def _stamp(self, operation: str, fields: dict[str, str]) -> str:
        cfdi = base64.b64decode(fields["xml"])
        root = parse_xml(cfdi)  # the fake refuses to go on with anything but a CFDI
        assert root.tag == "{http://www.sat.gob.mx/cfd/4}Comprobante", root.tag
        assert root.get("Sello"), "a CFDI must be sealed before stamping"
        digest = hashlib.sha256(cfdi).hexdigest()
        if self.next_incidence is not None:
            code, message = self.next_incidence
            self.next_incidence = None
            return _stamp_result(operation, incidences=[(code, message)])
        if operation == "stamped":
            if digest in self.stamped:
                return _stamp_result(operation, xml=self.stamped[digest])
            return _stamp_result(
                operation, incidences=[("603", "El CFDI no contiene un timbre previo")]
            )
        if digest in self.stamped:
            previous = self.stamped[digest] if self.duplicate_with_xml else b""
            return _stamp_result(
                operation, xml=previous, incidences=[("307", "El CFDI contiene un timbre previo")]
            )
        if self.stamp_any:
            self.stamped[digest] = _timbre_added(root)
            return _stamp_result(operation, xml=self.stamped[digest])
        assert cfdi == unstamped(), "the fake only stamps the CFDI of its fixture"
        self.stamped[digest] = finkok_stamped()
        return _stamp_result(operation, xml=self.stamped[digest])

    def _cancel(self, fields: dict[str, str]) -> str:
        request = parse_xml(base64.b64decode(fields["xml"]))
        assert request.tag == f"{{{CANCELA}}}Cancelacion", request.tag
        assert request.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None
        if self.cancel_error:
            return _envelope(
                CANCEL_NS,
                "cancel_signature",
                f"<s0:CodEstatus>{escape(self.cancel_error)}</s0:CodEstatus>",
            )
        code_of = self.cancel_codes.get
        folios = "".join(
            "<s0:Folio>"
            f"<s0:EstatusUUID>{code_of(f.get('UUID', '').lower(), '201')}</s0:EstatusUUID>"
            "<s0:EstatusCancelacion/>"
            f"<s0:UUID>{f.get('UUID')}</s0:UUID>"
            "</s0:Folio>"
            for f in request.iter(f"{{{CANCELA}}}Folio")
        )
        acuse = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<Acuse xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            f'Fecha="2026-12-02T09:00:01" RfcEmisor="{request.get("RfcEmisor")}">'
            f'<Folios xmlns="{CANCELA}"><EstatusUUID>201</EstatusUUID></Folios></Acuse>'
        )
        return _envelope(
            CANCEL_NS,
            "cancel_signature",
            f"<s0:Folios>{folios}</s0:Folios><s0:Acuse>{escape(acuse)}</s0:Acuse>"
            f"<s0:Fecha>2026-12-02T09:00:01</s0:Fecha><s0:RfcEmisor>{request.get('RfcEmisor')}</s0:RfcEmisor>",
        )

    def _status(self, fields: dict[str, str]) -> str:
        for name in ("taxpayer_id", "rtaxpayer_id", "uuid", "total"):
            assert fields.get(name), f"get_sat_status needs {name}"
        if not self.sat:
            return _envelope(CANCEL_NS, "get_sat_status", "<s0:error>UUID no encontrado</s0:error>")
        sat = "".join(f"<s0:{k}>{escape(v)}</s0:{k}>" for k, v in self.sat.items())
        return _envelope(CANCEL_NS, "get_sat_status", f"<s0:sat>{sat}</s0:sat>")


def _timbre_added(root: etree._Element) -> bytes:
    from despacho.pac.sandbox import _add_timbre  # the sandbox's TFD, without its database

    _add_timbre(root, stamp_uuid=str(uuid.uuid4()), moment=datetime.now(UTC))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _envelope(namespace: str, operation: str, result: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<senv:Envelope xmlns:senv="{SOAP}" xmlns:tns="{namespace}" '
        'xmlns:s0="apps.services.soap.core.views">'
        f"<senv:Body><tns:{operation}Response><tns:{operation}Result>{result}"
        f"</tns:{operation}Result></tns:{operation}Response></senv:Body></senv:Envelope>"
    )


def _stamp_result(
    operation: str, *, xml: bytes = b"", incidences: list[tuple[str, str]] | None = None
) -> str:
    parts = [f"<s0:xml>{escape(xml.decode())}</s0:xml>"]
    if xml:
        tfd = parse_xml(xml).find(f".//{{{TFD}}}TimbreFiscalDigital")
        assert tfd is not None
        parts += [
            f"<s0:UUID>{tfd.get('UUID')}</s0:UUID>",
            f"<s0:Fecha>{tfd.get('FechaTimbrado')}</s0:Fecha>",
            "<s0:CodEstatus>Comprobante timbrado satisfactoriamente</s0:CodEstatus>",
            f"<s0:SatSeal>{tfd.get('SelloSAT')}</s0:SatSeal>",
            f"<s0:NoCertificadoSAT>{tfd.get('NoCertificadoSAT')}</s0:NoCertificadoSAT>",
        ]
    rows = "".join(
        "<s0:Incidencia><s0:IdIncidencia>1</s0:IdIncidencia><s0:Uuid/>"
        f"<s0:CodigoError>{code}</s0:CodigoError><s0:WorkProcessId/>"
        f"<s0:MensajeIncidencia>{escape(message)}</s0:MensajeIncidencia>"
        "<s0:NoCertificadoPac/><s0:FechaRegistro>2026-12-01T10:00:00</s0:FechaRegistro>"
        "</s0:Incidencia>"
        for code, message in incidences or []
    )
    parts.append(f"<s0:Incidencias>{rows}</s0:Incidencias>")
    return _envelope(STAMP_NS, operation, "".join(parts))


def _handler(fake: FakeFinkok) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            if self.path not in OPERATIONS:
                self._send(404, b"<html><body>Not Found</body></html>", "text/html")
                return
            try:
                operation, fields = self._read()
                body = fake.answer(operation, fields).encode()
                status = 200
            except AssertionError as refusal:
                body = _fault(str(refusal)).encode()
                status = 500
            self._send(status, body, "text/xml; charset=utf-8")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _read(self) -> tuple[str, dict[str, str]]:
            assert self.headers["Content-Type"].startswith("text/xml")
            length = int(self.headers["Content-Length"])
            envelope = parse_xml(self.rfile.read(length))
            assert envelope.tag == f"{{{SOAP}}}Envelope", envelope.tag
            body = envelope.find(f"{{{SOAP}}}Body")
            assert body is not None and len(body) == 1, "one operation per SOAP body"
            operation_element = body[0]
            namespace, allowed = OPERATIONS[self.path]
            qname = etree.QName(operation_element)
            assert qname.namespace == namespace, qname.namespace
            assert qname.localname in allowed, qname.localname
            fields = {
                etree.QName(child).localname: (child.text or "")
                for child in operation_element
                if etree.QName(child).namespace == namespace
            }
            assert fields.pop("username", None) == USERNAME, "wrong username"
            assert fields.pop("password", None) == PASSWORD, "wrong password"
            fake.requests.append((qname.localname, fields))
            return qname.localname, fields

    return Handler


def _fault(message: str) -> str:
    return (
        f'<senv:Envelope xmlns:senv="{SOAP}"><senv:Body><senv:Fault>'
        f"<faultcode>senv:Client</faultcode><faultstring>{escape(message)}</faultstring>"
        "</senv:Fault></senv:Body></senv:Envelope>"
    )


@contextmanager
def running_fake_finkok() -> Iterator[FakeFinkok]:
    """The fake served on a free port of 127.0.0.1 for the duration of the block."""
    fake = FakeFinkok()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
