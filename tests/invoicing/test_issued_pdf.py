"""The printed CFDI of each tipo issued through the sandbox carries every element a printed
CFDI must: emisor and receptor with régimen and C.P., uso CFDI, each concepto and tax,
totals and importe con letra, serie-folio, UUID and the sandbox's SIN VALIDEZ FISCAL; a
credit note its related UUID and TipoRelacion, a payment each paid document's balances, a
traslado its Carta Porte."""

from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from despacho.cfdi.models import Cfdi
from despacho.cfdi.parsing import parse_xml
from despacho.cfdi.pdf import cfdi_pdf
from despacho.invoicing.services.issue import draft_issue
from despacho.invoicing.specs import (
    PaymentDocumentSpec,
    PaymentSpec,
    RelationSpec,
)
from despacho.tenancy.models import Company
from tests.factories import owner_of
from tests.invoicing.helpers import IVA16, carta_porte, concept, traslado
from tests.invoicing.issuing import customer_of, issuing_company, ready_draft, sandbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]
__all__ = ["sandbox"]

MEXICO = ZoneInfo("America/Mexico_City")
CFDI4 = "{http://www.sat.gob.mx/cfd/4}"


def _issued(company: Company, **changes: object) -> Cfdi:
    return draft_issue(draft=ready_draft(company, **changes), actor=owner_of(company.account))


def printed(cfdi: Cfdi) -> str:
    """The PDF's text with runs of whitespace made one space, as a reader sees it."""
    reader = PdfReader(io.BytesIO(cfdi_pdf(cfdi)))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def stored_root(cfdi: Cfdi) -> Any:
    with default_storage.open(cfdi.xml_path, "rb") as handle:
        return parse_xml(handle.read())


def assert_common_elements(text: str, cfdi: Cfdi, *, serie_folio: str) -> None:
    """What every printed CFDI carries, whatever its tipo: the values the XML states."""
    root = stored_root(cfdi)
    emisor, receptor = root.find(f"{CFDI4}Emisor"), root.find(f"{CFDI4}Receptor")
    for value in (
        emisor.get("Rfc"),
        emisor.get("Nombre"),
        emisor.get("RegimenFiscal"),
        root.get("LugarExpedicion"),
        receptor.get("Rfc"),
        receptor.get("Nombre"),
        receptor.get("RegimenFiscalReceptor"),
        receptor.get("DomicilioFiscalReceptor"),
        receptor.get("UsoCFDI"),
        serie_folio,
        cfdi.uuid_text.upper(),
        "SIN VALIDEZ FISCAL",
    ):
        assert value in text, value


def test_an_invoice_prints_parties_concepts_taxes_totals_and_the_amount_in_words():
    company = issuing_company()
    customer = customer_of(company)
    cfdi = _issued(
        company,
        customer=customer,
        concepts=(
            concept(),
            concept(
                clave_prod_serv="50201706",
                clave_unidad="KGM",
                descripcion="Café de grano tostado",
                cantidad=Decimal("3"),
                valor_unitario=Decimal("250.50"),
                taxes=(IVA16,),
            ),
        ),
    )
    text = printed(cfdi)
    assert_common_elements(text, cfdi, serie_folio="A-1")
    # Clave, cantidad, unidad, descripción; then valor unitario, importe, objeto de impuesto.
    assert "84111506 1.000000 E48 Servicio de contabilidad, enero" in text
    assert "1,000.00 1,000.00 02" in text
    assert "50201706 3.000000 KGM Café de grano tostado" in text
    assert "250.50 751.50 02" in text
    # Each concepto's own tax, then the comprobante's sum of them.
    assert "Traslado IVA Tasa 0.160000 · base 1,000.00 · importe 160.00" in text
    assert "Traslado IVA Tasa 0.160000 · base 751.50 · importe 120.24" in text
    assert "IVA Traslado Tasa 0.160000 1,751.50 280.24" in text
    assert "Subtotal 1,751.50" in text
    assert "Impuestos trasladados 280.24" in text
    assert "Total 2,031.74 MXN" in text
    assert "Importe con letra: DOS MIL TREINTA Y UN PESOS 74/100 M.N." in text


