"""The Facturar pages: the list of drafts and issued documents, series, the editor of each
tipo with its htmx rows, product picker and live totals, the draft's actions (save,
preview, clone, delete, stamp) and who may open them."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from despacho.access.catalog import Perm
from despacho.cartaporte.models import Figure, Location, Vehicle
from despacho.cfdi.services import cfdi_ingest
from despacho.invoicing import urls as invoicing_urls
from despacho.invoicing.models import Draft, DraftConcept, DraftPaymentDocument, Series
from despacho.samples import CFDI_SAMPLES_DIR
from tests.cartaporte.samples import make_item
from tests.customers.helpers import register
from tests.factories import make_grant, make_membership, make_own_company, owner_of
from tests.invoicing.helpers import make_draft, make_series
from tests.invoicing.issuing import issuing_company, ready_draft, sandbox
from tests.products.factories import make_product, make_scheme
from tests.smtp import free_port

pytestmark = pytest.mark.django_db
__all__ = ["sandbox"]  # the fixture, used by name

INGRESO_HE = (CFDI_SAMPLES_DIR / "ingreso_satcfdi_he951128469_iva16_stamped.xml").read_bytes()
INGRESO_HE_UUID = "6d7434a6-e3f2-47ad-9e4c-08849946afa0"
SECTIONS = ("concepts", "relations", "payments", "documents", "stops", "goods")


def printed_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_draft(client: Client, tipo: str) -> Draft:
    response = client.post(reverse("invoicing:new"), {"tipo": tipo})
    assert response.status_code == 302
    draft = Draft.objects.latest("id")
    assert response["Location"] == reverse("invoicing:edit", args=[draft.pk])
    return draft


def editor_post(header: dict[str, Any], **rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the editor's form posts: the header and each formset with its management form."""
    data: dict[str, Any] = {k: v for k, v in header.items() if v is not None}
    for section in SECTIONS:
        items = rows.get(section, [])
        data[f"{section}-TOTAL_FORMS"] = str(len(items))
        data[f"{section}-INITIAL_FORMS"] = "0"
        for index, row in enumerate(items):
            for name, value in row.items():
                data[f"{section}-{index}-{name}"] = value
    return data


def typed_concept(**changes: Any) -> dict[str, Any]:
    return {
        "clave_prod_serv": "84111506",
        "clave_unidad": "E48",
        "descripcion": "Servicio de contabilidad, enero",
        "cantidad": "1",
        "valor_unitario": "1000.00",
        "descuento": "0",
        "objeto_imp": "02",
        **changes,
    }


def invoice_header(customer: Any, **changes: Any) -> dict[str, Any]:
    return {
        "customer": customer.pk,
        "forma_pago": "03",
        "metodo_pago": "PUE",
        "uso_cfdi": "G03",
        "exportacion": "01",
        "moneda": "MXN",
        **changes,
    }


@pytest.fixture
def company():
    return make_own_company()


@pytest.fixture
def owner(company):
    return logged_in(owner_of(company.account))


# --- the list and the series ---------------------------------------------------------------


def test_facturar_is_in_the_navigation_and_lists_drafts_with_their_last_error(company, owner):
    draft = make_draft(company)
    Draft.objects.filter(pk=draft.pk).update(last_error="CFDI40147: el RFC no está en la lista")
    page = owner.get(reverse("invoicing:home")).content.decode()
    assert f'href="{reverse("invoicing:home")}"' in owner.get(reverse("home")).content.decode()
    assert "Nueva factura" in page and "Complemento de pago" in page
    assert "Traslado con Carta Porte" in page and "Nota de crédito" in page
    assert draft.customer.rfc in page
    assert "CFDI40147: el RFC no está en la lista" in page


def test_a_series_is_created_from_its_page_and_a_bad_code_is_refused(company, owner):
    url = reverse("invoicing:series")
    response = owner.post(url, {"code": "F", "tipo": "I", "next_folio": "1", "is_default": "on"})
    assert response.status_code == 302
    assert Series.objects.get(company=company, code="F").is_default
    refused = owner.post(url, {"code": "F-1!", "tipo": "", "next_folio": "1"})
    assert refused.status_code == 400
    assert "Serie" in refused.content.decode()
    assert "F" in owner.get(url).content.decode()


# --- the invoice editor ----------------------------------------------------------------------


