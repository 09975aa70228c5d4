"""In a real browser: the issuer sends a receiver its portal access; the email travels over
SMTP; the receiver follows the link, chooses a password, logs in, filters, and downloads a
PDF and the original XML (issue 6's end-to-end story)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import expect

from tests.cfdi.cfdi_samples import INGRESO_HE, SAMPLE_UUIDS, cfdi_xml, company_with_rfc, sample
from tests.factories import PASSWORD, owner_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECEIVER_RFC = "KIJ0906199R1"  # the receptor of the real sample INGRESO_HE
RECEIVER_PASSWORD = "Facturas.De.Kij.2026"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def log_in(page, email: str, password: str) -> None:
    page.goto("/cuenta/entrar/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()


def _downloaded(page, link) -> bytes:
    with page.expect_download() as info:
        link.click()
    return Path(info.value.path()).read_bytes()


def test_issuer_sends_access_and_the_receiver_sets_a_password_and_downloads(
    page, browser, live_server, settings, smtp_inbox, screenshot
):
    from despacho.cfdi.services import cfdi_ingest

    settings.SITE_URL = live_server.url  # links in the email must reach this server
    company = company_with_rfc("H&E951128469")
    original = sample(INGRESO_HE)
    cfdi_ingest(company=company, data=original)  # creates the receiver's access by itself
    credit_note = cfdi_xml(
        emisor=company.rfc, receptor=RECEIVER_RFC, tipo="E", folio="77", fecha="2026-02-03T10:00:00"
    )
    cfdi_ingest(company=company, data=credit_note)
    uuid = SAMPLE_UUIDS[INGRESO_HE].upper()

    # The issuer finds the automatic access and sends it by email.
    log_in(page, owner_of(company.account).email, PASSWORD)
    nav = page.get_by_role("navigation", name="Secciones")
    nav.get_by_role("link", name="Portal de descargas").click()
    row = page.locator(f'tr[data-rfc="{RECEIVER_RFC}"]')
    expect(row).to_contain_text("Automático")
    expect(row).to_contain_text("Sin contraseña")
    screenshot("issue6-01-accesses", full_page=True)
    row.get_by_role("link", name=RECEIVER_RFC).click()
    page.get_by_label("Enviar a").fill("pagos@kij.example")
    page.get_by_role("button", name="Enviar acceso", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Enviamos a pagos@kij.example")
    screenshot("issue6-02-access-sent", full_page=True)

    # The email arrives over SMTP with the link to choose a password and the portal address.
    assert [m["To"] for m in smtp_inbox.messages] == ["pagos@kij.example"]
    text = smtp_inbox.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert f"{live_server.url}/portal/{company.slug}/" in text
    [link] = re.findall(
        re.escape(live_server.url) + rf"/portal/{company.slug}/contrasena/[\w-]+/", text
    )

    # The receiver, in a browser of its own, chooses a password and logs in.
    context = browser.new_context(
        base_url=live_server.url, locale="es-MX", viewport={"width": 1280, "height": 800}
    )
    receiver = context.new_page()
    receiver.set_default_timeout(20_000)
    receiver.goto(link)
    expect(receiver.locator("main")).to_contain_text(RECEIVER_RFC)
    receiver.get_by_label("Contraseña", exact=True).fill(RECEIVER_PASSWORD)
    receiver.get_by_label("Repite la contraseña").fill(RECEIVER_PASSWORD)
    screenshot_of(receiver, "issue6-03-choose-password")
    receiver.get_by_role("button", name="Guardar contraseña").click()
    expect(receiver.locator(".messages")).to_contain_text("guardamos tu contraseña")
    receiver.get_by_label("RFC").fill(RECEIVER_RFC.lower())
    receiver.get_by_label("Contraseña").fill(RECEIVER_PASSWORD)
    screenshot_of(receiver, "issue6-04-portal-login")
    receiver.get_by_role("button", name="Entrar").click()
    expect(receiver.locator("h1")).to_contain_text("CFDI que te emitió")
    expect(receiver.locator("tbody tr")).to_have_count(2)

    # Filtering by tipo leaves the invoice and hides the credit note.
    receiver.get_by_label("Tipo").select_option(label="Ingreso")
    receiver.get_by_role("button", name="Filtrar").click()
    expect(receiver.locator("tbody tr")).to_have_count(1)
    expect(receiver.locator("tbody tr")).to_contain_text(uuid)
    screenshot_of(receiver, "issue6-05-portal-filtered", full_page=True)

    row = receiver.locator("tbody tr").first
    pdf = _downloaded(receiver, row.get_by_role("link", name="PDF"))
    assert pdf.startswith(b"%PDF")
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 1
    xml = _downloaded(receiver, row.get_by_role("link", name="XML"))
    assert xml == original
    context.close()

    # The issuer sees the history: the login and both downloads.
    page.goto(page.url.rstrip("/") + "/historial/")
    history = page.locator("tbody")
    expect(history).to_contain_text("Entrada")
    expect(history).to_contain_text("Descarga PDF")
    expect(history).to_contain_text("Descarga XML")
    screenshot("issue6-06-history", full_page=True)


def screenshot_of(page, name: str, **options: object) -> Path:
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), **options)
    return path