def test_a_credit_note_prints_the_related_uuid_and_the_tipo_relacion():
    company = issuing_company()
    customer = customer_of(company)
    invoice = _issued(company, customer=customer)
    note = _issued(
        company,
        tipo="E",
        customer=customer,
        concepts=(concept(descripcion="Descuento por pronto pago", valor_unitario=Decimal("100")),),
        relations=(RelationSpec("01", invoice.uuid_text),),
    )
    text = printed(note)
    assert_common_elements(text, note, serie_folio="A-2")
    assert "Egreso" in text
    assert "Descuento por pronto pago" in text
    assert "116.00" in text
    assert (
        "CFDI relacionados: 01 - Nota de crédito de los documentos relacionados: "
        f"{invoice.uuid_text.upper()}"
    ) in text


def test_a_payment_prints_each_paid_document_with_its_parcialidad_and_balances():
    company = issuing_company()
    customer = customer_of(company)
    invoice = _issued(company, customer=customer, forma_pago="99", metodo_pago="PPD")
    payment = _issued(
        company,
        tipo="P",
        customer=customer,
        forma_pago="",
        metodo_pago="",
        uso_cfdi="CP01",
        moneda="XXX",
        concepts=(),
        payments=(
            PaymentSpec(
                fecha_pago=datetime(2026, 2, 1, 12, tzinfo=MEXICO),
                forma_pago="03",
                monto=Decimal("500.00"),
                documents=(
                    PaymentDocumentSpec(
                        invoice.uuid_text,
                        1,
                        Decimal("1160.00"),
                        Decimal("500.00"),
                        serie="A",
                        folio="1",
                    ),
                ),
            ),
        ),
    )
    text = printed(payment)
    assert_common_elements(text, payment, serie_folio="A-2")
    assert "Complemento de pagos" in text
    assert "Parc. Saldo anterior Pagado Saldo insoluto" in text
    # UUID, serie-folio, moneda, equivalencia, parcialidad, saldo anterior, pagado, insoluto.
    assert f"{invoice.uuid_text.upper()} A-1 MXN 1 1 1,160.00 500.00 660.00" in text
    assert "Monto total de los pagos: 500.00" in text


def test_a_traslado_prints_its_carta_porte_route_goods_vehicle_figures_and_idccp():
    company = issuing_company()
    spec = carta_porte(company)
    cfdi = _issued(
        company,
        **traslado(spec),
    )
    text = printed(cfdi)
    assert_common_elements(text, cfdi, serie_folio="A-1")
    assert "Traslado" in text
    assert "Complemento Carta Porte 3.1" in text
    assert "Distancia total recorrida (km): 25.50" in text
    carta = stored_root(cfdi).find(".//{http://www.sat.gob.mx/CartaPorte31}CartaPorte")
    assert carta.get("IdCCP") in text
    for element in (
        "Origen OR000001 EKU9003173C9 Bodega Guadalajara 2026-02-01T08:00:00",
        "Av. Juárez 100, 0003, 03, 039, JAL, MEX, C.P. 44100",
        "Destino DE000001 EKU9003173C9 Bodega Zapopan 2026-02-01T12:00:00 25.50 Av. Juárez",
        "50201706 Café en grano 10.000000 KGM 10.00",
        "Permiso SCT: TPAF01",
        "Número de permiso: SCT-0001",
        "Configuración vehicular: T3S2",
        "Placa: ABC1234",
        "Seguro de responsabilidad civil: Seguros Atlas · POL-123",
        "01 - Operador EKU9003173C9 Juan Pérez Operador LFD123456",
    ):
        assert element in text, element
