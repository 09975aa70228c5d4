"""In a real browser at 390 px (a phone): every main page fits the screen's width.

The page itself never scrolls sideways: the navigation collapses behind a menu button,
the CFDI list's filters behind "Filtros", and wide tables scroll inside their own
container. The same pages are saved at 1280 px too, for people to compare.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from despacho.cartaporte.models import Location, Vehicle
from despacho.invoicing.services.drafts import draft_create
from despacho.invoicing.specs import DraftData
from tests.cartaporte.samples import make_item
from tests.cfdi.cfdi_samples import (
    NOMINA_EKU,
    PAGO_EKU,
    SAMPLE_UUIDS,
    any_rfc,
    cfdi_xml,
    company_with_rfc,
    sample,
)
from tests.factories import (
    PASSWORD,
    make_client_of,
    make_grant,
    make_membership,
    make_user,
    owner_of,
)
from tests.products.factories import make_product
from tests.seals.samples import stored_certificate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
RECEIVER_RFC = "URE180429TM6"  # the receptor of the real sample PAGO_EKU
RECEIVER_PASSWORD = "Pagos.De.Ure.2026"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world():
    """A firm's company with CFDIs of every category, a member, a client and a receiver."""
    from despacho.cfdi.services import cfdi_ingest
    from despacho.customers.services import customer_create
    from despacho.portal.models import PortalAccess
    from despacho.portal.services.accesses import portal_access_set_password

    company = company_with_rfc("EKU9003173C9")
    owner = owner_of(company.account)
    cfdi_ingest(company=company, data=sample(NOMINA_EKU))
    cfdi_ingest(company=company, data=sample(PAGO_EKU))
    cfdi_ingest(
        company=company,
        data=cfdi_xml(
            emisor=company.rfc,
            receptor=RECEIVER_RFC,
            receptor_nombre="UNIVERSIDAD ROBOTICA ESPAÑOLA Y DE LAS ARTES APLICADAS",
            total="1234567.89",
        ),
    )
    cfdi_ingest(
        company=company,
        data=cfdi_xml(
            emisor=any_rfc(),
            receptor=company.rfc,
            emisor_nombre="PROVEEDORA INTERNACIONAL DE SERVICIOS Y SUMINISTROS SA DE CV",
        ),
    )
    membership = make_membership(
        company.account, make_user(full_name="Mariana Castañeda Villalobos")
    )
    make_grant(membership, company, "auxiliar_ventas")
    make_client_of(company.account, razon_social="CONSTRUCTORA Y EDIFICADORA DEL BAJÍO")
    access = PortalAccess.objects.get(company=company, rfc=RECEIVER_RFC)
    portal_access_set_password(
        access=access, actor=owner, rfc_confirmation=RECEIVER_RFC, password=RECEIVER_PASSWORD
    )
    customer = customer_create(
        company=company,
        actor=owner,
        rfc=RECEIVER_RFC,
        razon_social="UNIVERSIDAD ROBOTICA ESPAÑOLA Y DE LAS ARTES APLICADAS",
        regimen_fiscal="603",
        codigo_postal="06600",
        uso_cfdi="G03",
        emails=["cuentas.por.pagar@universidad-robotica.example.mx"],
    )
    stored_certificate(company, "30001000000400002434")
    product = make_product(
        company,
        description="CAFÉ DE ALTURA DE CHIAPAS EN GRANO, TOSTADO MEDIO, BOLSA DE UN KILOGRAMO",
    )
    make_item(Location, company, owner, name="CENTRO DE DISTRIBUCIÓN GUADALAJARA PONIENTE")
    make_item(Vehicle, company, owner)
    drafts = {
        tipo: draft_create(
            company=company,
            actor=owner,
            data=DraftData(tipo=tipo, customer=customer, moneda="MXN" if tipo in "IE" else "XXX"),
        )
        for tipo in "IEPT"
    }
    return {
        "drafts": drafts,
        "company": company,
        "owner": owner,
        "membership": membership,
        "access": access,
        "customer": customer,
        "product": product,
    }


