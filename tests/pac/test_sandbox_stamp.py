"""The sandbox PAC stamps like a PAC: it validates, seals the timbre, and never stamps twice."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from lxml import etree
from satcfdi.models import Certificate
from satcfdi.transform import xslt_transform

from despacho.cfdi.parsing import TFD, parse_xml
from despacho.pac.base import Pac, PacError, get_pac
from despacho.pac.sandbox import (
    SANDBOX_CERTIFICATE_STEM,
    SANDBOX_RFC_PROV_CERTIF,
    SandboxPac,
    is_sandbox_stamp,
)
from despacho.pac.xsd import xsd_errors
from despacho.samples import CFDI_SAMPLES_DIR
from tests.pac.cfdis import CACX, EKU, sealed_cfdi, signer

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 16, 0, 5, tzinfo=UTC)


def sandbox() -> SandboxPac:
    return SandboxPac(clock=lambda: NOW)


def timbre_of(xml: bytes) -> etree._Element:
    tfd = parse_xml(xml).find(f".//{{{TFD}}}TimbreFiscalDigital")
    assert tfd is not None
    return tfd


def test_the_default_pac_is_the_sandbox():
    pac = get_pac()
    assert pac.name == "sandbox"
    assert isinstance(pac, Pac)


def test_an_unknown_pac_in_settings_stops_with_a_clear_error(settings):
    settings.DESPACHO_PAC = "otro"
    with pytest.raises(ImproperlyConfigured):
        get_pac()


def test_a_cfdi_sealed_with_the_expired_sat_test_csd_is_stamped_and_still_validates():
    stamped = sandbox().stamp(sealed_cfdi())

    assert xsd_errors(parse_xml(stamped.xml)) == []
    tfd = timbre_of(stamped.xml)
    assert tfd.get("Version") == "1.1"
    assert tfd.get("UUID", "").lower() == stamped.uuid
    assert tfd.get("RfcProvCertif") == SANDBOX_RFC_PROV_CERTIF
    assert tfd.get("SelloCFD") == parse_xml(stamped.xml).get("Sello")
    assert tfd.get("NoCertificadoSAT") == stamped.no_certificado_sat
    assert tfd.get("FechaTimbrado") == "2026-12-01T10:00:05"  # Mexico City's clock
    assert stamped.fecha_timbrado == NOW


def test_the_timbre_seal_verifies_with_the_sandbox_certificate():
    stamped = sandbox().stamp(sealed_cfdi())
    tfd = timbre_of(stamped.xml)
    cadena = str(xslt_transform(tfd.tag, "1.1")(tfd)).encode()
    certificate = Certificate.load_certificate(
        SANDBOX_CERTIFICATE_STEM.with_suffix(".cer").read_bytes()
    )

    assert cadena.startswith(b"||1.1|" + tfd.get("UUID", "").encode())
    assert certificate.verify_sha256(cadena, base64.b64decode(tfd.get("SelloSAT", "")))
    assert str(certificate.rfc) == CACX


def test_stamping_the_same_xml_twice_returns_the_first_stamp():
    xml = sealed_cfdi()
    first = sandbox().stamp(xml)
    later = SandboxPac(clock=lambda: datetime(2026, 12, 2, tzinfo=UTC)).stamp(xml)

    assert later.uuid == first.uuid
    assert later.xml == first.xml


def test_recover_finds_what_was_stamped_and_nothing_else():
    xml = sealed_cfdi()
    assert sandbox().recover(xml) is None
    stamped = sandbox().stamp(xml)

    recovered = sandbox().recover(xml)
    assert recovered is not None
    assert recovered.uuid == stamped.uuid
    assert recovered.xml == stamped.xml


def test_each_cfdi_gets_its_own_uuid():
    one = sandbox().stamp(sealed_cfdi(folio="1"))
    two = sandbox().stamp(sealed_cfdi(folio="2"))
    assert one.uuid != two.uuid


def test_sandbox_stamps_are_recognised_and_real_ones_are_not():
    assert is_sandbox_stamp(sandbox().stamp(sealed_cfdi()).xml)
    real = (CFDI_SAMPLES_DIR / "ingreso_cfdiutils_cfdi40-real.xml").read_bytes()
    assert not is_sandbox_stamp(real)
    assert not is_sandbox_stamp(b"not xml")


def test_a_file_that_is_not_xml_is_refused_in_spanish():
    with pytest.raises(PacError) as caught:
        sandbox().stamp(b"<cfdi:Comprobante")
    assert caught.value.code == "xml"
    assert caught.value.message_es == "No es un archivo XML válido."
    assert caught.value.retryable is False


def test_a_cfdi_against_the_xsd_is_refused_naming_the_schema():
    xml = sealed_cfdi().replace(b'Exportacion="01"', b'Exportacion="99"')
    with pytest.raises(PacError) as caught:
        sandbox().stamp(xml)
    assert caught.value.code == "xsd"
    assert "esquema XSD del SAT" in caught.value.message_es
    assert "Exportacion" in caught.value.message_es


def test_a_tampered_cfdi_is_refused_for_its_seal():
    xml = sealed_cfdi().replace(b'Folio="1"', b'Folio="2"')
    with pytest.raises(PacError) as caught:
        sandbox().stamp(xml)
    assert caught.value.code == "sello"
    assert "Sello inválido" in caught.value.message_es


def test_a_cfdi_sealed_with_someone_elses_certificate_is_refused():
    xml = sealed_cfdi(issuer=signer(EKU))
    root = parse_xml(xml)
    other = signer(CACX)
    root.set("Certificado", other.certificate_base64())
    with pytest.raises(PacError) as caught:
        sandbox().stamp(etree.tostring(root))
    assert caught.value.code == "certificado_rfc"
    assert EKU in caught.value.message_es


def test_an_already_stamped_cfdi_is_refused():
    real = (CFDI_SAMPLES_DIR / "ingreso_cfdiutils_cfdi40-real.xml").read_bytes()
    with pytest.raises(PacError) as caught:
        sandbox().stamp(real)
    assert caught.value.code == "timbre_previo"


def test_a_cfdi_33_is_refused():
    xml = b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/3" Version="3.3"/>'
    with pytest.raises(PacError) as caught:
        sandbox().stamp(xml)
    assert caught.value.code == "version"


@pytest.mark.parametrize(
    "fecha",
    [datetime(2026, 11, 28, 9, 59, 0), datetime(2026, 12, 1, 10, 6, 0)],
    ids=["more than 72 hours old", "in the future"],
)
def test_a_fecha_outside_the_72_hours_before_stamping_is_refused(fecha):
    with pytest.raises(PacError) as caught:
        sandbox().stamp(sealed_cfdi(fecha=fecha))
    assert caught.value.code == "fecha"
    assert "72 horas" in caught.value.message_es


def test_the_fecha_is_read_in_the_local_time_of_the_place_of_issue():
    # LugarExpedicion 42501 is on Mexico City's clock: 72 hours before 10:00:05 passes.
    assert sandbox().stamp(sealed_cfdi(fecha=datetime(2026, 11, 28, 10, 0, 6)))
