"""Drafts: create, update, clone, delete; SAT's rules on what they say; who may touch them."""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from despacho.access.catalog import Perm
from despacho.audit.describe import event_sentence
from despacho.audit.models import AuditEvent
from despacho.cartaporte.models import Vehicle
from despacho.cfdi.models import Cfdi
from despacho.cfdi.selectors import CfdiNotFound
from despacho.cfdi.services import cfdi_ingest
from despacho.invoicing.models import (
    Draft,
    DraftConcept,
    DraftPaymentDocument,
    DraftStatus,
)
from despacho.invoicing.selectors import (
    DraftNotFound,
    InvoicingForbidden,
    draft_for,
    draft_list,
)
from despacho.invoicing.services.drafts import (
    draft_clone,
    draft_create,
    draft_delete,
    draft_issued,
    draft_stamping_begin,
    draft_update,
)
from despacho.invoicing.specs import (
    DraftData,
    PaymentDocumentSpec,
    PaymentSpec,
    RelationSpec,
)
from despacho.samples import CFDI_SAMPLES_DIR
from tests.cartaporte.samples import make_item
from tests.customers.helpers import register
from tests.factories import make_grant, make_membership, make_own_company, owner_of
from tests.invoicing.helpers import (
    carta_porte,
    concept,
    invoice_data,
    make_draft,
    make_series,
    traslado,
)
from tests.products.factories import make_product

pytestmark = pytest.mark.django_db

MEXICO = ZoneInfo("America/Mexico_City")
INGRESO_HE = (CFDI_SAMPLES_DIR / "ingreso_satcfdi_he951128469_iva16_stamped.xml").read_bytes()
INGRESO_HE_UUID = "6d7434a6-e3f2-47ad-9e4c-08849946afa0"


def refusal(error: ValidationError, field: str) -> ValidationError:
    return error.error_dict[field][0]


# --- creating and what a draft may say ------------------------------------------------------


def test_a_draft_keeps_its_concepts_as_decimal_rows_and_is_audited():
    company = make_own_company()
    customer = register(company)
    draft = draft_create(
        company=company,
        actor=owner_of(company.account),
        data=invoice_data(
            customer,
            concepts=(
                concept(),
                concept(
                    descripcion="Papelería",
                    cantidad=Decimal("2.5"),
                    valor_unitario=Decimal("10.123456"),
                    descuento=Decimal("1.00"),
                ),
            ),
        ),
    )
    rows = list(draft.concepts.all())
    assert [r.position for r in rows] == [1, 2]
    assert rows[1].cantidad == Decimal("2.5")
    assert rows[1].valor_unitario == Decimal("10.123456")
    assert rows[0].taxes == [
        {"kind": "traslado", "impuesto": "002", "tipo_factor": "Tasa", "rate": "0.160000"}
    ]
    assert (draft.status, draft.folio, draft.created_by) == (
        DraftStatus.DRAFT,
        None,
        owner_of(company.account),
    )
    event = AuditEvent.objects.get(action="draft.created")
    assert event.after["concepts"] == 2
    assert event.after["customer"] == customer.rfc
    assert event_sentence(event).endswith(f"creó el borrador de ingreso #{draft.pk}.")


