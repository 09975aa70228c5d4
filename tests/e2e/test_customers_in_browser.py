"""In a real browser: the issuer registers a customer from the Clientes page, and finds its
download-portal access on the customer's page and in the portal's accesses."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.cfdi.cfdi_samples import company_with_rfc
from tests.customers.helpers import real_rfc
from tests.factories import PASSWORD, owner_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_registering_a_customer_gives_it_a_portal_access(page, screenshot):
    company = company_with_rfc("EKU9003173C9")
    rfc = real_rfc()
    page.goto("/cuenta/entrar/")
    page.get_by_label("Correo electrónico").fill(owner_of(company.account).email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()

    nav = page.get_by_role("navigation", name="Secciones")
    nav.get_by_role("link", name="Clientes").click()
    expect(page.locator("main h1")).to_have_text("Clientes")
    page.get_by_role("link", name="Nuevo cliente").click()

    page.get_by_label("RFC", exact=True).fill(rfc.lower())
    page.get_by_label("Razón social").fill("DISTRIBUIDORA DEL BAJÍO")
    page.get_by_label("Régimen fiscal").select_option("601")
    page.get_by_label("Código postal del domicilio fiscal").fill("37000")
    # A deduction for a company: refused, naming the field and the rule.
    page.get_by_label("Uso CFDI por omisión").select_option("D01")
    page.get_by_role("button", name="Registrar cliente").click()
    expect(page.locator(".field.has-error")).to_contain_text("Uso CFDI: D01")
    screenshot("cliente-rechazado", full_page=True)

    page.get_by_label("Uso CFDI por omisión").select_option("G01")
    page.get_by_label("Correos electrónicos").fill("compras@bajio.example.mx")
    page.get_by_role("button", name="Registrar cliente").click()

    expect(page.locator("main h1")).to_contain_text(rfc)
    panel = page.locator("#portal-access")
    expect(panel).to_contain_text(rfc)
    expect(panel).to_contain_text("Automático")
    screenshot("cliente-registrado", full_page=True)
    panel.get_by_role("link", name="Administrar el acceso").click()
    expect(page.locator("main h1")).to_contain_text(rfc)
    expect(page.locator("#edit_email")).to_have_value("compras@bajio.example.mx")

    # The list finds it without accents.
    page.goto("/clientes/")
    page.get_by_label("RFC o nombre").fill("bajio")
    expect(page.locator("#customers tbody tr")).to_have_count(1)