def test_an_invoice_with_a_product_and_a_typed_concept_shows_the_engines_totals(company, owner):
    customer = register(company, forma_pago="03", metodo_pago="PUE", uso_cfdi="G03")
    make_series(company, "A", tipo="I", is_default=True)
    product = make_product(company, description="Café de grano tostado")
    draft = new_draft(owner, "I")
    assert draft.series is not None and draft.series.code == "A"

    matches = owner.get(reverse("invoicing:products", args=[draft.pk]), {"q": "cafe", "index": 0})
    assert "Café de grano tostado" in matches.content.decode()
    row = owner.get(
        reverse("invoicing:product_row", args=[draft.pk, product.pk]), {"index": 0}
    ).content.decode()
    assert 'value="50201706"' in row and 'value="250.500000"' in row
    added = owner.get(
        reverse("invoicing:row", args=[draft.pk]),
        {"section": "concepts", "concepts-TOTAL_FORMS": 1},
    ).content.decode()
    assert 'name="concepts-1-descripcion"' in added
    assert 'name="concepts-TOTAL_FORMS"' in added and 'value="2"' in added

    from_product = {
        "product": product.pk,
        "clave_prod_serv": "50201706",
        "clave_unidad": "H87",
        "descripcion": "Café de grano tostado",
        "cantidad": "2",
        "valor_unitario": "250.50",
        "descuento": "0",
        "objeto_imp": "02",
        "scheme": product.tax_scheme_id,
    }
    data = editor_post(
        invoice_header(customer, series=draft.series_id),
        concepts=[from_product, typed_concept(scheme=make_scheme(company).pk)],
    )
    totals = owner.post(reverse("invoicing:totals", args=[draft.pk]), data).content.decode()
    # 2 × 250.50 + 1000 = 1501.00; IVA 16 % per concepto: 80.16 + 160.00
    assert ">1501.00<" in totals
    assert "<dt>IVA 16 %</dt><dd>240.16</dd>" in totals
    assert "1741.16" in totals

    response = owner.post(reverse("invoicing:edit", args=[draft.pk]), data)
    assert response.status_code == 302
    concepts = list(DraftConcept.objects.filter(draft=draft).order_by("position"))
    assert [c.product_id for c in concepts] == [product.pk, None]
    assert concepts[0].cantidad == Decimal("2")
    page = owner.get(reverse("invoicing:edit", args=[draft.pk])).content.decode()
    assert "1741.16" in page
    assert "Servicio de contabilidad, enero" in page


def test_choosing_the_customer_fills_forma_metodo_and_uso_from_its_defaults(company, owner):
    customer = register(company, forma_pago="99", metodo_pago="PPD", uso_cfdi="G01")
    draft = new_draft(owner, "I")
    data = editor_post({"customer": customer.pk, "moneda": "MXN", "exportacion": "01"})
    page = owner.post(reverse("invoicing:customer", args=[draft.pk]), data).content.decode()
    assert '<option value="PPD" selected>' in page
    assert '<option value="99" selected>' in page
    assert '<option value="G01" selected>' in page
    assert customer.regimen_fiscal in page


def test_publico_en_general_shows_the_informacion_global_fields_only_then(company, owner):
    draft = new_draft(owner, "I")
    url = reverse("invoicing:customer", args=[draft.pk])
    plain = owner.post(url, editor_post({"moneda": "MXN"})).content.decode()
    assert 'name="global_periodicidad"' not in plain
    chosen = owner.post(url, editor_post({"moneda": "MXN", "publico_general": "on"}))
    assert 'name="global_periodicidad"' in chosen.content.decode()


def test_a_refused_concept_is_shown_in_spanish_and_nothing_is_saved(company, owner):
    customer = register(company)
    draft = new_draft(owner, "I")
    data = editor_post(invoice_header(customer), concepts=[typed_concept(clave_prod_serv="1")])
    response = owner.post(reverse("invoicing:edit", args=[draft.pk]), data)
    assert response.status_code == 400
    assert "Concepto 1" in response.content.decode()
    assert not DraftConcept.objects.filter(draft=draft).exists()


def test_a_removed_row_is_marked_deleted_and_left_out(company, owner):
    customer = register(company)
    draft = new_draft(owner, "I")
    removed = owner.get(
        reverse("invoicing:row_remove", args=[draft.pk]), {"section": "concepts", "index": 1}
    ).content.decode()
    assert 'name="concepts-1-DELETE"' in removed
    scheme = make_scheme(company).pk
    data = editor_post(
        invoice_header(customer),
        concepts=[typed_concept(scheme=scheme), typed_concept(descripcion="Quitado")],
    )
    data["concepts-1-DELETE"] = "on"
    assert owner.post(reverse("invoicing:edit", args=[draft.pk]), data).status_code == 302
    assert [c.descripcion for c in draft.concepts.all()] == ["Servicio de contabilidad, enero"]