def test_a_concept_from_the_catalog_copies_its_products_tax_scheme():
    company = make_own_company()
    product = make_product(company)
    draft = make_draft(
        company,
        concepts=(
            concept(
                product=product,
                clave_prod_serv=product.clave_prod_serv_id,
                clave_unidad=product.clave_unidad_id,
                descripcion=product.description,
                valor_unitario=product.unit_price,
                taxes=None,
            ),
        ),
    )
    row = draft.concepts.get()
    assert row.product == product
    assert row.taxes[0]["rate"] == "0.160000"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"clave_prod_serv": "99999999"}, "concepts", "invalid_clave_prod_serv"),
        ({"clave_unidad": "ZZZ"}, "concepts", "invalid_clave_unidad"),
        ({"cantidad": Decimal(0)}, "concepts", "not_positive"),
        ({"valor_unitario": Decimal("-1")}, "concepts", "not_positive"),
        ({"valor_unitario": Decimal("1.1234567")}, "concepts", "too_many_decimals"),
        ({"descuento": Decimal("1000.01")}, "concepts", "discount_over_amount"),
        ({"taxes": ()}, "concepts", "taxes_required"),
        ({"objeto_imp": "01"}, "concepts", "taxes_not_allowed"),
        ({"descripcion": "   "}, "concepts", "invalid_descripcion"),
    ],
)
def test_a_concept_that_breaks_a_rule_is_refused_naming_it(change, field, code):
    company = make_own_company()
    with pytest.raises(ValidationError) as refused:
        make_draft(company, concepts=(concept(), concept(**change)))
    error = refusal(refused.value, field)
    assert error.code == code
    assert error.message.startswith("Concepto 2")
    assert not Draft.objects.filter(company=company).exists()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"tipo": "N"}, "tipo", "invalid_tipo"),
        ({"metodo_pago": "PPD", "forma_pago": "03"}, "forma_pago", "ppd_forma_99"),
        ({"moneda": "USD"}, "tipo_cambio", "rate_required"),
        ({"moneda": "MXN", "tipo_cambio": Decimal("17.5")}, "tipo_cambio", "rate_not_one"),
        ({"uso_cfdi": "X99"}, "uso_cfdi", "invalid_uso_cfdi"),
        ({"global_periodicidad": "04"}, "global_periodicidad", "global_incomplete"),
        (
            {"relations": (RelationSpec("01", "no-es-uuid"),)},
            "relations",
            "invalid_uuid",
        ),
        (
            {"relations": (RelationSpec("99", str(uuid_module.uuid4())),)},
            "relations",
            "invalid_tipo_relacion",
        ),
    ],
)
def test_a_header_that_breaks_a_rule_is_refused_naming_it(change, field, code):
    with pytest.raises(ValidationError) as refused:
        make_draft(make_own_company(), **change)
    assert refusal(refused.value, field).code == code


def test_each_tipo_carries_only_its_own_parts():
    company = make_own_company()
    payment = PaymentSpec(
        fecha_pago=datetime(2026, 2, 1, 12, tzinfo=MEXICO),
        forma_pago="03",
        monto=Decimal("100"),
        documents=(
            PaymentDocumentSpec(str(uuid_module.uuid4()), 1, Decimal("100"), Decimal("100")),
        ),
    )
    with pytest.raises(ValidationError) as on_invoice:
        make_draft(company, payments=(payment,))
    assert refusal(on_invoice.value, "payments").code == "payments_only_pago"
    with pytest.raises(ValidationError) as concepts_on_pago:
        make_draft(company, tipo="P", forma_pago="", metodo_pago="", uso_cfdi="CP01")
    assert refusal(concepts_on_pago.value, "concepts").code == "pago_concepts"


def test_an_incomplete_draft_may_be_saved_but_not_stamped():
    company = make_own_company()
    make_series(company, "A", is_default=True)
    owner = owner_of(company.account)
    draft = draft_create(company=company, actor=owner, data=DraftData(tipo="I"))
    assert (draft.customer, draft.concepts.count(), draft.series.code) == (None, 0, "A")
    with pytest.raises(ValidationError) as refused:
        draft_stamping_begin(draft=draft, actor=owner)
    assert refusal(refused.value, "customer").code == "customer_required"
    assert Draft.objects.get(pk=draft.pk).folio is None  # refused before taking a folio


def test_another_companys_customer_product_or_series_is_refused():
    company, other = make_own_company(), make_own_company()
    with pytest.raises(ValidationError) as customer:
        make_draft(company, customer=register(other))
    assert refusal(customer.value, "customer").message == "Cliente: no existe en esta empresa."
    with pytest.raises(ValidationError) as series:
        make_draft(company, series=make_series(other, "A"))
    assert refusal(series.value, "series").code == "unknown"
    foreign = make_product(other)
    with pytest.raises(ValidationError) as product:
        make_draft(company, concepts=(concept(product=foreign),))
    assert refusal(product.value, "concepts").code == "unknown"


