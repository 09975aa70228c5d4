"""The CFDI pages speak to people: SAT codes with their descriptions, Mexican dates and
amounts, the tipo in words (issue 13: no raw 606, CP01, 2020-01-02T22:40:38, 17852.75)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from cfdi_samples import (
    INGRESO_HE,
    NOMINA_EKU,
    PAGO_HE,
    SAMPLE_UUIDS,
    any_rfc,
    cfdi_xml,
    company_with_rfc,
    sample,
)
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from tests.factories import owner_of

from despacho.cfdi.presentation import money_text
from despacho.cfdi.services import cfdi_ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def he(client):
    """H&E951128469 with its real invoice and its payment, its owner logged in."""
    company = company_with_rfc("H&E951128469")
    cfdi_ingest(company=company, data=sample(INGRESO_HE))
    cfdi_ingest(company=company, data=sample(PAGO_HE), accept_unverified=True)
    client.force_login(owner_of(company.account))
    return company


def _detail(client, uuid: str) -> str:
    return client.get(reverse("cfdi:detail", args=[uuid])).content.decode()


def test_the_detail_names_each_sat_code_with_its_catalog_description(client, he):
    body = _detail(client, SAMPLE_UUIDS[INGRESO_HE])
    for shown in (
        "I · Ingreso",  # c_TipoDeComprobante
        "606 · Arrendamiento",  # c_RegimenFiscal, emisor
        "601 · General de Ley Personas Morales",  # receptor
        "G03 · Gastos en general",  # c_UsoCFDI
        "PPD · Pago en parcialidades o diferido",  # c_MetodoPago
        "MXN · Peso Mexicano",  # c_Moneda
        "01 · No aplica",  # c_Exportacion
        "02 · Sí objeto de impuesto",  # c_ObjetoImp
    ):
        assert shown in body


def test_the_detail_shows_dates_in_mexican_format_as_issued(client, he):
    body = _detail(client, SAMPLE_UUIDS[INGRESO_HE])
    assert "1 de enero de 2020, 22:40" in body  # Fecha="2020-01-01T22:40:38"
    assert "11 de enero de 2020, 00:00" in body  # FechaTimbrado
    assert "2020-01-01T22:40:38" not in body


def test_the_detail_shows_amounts_with_thousands_two_decimals_and_currency(client, he):
    body = _detail(client, SAMPLE_UUIDS[INGRESO_HE])
    assert "$15,390.30 MXN" in body  # subtotal
    assert "$17,852.75 MXN" in body  # total
    assert "16 %" in body  # TasaOCuota 0.160000
    assert "17852.75" not in body


def test_a_payment_shows_its_date_forma_and_amount_readably(client, he):
    body = _detail(client, SAMPLE_UUIDS[PAGO_HE])
    assert "CP01 · Pagos" in body
    assert "2 de enero de 2020, 22:40" in body  # FechaPago="2020-01-02T22:40:38"
    assert "03 · Transferencia electrónica de fondos" in body
    assert "$17,852.75 MXN" in body  # Monto


def test_a_payroll_shows_its_period_as_dates_and_its_totals_as_money(client):
    company = company_with_rfc("EKU9003173C9")
    cfdi_ingest(company=company, data=sample(NOMINA_EKU))
    client.force_login(owner_of(company.account))
    body = _detail(client, SAMPLE_UUIDS[NOMINA_EKU])
    assert "CN01 · Nómina" in body
    assert "9 de mayo de 2023 — 24 de mayo de 2023" in body
    assert "<dt>Percepciones</dt><dd>$5,000.00</dd>" in body
    assert "5000.0<" not in body


def test_a_date_is_shown_as_the_xml_wrote_it_even_in_an_hour_daylight_saving_skipped(client):
    # Mexico City clocks jumped from 02:00 to 03:00 on 4 April 2021: the issuer's text stays.
    company = company_with_rfc(any_rfc())
    cfdi_ingest(
        company=company,
        data=cfdi_xml(emisor=company.rfc, receptor=any_rfc(), fecha="2021-04-04T02:30:00"),
    )
    client.force_login(owner_of(company.account))
    listed = client.get(reverse("cfdi:list", args=["ventas"]))
    (cfdi,) = listed.context["page"].object_list
    assert "4 de abril de 2021, 02:30" in _detail(client, str(cfdi.uuid))


def test_the_list_shows_the_tipo_in_words_and_amounts_and_dates_readably(client, he):
    body = client.get(reverse("cfdi:list", args=["ventas"])).content.decode()
    assert "<td>Ingreso</td>" in body
    assert "<td>Pago</td>" in body
    assert '<td class="amount">$17,852.75 MXN</td>' in body
    assert "<td>1 ene 2020, 22:40</td>" in body
    assert "total $17,852.75" in body  # the totals line
    assert "<td>I</td>" not in body


@given(cents=st.integers(min_value=-(10**15), max_value=10**15))
def test_money_reads_back_as_the_amount_rounded_to_cents(cents):
    amount = Decimal(cents) / 100
    text = money_text(amount, "MXN")
    assert text.endswith(" MXN")
    number = text.removesuffix(" MXN").replace("$", "").replace(",", "")
    assert Decimal(number) == amount
    groups = text.removesuffix(" MXN").lstrip("-$").split(".")[0].split(",")
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3


def test_money_rounds_half_up_like_the_pdf():
    assert money_text("2.005") == "$2.01"
    assert money_text(Decimal("1234567.5"), "USD") == "$1,234,567.50 USD"
    assert money_text("no es número") == "no es número"
