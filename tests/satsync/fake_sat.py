"""A fake of SAT's descarga masiva on 127.0.0.1, speaking its SOAP wire format.

It serves the four operations under two bases, as SAT does on two hosts:
``/solicitud/Autenticacion/Autenticacion.svc``, ``/solicitud/SolicitaDescargaService.svc``,
``/solicitud/VerificaSolicitudDescargaService.svc`` and
``/descarga/DescargaMasivaService.svc``. Each request is checked as SAT would: the
SOAPAction, the WS-Security timestamp and its signature with the e.firma in the
BinarySecurityToken (authentication), the WRAP token it issued (everything else), and the
XMLDSig of each ``solicitud`` (enveloped signature verified with the certificate inside,
RfcSolicitante the certificate's RFC, the emisor or receptor RFC, the dates, the type). A
request that fails a check gets SAT's SOAP Fault or its code 300–305. Answers are SAT's own
envelopes (``fixtures/``, see SOURCES.md) with the attributes of each answer set.

A test scripts what SAT has: ``packages[(direction, type)]`` (ZIP bytes of each package; no
package: 5004), ``pending`` (verifications answered «en proceso» before the packages are
ready), ``max_days`` (a longer period is answered 5003, too many documents),
``solicit_codes`` / ``verify_states`` (one-off answers: 5005, EstadoSolicitud 4/6, …).
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

FIXTURES = Path(__file__).parent / "fixtures"
DES = "http://DescargaMasivaTerceros.sat.gob.mx"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
ACTIONS = {
    "/solicitud/Autenticacion/Autenticacion.svc": {
        "http://DescargaMasivaTerceros.gob.mx/IAutenticacion/Autentica": "autentica"
    },
    "/solicitud/SolicitaDescargaService.svc": {
        f"{DES}/ISolicitaDescargaService/SolicitaDescargaEmitidos": "emitidos",
        f"{DES}/ISolicitaDescargaService/SolicitaDescargaRecibidos": "recibidos",
    },
    "/solicitud/VerificaSolicitudDescargaService.svc": {
        f"{DES}/IVerificaSolicitudDescargaService/VerificaSolicitudDescarga": "verifica"
    },
    "/descarga/DescargaMasivaService.svc": {
        f"{DES}/IDescargaMasivaTercerosService/Descargar": "descarga"
    },
}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def package_zip(members: dict[str, bytes]) -> bytes:
    """A package as SAT zips it: one member per document."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _metadata_header() -> str:
    """The header line of SAT's metadata file, as the fixture package has it."""
    with zipfile.ZipFile(io.BytesIO(fixture("zip_metadata.zip"))) as archive:
        text = archive.read("45C5C344-DA01-497A-9271-5AA3852EE6AE_01.txt").decode()
    return text.splitlines()[0]


METADATA_HEADER = _metadata_header()


def metadata_zip(rows: list[dict[str, str]]) -> bytes:
    """A Metadata package in SAT's format (the fixture's header line, ``~`` separated)."""
    lines = [METADATA_HEADER]
    for row in rows:
        lines.append("~".join(row.get(name, "") for name in METADATA_HEADER.split("~")))
    return package_zip({f"{uuid.uuid4()}_01.txt": ("\r\n".join(lines) + "\r\n").encode()})


@dataclass
class Solicitud:
    id: str
    operation: str  # emitidos / recibidos
    attributes: dict[str, str]
    verifications: int = 0


@dataclass
class FakeSat:
    rfc: str
    base_url: str = ""
    packages: dict[tuple[str, str], list[bytes]] = field(default_factory=dict)
    pending: int = 0
    max_days: int | None = None
    solicit_codes: list[str] = field(default_factory=list)
    verify_states: list[tuple[int, str]] = field(default_factory=list)
    download_codes: list[str] = field(default_factory=list)
    fail_authentication: bool = False
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    solicitudes: dict[str, Solicitud] = field(default_factory=dict)
    served: dict[str, bytes] = field(default_factory=dict)  # package id → ZIP
    downloads: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    refusals: list[str] = field(default_factory=list)  # why a request was refused

    def operations(self) -> list[str]:
        return [name for name, _attrs in self.calls]


def _verify_rsa_sha1(certificate: x509.Certificate, signed: bytes, signature_b64: str) -> bool:
    try:
        certificate.public_key().verify(  # type: ignore[union-attr, call-arg]
            base64.b64decode(signature_b64), signed, padding.PKCS1v15(), hashes.SHA1()
        )
    except Exception:
        return False
    return True


