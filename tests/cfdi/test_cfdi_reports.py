"""Informes: a year month by month per category, only vigentes, in MXN, exports, grants."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from cfdi_samples import (
    INGRESO_HE,
    NOMINA_EKU,
    PAGO_EKU,
    PAGO_HE,
    SAMPLE_UUIDS,
    any_rfc,
    cfdi_xml,
    company_with_rfc,
    impuestos_xml,
    nomina_xml,
    sample,
)
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from tests.factories import make_account, make_grant, make_membership, owner_of

from despacho.cfdi.models import Cfdi, Status
from despacho.cfdi.reindex import fill_report_amounts
from despacho.cfdi.reports import cfdi_report
from despacho.cfdi.selectors import CategoryForbidden
from despacho.cfdi.services import cfdi_ingest

pytestmark = pytest.mark.django_db

D = Decimal


def _ingest(company, **kwargs):
    outcome = cfdi_ingest(company=company, data=cfdi_xml(**kwargs))
    assert outcome.status == "accepted", outcome.message
    return outcome.uuid


@pytest.fixture
def books():
    """One company's 2026: sales, a credit note, a USD sale, expenses, payroll, and noise."""
    company = company_with_rfc(any_rfc())
    me, customer, supplier = company.rfc, any_rfc(), any_rfc()
    taxes = impuestos_xml(iva="16.00", isr_ret="10.00", iva_ret="10.67")
    # January: two invoices with taxes; a cancelled one that must not count.
    for folio in ("1", "2"):
        _ingest(
            company,
            emisor=me,
            receptor=customer,
            folio=folio,
            fecha="2026-01-10T12:00:00",
            subtotal="100.00",
            total="95.33",
            impuestos=taxes,
        )
    cancelled = _ingest(
        company,
        emisor=me,
        receptor=customer,
        folio="3",
        fecha="2026-01-20T12:00:00",
        subtotal="1000.00",
        total="1160.00",
        impuestos=impuestos_xml(iva="160.00"),
    )
    Cfdi.objects.filter(company=company, uuid=cancelled).update(status=Status.CANCELADO)
    # February: a USD invoice at 17.50; a payment (no amounts); a credit note in MXN.
    _ingest(
        company,
        emisor=me,
        receptor=customer,
        folio="4",
        fecha="2026-02-03T12:00:00",
        subtotal="100.00",
        total="116.00",
        moneda="USD",
        tipo_cambio="17.50",
        impuestos=impuestos_xml(iva="16.00"),
    )
    _ingest(
        company,
        emisor=me,
        receptor=customer,
        folio="5",
        tipo="P",
        moneda="XXX",
        fecha="2026-02-04T12:00:00",
        subtotal="0",
        total="0",
    )
    _ingest(
        company,
        emisor=me,
        receptor=customer,
        folio="6",
        tipo="E",
        fecha="2026-02-28T23:59:00",
        subtotal="50.00",
        total="58.00",
        impuestos=impuestos_xml(iva="8.00"),
    )
    # New Year's Eve in Mexico City belongs to 2025 even though it is 2026 in UTC.
    _ingest(
        company,
        emisor=me,
        receptor=customer,
        folio="7",
        fecha="2025-12-31T21:00:00",
        subtotal="999.00",
        total="999.00",
    )
    # Egresos: a received invoice with IVA acreditable and IEPS.
    _ingest(
        company,
        emisor=supplier,
        receptor=me,
        fecha="2026-03-15T12:00:00",
        subtotal="200.00",
        total="240.00",
        impuestos=impuestos_xml(iva="32.00", ieps="8.00"),
    )
    # Nómina: two employees; one paid twice in January, one once in March.
    ana, beto = any_rfc(), any_rfc()
    for receptor, fecha, perc, ded, otros in [
        (ana, "2026-01-15T12:00:00", "5000.00", "300.00", "0"),
        (ana, "2026-01-31T12:00:00", "5000.00", "300.00", "0"),
        (beto, "2026-03-15T12:00:00", "8000.00", "900.00", "150.00"),
    ]:
        _ingest(
            company,
            emisor=me,
            receptor=receptor,
            tipo="N",
            fecha=fecha,
            subtotal=perc,
            total="0",
            complement=nomina_xml(percepciones=perc, deducciones=ded, otros_pagos=otros),
        )
    return company


