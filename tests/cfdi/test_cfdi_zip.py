"""The ZIP download of a filtered selection: streamed, exact, byte-identical, bounded, scoped."""

from __future__ import annotations

import io
import zipfile

import pytest
from cfdi_samples import NOMINA_EKU, PAGO_EKU, SAMPLE_UUIDS, any_rfc, cfdi_xml, company_with_rfc
from cfdi_samples import sample as sample_bytes
from django.http import StreamingHttpResponse
from django.urls import reverse
from tests.factories import make_account, make_grant, make_membership, owner_of

from despacho.cfdi.services import cfdi_ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def ventas():
    """A company with five issued invoices to two customers, and one received invoice."""
    company = company_with_rfc(any_rfc())
    acme, beta = any_rfc(), any_rfc()
    originals = {}
    for i, (receptor, fecha) in enumerate(
        [
            (acme, "2026-01-10T09:00:00"),
            (acme, "2026-01-20T09:00:00"),
            (beta, "2026-02-05T09:00:00"),
            (beta, "2026-02-06T09:00:00"),
            (acme, "2026-03-01T09:00:00"),
        ]
    ):
        data = cfdi_xml(emisor=company.rfc, receptor=receptor, fecha=fecha, folio=str(i))
        outcome = cfdi_ingest(company=company, data=data)
        originals[outcome.uuid.upper()] = (receptor, fecha, data)
    cfdi_ingest(company=company, data=cfdi_xml(emisor=any_rfc(), receptor=company.rfc))
    return company, acme, originals


def _archive(response) -> dict[str, bytes]:
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_zip_streams_exactly_the_filtered_cfdis_byte_identical(client, ventas):
    company, acme, originals = ventas
    client.force_login(owner_of(company.account))
    response = client.get(
        reverse("cfdi:zip", args=["ventas"]),
        {"counterpart": acme, "since": "2026-01-15", "until": "2026-12-31"},
    )
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/zip"
    assert f"cfdi-ventas-{company.rfc}.zip" in response["Content-Disposition"]
    files = _archive(response)
    expected = {
        f"{uuid}.xml": data
        for uuid, (receptor, fecha, data) in originals.items()
        if receptor == acme and fecha >= "2026-01-15"
    }
    assert len(expected) == 2
    assert files == expected


def test_the_zip_is_sent_in_many_pieces_not_built_in_memory(client, ventas, monkeypatch):
    company, _acme, originals = ventas
    monkeypatch.setattr("despacho.cfdi.downloads.CHUNK", 256)
    client.force_login(owner_of(company.account))
    response = client.get(reverse("cfdi:zip", args=["ventas"]))
    pieces = list(response.streaming_content)
    largest = max(len(piece) for piece in pieces)
    assert len(pieces) > len(originals)
    assert largest < sum(len(data) for _r, _f, data in originals.values())
    with zipfile.ZipFile(io.BytesIO(b"".join(pieces))) as archive:
        assert len(archive.namelist()) == len(originals)


def test_a_selection_beyond_the_limit_is_refused_with_a_spanish_message(client, ventas, settings):
    company, _acme, _originals = ventas
    settings.CFDI_ZIP_DOWNLOAD_MAX = 3
    client.force_login(owner_of(company.account))
    response = client.get(reverse("cfdi:zip", args=["ventas"]), follow=True)
    body = response.content.decode()
    assert "La descarga en ZIP admite hasta 3 CFDI y con estos filtros hay 5." in body
    assert response.redirect_chain[-1][0].startswith(reverse("cfdi:list", args=["ventas"]))


def test_an_empty_selection_says_so(client, ventas):
    company, _acme, _originals = ventas
    client.force_login(owner_of(company.account))
    response = client.get(
        reverse("cfdi:zip", args=["ventas"]), {"counterpart": any_rfc()}, follow=True
    )
    assert "No hay CFDI con esos filtros para descargar." in response.content.decode()


def test_the_zip_of_a_category_the_grant_does_not_open_is_forbidden(client):
    company = company_with_rfc("EKU9003173C9")
    cfdi_ingest(company=company, data=sample_bytes(NOMINA_EKU))
    cfdi_ingest(company=company, data=sample_bytes(PAGO_EKU))
    membership = make_membership(company.account)
    make_grant(membership, company, "auxiliar_ventas")
    client.force_login(membership.user)
    assert client.get(reverse("cfdi:zip", args=["nomina"])).status_code == 403
    files = _archive(client.get(reverse("cfdi:zip", args=["ventas"])))
    assert list(files) == [f"{SAMPLE_UUIDS[PAGO_EKU].upper()}.xml"]


def test_the_zip_holds_only_the_active_companys_documents(client, ventas):
    _company, _acme, _originals = ventas
    other = make_account()
    other_company = company_with_rfc(any_rfc(), other)
    cfdi_ingest(company=other_company, data=cfdi_xml(emisor=other_company.rfc, receptor=any_rfc()))
    client.force_login(owner_of(other))
    files = _archive(client.get(reverse("cfdi:zip", args=["ventas"])))
    assert len(files) == 1
    assert not set(files) & {f"{uuid}.xml" for uuid in _originals}


def test_anonymous_visitors_cannot_download_a_zip(client, ventas):
    response = client.get(reverse("cfdi:zip", args=["ventas"]))
    assert response.status_code == 302
