"""In a real browser: the owner adds a user, the invitation travels over SMTP, the new
user sets a password and sees exactly their companies, and the permissions window
explains the rules when the owner switches Ventas off (issue 3's end-to-end story)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD, make_account, make_company, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, email: str, password: str) -> None:
    page.goto("/cuenta/entrar/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()


def test_owner_adds_a_sales_assistant_who_joins_by_email_and_is_held_to_the_rules(
    page, browser, live_server, settings, smtp_inbox, screenshot
):
    settings.SITE_URL = live_server.url  # links in the email must reach this server
    owner = make_user(email="dueno@despacho.example", full_name="Laura Méndez Ríos")
    firm = make_account(name="Méndez Ríos Contadores", owner=owner)
    kemper = make_company(firm, razon_social="ESCUELA KEMPER URGATE")
    herreria = make_company(firm, razon_social="HERRERIA Y ELECTRICOS")
    make_company(firm, razon_social="PASE SERVICIOS ELECTRONICOS")

    # The owner adds Ana with "Auxiliar de ventas" on two of the three companies.
    log_in(page, owner.email, PASSWORD)
    page.get_by_role("navigation", name="Secciones").get_by_role("link", name="Usuarios").click()
    expect(page.locator(".seatbar")).to_contain_text("licencias en uso")
    page.get_by_role("link", name="Agregar usuario").first.click()
    page.get_by_label("Nombre completo").fill("Ana Torres Vega")
    page.get_by_label("Correo electrónico").fill("ana.torres@example.mx")
    page.get_by_label(f"ESCUELA KEMPER URGATE ({kemper.rfc})").select_option(
        label="Auxiliar de ventas"
    )
    page.get_by_label(f"HERRERIA Y ELECTRICOS ({herreria.rfc})").select_option(
        label="Auxiliar de ventas"
    )
    page.get_by_role("button", name="Agregar e invitar").click()
    expect(page.locator("main")).to_contain_text("ana.torres@example.mx")
    screenshot("issue3-01-users-page", full_page=True)

    # The invitation arrives over SMTP with an absolute link to this server.
    assert len(smtp_inbox.messages) == 1
    message = smtp_inbox.messages[0]
    assert message["To"] == "ana.torres@example.mx"
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(re.escape(live_server.url) + r"/cuenta/invitacion/[\w-]+/", text)
    assert len(links) == 1

    # Ana, in her own browser, follows the link and chooses a password.
    ana_context = browser.new_context(base_url=live_server.url, locale="es-MX")
    ana = ana_context.new_page()
    ana.set_default_timeout(10_000)
    ana.goto(links[0])
    ana.get_by_label("Contraseña", exact=True).fill("Facturas.Claras.2026")
    ana.get_by_label("Repite la contraseña").fill("Facturas.Claras.2026")
    ana.get_by_role("button", name="Aceptar la invitación").click()
    expect(ana.locator("#switcher summary")).to_be_visible()

    # Her switcher holds exactly the two companies she was given.
    ana.locator("#switcher summary").click()
    items = ana.locator(".switcher-item")
    expect(items).to_have_count(2)
    expect(ana.locator("#switcher-list")).to_contain_text("ESCUELA KEMPER URGATE")
    expect(ana.locator("#switcher-list")).to_contain_text("HERRERIA Y ELECTRICOS")
    expect(ana.locator("#switcher-list")).not_to_contain_text("PASE SERVICIOS")

    # A page that needs Egresos is refused, with the reason.
    response = ana.goto("/cfdi/egresos/")
    assert response is not None and response.status == 403
    expect(ana.locator("main")).to_contain_text("Egresos")
    ana.screenshot(path=str(ARTIFACTS / "issue3-02-denied-egresos.png"))
    ana_context.close()

    # The owner opens Ana's permissions on Kemper and switches Ventas off.
    membership_id = _membership_id("ana.torres@example.mx")
    page.goto(f"/usuarios/{membership_id}/empresas/{kemper.pk}/permisos/")
    expect(page.get_by_role("switch", name=re.compile("Facturar"))).to_be_checked()
    page.get_by_role("switch", name=re.compile("^Ventas")).uncheck()
    rules = page.locator(".rules")
    expect(rules).to_contain_text("Facturar requiere Ventas")
    expect(rules.get_by_role("button", name="Desactivar también Facturar")).to_be_visible()
    screenshot("issue3-03-permissions-window", full_page=True)


def _membership_id(email: str) -> int:
    from despacho.tenancy.models import Membership

    return Membership.objects.get(user__email=email).pk