def staff_pages(world) -> list[tuple[str, str]]:
    company, membership = world["company"], world["membership"]
    return [
        ("inicio", "/"),
        ("empresas", "/empresas/"),
        ("cfdi-ventas", "/cfdi/ventas/"),
        ("cfdi-egresos", "/cfdi/egresos/"),
        ("cfdi-nomina", "/cfdi/nomina/"),
        ("cfdi-detalle-pago", f"/cfdi/{SAMPLE_UUIDS[PAGO_EKU]}/"),
        ("cfdi-detalle-nomina", f"/cfdi/{SAMPLE_UUIDS[NOMINA_EKU]}/"),
        ("cfdi-cancelar", f"/cfdi/{SAMPLE_UUIDS[PAGO_EKU]}/cancelar/"),
        ("cfdi-subir", "/cfdi/"),
        ("cfdi-informes", "/cfdi/informes/"),
        ("usuarios", "/usuarios/"),
        ("usuarios-licencias", "/usuarios/licencias/"),
        ("usuario", f"/usuarios/{membership.pk}/"),
        ("permisos-de-usuario", f"/usuarios/{membership.pk}/empresas/{company.pk}/permisos/"),
        ("perfiles", "/perfiles/"),
        ("permisos", "/permisos/"),
        ("bitacora", "/bitacora/"),
        ("claves-api", "/claves-api/"),
        ("seguridad", "/cuenta/seguridad/"),
        ("empresas-importar", "/empresas/importar/"),
        ("empresas-cliente-nuevo", "/empresas/clientes/nuevo/"),
        ("portal-accesos", "/portal-accesos/"),
        ("portal-acceso", f"/portal-accesos/{world['access'].pk}/"),
        ("clientes", "/clientes/"),
        ("clientes-nuevo", "/clientes/nuevo/"),
        ("cliente", f"/clientes/{world['customer'].pk}/"),
        ("cliente-editar", f"/clientes/{world['customer'].pk}/editar/"),
        ("sellos", "/sellos/"),
        ("sellos-subir", "/sellos/nuevo/"),
        ("productos", "/productos/"),
        ("producto-nuevo", "/productos/nuevo/"),
        ("producto", f"/productos/{world['product'].pk}/"),
        ("esquemas-de-impuestos", "/productos/impuestos/"),
        ("esquema-de-impuestos", f"/productos/impuestos/{world['product'].tax_scheme_id}/"),
        ("carta-porte", "/carta-porte/"),
        ("carta-porte-ubicaciones", "/carta-porte/ubicaciones/"),
        ("carta-porte-ubicacion-nueva", "/carta-porte/ubicaciones/nueva/"),
        ("carta-porte-vehiculos", "/carta-porte/vehiculos/"),
        ("carta-porte-figura-nueva", "/carta-porte/figuras/nueva/"),
        ("facturar", "/facturar/"),
        ("facturar-series", "/facturar/series/"),
        *[
            (f"facturar-borrador-{tipo}", f"/facturar/{draft.pk}/")
            for tipo, draft in world["drafts"].items()
        ],
        ("facturar-eliminar", f"/facturar/{world['drafts']['I'].pk}/eliminar/"),
    ]