def test_the_sat_key_search_answers_typed_concepts(company, owner):
    options = owner.get(
        reverse("invoicing:product_keys"), {"concepts-0-clave_prod_serv": "8411150"}
    )
    assert "84111506" in options.content.decode()


# --- credit notes, payments, Carta Porte ----------------------------------------------------


def he_company():
    """The issuer of the real PPD invoice sample, with it stored and its customer registered."""
    company = make_own_company(rfc="H&E951128469")
    assert cfdi_ingest(company=company, data=INGRESO_HE).status == "accepted"
    customer = register(company, rfc="KIJ0906199R1", razon_social="KIJ", codigo_postal="59820")
    return company, customer


def test_a_credit_note_offers_the_customers_invoices_and_relates_one():
    company, customer = he_company()
    owner = logged_in(owner_of(company.account))
    draft = new_draft(owner, "E")
    data = editor_post({"customer": customer.pk, "moneda": "MXN"})
    page = owner.post(reverse("invoicing:customer", args=[draft.pk]), data).content.decode()
    assert INGRESO_HE_UUID in page
    row = owner.get(
        reverse("invoicing:row", args=[draft.pk]),
        {"section": "relations", "uuid": INGRESO_HE_UUID, "relations-TOTAL_FORMS": 0},
    ).content.decode()
    assert INGRESO_HE_UUID in row
    data = editor_post(
        invoice_header(customer, uso_cfdi="G02", forma_pago="03", metodo_pago="PUE"),
        concepts=[typed_concept(descripcion="Descuento", scheme=make_scheme(company).pk)],
        relations=[{"tipo_relacion": "01", "uuid": INGRESO_HE_UUID}],
    )
    assert owner.post(reverse("invoicing:edit", args=[draft.pk]), data).status_code == 302
    relation = draft.relations.get()
    assert (relation.tipo_relacion, str(relation.uuid)) == ("01", INGRESO_HE_UUID)


def payment_post(customer: Any, pagado: str, saldo: str = "17852.75") -> dict[str, Any]:
    return editor_post(
        {"customer": customer.pk, "uso_cfdi": "CP01", "moneda": "XXX", "exportacion": "01"},
        payments=[
            {"fecha_pago": "2026-02-01T12:00", "forma_pago": "03", "moneda": "MXN", "monto": pagado}
        ],
        documents=[
            {
                "payment": "1",
                "related_uuid": INGRESO_HE_UUID,
                "num_parcialidad": "1",
                "imp_saldo_ant": saldo,
                "imp_pagado": pagado,
                "objeto_imp_dr": "01",
            }
        ],
    )


def test_a_payment_shows_the_ppd_invoices_balance_and_refuses_paying_more():
    company, customer = he_company()
    owner = logged_in(owner_of(company.account))
    draft = new_draft(owner, "P")
    page = owner.post(
        reverse("invoicing:customer", args=[draft.pk]), editor_post({"customer": customer.pk})
    ).content.decode()
    assert INGRESO_HE_UUID in page and "17852.75" in page
    row = owner.get(
        reverse("invoicing:row", args=[draft.pk]),
        {"section": "documents", "uuid": INGRESO_HE_UUID, "saldo": "17852.75", "parcialidad": 1},
    ).content.decode()
    assert 'value="17852.75"' in row

    refused = owner.post(
        reverse("invoicing:edit", args=[draft.pk]), payment_post(customer, "20000.00", "20000.00")
    )
    assert refused.status_code == 400
    assert "saldo pendiente de la factura (17852.75)" in refused.content.decode()

    saved = owner.post(
        reverse("invoicing:edit", args=[draft.pk]), payment_post(customer, "7852.75")
    )
    assert saved.status_code == 302
    document = DraftPaymentDocument.objects.get(payment__draft=draft)
    assert document.imp_saldo_insoluto == Decimal("10000.00")


