"""The Finkok adapter against a fake Finkok on 127.0.0.1 that speaks its SOAP wire format."""

from __future__ import annotations

import hashlib
import socket
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from despacho.cfdi.parsing import parse_xml
from despacho.pac.base import CancelCode, Pac, PacError, get_pac
from despacho.pac.finkok import FinkokPac
from tests.pac.cfdis import cancellation_request
from tests.pac.fake_finkok import (
    PASSWORD,
    USERNAME,
    finkok_stamped,
    running_fake_finkok,
    stamped_uuid,
    unstamped,
)
from tests.smtp import free_port


@pytest.fixture
def fake():
    with running_fake_finkok() as server:
        yield server


def finkok(base_url: str, *, password: str = PASSWORD, timeout: float = 5) -> FinkokPac:
    return FinkokPac(base_url=base_url, username=USERNAME, password=password, timeout=timeout)


def test_settings_choose_finkok_with_its_url_and_account(settings):
    settings.DESPACHO_PAC = "finkok"
    settings.DESPACHO_PAC_URL = "http://127.0.0.1:9/"
    settings.DESPACHO_PAC_USER = USERNAME
    settings.DESPACHO_PAC_PASSWORD = PASSWORD
    settings.DESPACHO_PAC_TIMEOUT = 7
    pac = get_pac()
    assert isinstance(pac, FinkokPac)
    assert pac.get_service_url("stamp") == "http://127.0.0.1:9/servicios/soap/stamp.wsdl"
    assert pac.timeout == 7
    assert isinstance(pac, Pac)


def test_stamping_returns_finkoks_xml_byte_for_byte(fake):
    stamped = finkok(fake.base_url).stamp(unstamped())

    assert stamped.xml == finkok_stamped()
    assert stamped.uuid == stamped_uuid()
    assert stamped.no_certificado_sat
    assert stamped.fecha_timbrado.tzinfo is not None
    assert fake.operations() == ["stamp"]


def test_a_duplicate_stamp_recovers_the_first_one_and_stamps_nothing_new(fake):
    pac = finkok(fake.base_url)
    first = pac.stamp(unstamped())

    again = pac.stamp(unstamped())

    assert again.uuid == first.uuid
    assert again.xml == first.xml
    assert fake.operations() == ["stamp", "stamp", "stamped"]
    assert len(fake.stamped) == 1


def test_a_duplicate_answered_with_the_first_stamp_inline_needs_no_second_call(fake):
    pac = finkok(fake.base_url)
    first = pac.stamp(unstamped())
    fake.duplicate_with_xml = True

    assert pac.stamp(unstamped()).uuid == first.uuid
    assert fake.operations() == ["stamp", "stamp"]


def test_recover_finds_a_stamp_whose_answer_was_lost_and_none_otherwise(fake):
    pac = finkok(fake.base_url)
    assert pac.recover(unstamped()) is None
    first = pac.stamp(unstamped())

    recovered = pac.recover(unstamped())

    assert recovered is not None
    assert recovered.uuid == first.uuid
    assert fake.operations() == ["stamped", "stamp", "stamped"]


@pytest.mark.parametrize(
    ("code", "finkok_says", "spanish", "retryable"),
    [
        ("301", "XML mal formado", "El XML está mal formado", False),
        ("302", "Sello mal formado o inválido", "El sello del CFDI está mal formado", False),
        ("303", "Sello no corresponde a emisor", "no corresponde al certificado del emisor", False),
        (
            "305",
            "La fecha de emisión no esta dentro de la vigencia del CSD del Emisor",
            "vigencia",
            False,
        ),
        ("705", "XML Estructura inválida", "estructura que exige el SAT", False),
        ("708", "No se pudo conectar al SAT", "no pudo conectar con el SAT", True),
        ("999", "Algo nuevo", "El PAC rechazó la operación (código 999): Algo nuevo", False),
    ],
)
def test_each_incidence_becomes_a_spanish_message(fake, code, finkok_says, spanish, retryable):
    fake.next_incidence = (code, finkok_says)
    with pytest.raises(PacError) as caught:
        finkok(fake.base_url).stamp(unstamped())
    assert caught.value.code == code
    assert spanish in caught.value.message_es
    assert caught.value.retryable is retryable


def test_a_307_whose_stamp_cannot_be_fetched_yet_asks_to_retry(fake):
    # Finkok knows it stamped the CFDI, but ``stamped`` cannot hand the stamp over yet.
    fake.next_incidence = ("307", "El CFDI contiene un timbre previo")
    with pytest.raises(PacError) as caught:
        finkok(fake.base_url).stamp(unstamped())
    assert caught.value.code == "307"
    assert caught.value.retryable is True
    assert fake.operations() == ["stamp", "stamped"]


