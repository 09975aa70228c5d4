"""A fake of SAT's public services on 127.0.0.1, speaking each one's wire format.

- ``POST /ConsultaCFDIService.svc``: the SOAP 1.1 Consulta of the status service. It checks
  the SOAPAction, the envelope and the ``expresionImpresa`` (re, rr, tt with six decimals,
  id) and answers ``ConsultaResponse/ConsultaResult`` with the documented fields; a UUID it
  does not hold is "N - 602: Comprobante no encontrado.".
- ``GET /69b.csv`` and ``GET /69/<satcfdi's path>``: the list files, as SAT publishes them.
- ``GET /rccf/<path>.cer``: SAT's certificate repository (satcfdi's path), from the fixture.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from lxml import etree

FIXTURES = Path(__file__).parent / "fixtures"
SAT_CERTIFICATE = "00001000000504465028"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TEMPURI = "http://tempuri.org/"
SOAP_ACTION = '"http://tempuri.org/IConsultaCFDIService/Consulta"'
_EXPRESSION = re.compile(r"^\?re=[^&]+&rr=[^&]+&tt=\d+\.\d{6}&id=[0-9A-F-]{36}$")


@dataclass
class Answer:
    estado: str = "Vigente"
    es_cancelable: str = "Cancelable con aceptación"
    estatus_cancelacion: str = ""
    validacion_efos: str = "200"
    codigo: str = "S - Comprobante obtenido satisfactoriamente."


@dataclass
class FakeSat:
    url: str = ""
    statuses: dict[str, Answer] = field(default_factory=dict)  # UUID upper → answer
    files: dict[str, bytes] = field(default_factory=dict)  # path → body
    consultas: list[dict[str, str]] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def consulta_url(self) -> str:
        return f"{self.url}/ConsultaCFDIService.svc"


def answer_envelope(answer: Answer) -> bytes:
    cancelacion = (
        f"<a:EstatusCancelacion>{escape(answer.estatus_cancelacion)}</a:EstatusCancelacion>"
        if answer.estatus_cancelacion
        else "<a:EstatusCancelacion/>"
    )
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<ConsultaResponse xmlns="http://tempuri.org/">'
        '<ConsultaResult xmlns:a="http://schemas.datacontract.org/2004/07/'
        'Sat.Cfdi.Negocio.ConsultaCfdi.Servicio" '
        'xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
        f"<a:CodigoEstatus>{escape(answer.codigo)}</a:CodigoEstatus>"
        f"<a:EsCancelable>{escape(answer.es_cancelable)}</a:EsCancelable>"
        f"<a:Estado>{escape(answer.estado)}</a:Estado>"
        f"{cancelacion}"
        f"<a:ValidacionEFOS>{escape(answer.validacion_efos)}</a:ValidacionEFOS>"
        "</ConsultaResult></ConsultaResponse></s:Body></s:Envelope>"
    ).encode()


NOT_FOUND = Answer(
    estado="No Encontrado",
    es_cancelable="",
    validacion_efos="",
    codigo="N - 602: Comprobante no encontrado.",
)


def _handler(state: FakeSat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _refuse(self, why: str) -> None:
            state.refused.append(why)
            self._send(500, why.encode(), "text/plain")

        def do_POST(self) -> None:
            if self.path != "/ConsultaCFDIService.svc":
                return self._send(404, b"", "text/plain")
            if self.headers.get("SOAPAction", "").strip('"') != SOAP_ACTION.strip('"'):
                return self._refuse("SOAPAction")
            if not self.headers.get("Content-Type", "").startswith("text/xml"):
                return self._refuse("Content-Type")
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                root = etree.fromstring(body)
            except etree.XMLSyntaxError:
                return self._refuse("XML")
            expression = root.findtext(
                f"{{{SOAP}}}Body/{{{TEMPURI}}}Consulta/{{{TEMPURI}}}expresionImpresa"
            )
            if root.tag != f"{{{SOAP}}}Envelope" or not expression:
                return self._refuse("envelope")
            if not _EXPRESSION.match(expression):
                return self._refuse(f"expresionImpresa {expression}")
            query = {k: v[0] for k, v in parse_qs(expression[1:]).items()}
            state.consultas.append(query)
            answer = state.statuses.get(query["id"], NOT_FOUND)
            return self._send(200, answer_envelope(answer), "text/xml; charset=utf-8")

        def do_GET(self) -> None:
            path = self.path.lstrip("/")
            if path.startswith("rccf/") and path.endswith(".cer"):
                state.downloads.append(path)
                number = path.rsplit("/", 1)[-1].removesuffix(".cer")
                expected = f"rccf/{number[0:6]}/{number[6:12]}/{number[12:14]}/{number[14:16]}/{number[16:18]}/{number}.cer"  # noqa: E501
                if number == SAT_CERTIFICATE and path == expected:
                    body = (FIXTURES / f"{SAT_CERTIFICATE}.cer").read_bytes()
                    return self._send(200, body, "application/x-x509-ca-cert")
                return self._send(404, b"", "text/html")
            if path in state.files:
                return self._send(200, state.files[path], "text/csv")
            return self._send(404, b"", "text/html")

    return Handler


@contextmanager
def fake_sat() -> Iterator[FakeSat]:
    state = FakeSat(files={"69b.csv": (FIXTURES / "listado_69b.txt").read_bytes()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