def test_a_payment_complement_carries_several_payments_each_with_its_documents():
    company, customer = he_company()
    owner = logged_in(owner_of(company.account))
    draft = new_draft(owner, "P")
    assert draft.uso_cfdi == "CP01"
    paid = {"related_uuid": INGRESO_HE_UUID, "objeto_imp_dr": "01"}
    data = editor_post(
        {"customer": customer.pk, "uso_cfdi": "CP01", "moneda": "XXX", "exportacion": "01"},
        payments=[
            {
                "fecha_pago": "2026-02-01T12:00",
                "forma_pago": "03",
                "moneda": "MXN",
                "monto": "5000",
            },
            {
                "fecha_pago": "2026-02-15T12:00",
                "forma_pago": "01",
                "moneda": "MXN",
                "monto": "2000",
            },
        ],
        documents=[
            {
                **paid,
                "payment": "1",
                "num_parcialidad": "1",
                "imp_saldo_ant": "17852.75",
                "imp_pagado": "5000",
            },
            {
                **paid,
                "payment": "2",
                "num_parcialidad": "2",
                "imp_saldo_ant": "12852.75",
                "imp_pagado": "2000",
            },
        ],
    )
    assert owner.post(reverse("invoicing:edit", args=[draft.pk]), data).status_code == 302
    payments = list(draft.payments.order_by("position"))
    assert [p.monto for p in payments] == [Decimal("5000"), Decimal("2000")]
    assert [d.imp_saldo_insoluto for p in payments for d in p.documents.all()] == [
        Decimal("12852.75"),
        Decimal("10852.75"),
    ]


def test_a_traslado_takes_its_carta_porte_from_the_prepared_locations_vehicle_and_figures(
    company, owner
):
    customer = register(company)
    origin = make_item(Location, company)
    destination = make_item(Location, company, name="Bodega Zapopan", location_type="destination")
    vehicle = make_item(Vehicle, company)
    figure = make_item(Figure, company)
    draft = new_draft(owner, "T")
    page = owner.get(reverse("invoicing:edit", args=[draft.pk])).content.decode()
    assert "Bodega Zapopan" in page and "Carta Porte" in page
    data = editor_post(
        {
            "customer": customer.pk,
            "uso_cfdi": "S01",
            "moneda": "XXX",
            "exportacion": "01",
            "vehicle": vehicle.pk,
            "figures": figure.pk,
        },
        concepts=[
            typed_concept(
                valor_unitario="0", objeto_imp="01", clave_prod_serv="78101800", descripcion="Flete"
            )
        ],
        stops=[
            {"location": origin.pk, "fecha_hora": "2026-02-01T08:00"},
            {
                "location": destination.pk,
                "fecha_hora": "2026-02-01T12:00",
                "distancia_recorrida": "25.5",
            },
        ],
        goods=[
            {
                "bienes_transp": "50201706",
                "descripcion": "Café en grano",
                "cantidad": "10",
                "clave_unidad": "KGM",
                "peso_kg": "10",
            }
        ],
    )
    response = owner.post(reverse("invoicing:edit", args=[draft.pk]), data)
    assert response.status_code == 302, response.content.decode()
    draft.refresh_from_db()
    assert draft.carta_porte.vehicle == vehicle
    assert [s.location_id for s in draft.stops.order_by("position")] == [origin.pk, destination.pk]
    assert draft.goods.get().peso_kg == Decimal("10")
    assert draft.figures.get().figure == figure


# --- actions ----------------------------------------------------------------------------------


def test_cloning_and_deleting_a_draft(company, owner):
    draft = make_draft(company)
    response = owner.post(reverse("invoicing:clone", args=[draft.pk]))
    clone = Draft.objects.latest("id")
    assert clone.pk != draft.pk and response["Location"] == reverse(
        "invoicing:edit", args=[clone.pk]
    )
    assert "Eliminar" in owner.get(reverse("invoicing:delete", args=[clone.pk])).content.decode()
    assert owner.post(reverse("invoicing:delete", args=[clone.pk])).status_code == 302
    assert not Draft.objects.filter(pk=clone.pk).exists()


# --- preview and stamping through the sandbox ------------------------------------------------


