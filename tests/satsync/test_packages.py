"""SAT's packages as SAT zips them (nodecfdi's real fixtures): metadata files read into
rows, and a CFDI package's members that are not CFDI refused by the repository's rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import pytest

from despacho.cfdi.models import Cfdi
from despacho.satsync.metadata import MEXICO, metadata_rows
from despacho.satsync.services import package_ingest
from tests.satsync.fake_sat import fixture
from tests.satsync.packages import issued_package


def test_a_metadata_package_is_read_row_by_row_with_mexico_city_times():
    rows = list(metadata_rows(fixture("zip_metadata.zip")))
    assert [r.uuid for r in rows] == [
        UUID("E7215E3B-2DC5-4A40-AB10-C902FF9258DF"),
        UUID("129C4D12-1415-4ACE-BE12-34E71C4EAB4E"),
    ]
    first = rows[0]
    assert (first.emisor_rfc, first.receptor_rfc, first.pac_rfc) == (
        "XAXX010101000",
        "XAXX010101001",
        "XAXX010101003",
    )
    assert first.emisor_nombre == "RAZON SOCIAL 1"
    assert first.fecha_emision == datetime(2018, 1, 11, 7, 10, 23, tzinfo=MEXICO)
    assert first.monto == Decimal("1124.11")
    assert (first.efecto, first.vigente, first.fecha_cancelacion) == ("I", True, None)


def test_a_third_parties_metadata_package_reads_its_cfdi_and_skips_the_third_parties_list():
    rows = list(metadata_rows(fixture("zip_metadata-terceros.zip")))
    assert rows
    assert all(r.receptor_rfc == "COSC8001137NA" for r in rows)


@pytest.mark.django_db
def test_members_of_a_cfdi_package_that_are_not_cfdi_get_the_repository_s_refusals(company):
    counts = package_ingest(company=company, package=fixture("zip_cfdi.zip"), name="p.zip")
    assert counts["accepted"] == 0
    assert counts["refused"] >= 1
    assert all(refusal["message"] for refusal in counts["refusals"])
    assert Cfdi.objects.filter(company=company).count() == 0


@pytest.mark.django_db
def test_a_package_of_the_company_s_real_cfdi_verifies_their_seals(company, verify_seals):
    counts = package_ingest(company=company, package=issued_package(), name="p.zip")
    assert counts["accepted"] == 2
    assert set(Cfdi.objects.filter(company=company).values_list("seal_verified", flat=True)) == {
        True
    }