def _certificate_rfc(certificate: x509.Certificate) -> str:
    for attribute in certificate.subject:
        if attribute.oid.dotted_string == "2.5.4.45":  # x500UniqueIdentifier: "RFC / CURP"
            return str(attribute.value).split("/")[0].strip()
    return ""


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSat

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _fault(self) -> None:
        self._answer(500, fixture("authenticate_response-with-error.xml"))

    def do_POST(self) -> None:
        fake = self.fake
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        operation = ACTIONS.get(self.path, {}).get(self.headers.get("SOAPAction", ""))
        if operation is None:
            self._answer(404, b"")
            return
        root = etree.fromstring(body, PARSER)
        if operation == "autentica":
            self._authenticate(root)
            return
        token = self.headers.get("Authorization", "")
        if not any(token == f'WRAP access_token="{t}"' for t in fake.tokens):
            fake.refusals.append("token")
            self._fault()
            return
        solicitud = root.find(".//{*}solicitud")
        if solicitud is None:
            solicitud = root.find(".//{*}peticionDescarga")
        assert solicitud is not None
        attributes = dict(solicitud.attrib)
        fake.calls.append((operation, attributes))
        code = self._check_signature(solicitud)
        if code:
            fake.refusals.append(f"signature {code}")
        if operation in ("emitidos", "recibidos"):
            self._solicit(operation, attributes, code)
        elif operation == "verifica":
            self._verify(attributes, code)
        else:
            self._download(attributes, code)

    # -- authentication: WS-Security timestamp signed with the e.firma --------------------

    def _authenticate(self, root: etree._Element) -> None:
        fake = self.fake
        fake.calls.append(("autentica", {}))
        security = root.find("{*}Header/{*}Security")
        timestamp = security.find("{*}Timestamp") if security is not None else None
        token = security.find("{*}BinarySecurityToken") if security is not None else None
        signed_info = security.find(f".//{{{DSIG}}}SignedInfo") if security is not None else None
        value = security.find(f".//{{{DSIG}}}SignatureValue") if security is not None else None
        digest = security.find(f".//{{{DSIG}}}DigestValue") if security is not None else None
        ok = all(x is not None for x in (timestamp, token, signed_info, value, digest))
        if ok:
            certificate = x509.load_der_x509_certificate(base64.b64decode(token.text))
            expected = base64.b64encode(
                hashlib.sha1(etree.tostring(timestamp, method="c14n", exclusive=True)).digest()
            ).decode()
            canonical = etree.tostring(signed_info, method="c14n", exclusive=True)
            ok = (
                digest.text == expected
                and _verify_rsa_sha1(certificate, canonical, value.text or "")
                and _certificate_rfc(certificate) == fake.rfc
            )
        if not ok or fake.fail_authentication:
            fake.refusals.append("authentication")
            self._fault()
            return
        answer = etree.fromstring(fixture("authenticate_response-with-token.xml"), PARSER)
        now = datetime.now(UTC)
        stamp = answer.find("{*}Header/{*}Security/{*}Timestamp")
        stamp.find("{*}Created").text = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        stamp.find("{*}Expires").text = (now + timedelta(minutes=5)).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
        new_token = uuid.uuid4().hex
        fake.tokens.add(new_token)
        answer.find(".//{*}AutenticaResult").text = new_token
        self._answer(200, etree.tostring(answer, xml_declaration=True, encoding="UTF-8"))

    # -- the XMLDSig every solicitud carries -----------------------------------------------

    def _check_signature(self, solicitud: etree._Element) -> str:
        """SAT's code for a solicitud whose signature is missing or wrong ('' if fine)."""
        signature = solicitud.find(f"{{{DSIG}}}Signature")
        if signature is None:
            return "302"
        certificate_text = signature.findtext(f".//{{{DSIG}}}X509Certificate") or ""
        try:
            certificate = x509.load_der_x509_certificate(base64.b64decode(certificate_text))
        except ValueError:
            return "305"
        if _certificate_rfc(certificate) != self.fake.rfc:
            return "303"
        if solicitud.get("RfcSolicitante") != self.fake.rfc:
            return "300"
        signed_info = signature.find(f"{{{DSIG}}}SignedInfo")
        # Enveloped signature: the digest covers the signed element without its Signature.
        parent = solicitud.getparent()
        solicitud.remove(signature)
        digest = base64.b64encode(
            hashlib.sha1(etree.tostring(parent, method="c14n", exclusive=False)).digest()
        ).decode()
        solicitud.append(signature)
        if digest != signature.findtext(f".//{{{DSIG}}}DigestValue"):
            return "302"
        # The SignedInfo as the signer canonicalised it: on its own, without the namespaces
        # the envelope declares around it (what satcfdi signs and SAT accepts).
        canonical = etree.tostring(signed_info, method="c14n", exclusive=True)
        value = signature.findtext(f"{{{DSIG}}}SignatureValue") or ""
        if not _verify_rsa_sha1(certificate, canonical, value):
            return "302"
        return ""

    # -- the three operations ------------------------------------------------------------

    def _solicit(self, operation: str, attributes: dict[str, str], code: str) -> None:
        fake = self.fake
        name = (
            "query_response-issued.xml"
            if operation == "emitidos"
            else "query_response-received.xml"
        )
        answer = etree.fromstring(fixture(name), PARSER)
        result = answer.find(".//{*}SolicitaDescargaEmitidosResult")
        if result is None:
            result = answer.find(".//{*}SolicitaDescargaRecibidosResult")
        party = "RfcEmisor" if operation == "emitidos" else "RfcReceptor"
        try:
            start = datetime.fromisoformat(attributes["FechaInicial"])
            end = datetime.fromisoformat(attributes["FechaFinal"])
        except (KeyError, ValueError):
            start = end = None
        if not code and (
            attributes.get(party) != fake.rfc
            or start is None
            or end is None
            or start.tzinfo is not None
            or end <= start
            or attributes.get("TipoSolicitud") not in ("CFDI", "Metadata")
        ):
            code = "301"
        if not code and fake.solicit_codes:
            code = fake.solicit_codes.pop(0)
        if not code and fake.max_days is not None and (end - start) > timedelta(days=fake.max_days):
            code = "5003"
        request_id = ""
        if not code:
            code = "5000"
            request_id = str(uuid.uuid4())
            fake.solicitudes[request_id] = Solicitud(request_id, operation, attributes)
        result.set("IdSolicitud", request_id)
        result.set("CodEstatus", code)
        result.set("Mensaje", "Solicitud Aceptada" if code == "5000" else f"Código {code}")
        self._answer(200, etree.tostring(answer, xml_declaration=True, encoding="UTF-8"))

    def _verify(self, attributes: dict[str, str], code: str) -> None:
        fake = self.fake
        solicitud = fake.solicitudes.get(attributes.get("IdSolicitud", ""))
        if code:
            answer = etree.fromstring(fixture("verify_response-0-packages.xml"), PARSER)
            result = answer.find(".//{*}VerificaSolicitudDescargaResult")
            result.set("CodEstatus", code)
            self._answer(200, etree.tostring(answer, encoding="UTF-8"))
            return
        if solicitud is None:
            answer = etree.fromstring(fixture("verify_response-0-packages.xml"), PARSER)
            answer.find(".//{*}VerificaSolicitudDescargaResult").set(
                "CodigoEstadoSolicitud", "5004"
            )
            self._answer(200, etree.tostring(answer, encoding="UTF-8"))
            return
        solicitud.verifications += 1
        key = (solicitud.operation, solicitud.attributes["TipoSolicitud"])
        packages = fake.packages.get(key, [])
        answer = etree.fromstring(fixture("verify_response-2-packages.xml"), PARSER)
        result = answer.find(".//{*}VerificaSolicitudDescargaResult")
        for node in result.findall("{*}IdsPaquetes"):
            result.remove(node)
        if fake.verify_states:
            estado, codigo = fake.verify_states.pop(0)
            result.set("EstadoSolicitud", str(estado))
            result.set("CodigoEstadoSolicitud", codigo)
            result.set("NumeroCFDIs", "0")
        elif solicitud.verifications <= fake.pending:
            result.set("EstadoSolicitud", "2")
            result.set("CodigoEstadoSolicitud", "5000")
            result.set("NumeroCFDIs", "0")
        elif not packages:
            answer = etree.fromstring(fixture("verify_response-0-packages.xml"), PARSER)
        else:
            result.set("NumeroCFDIs", str(len(packages)))
            for position, data in enumerate(packages, start=1):
                package_id = f"{solicitud.id}_{position:02d}".upper()
                fake.served[package_id] = data
                node = etree.SubElement(result, f"{{{DES}}}IdsPaquetes")
                node.text = package_id
        self._answer(200, etree.tostring(answer, encoding="UTF-8"))

    def _download(self, attributes: dict[str, str], code: str) -> None:
        fake = self.fake
        answer = etree.fromstring(fixture("download_response-with-package.xml"), PARSER)
        header = answer.find("{*}Header/{*}respuesta")
        paquete = answer.find(".//{*}Paquete")
        data = fake.served.get(attributes.get("IdPaquete", ""))
        if not code and fake.download_codes:
            code = fake.download_codes.pop(0)
        if not code and data is None:
            code = "5007"
        if code:
            header.set("CodEstatus", code)
            header.set("Mensaje", f"Código {code}")
            paquete.text = ""
        else:
            fake.downloads.append(attributes["IdPaquete"])
            paquete.text = base64.b64encode(data).decode()
        self._answer(200, etree.tostring(answer, encoding="UTF-8"))


@contextmanager
def fake_sat(rfc: str) -> Iterator[FakeSat]:
    """Start the fake on a free port of 127.0.0.1; stop it when the block ends."""
    fake = FakeSat(rfc=rfc)
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