def test_the_database_refuses_a_concept_without_quantity_or_an_issued_draft_without_uuid():
    draft = make_draft(make_own_company())
    row = draft.concepts.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        DraftConcept.objects.filter(pk=row.pk).update(cantidad=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        DraftConcept.objects.filter(pk=row.pk).update(valor_unitario=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Draft.objects.filter(pk=draft.pk).update(tipo="N")
    with pytest.raises(IntegrityError), transaction.atomic():
        Draft.objects.filter(pk=draft.pk).update(status="issued")


# --- payments -------------------------------------------------------------------------------


def pago_data(invoice_uuid: str, pagado: str, saldo: str = "17852.75") -> DraftData:
    return DraftData(
        tipo="P",
        uso_cfdi="CP01",
        moneda="XXX",
        payments=(
            PaymentSpec(
                fecha_pago=datetime(2026, 2, 1, 12, tzinfo=MEXICO),
                forma_pago="03",
                monto=Decimal(pagado),
                documents=(PaymentDocumentSpec(invoice_uuid, 1, Decimal(saldo), Decimal(pagado)),),
            ),
        ),
    )


def he_company():
    """The issuer of the real PPD invoice sample, with it stored and its customer registered."""
    company = make_own_company(rfc="H&E951128469")
    assert cfdi_ingest(company=company, data=INGRESO_HE).status == "accepted"
    register(company, rfc="KIJ0906199R1", razon_social="KIJ", codigo_postal="59820")
    return company


def test_a_payment_draft_keeps_each_paid_document_and_its_saldo_insoluto():
    company = he_company()
    draft = draft_create(
        company=company,
        actor=owner_of(company.account),
        data=pago_data(INGRESO_HE_UUID, "7852.75"),
    )
    document = DraftPaymentDocument.objects.get(payment__draft=draft)
    assert str(document.related_uuid) == INGRESO_HE_UUID
    assert document.imp_saldo_insoluto == Decimal("10000.00")


def test_a_paid_document_named_by_uuid_alone_prints_the_stored_invoices_serie_and_folio():
    company = he_company()
    draft = draft_create(
        company=company, actor=owner_of(company.account), data=pago_data(INGRESO_HE_UUID, "100")
    )
    document = DraftPaymentDocument.objects.get(payment__draft=draft)
    stored = Cfdi.objects.get(company=company, uuid=INGRESO_HE_UUID)
    assert (document.serie, document.folio) == (stored.serie, stored.folio) != ("", "")


def test_a_payment_larger_than_the_invoices_balance_is_refused():
    company = he_company()
    with pytest.raises(ValidationError) as refused:
        draft_create(
            company=company,
            actor=owner_of(company.account),
            data=pago_data(INGRESO_HE_UUID, "20000.00", saldo="20000.00"),
        )
    error = refusal(refused.value, "payments")
    assert error.code == "payment_exceeds_balance"
    assert "saldo pendiente de la factura (17852.75)" in error.message


def test_a_payment_that_exceeds_its_saldo_anterior_is_refused():
    with pytest.raises(ValidationError) as refused:
        draft_create(
            company=(company := make_own_company()),
            actor=owner_of(company.account),
            data=pago_data(str(uuid_module.uuid4()), "200", saldo="100"),
        )
    assert refusal(refused.value, "payments").code == "paid_over_saldo"


# --- Carta Porte ----------------------------------------------------------------------------


def test_a_traslado_carries_its_carta_porte_from_the_companys_prepared_data():
    company = make_own_company()
    spec = carta_porte(company)
    draft = make_draft(
        company,
        **traslado(spec),
    )
    assert draft.carta_porte.vehicle == spec.vehicle
    assert [s.distancia_recorrida for s in draft.stops.all()] == [None, Decimal("25.50")]
    assert draft.goods.get().peso_kg == Decimal("10.000")
    assert draft.figures.count() == 1


def test_a_carta_porte_refuses_another_companys_vehicle_and_a_destination_without_distance():
    company, other = make_own_company(), make_own_company()
    spec = carta_porte(company)
    with pytest.raises(ValidationError) as vehicle:
        make_draft(company, tipo="T", carta_porte=replace(spec, vehicle=make_item(Vehicle, other)))
    assert refusal(vehicle.value, "carta_porte").code == "unknown"
    no_distance = replace(
        spec, stops=(spec.stops[0], replace(spec.stops[1], distancia_recorrida=None))
    )
    with pytest.raises(ValidationError) as distance:
        make_draft(company, tipo="T", carta_porte=no_distance)
    assert refusal(distance.value, "carta_porte").code == "distance_required"


# --- updating and deleting ------------------------------------------------------------------


def test_updating_replaces_the_whole_draft_and_records_before_and_after():
    company = make_own_company()
    draft = make_draft(company)
    updated = draft_update(
        draft=draft,
        actor=owner_of(company.account),
        data=invoice_data(draft.customer, concepts=(concept(), concept(), concept())),
    )
    assert updated.concepts.count() == 3
    event = AuditEvent.objects.get(action="draft.updated")
    assert (event.before["concepts"], event.after["concepts"]) == (1, 3)


def test_a_draft_being_stamped_or_issued_is_not_edited_nor_deleted():
    company = make_own_company()
    make_series(company, "A", is_default=True)
    owner = owner_of(company.account)
    draft = draft_stamping_begin(draft=make_draft(company), actor=owner)
    with pytest.raises(ValidationError) as refused:
        draft_update(draft=draft, actor=owner, data=invoice_data(draft.customer))
    assert refused.value.code == "not_editable"
    assert "está timbrando" in refused.value.message
    with pytest.raises(ValidationError):
        draft_delete(draft=draft, actor=owner)


def test_deleting_a_draft_without_folio_is_audited():
    company = make_own_company()
    draft = make_draft(company)
    label = draft.audit_label
    draft_delete(draft=draft, actor=owner_of(company.account))
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.get(action="draft.deleted").target_label == label


def test_an_issued_draft_records_its_stored_cfdi():
    company = he_company()
    make_series(company, "A", is_default=True)
    owner = owner_of(company.account)
    draft = draft_stamping_begin(draft=make_draft(company), actor=owner)
    stored = company.cfdis.get()
    with transaction.atomic():
        issued = draft_issued(draft=draft, cfdi=stored, xml_sha256=stored.sha256)
    assert (issued.status, issued.uuid, issued.cfdi) == ("issued", stored.uuid, stored)
    assert draft not in draft_list(viewer=owner, company=company)


# --- cloning --------------------------------------------------------------------------------


def test_cloning_an_issued_cfdi_reads_its_xml_into_a_new_draft():
    company = he_company()
    draft = draft_clone(
        company=company, actor=owner_of(company.account), source_uuid=INGRESO_HE_UUID
    )
    assert (draft.tipo, draft.customer.rfc, draft.metodo_pago) == ("I", "KIJ0906199R1", "PPD")
    assert (draft.folio, draft.fecha) == (None, None)
    row = draft.concepts.get()
    assert (row.clave_prod_serv, row.clave_unidad, row.descripcion) == (
        "80131502",
        "E48",
        "RENTA DEL MES DE ENERO 2020",
    )
    assert (row.cantidad, row.valor_unitario, row.objeto_imp) == (
        Decimal("1.00"),
        Decimal("15390.30"),
        "02",
    )
    assert row.taxes == [
        {"kind": "traslado", "impuesto": "002", "tipo_factor": "Tasa", "rate": "0.160000"}
    ]
    event = AuditEvent.objects.get(action="draft.created")
    assert INGRESO_HE_UUID in event.after["cloned_from"]


def test_cloning_another_draft_copies_its_content_but_not_its_folio():
    company = make_own_company()
    make_series(company, "A", is_default=True)
    owner = owner_of(company.account)
    source = draft_stamping_begin(
        draft=make_draft(company, relations=(RelationSpec("04", str(uuid_module.uuid4())),)),
        actor=owner,
    )
    copy = draft_clone(company=company, actor=owner, source_draft=source)
    assert (copy.folio, copy.status, copy.series) == (None, "draft", source.series)
    assert copy.concepts.get().descripcion == source.concepts.get().descripcion
    assert copy.relations.get().uuid == source.relations.get().uuid


def test_cloning_refuses_a_received_cfdi_and_hides_another_companys():
    customer_side = make_own_company(rfc="KIJ0906199R1")  # receives the sample
    cfdi_ingest(company=customer_side, data=INGRESO_HE)
    with pytest.raises(ValidationError) as received:
        draft_clone(
            company=customer_side,
            actor=owner_of(customer_side.account),
            source_uuid=INGRESO_HE_UUID,
        )
    assert received.value.code == "clone_not_issued"
    stranger = make_own_company()
    with pytest.raises(CfdiNotFound):
        draft_clone(company=stranger, actor=owner_of(stranger.account), source_uuid=INGRESO_HE_UUID)
    with pytest.raises(DraftNotFound):
        draft_clone(
            company=stranger,
            actor=owner_of(stranger.account),
            source_draft=make_draft(customer_side),
        )


# --- who may ------------------------------------------------------------------------------


def member_with(company, profile_code: str, **grant):
    membership = make_membership(company.account)
    make_grant(membership, company, profile_code, **grant)
    return membership.user


def test_ventas_without_facturar_is_refused_with_the_reason():
    company = make_own_company()
    seller = member_with(company, "consulta")  # Ventas, Egresos, Nómina: no Facturar
    with pytest.raises(InvoicingForbidden) as refused:
        draft_create(company=company, actor=seller, data=invoice_data(register(company)))
    assert isinstance(refused.value, PermissionDenied)
    assert "missing_permission" in refused.value.codes
    assert "no incluye Facturar" in refused.value.message
    assert "Le falta el permiso Facturar" in refused.value.message
    assert not Draft.objects.exists()
    draft = make_draft(company)
    for call in (
        lambda: draft_list(viewer=seller, company=company),
        lambda: draft_for(viewer=seller, company=company, draft_id=draft.pk),
        lambda: draft_update(draft=draft, actor=seller, data=invoice_data(draft.customer)),
        lambda: draft_delete(draft=draft, actor=seller),
        lambda: draft_clone(company=company, actor=seller, source_draft=draft),
    ):
        with pytest.raises(InvoicingForbidden):
            call()


def test_facturar_removed_by_hand_is_named_in_the_reason():
    company = make_own_company()
    seller = member_with(company, "auxiliar_ventas", remove=[Perm.FACTURAR])
    with pytest.raises(InvoicingForbidden) as refused:
        draft_list(viewer=seller, company=company)
    assert "removed_by_hand" in refused.value.codes


def test_an_auxiliar_de_ventas_with_facturar_drafts_and_lists():
    company = make_own_company()
    seller = member_with(company, "auxiliar_ventas")
    draft = draft_create(company=company, actor=seller, data=invoice_data(register(company)))
    assert list(draft_list(viewer=seller, company=company)) == [draft]
    assert draft_for(viewer=seller, company=company, draft_id=draft.pk) == draft


def test_another_companys_draft_is_the_same_404_as_a_missing_one():
    company, other = make_own_company(), make_own_company()
    owner = owner_of(company.account)
    foreign = make_draft(other)
    with pytest.raises(DraftNotFound) as not_yours:
        draft_for(viewer=owner, company=company, draft_id=foreign.pk)
    with pytest.raises(DraftNotFound) as missing:
        draft_for(viewer=owner, company=company, draft_id=foreign.pk + 1000)
    assert str(not_yours.value) == str(missing.value) == "No existe ese borrador."
    assert list(draft_list(viewer=owner, company=company)) == []
    # Reaching the other company's draft through one's own company is no way in either.
    with pytest.raises(InvoicingForbidden):
        draft_for(viewer=owner, company=other, draft_id=foreign.pk)


def test_a_draft_is_listed_newest_first_and_scoped_to_its_company():
    company = make_own_company()
    first, second = make_draft(company), make_draft(company)
    make_draft(make_own_company())
    drafts = list(draft_list(viewer=owner_of(company.account), company=company))
    assert drafts == [second, first]
