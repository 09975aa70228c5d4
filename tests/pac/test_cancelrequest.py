"""Our own Cancelacion: built from the company's CSD in the vault, accepted by the sandbox."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from lxml import etree
from satcfdi.models import Certificate as SatCertificate

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.pac.base import CancelCode, Estado, PacError
from despacho.pac.cancelrequest import CancelFolio, cancellation_xml, signed_cancellation
from despacho.pac.models import SandboxDocument
from despacho.pac.sandbox import SandboxPac
from tests.factories import make_account, owner_of
from tests.pac.cfdis import EKU, sealed_cfdi, signer
from tests.seals.samples import company_of, pair, upload_sample

pytestmark = pytest.mark.django_db

ISSUED = datetime(2025, 12, 1, 16, 0, tzinfo=UTC)
WEEK_LATER = ISSUED + timedelta(days=7)
FECHA = datetime(2025, 12, 1, 9, 55)


@pytest.fixture
def company(settings):
    settings.DESPACHO_SEALS_SANDBOX = True  # SAT's test CSD expired in 2023
    company = company_of(make_account(), EKU)
    upload_sample(company, EKU)
    return company


def stamped_small_invoice() -> str:
    xml = sealed_cfdi(unit_price=Decimal("100.00"), fecha=FECHA)
    return SandboxPac(clock=lambda: ISSUED).stamp(xml).uuid


def test_the_companys_signed_request_cancels_in_the_sandbox(company):
    uuid = stamped_small_invoice()
    owner = owner_of(company.account)
    request = signed_cancellation(
        company=company, folios=[CancelFolio(uuid, "02")], actor=owner, now=WEEK_LATER
    )

    answer = SandboxPac(clock=lambda: WEEK_LATER).cancel(request_xml=request)

    assert answer.code_for(uuid) == CancelCode.ACCEPTED
    assert SandboxDocument.objects.get(uuid=uuid).estado == Estado.CANCELADO
    used = AuditEvent.objects.get(action=Action.SEAL_USED)
    assert used.actor == owner
    assert "RSA-SHA1" in used.after["purpose"]
    assert uuid in used.after["purpose"]


def test_the_request_has_sats_shape_and_carries_only_the_public_certificate(company):
    uuid = stamped_small_invoice()
    request = signed_cancellation(
        company=company, folios=[CancelFolio(uuid, "03")], actor=None, now=WEEK_LATER
    )
    root = etree.fromstring(request)
    ns = {"c": "http://cancelacfd.sat.gob.mx", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    assert root.get("RfcEmisor") == EKU
    assert root.get("Fecha") == "2025-12-08T10:00:00"  # Mexico City's clock
    folio = root.find("c:Folios/c:Folio", ns)
    assert (folio.get("UUID"), folio.get("Motivo")) == (uuid.upper(), "03")
    assert (
        root.find("ds:Signature/ds:SignedInfo/ds:SignatureMethod", ns).get("Algorithm")
        == "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    )
    certificate = base64.b64decode(root.findtext(".//ds:X509Certificate", namespaces=ns))
    assert certificate == pair(EKU, "csd").cer
    assert str(SatCertificate.load_certificate(certificate).rfc) == EKU


def test_motive_01_carries_its_substitute(company):
    uuid = stamped_small_invoice()
    substitute = "5b64ada3-aa4c-40b4-a2f5-572ced52be31"
    request = signed_cancellation(
        company=company, folios=[CancelFolio(uuid, "01", substitute)], actor=None
    )
    assert f'FolioSustitucion="{substitute.upper()}"'.encode() in request


def test_an_invalid_motive_is_refused_before_anything_is_signed(company):
    with pytest.raises(ValidationError) as caught:
        signed_cancellation(
            company=company,
            folios=[CancelFolio("5b64ada3-aa4c-40b4-a2f5-572ced52be31", "01")],
            actor=None,
        )
    assert caught.value.error_dict["folio_sustitucion"][0].code == "folio_sustitucion_required"
    assert not AuditEvent.objects.filter(action=Action.SEAL_USED).exists()


def test_a_company_without_a_csd_cannot_sign_a_cancellation():
    company = company_of(make_account(), EKU)
    with pytest.raises(ValidationError) as caught:
        signed_cancellation(
            company=company,
            folios=[CancelFolio("5b64ada3-aa4c-40b4-a2f5-572ced52be31", "02")],
            actor=None,
        )
    assert "CSD" in caught.value.messages[0]


def test_a_request_signed_with_another_key_is_refused():
    uuid = stamped_small_invoice()
    theirs = signer("CACX7605101P8")
    request = cancellation_xml(
        rfc_emisor=EKU,
        folios=[CancelFolio(uuid, "02")],
        fecha=WEEK_LATER,
        certificate_der=pair(EKU, "csd").cer,
        sign_sha1=lambda data: base64.b64decode(theirs.sign_sha1(data)),
    )
    with pytest.raises(PacError) as caught:
        SandboxPac(clock=lambda: WEEK_LATER).cancel(request_xml=request)
    assert caught.value.code == "firma"
