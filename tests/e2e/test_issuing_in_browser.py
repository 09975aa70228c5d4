"""In a real browser, issue #16's story end to end: an "Auxiliar de ventas" with Facturar
issues a PPD invoice with a concept from the product picker and then a payment complement
for part of its balance; the account's owner tries to cancel the invoice and is refused,
the page naming the live payment, which stays vigente."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from despacho.cfdi.models import Cfdi
from despacho.invoicing.models import Draft
from tests.e2e.test_pages_on_a_phone import log_in
from tests.factories import make_grant, make_membership, owner_of
from tests.invoicing.issuing import customer_of, issuing_company, sandbox
from tests.products.factories import make_product

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("sandbox"),
]
__all__ = ["sandbox"]


def save_and_stamp(page: Page, *, serie_folio: str) -> None:
    """Guardar, then Timbrar: the sandbox stamps and the browser lands on the stored CFDI."""
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_text("Borrador guardado.")).to_be_visible()
    page.get_by_role("button", name="Timbrar").click()
    expect(page.get_by_text(re.compile(r"CFDI timbrado: [0-9A-F-]{36}\."))).to_be_visible()
    expect(page.locator("main h1")).to_contain_text(serie_folio)


def _issued_cfdi(tipo: str) -> Cfdi:
    draft = Draft.objects.select_related("cfdi").get(tipo=tipo, status="issued")
    assert draft.cfdi is not None
    return draft.cfdi


def test_a_sales_clerk_issues_an_invoice_and_a_payment_and_the_owner_cannot_cancel_the_invoice(
    page, screenshot
):
    company = issuing_company()  # SAT's test CSD (EKU9003173C9) uploaded, series A
    customer = customer_of(company)
    make_product(company, description="Café de grano tostado")  # 250.50 + IVA 16 %
    clerk = make_membership(company.account)
    make_grant(clerk, company, "auxiliar_ventas")
    log_in(page, clerk.user.email)

    # The invoice: PPD, forma 99, one concept from the product picker.
    page.get_by_role("navigation", name="Secciones").get_by_role("link", name="Facturar").click()
    page.get_by_role("button", name="Nueva factura").click()
    header = page.locator("#header-section")
    header.get_by_label("Cliente").select_option(str(customer.pk))
    # htmx redraws the editor with the customer's defaults; wait for it before typing on.
    expect(page.get_by_text("Régimen 601 · uso CFDI por omisión G03")).to_be_visible()
    expect(header.get_by_label("Método de pago")).to_have_value("PUE")
    header.get_by_label("Método de pago").select_option("PPD")
    header.get_by_label("Forma de pago").select_option("99")
    page.get_by_label("Buscar producto por clave o descripción").first.fill("cafe")
    page.get_by_role("button", name="Café de grano tostado").click()
    expect(page.locator('[name="concepts-0-descripcion"]')).to_have_value("Café de grano tostado")
    quantity = page.locator('[name="concepts-0-cantidad"]')
    quantity.fill("1")
    quantity.dispatch_event("change")
    expect(page.locator('[data-total="total"]')).to_have_text("290.58")
    save_and_stamp(page, serie_folio="A-1")
    invoice = _issued_cfdi("I")
    assert page.url.endswith(reverse("cfdi:detail", args=[invoice.uuid]))
    assert (invoice.metodo_pago, invoice.forma_pago) == ("PPD", "99")

    # The payment complement: 100.00 of the invoice's 290.58.
    page.get_by_role("navigation", name="Secciones").get_by_role("link", name="Facturar").click()
    page.get_by_role("button", name="Complemento de pago").click()
    page.locator("#header-section").get_by_label("Cliente").select_option(str(customer.pk))
    pending = page.locator(".ppd-invoices li", has_text="A1")
    expect(pending).to_contain_text("saldo pendiente 290.58")
    page.locator("#documents-0").get_by_role("button", name="Quitar").click()
    pending.get_by_role("button", name="Pagar").click()
    paid = page.locator("#documents-1")
    expect(paid.get_by_label("Saldo anterior")).to_have_value("290.58")
    expect(paid.get_by_label("Parcialidad")).to_have_value("1")
    paid.get_by_label("Importe pagado").fill("100.00")
    payment_row = page.locator("#payments-0")
    payment_row.get_by_label("Fecha del pago").fill("2026-02-01T12:00")
    payment_row.get_by_label("Forma de pago").select_option("03")
    payment_row.get_by_label("Monto").fill("100.00")
    save_and_stamp(page, serie_folio="A-2")
    payment = _issued_cfdi("P")
    screenshot("issuing-payment-issued")

    # The owner tries to cancel the invoice: refused while the payment lives.
    page.context.clear_cookies()
    log_in(page, owner_of(company.account).email)
    page.goto(reverse("cfdi:detail", args=[invoice.uuid]))
    page.get_by_role("link", name="Cancelar CFDI").click()
    expect(page.get_by_role("heading", name="Documentos que lo impiden")).to_be_visible()
    blocking = page.locator("ul.dependents li")
    expect(blocking).to_have_count(1)
    expect(blocking).to_contain_text("A-2")
    expect(blocking).to_contain_text(payment.uuid_text)
    expect(blocking).to_contain_text("Vigente")
    expect(page.get_by_role("button", name="Confirmar cancelación")).to_be_disabled()
    screenshot("issuing-cancel-refused")

    blocking.get_by_role("link").click()
    expect(page.locator("main h1")).to_contain_text("A-2")
    expect(page.get_by_text("Vigente", exact=True)).to_be_visible()
    invoice.refresh_from_db()
    assert invoice.status == "vigente"
