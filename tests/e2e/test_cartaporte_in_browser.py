"""In a real browser at 390 px: a location is registered with the SAT's address codes; the
colonias follow the código postal through htmx, with no inline script."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from despacho.cartaporte.models import Location
from tests.e2e.test_pages_on_a_phone import PHONE, assert_fits, log_in
from tests.factories import make_account, make_company, owner_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_location_is_registered_on_a_phone_with_the_colonias_of_its_cp(page, screenshot):
    company = make_company(make_account())
    log_in(page, owner_of(company.account).email)
    page.set_viewport_size(PHONE)
    page.goto("/carta-porte/ubicaciones/nueva/")
    page.get_by_label("Nombre").fill("Bodega Monterrey")
    page.get_by_label("Tipo", exact=True).select_option("destination")
    page.get_by_label("RFC del remitente o destinatario").fill("EKU9003173C9")
    page.get_by_label("Estado").select_option("NLE")
    expect(page.get_by_label("Municipio")).to_contain_text("039 · Monterrey")
    page.get_by_label("Código postal").fill("64000")
    colonia = page.get_by_label("Colonia")
    expect(colonia).to_contain_text("3429 · La Finca")
    colonia.select_option("0001")
    page.get_by_label("Municipio").select_option("039")
    screenshot("phone-carta-porte-ubicacion", full_page=True)
    assert_fits(page, "nueva ubicación")
    page.get_by_role("button", name="Guardar").click()
    expect(page.locator("main h1")).to_contain_text("Ubicaciones")
    expect(page.get_by_role("link", name="Bodega Monterrey")).to_be_visible()
    assert_fits(page, "ubicaciones")
    location = Location.objects.get(company=company)
    assert (location.state, location.municipality, location.neighborhood) == ("NLE", "039", "0001")