def pages_wider_than(limit: int, page, screenshot, world, prefix: str) -> dict[str, int]:
    """Open every staff page, save its screenshot, and answer those wider than ``limit``.

    Each page must answer 200: the error pages have a heading too, so a page that fails
    would otherwise pass for one that fits.
    """
    too_wide = {}
    for name, url in staff_pages(world):
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{name}: {url} answered " + (
            str(response.status) if response else "nothing"
        )
        expect(page.locator("main h1")).to_be_visible()
        screenshot(f"{prefix}-{name}", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > limit:
            too_wide[name] = width
    return too_wide


def assert_fits(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{name} is {width} px wide at 390 px"


def log_in(page, email: str) -> None:
    page.goto("/cuenta/entrar/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page.locator("main h1")).to_be_visible()


def test_every_main_page_fits_a_390_px_phone_without_sideways_scrolling(page, screenshot, world):
    page.set_viewport_size(PHONE)
    log_in(page, world["owner"].email)
    assert pages_wider_than(PHONE["width"] + 1, page, screenshot, world, "phone") == {}


def test_on_a_phone_the_sections_open_from_the_menu_button(page, screenshot, world):
    page.set_viewport_size(PHONE)
    log_in(page, world["owner"].email)
    sections = page.get_by_role("navigation", name="Secciones")
    expect(sections).to_be_hidden()
    page.get_by_text("Menú", exact=True).click()
    expect(sections).to_be_visible()
    expect(page.get_by_role("button", name="Salir")).to_be_visible()
    screenshot("phone-menu-open", full_page=True)
    assert_fits(page, "menu")
    sections.get_by_role("link", name="Usuarios").click()
    expect(page.locator("main h1")).to_contain_text("Usuarios")
    expect(sections).to_be_hidden()  # a new page starts with the menu folded


def test_on_a_phone_the_company_switcher_opens_within_the_screen(page, screenshot, world):
    page.set_viewport_size(PHONE)
    log_in(page, world["owner"].email)
    page.locator("#switcher summary").click()
    client = page.locator(".switcher-item", has_text="CONSTRUCTORA Y EDIFICADORA DEL BAJÍO")
    expect(client).to_be_visible()
    box = page.locator(".switcher-panel").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot("phone-switcher-open")
    assert_fits(page, "switcher open")
    client.click()
    expect(page.locator("main h1")).to_have_text("CONSTRUCTORA Y EDIFICADORA DEL BAJÍO")


def test_on_a_desktop_the_sections_are_always_shown(page, world):
    log_in(page, world["owner"].email)
    expect(page.get_by_role("navigation", name="Secciones")).to_be_visible()
    expect(page.get_by_text("Menú", exact=True)).to_be_hidden()


def test_on_a_phone_the_cfdi_filters_open_from_filtros_which_names_the_active_ones(
    page, screenshot, world
):
    page.set_viewport_size(PHONE)
    log_in(page, world["owner"].email)
    page.goto("/cfdi/ventas/?tipo=P&serie=")
    toggle = page.get_by_text("Filtros", exact=False).first
    expect(toggle).to_contain_text("Tipo")
    expect(page.get_by_label("Serie", exact=True)).to_be_hidden()
    expect(page.locator("#cfdis tbody tr")).to_have_count(1)
    toggle.click()
    expect(page.get_by_label("Serie", exact=True)).to_be_visible()
    screenshot("phone-cfdi-filters-open", full_page=True)
    assert_fits(page, "filters open")
    page.get_by_role("combobox", name="Tipo").select_option(label="Todos")
    expect(page.locator("#cfdis tbody tr")).to_have_count(2)
    expect(toggle).not_to_contain_text("Tipo")


def test_the_receivers_portal_fits_a_phone(browser, live_server, screenshot, world):
    slug = world["company"].slug
    context = browser.new_context(base_url=live_server.url, locale="es-MX", viewport=PHONE)
    receiver = context.new_page()
    receiver.set_default_timeout(10_000)
    receiver.goto(f"/portal/{slug}/entrar/")
    screenshot_of(receiver, "phone-portal-entrar")
    assert_fits(receiver, "portal login")
    receiver.get_by_label("RFC").fill(RECEIVER_RFC)
    receiver.get_by_label("Contraseña").fill(RECEIVER_PASSWORD)
    receiver.get_by_role("button", name="Entrar").click()
    expect(receiver.locator("h1")).to_contain_text("CFDI que te emitió")
    screenshot_of(receiver, "phone-portal-lista", full_page=True)
    assert_fits(receiver, "portal list")
    context.close()


def test_the_same_pages_at_1280_px_for_comparison(page, screenshot, world):
    log_in(page, world["owner"].email)
    assert pages_wider_than(DESKTOP["width"], page, screenshot, world, "desktop") == {}


def screenshot_of(page, name: str, **options: object):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), **options)
    return path