def test_wrong_credentials_are_refused_by_the_fake_and_never_pass(fake):
    with pytest.raises(PacError) as caught:
        finkok(fake.base_url, password="wrong").stamp(unstamped())
    assert caught.value.code == "fault"
    assert "wrong password" in caught.value.message_es
    assert fake.operations() == []


def test_a_pac_that_does_not_answer_in_time_is_a_retryable_error():
    with socket.socket() as silent:  # accepts connections and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(PacError) as caught:
            finkok(f"http://127.0.0.1:{port}", timeout=0.2).stamp(unstamped())
    assert caught.value.code == "timeout"
    assert caught.value.retryable is True
    assert caught.value.message_es == (
        "El PAC no respondió a tiempo. Inténtalo de nuevo en unos minutos."
    )


def test_a_refused_connection_is_a_retryable_error():
    with pytest.raises(PacError) as caught:
        finkok(f"http://127.0.0.1:{free_port()}").stamp(unstamped())
    assert caught.value.code == "unreachable"
    assert caught.value.retryable is True
    assert "No fue posible conectar con el PAC" in caught.value.message_es


def test_a_stamp_of_another_cfdi_is_refused(fake):
    sello = parse_xml(unstamped()).get("Sello", "")
    other = unstamped().replace(sello.encode(), sello[::-1].encode())
    fake.stamped[hashlib.sha256(other).hexdigest()] = finkok_stamped()
    fake.duplicate_with_xml = True
    with pytest.raises(PacError) as caught:
        finkok(fake.base_url).stamp(other)
    assert "no corresponde al CFDI enviado" in caught.value.message_es


def test_cancel_sends_our_signed_request_and_reads_each_uuid_status(fake):
    uuid = stamped_uuid()
    fake.cancel_codes = {uuid: "201"}
    answer = finkok(fake.base_url).cancel(request_xml=cancellation_request(uuid))

    assert answer.code_for(uuid) == CancelCode.ACCEPTED
    assert answer.acuse.startswith(b"<?xml")
    assert b'RfcEmisor="EKU9003173C9"' in answer.acuse
    operation, fields = fake.requests[0]
    assert operation == "cancel_signature"
    assert set(fields) == {"xml"}  # our signed XML only: no .cer, no .key, no password


def test_cancel_of_an_unknown_uuid_reads_205(fake):
    uuid = stamped_uuid()
    fake.cancel_codes = {uuid: "205"}
    answer = finkok(fake.base_url).cancel(request_xml=cancellation_request(uuid))
    assert answer.code_for(uuid) == CancelCode.NOT_FOUND


def test_a_refused_cancellation_is_a_spanish_error(fake):
    fake.cancel_error = "300 - Usuario y contraseña inválidos"
    with pytest.raises(PacError) as caught:
        finkok(fake.base_url).cancel(request_xml=cancellation_request(stamped_uuid()))
    assert caught.value.code == "300"
    assert "usuario o la contraseña del PAC" in caught.value.message_es


def test_a_cancellation_refused_without_a_code_quotes_finkok(fake):
    fake.cancel_error = "UUID No encontrado"
    with pytest.raises(PacError) as caught:
        finkok(fake.base_url).cancel(request_xml=cancellation_request(stamped_uuid()))
    assert caught.value.code == "cancel"
    assert caught.value.message_es == (
        "El PAC rechazó la operación (código cancel): UUID No encontrado"
    )


def test_status_reads_sats_consulta(fake):
    fake.sat = {
        "CodigoEstatus": "S - Comprobante obtenido satisfactoriamente.",
        "EsCancelable": "Cancelable con aceptación",
        "Estado": "Vigente",
        "EstatusCancelacion": "En proceso",
    }
    answer = finkok(fake.base_url).status(
        uuid=stamped_uuid(),
        emisor_rfc="EKU9003173C9",
        receptor_rfc="URE180429TM6",
        total=Decimal("0.10"),
    )
    assert (answer.estado, answer.es_cancelable, answer.estatus_cancelacion) == (
        "Vigente",
        "Cancelable con aceptación",
        "En proceso",
    )
    _, fields = fake.requests[0]
    assert fields == {
        "taxpayer_id": "EKU9003173C9",
        "rtaxpayer_id": "URE180429TM6",
        "uuid": stamped_uuid().upper(),
        "total": "0.10",
    }


def test_an_answer_with_a_doctype_is_not_parsed(fake):
    class Evil(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(PacError) as caught:
            finkok(f"http://127.0.0.1:{server.server_address[1]}").stamp(unstamped())
    finally:
        server.shutdown()
        server.server_close()
    assert caught.value.code == "respuesta"


def test_a_wrong_base_url_is_named_and_not_retried(fake):
    with pytest.raises(PacError) as caught:
        finkok(fake.base_url + "/otra-ruta").stamp(unstamped())
    assert caught.value.code == "404"
    assert "DESPACHO_PAC_URL" in caught.value.message_es
    assert caught.value.retryable is False