def test_the_ventas_report_totals_each_month_in_mxn_with_credit_notes_subtracted(books):
    report = cfdi_report(
        viewer=owner_of(books.account), company=books, category="ventas", year=2026
    )
    january, february, march = report.rows[0], report.rows[1], report.rows[2]
    assert len(report.rows) == 12
    assert (january["count"], january["subtotal"], january["iva"]) == (2, D("200.00"), D("32.00"))
    assert (january["isr_retenido"], january["iva_retenido"]) == (D("20.00"), D("21.34"))
    assert january["total"] == D("190.66")
    # USD 100 at 17.50 = 1,750 MXN; the credit note subtracts 50; the payment adds nothing.
    assert february["count"] == 2
    assert february["subtotal"] == D("1700.00")
    assert february["iva"] == D("272.00")  # 16 × 17.50 − 8
    assert february["total"] == D("1972.00")  # 116 × 17.50 − 58
    assert march["count"] == 0 and march["total"] == D("0.00")
    assert report.totals["subtotal"] == D("1900.00")
    assert report.totals["count"] == 4
    assert any("vigentes" in note for note in report.notes)
    assert any("tipo de cambio" in note for note in report.notes)


def test_the_egresos_report_calls_the_iva_acreditable_by_its_name(books):
    report = cfdi_report(
        viewer=owner_of(books.account), company=books, category="egresos", year=2026
    )
    assert "IVA acreditable" in [column.label for column in report.columns]
    march = report.rows[2]
    assert (march["count"], march["iva"], march["ieps"], march["total"]) == (
        1,
        D("32.00"),
        D("8.00"),
        D("240.00"),
    )


def test_the_nomina_report_counts_distinct_employees_and_the_net_paid(books):
    report = cfdi_report(
        viewer=owner_of(books.account), company=books, category="nomina", year=2026
    )
    january, march = report.rows[0], report.rows[2]
    assert (january["count"], january["employees"]) == (2, 1)
    assert (january["percepciones"], january["deducciones"]) == (D("10000.00"), D("600.00"))
    assert january["neto"] == D("9400.00")
    assert march["neto"] == D("7250.00")  # 8000 + 150 − 900
    assert report.totals["employees"] == 2  # distinct over the year, not the sum of months
    assert report.totals["neto"] == D("16650.00")


def test_a_foreign_currency_cfdi_without_tipo_de_cambio_is_flagged(books):
    _ingest(
        books,
        emisor=books.rfc,
        receptor=any_rfc(),
        moneda="USD",
        fecha="2026-04-01T12:00:00",
        subtotal="10.00",
        total="10.00",
    )
    report = cfdi_report(
        viewer=owner_of(books.account), company=books, category="ventas", year=2026
    )
    singular = "1 CFDI en otra moneda no trae tipo de cambio: se sumó sin convertir"
    assert any(singular in n for n in report.notes)


