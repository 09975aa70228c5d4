"""The Contabilidad pages: only for who holds Pólizas on the active company; the chart is
created and extended there, pólizas captured (an unbalanced one is refused with the
totals), months closed and reopened, the balanza downloaded; the CFDI page shows its póliza
to Pólizas holders and hides it from everyone else."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from despacho.accounting.models import Account, ClosedPeriod, Poliza
from tests.accounting.helpers import acct, chart_company, login, member_with
from tests.cfdi.cfdi_samples import any_rfc, cfdi_xml
from tests.factories import make_account, make_company, owner_of

pytestmark = pytest.mark.django_db

PAGES = [
    "accounting:home",
    "accounting:accounts",
    "accounting:rules",
    "accounting:polizas",
    "accounting:poliza_new",
    "accounting:periods",
    "accounting:balanza",
    "accounting:auxiliar",
    "accounting:diario",
    "accounting:resultados",
    "accounting:balance",
]


def test_a_contador_opens_every_page_and_sees_the_menu_link(client):
    company = chart_company()
    login(client, member_with(company, "contador"), company)
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    assert reverse("accounting:home") in client.get(reverse("home")).content.decode()


def test_without_polizas_every_page_is_refused_naming_the_permission(client):
    company = chart_company()
    login(client, member_with(company, "auxiliar_ventas"), company)
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 403, name
        assert "Pólizas" in response.content.decode()
    assert reverse("accounting:home") not in client.get(reverse("home")).content.decode()


def test_the_owner_creates_the_default_chart_and_adds_an_account(client):
    company = make_company(make_account(), rfc=any_rfc())
    login(client, owner_of(company.account), company)
    assert "Crear catálogo de cuentas" in client.get(reverse("accounting:home")).content.decode()
    client.post(reverse("accounting:chart_create"))
    assert Account.objects.filter(company=company, code="401.01").exists()
    bad = client.post(
        reverse("accounting:accounts"),
        {
            "code": "102.01.01",
            "name": "BBVA",
            "codigo_agrupador": "102.77",
            "nature": "D",
            "parent": acct(company, "102.01").pk,
        },
    )
    assert bad.status_code == 400
    assert "no está en el catálogo del SAT" in bad.content.decode()
    good = client.post(
        reverse("accounting:accounts"),
        {
            "code": "102.01.01",
            "name": "BBVA",
            "codigo_agrupador": "102.01",
            "nature": "D",
            "parent": acct(company, "102.01").pk,
        },
    )
    assert good.status_code == 302
    assert acct(company, "102.01.01").level == 3


def _poliza_data(company, debe: str, haber: str) -> dict[str, object]:
    return {
        "tipo": "3",
        "fecha": "2026-01-15",
        "concepto": "Depósito",
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0",
        "form-0-account": acct(company, "102.01").pk,
        "form-0-debe": debe,
        "form-1-account": acct(company, "401.01").pk,
        "form-1-haber": haber,
    }


def test_a_captured_poliza_must_balance(client):
    company = chart_company()
    login(client, owner_of(company.account), company)
    refused = client.post(reverse("accounting:poliza_new"), _poliza_data(company, "100", "90"))
    assert refused.status_code == 400
    assert "La póliza no cuadra: debe 100.00, haber 90.00." in refused.content.decode()
    assert not Poliza.objects.filter(company=company).exists()
    stored = client.post(reverse("accounting:poliza_new"), _poliza_data(company, "100", "100"))
    poliza = Poliza.objects.get(company=company)
    assert stored["Location"] == reverse("accounting:poliza", args=[poliza.pk])
    assert "Depósito" in client.get(stored["Location"]).content.decode()


def test_a_month_is_closed_and_reopened_with_a_reason_from_its_page(client):
    company = chart_company()
    login(client, owner_of(company.account), company)
    client.post(reverse("accounting:periods"), {"month": "2026-01", "action": "close"})
    assert ClosedPeriod.objects.filter(company=company, month=date(2026, 1, 1)).exists()
    refused = client.post(reverse("accounting:periods"), {"month": "2026-01", "action": "reopen"})
    assert refused.status_code == 400
    assert "Motivo: es obligatorio" in refused.content.decode()
    client.post(
        reverse("accounting:periods"),
        {"month": "2026-01", "action": "reopen", "reason": "Ajuste de auditoría"},
    )
    assert not ClosedPeriod.objects.filter(company=company).exists()


def test_the_balanza_downloads_as_xlsx(client):
    company = chart_company()
    login(client, owner_of(company.account), company)
    client.post(reverse("accounting:poliza_new"), _poliza_data(company, "100", "100"))
    response = client.get(
        reverse("accounting:balanza"),
        {"desde": "2026-01-01", "hasta": "2026-01-31", "formato": "xlsx"},
    )
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert rows[-1][0] == "Totales" and rows[-1][6] == rows[-1][7] == 100


def test_the_cfdi_page_shows_its_poliza_only_to_polizas_holders(client, store):
    company = chart_company()
    invoice = store(company, cfdi_xml(emisor=company.rfc, receptor="KIJ0906199R1"))
    page = reverse("cfdi:detail", args=[invoice.uuid])
    login(client, member_with(company, "contador"), company)
    shown = client.get(page).content.decode()
    assert 'id="poliza"' in shown and "105.01.0001" in shown
    client.logout()
    login(client, member_with(company, "auxiliar_ventas"), company)
    hidden = client.get(page)
    assert hidden.status_code == 200
    assert 'id="poliza"' not in hidden.content.decode()