@pytest.mark.usefixtures("sandbox")
def test_the_preview_says_borrador_and_stamping_lands_on_the_stored_cfdi():
    company = issuing_company()
    owner = logged_in(owner_of(company.account))
    draft = ready_draft(company)
    preview = owner.get(reverse("invoicing:preview", args=[draft.pk]))
    assert preview["Content-Type"] == "application/pdf"
    assert "BORRADOR" in printed_text(preview.content)

    response = owner.post(reverse("invoicing:issue", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "issued" and draft.cfdi is not None
    assert response["Location"] == reverse("cfdi:detail", args=[draft.cfdi.uuid])
    detail = owner.get(response["Location"]).content.decode()
    assert "CFDI timbrado" in detail
    assert "Clonar como borrador" in detail
    listed = owner.get(reverse("invoicing:home")).content.decode()
    assert reverse("cfdi:detail", args=[draft.cfdi.uuid]) in listed

    cloned = owner.post(reverse("invoicing:cfdi_clone", args=[draft.cfdi.uuid]))
    clone = Draft.objects.latest("id")
    assert cloned["Location"] == reverse("invoicing:edit", args=[clone.pk])
    assert (clone.customer, clone.folio) == (draft.customer, None)


@pytest.mark.usefixtures("sandbox")
def test_a_refused_stamping_returns_to_the_draft_with_the_spanish_reason():
    company = issuing_company(csd=False)
    owner = logged_in(owner_of(company.account))
    draft = ready_draft(company)
    response = owner.post(reverse("invoicing:issue", args=[draft.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("invoicing:edit", args=[draft.pk])
    assert "CSD" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.usefixtures("sandbox")
def test_an_unreachable_pac_leaves_the_draft_with_its_folio_and_message_then_a_retry_issues(
    settings,
):
    settings.DESPACHO_PAC = "finkok"
    settings.DESPACHO_PAC_URL = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    settings.DESPACHO_PAC_USER = "usuario@example.mx"
    settings.DESPACHO_PAC_PASSWORD = "clave"
    settings.DESPACHO_PAC_TIMEOUT = 5
    company = issuing_company()
    owner = logged_in(owner_of(company.account))
    draft = ready_draft(company)
    failed = owner.post(reverse("invoicing:issue", args=[draft.pk]), follow=True)
    assert failed.redirect_chain[-1][0] == reverse("invoicing:edit", args=[draft.pk])
    assert "No fue posible conectar con el PAC" in failed.content.decode()
    draft.refresh_from_db()
    assert (draft.status, draft.folio) == ("draft", 1)
    assert (
        "No fue posible conectar con el PAC"
        in owner.get(reverse("invoicing:home")).content.decode()
    )

    settings.DESPACHO_PAC = "sandbox"
    issued = owner.post(reverse("invoicing:issue", args=[draft.pk]))
    draft.refresh_from_db()
    assert issued["Location"] == reverse("cfdi:detail", args=[draft.cfdi.uuid])
    assert (draft.status, draft.folio, draft.cfdi.folio) == ("issued", 1, "1")


@pytest.mark.usefixtures("sandbox")
def test_a_user_without_facturar_sees_no_clone_button_on_the_cfdi():
    company = issuing_company()
    draft = ready_draft(company)
    owner = logged_in(owner_of(company.account))
    owner.post(reverse("invoicing:issue", args=[draft.pk]))
    draft.refresh_from_db()
    seller = logged_in(member_with(company, "consulta"))
    page = seller.get(reverse("cfdi:detail", args=[draft.cfdi.uuid])).content.decode()
    assert "Clonar como borrador" not in page


# --- who may ------------------------------------------------------------------------------


def member_with(company, profile_code: str, **grant):
    membership = make_membership(company.account)
    make_grant(membership, company, profile_code, **grant)
    return membership.user


def test_ventas_without_facturar_is_refused_everywhere_with_the_reason(company):
    draft = make_draft(company)
    product = make_product(company)
    arguments = {"draft_id": draft.pk, "product_id": product.pk, "uuid": INGRESO_HE_UUID}
    seller = logged_in(member_with(company, "consulta"))
    assert 'href="/facturar/"' not in seller.get(reverse("home")).content.decode()
    for pattern in invoicing_urls.urlpatterns:
        names = pattern.pattern.converters  # type: ignore[attr-defined]
        url = reverse(f"invoicing:{pattern.name}", kwargs={k: arguments[k] for k in names})
        for method in ("get", "post"):
            response = getattr(seller, method)(url)
            assert response.status_code == 403, (method, url)
            body = response.content.decode()
            assert "Se necesita el permiso Facturar" in body
            assert 'data-code="missing_permission"' in body
    assert Draft.objects.count() == 1


def test_an_auxiliar_de_ventas_with_facturar_sees_the_link(company):
    clerk = logged_in(member_with(company, "auxiliar_ventas", add=[Perm.FACTURAR]))
    assert 'href="/facturar/"' in clerk.get(reverse("home")).content.decode()
    assert clerk.get(reverse("invoicing:home")).status_code == 200


def test_another_companys_draft_is_a_404(company, owner):
    theirs = make_draft(make_own_company())
    for name in ("edit", "preview", "delete", "row", "products"):
        assert owner.get(reverse(f"invoicing:{name}", args=[theirs.pk])).status_code == 404, name
    for name in ("clone", "issue", "totals", "delete"):
        assert owner.post(reverse(f"invoicing:{name}", args=[theirs.pk])).status_code == 404, name
    assert Draft.objects.filter(pk=theirs.pk).exists()
