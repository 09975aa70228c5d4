"""In a real browser: a firm's owner logs in, searches the switcher and changes company."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_account, make_client_of, make_company, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENTS = [
    "ABARROTES LA ESPERANZA",
    "COMERCIAL PÉREZ Y ASOCIADOS",
    "CONSTRUCTORA DEL BAJÍO",
    "FARMACIAS SANTA MÓNICA",
    "TRANSPORTES NÚÑEZ",
    "PANADERÍA EL TRIGAL",
    "TALLER MECÁNICO HERMANOS RUIZ",
]


@pytest.fixture
def firm_owner():
    owner = make_user(email="dueno@despacho.example", full_name="Laura Méndez Ríos")
    firm = make_account(name="Méndez Ríos Contadores", owner=owner)
    make_company(firm, razon_social="MÉNDEZ RÍOS CONTADORES")
    for name in CLIENTS:
        make_client_of(firm, razon_social=name)
    return owner


def log_in(page, email: str) -> None:
    page.goto("/cuenta/entrar/")
    page.get_by_label("Correo electrónico").fill(email.upper())
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()


def test_owner_searches_the_switcher_and_changes_company(page, screenshot, firm_owner):
    page.goto("/cuenta/entrar/")
    screenshot("01-login")
    log_in(page, firm_owner.email)
    switcher = page.locator("#switcher")
    expect(page.locator("main h1")).to_have_text("MÉNDEZ RÍOS CONTADORES")
    expect(switcher.locator("summary")).to_contain_text("MÉNDEZ RÍOS CONTADORES")
    screenshot("02-home")

    switcher.locator("summary").click()
    search = page.get_by_role("searchbox", name="Buscar empresa o RFC")
    expect(search).to_be_visible()
    expect(switcher.locator(".switcher-account").first).to_have_text("Méndez Ríos Contadores")
    screenshot("03-switcher-open")

    search.fill("perez")
    items = switcher.locator(".switcher-item")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("COMERCIAL PÉREZ Y ASOCIADOS")
    expect(items.first).to_contain_text("Propietario")
    screenshot("04-switcher-search")

    items.first.click()
    expect(page.locator("main h1")).to_have_text("COMERCIAL PÉREZ Y ASOCIADOS")
    expect(switcher.locator("summary")).to_contain_text("COMERCIAL PÉREZ Y ASOCIADOS")
    expect(page.locator(".messages")).to_contain_text("Ahora trabajas en COMERCIAL PÉREZ")
    screenshot("05-switched")

    page.reload()
    expect(page.locator("main h1")).to_have_text("COMERCIAL PÉREZ Y ASOCIADOS")


def test_the_shell_fits_a_phone_screen(page, screenshot, firm_owner):
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, firm_owner.email)
    expect(page.locator("main h1")).to_be_visible()
    screenshot("06-phone-home")
    page.locator("#switcher summary").click()
    screenshot("06-phone-switcher-open")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, "the page scrolls sideways on a phone"


def test_the_audit_page_filters_in_the_browser(page, screenshot, firm_owner):
    log_in(page, firm_owner.email)
    page.get_by_role("link", name="Bitácora").click()
    expect(page.locator("main h1")).to_have_text(re.compile("Bitácora de"))
    screenshot("07-audit")
    page.get_by_label("Acción").select_option(label="Cuenta creada")
    expect(page).to_have_url(re.compile(r"action=account\.created"))
    expect(page.locator("#events tbody tr")).to_have_count(1)
    screenshot("08-audit-filtered")
