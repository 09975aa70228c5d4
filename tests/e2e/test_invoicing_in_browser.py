"""In a real browser: the draft editor's htmx parts work without a page reload (a concept
row added, filled from the product picker, removed; the engine's totals follow), and
saving keeps what the page shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from despacho.invoicing.models import Draft
from tests.customers.helpers import register
from tests.e2e.test_pages_on_a_phone import log_in
from tests.factories import make_own_company, owner_of
from tests.invoicing.helpers import make_series
from tests.products.factories import make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invoice_is_drafted_with_the_product_picker_and_live_totals(page, screenshot):
    company = make_own_company()
    owner = owner_of(company.account)
    customer = register(company, forma_pago="03", metodo_pago="PUE", uso_cfdi="G03")
    make_series(company, "A", tipo="I", is_default=True)
    make_product(company, description="Café de grano tostado")
    log_in(page, owner.email)

    page.get_by_role("navigation", name="Secciones").get_by_role("link", name="Facturar").click()
    page.get_by_role("button", name="Nueva factura").click()
    expect(page.locator("main h1")).to_contain_text("Factura")
    page.evaluate("window.__still_here = true")  # gone if the page reloads

    page.get_by_label("Cliente").select_option(str(customer.pk))
    expect(page.get_by_label("Método de pago")).to_have_value("PUE")
    page.get_by_label("Buscar producto por clave o descripción").first.fill("cafe")
    page.get_by_role("button", name="Café de grano tostado").click()
    expect(page.locator('[name="concepts-0-descripcion"]')).to_have_value("Café de grano tostado")
    page.locator('[name="concepts-0-cantidad"]').fill("2")
    page.locator('[name="concepts-0-cantidad"]').dispatch_event("change")
    expect(page.locator('[data-total="total"]')).to_have_text("581.16")  # 2 × 250.50 + IVA

    page.get_by_role("button", name="Agregar concepto").click()
    expect(page.locator('[name="concepts-1-descripcion"]')).to_be_visible()
    page.locator("#concepts-1").get_by_role("button", name="Quitar").click()
    expect(page.locator('[name="concepts-1-descripcion"]')).to_have_count(0)
    assert page.evaluate("window.__still_here") is True
    screenshot("invoicing-editor")

    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text("Borrador guardado.")).to_be_visible()
    draft = Draft.objects.get(company=company)
    assert [c.descripcion for c in draft.concepts.all()] == ["Café de grano tostado"]
    expect(page.locator('[data-total="total"]')).to_have_text("581.16")