def test_the_report_page_shows_the_months_the_totals_and_the_rules(client, books):
    client.force_login(owner_of(books.account))
    response = client.get(reverse("cfdi:report", args=["ventas"]), {"year": "2026"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Informe de Ventas 2026" in body
    assert "Enero" in body and "Diciembre" in body
    assert "1,972.00" in body
    assert "Solo se suman los CFDI vigentes" in body
    assert "se convierten a MXN" in body


def test_an_impossible_year_is_refused_by_name_and_the_current_year_shown(client, books):
    client.force_login(owner_of(books.account))
    body = client.get(reverse("cfdi:report", args=["ventas"]), {"year": "1999"}).content.decode()
    assert "Año: debe ser 2000 o posterior." in body


def test_the_csv_export_has_the_months_totals_and_rules(client, books):
    client.force_login(owner_of(books.account))
    response = client.get(reverse("cfdi:report_export", args=["nomina", "csv"]), {"year": 2026})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Type"].startswith("text/csv")
    assert f"informe-nomina-2026-{books.rfc}.csv" in response["Content-Disposition"]
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "Mes,CFDI,Empleados pagados,Percepciones,Otros pagos,Deducciones,Neto pagado"
    assert lines[1] == "Enero,2,1,10000.00,0.00,600.00,9400.00"
    assert lines[13] == "Total 2026,3,2,18000.00,150.00,1500.00,16650.00"
    assert any("vigentes" in line for line in lines)


def test_the_xlsx_export_is_a_workbook_with_the_report(client, books):
    client.force_login(owner_of(books.account))
    response = client.get(reverse("cfdi:report_export", args=["ventas", "xlsx"]), {"year": 2026})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(response.content)) as workbook:
        names = workbook.namelist()
        strings = workbook.read("xl/sharedStrings.xml").decode()
    assert "xl/worksheets/sheet1.xml" in names
    assert "Informe de Ventas 2026" in strings and "IVA trasladado" in strings


# --- grants and tenants ----------------------------------------------------------------

PROFILES = {
    "auxiliar_ventas": {"ventas"},
    "auxiliar_compras": {"egresos"},
    "nominas": {"egresos", "nomina"},
    "consulta": {"ventas", "egresos", "nomina"},
}


@pytest.mark.parametrize("profile_code", list(PROFILES))
@pytest.mark.parametrize("category", ["ventas", "egresos", "nomina"])
@pytest.mark.parametrize("export", ["", "csv", "xlsx"])
def test_each_report_and_export_needs_its_categorys_permission(
    client, books, profile_code, category, export
):
    membership = make_membership(books.account)
    make_grant(membership, books, profile_code)
    client.force_login(membership.user)
    url = (
        reverse("cfdi:report_export", args=[category, export])
        if export
        else reverse("cfdi:report", args=[category])
    )
    response = client.get(url, {"year": 2026})
    assert response.status_code == (200 if category in PROFILES[profile_code] else 403)


def test_the_report_selector_refuses_a_closed_category(books):
    membership = make_membership(books.account)
    make_grant(membership, books, "auxiliar_ventas")
    with pytest.raises(CategoryForbidden):
        cfdi_report(viewer=membership.user, company=books, category="nomina", year=2026)


def test_the_reports_index_lists_only_the_categories_the_grant_opens(client, books):
    membership = make_membership(books.account)
    make_grant(membership, books, "auxiliar_compras")
    client.force_login(membership.user)
    body = client.get(reverse("cfdi:reports")).content.decode()
    assert reverse("cfdi:report", args=["egresos"]) in body
    assert reverse("cfdi:report", args=["ventas"]) not in body


def test_another_tenants_reports_never_include_this_companys_documents(client, books):
    other = make_account()
    other_company = company_with_rfc(any_rfc(), other)
    _ingest(
        other_company,
        emisor=other_company.rfc,
        receptor=any_rfc(),
        fecha="2026-01-05T12:00:00",
        subtotal="7.00",
        total="7.00",
    )
    client.force_login(owner_of(other))
    response = client.get(reverse("cfdi:report_export", args=["ventas", "csv"]), {"year": 2026})
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines[1] == "Enero,1,7.00,0.00,0.00,0.00,0.00,7.00"
    assert lines[13].startswith("Total 2026,1,7.00,")


def test_an_owner_of_another_account_cannot_read_this_companys_report(books):
    stranger = owner_of(make_account())
    with pytest.raises(CategoryForbidden):
        cfdi_report(viewer=stranger, company=books, category="ventas", year=2026)


def test_anonymous_visitors_are_sent_to_login_from_reports(client, books):
    for url in (reverse("cfdi:reports"), reverse("cfdi:report", args=["ventas"])):
        assert client.get(url).status_code == 302


# --- amounts indexed at ingestion and refilled from the originals -------------------------


def test_ingestion_indexes_the_payroll_totals_of_a_real_nomina():
    company = company_with_rfc("EKU9003173C9")
    cfdi_ingest(company=company, data=sample(NOMINA_EKU))
    cfdi = Cfdi.objects.get(company=company, uuid=SAMPLE_UUIDS[NOMINA_EKU])
    assert (cfdi.total_percepciones, cfdi.total_deducciones) == (D("5000"), D("300"))


def test_reindexing_refills_report_amounts_from_the_stored_originals(books):
    rows = Cfdi.objects.filter(company=books)
    expected = {r.pk: (r.iva_trasladado, r.isr_retenido, r.total_percepciones) for r in rows}
    rows.update(iva_trasladado=0, isr_retenido=0, total_percepciones=0)
    updated, unreadable = fill_report_amounts(Cfdi)
    assert (updated, unreadable) == (len(expected), 0)
    after = {r.pk: (r.iva_trasladado, r.isr_retenido, r.total_percepciones) for r in rows.all()}
    assert after == expected


def test_the_reindex_command_reports_files_it_cannot_read(books):
    missing = Cfdi.objects.filter(company=books).first()
    default_storage.delete(missing.xml_path)
    out = io.StringIO()
    with pytest.raises(Exception, match="1 CFDI no se pudieron leer"):
        call_command("cfdi_reindex", "--company", books.rfc, stdout=out)
    assert "Sin leer: 1" in out.getvalue()


def test_reindexing_fills_what_a_stored_payment_paid_from_its_original():
    company = company_with_rfc("EKU9003173C9")
    cfdi_ingest(company=company, data=sample(PAGO_EKU))
    stored = Cfdi.objects.filter(company=company, tipo="P")
    stored.update(pagos_monto=None, pagos_moneda="")  # as rows stored before 0005 were
    assert fill_report_amounts(Cfdi, queryset=Cfdi.objects.filter(tipo="P")) == (1, 0)
    assert (stored.get().amount, stored.get().amount_moneda) == (D("200.00"), "MXN")


def test_payments_carry_no_amount_into_the_reports_only_the_invoices_they_pay_do():
    company = company_with_rfc("H&E951128469")
    cfdi_ingest(company=company, data=sample(INGRESO_HE))
    cfdi_ingest(company=company, data=sample(PAGO_HE), accept_unverified=True)
    owner = owner_of(company.account)
    report = cfdi_report(viewer=owner, company=company, category="ventas", year=2020)
    assert (report.totals["count"], report.totals["total"]) == (1, D("17852.75"))
