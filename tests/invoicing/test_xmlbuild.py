"""The sealed CFDI 4.0 XML: valid against SAT's XSD, sealed so the seal verifies, and
saying exactly the amounts the engine computed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from lxml import etree

from despacho.cfdi.parsing import CFDI4, PAGOS20, parse_xml, read_index
from despacho.cfdi.seals import SealCheck, seal_check
from despacho.invoicing.amounts import (
    document_amounts,
    invoice_amounts,
    prorated_document_taxes,
)
from despacho.invoicing.documents import (
    Address,
    CartaPorte,
    Document,
    DocumentTax,
    GlobalInformation,
    Goods,
    GoodsMove,
    Payment,
    Relation,
    Stop,
    TrailerPart,
    TransportFigure,
    Truck,
    new_id_ccp,
)
from despacho.invoicing.xmlbuild import (
    build_comprobante,
    cadena_original,
    issue_xml,
    validate_against_xsd,
)
from tests.invoicing.samples import (
    EKU,
    IVA0,
    IVA16,
    IVA_EXENTO,
    RET_ISR_10,
    RET_IVA,
    certificate_der,
    concept,
    header,
    invoice,
    issuer,
    paid_document,
    receiver,
    sign,
    stamped,
)
from tests.invoicing.test_amounts import concept_lists, partial_payments

D = Decimal
CARTA_PORTE31 = "http://www.sat.gob.mx/CartaPorte31"
INVOICE_A = "11111111-2222-4333-8444-555555555555"
INVOICE_B = "66666666-7777-4888-9999-aaaaaaaaaaaa"
INVOICE_USD = "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff"


def _issue(document: Document) -> bytes:
    xml = issue_xml(document=document, certificate_der=certificate_der(), sign=sign)
    validate_against_xsd(xml)
    return xml


def _node(root: etree._Element, path: str) -> etree._Element:
    found = root.find(path, {"cfdi": CFDI4, "pago20": PAGOS20, "cartaporte31": CARTA_PORTE31})
    assert found is not None, path
    return found


def _amount(element: etree._Element, name: str) -> Decimal:
    return D(element.get(name))


def _assert_xml_says(xml: bytes, document: Document) -> None:
    """Every amount in the XML is the engine's."""
    amounts = document_amounts(document).invoice
    root = parse_xml(xml)
    assert _amount(root, "SubTotal") == amounts.subtotal
    assert _amount(root, "Total") == amounts.total
    assert D(root.get("Descuento") or "0") == amounts.descuento
    nodes = root.findall(f"{{{CFDI4}}}Conceptos/{{{CFDI4}}}Concepto")
    assert [_amount(n, "Importe") for n in nodes] == [c.importe for c in amounts.concepts]
    for node, computed in zip(nodes, amounts.concepts, strict=True):
        written = [
            (t.get("Impuesto"), t.get("Base"), t.get("Importe"))
            for t in node.iterfind(f".//{{{CFDI4}}}Traslado")
        ] + [
            (t.get("Impuesto"), t.get("Base"), t.get("Importe"))
            for t in node.iterfind(f".//{{{CFDI4}}}Retencion")
        ]
        ours = [
            (t.line.impuesto, str(t.base), None if t.importe is None else str(t.importe))
            for t in sorted(computed.taxes, key=lambda t: t.line.retencion)
        ]
        assert written == ours
    impuestos = root.find(f"{{{CFDI4}}}Impuestos")
    if impuestos is None:
        assert not amounts.traslados and not amounts.retenciones
        return
    assert D(impuestos.get("TotalImpuestosTrasladados") or "0") == (amounts.total_traslados or 0)
    assert D(impuestos.get("TotalImpuestosRetenidos") or "0") == (amounts.total_retenciones or 0)
    written_traslados = [
        (t.get("Impuesto"), t.get("TipoFactor"), t.get("Base"), t.get("Importe"))
        for t in impuestos.iterfind(f"{{{CFDI4}}}Traslados/{{{CFDI4}}}Traslado")
    ]
    assert written_traslados == [
        (t.impuesto, t.tipo_factor, str(t.base), None if t.importe is None else str(t.importe))
        for t in amounts.traslados
    ]


@settings(max_examples=40, deadline=None)
@given(concept_lists)
def test_random_invoices_always_validate_against_sats_xsd_with_the_engines_amounts(items):
    document = invoice(*items)
    xml = _issue(document)
    _assert_xml_says(xml, document)


def test_an_invoice_is_sealed_so_the_seal_verifies_and_the_repository_reads_its_totals():
    document = invoice(
        concept("1000", "2", IVA16, RET_IVA, RET_ISR_10, descuento="150"),
        concept("0.125", "1"),
        concept("300", "1.5", IVA_EXENTO),
    )
    xml = _issue(document)
    _assert_xml_says(xml, document)
    root = stamped(xml)
    index = read_index(root)
    assert seal_check(root, index) is SealCheck.VERIFIED
    amounts = invoice_amounts(concepts=document.concepts, moneda="MXN")
    assert (index.subtotal, index.descuento, index.total) == (
        amounts.subtotal,
        amounts.descuento,
        amounts.total,
    )
    assert (index.iva_trasladado, index.iva_retenido, index.isr_retenido) == (
        D("296.00"),
        D("197.33"),
        D("185.00"),
    )
    assert (index.tipo, index.serie, index.folio, index.emisor_rfc) == ("I", "A", "1", EKU)


def test_satcfdis_half_even_rounding_is_not_what_the_xml_says():
    # 1 × 0.125 is 0.13 half up; satcfdi's round() would have written 0.12.
    xml = _issue(invoice(concept("0.125", "1")))
    assert parse_xml(xml).get("SubTotal") == "0.13"


def test_the_cadena_original_is_what_the_seal_signs():
    document = invoice()
    comprobante = build_comprobante(
        document=document, amounts=document_amounts(document), certificate_der=certificate_der()
    )
    cadena = cadena_original(comprobante)
    assert cadena.startswith("||4.0|A|1|2026-11-30T12:00:00|03|30001000000400002434|")
    assert cadena.endswith("||")


def test_a_credit_note_relates_the_invoices_it_credits():
    document = Document(
        header=header("E", relations=(Relation("01", (INVOICE_A, INVOICE_B)),), forma_pago="15"),
        issuer=issuer(),
        receiver=receiver(),
        concepts=(concept("50", "1", IVA16),),
    )
    root = parse_xml(_issue(document))
    assert root.get("TipoDeComprobante") == "E"
    relacionados = _node(root, "cfdi:CfdiRelacionados")
    assert relacionados.get("TipoRelacion") == "01"
    assert [r.get("UUID") for r in relacionados] == [INVOICE_A, INVOICE_B]
    assert root.get("Total") == "58.00"


def test_an_invoice_to_the_publico_en_general_carries_informacion_global():
    document = Document(
        header=header(informacion_global=GlobalInformation("04", "11", 2026)),
        issuer=issuer(),
        receiver=receiver(
            rfc="XAXX010101000",
            nombre="PUBLICO EN GENERAL",
            regimen_fiscal="616",
            domicilio_fiscal="42501",
            uso_cfdi="S01",
        ),
        concepts=(concept("86.21", "1", IVA16), concept("43.10", "2", IVA16)),
    )
    root = parse_xml(_issue(document))
    info = _node(root, "cfdi:InformacionGlobal")
    assert (info.get("Periodicidad"), info.get("Meses"), info.get("Año")) == ("04", "11", "2026")


def test_a_foreign_currency_invoice_states_its_exchange_rate():
    document = invoice(concept("100", "1", IVA16), moneda="USD", tipo_cambio=D("17.250000"))
    root = parse_xml(_issue(document))
    assert (root.get("Moneda"), root.get("TipoCambio"), root.get("Total")) == (
        "USD",
        "17.250000",
        "116.00",
    )


def test_an_export_to_a_foreign_receiver_names_its_country_and_tax_id():
    document = Document(
        header=header(exportacion="02", moneda="USD", tipo_cambio=D("17.250000")),
        issuer=issuer(),
        receiver=receiver(
            rfc="XEXX010101000",
            nombre="ACME CORPORATION",
            regimen_fiscal="616",
            domicilio_fiscal="42501",
            uso_cfdi="S01",
            residencia_fiscal="USA",
            num_reg_id_trib="123456789",
        ),
        concepts=(concept("1000", "3", IVA0),),
    )
    root = parse_xml(_issue(document))
    receptor = _node(root, "cfdi:Receptor")
    assert (receptor.get("ResidenciaFiscal"), receptor.get("NumRegIdTrib")) == (
        "USA",
        "123456789",
    )
    assert (root.get("Exportacion"), root.get("Total")) == ("02", "3000.00")


def test_a_payment_with_two_payments_partial_and_foreign_currency_documents():
    first = Payment(
        fecha_pago=datetime(2026, 11, 10, 12, 0),
        forma_pago="03",
        moneda="MXN",
        num_operacion="SPEI-1",
        documents=(
            paid_document(
                INVOICE_A,
                "1160.00",
                "580.00",
                DocumentTax(IVA16, D("500.00")),
                serie="A",
                folio="7",
            ),
            paid_document(
                INVOICE_USD,
                "116.00",
                "116.00",
                DocumentTax(IVA16, D("100.00")),
                moneda="USD",
                equivalencia="0.05",
            ),
        ),
    )
    second = Payment(
        fecha_pago=datetime(2026, 11, 20, 12, 0),
        forma_pago="02",
        moneda="MXN",
        documents=(
            paid_document(
                INVOICE_A, "580.00", "580.00", DocumentTax(IVA16, D("500.00")), parcialidad=2
            ),
            paid_document(INVOICE_B, "300.00", "100.00"),
        ),
    )
    document = Document(
        header=header("P", forma_pago="", metodo_pago="", moneda="XXX"),
        issuer=issuer(),
        receiver=receiver(),
        payments=(first, second),
    )
    xml = _issue(document)
    root = parse_xml(xml)
    assert (root.get("TipoDeComprobante"), root.get("Moneda"), root.get("Total")) == (
        "P",
        "XXX",
        "0",
    )
    totales = _node(root, ".//pago20:Totales")
    assert dict(totales.attrib) == {
        "MontoTotalPagos": "3580.00",
        "TotalTrasladosBaseIVA16": "3000.00",
        "TotalTrasladosImpuestoIVA16": "480.00",
    }
    pagos = root.findall(f".//{{{PAGOS20}}}Pago")
    assert [(p.get("Monto"), p.get("TipoCambioP")) for p in pagos] == [
        ("2900.00", "1"),
        ("680.00", "1"),
    ]
    documents = root.findall(f".//{{{PAGOS20}}}DoctoRelacionado")
    assert [
        tuple(
            d.get(name)
            for name in (
                "NumParcialidad",
                "ImpSaldoAnt",
                "ImpPagado",
                "ImpSaldoInsoluto",
                "EquivalenciaDR",
            )
        )
        for d in documents
    ] == [
        ("1", "1160.00", "580.00", "580.00", "1"),
        ("1", "116.00", "116.00", "0.00", "0.05"),
        ("2", "580.00", "580.00", "0.00", "1"),
        ("1", "300.00", "100.00", "200.00", "1"),
    ]
    traslado_p = _node(pagos[0], "pago20:ImpuestosP/pago20:TrasladosP/pago20:TrasladoP")
    assert (traslado_p.get("BaseP"), traslado_p.get("ImporteP")) == ("2500.00", "400.00")
    index = read_index(stamped(xml))
    assert (index.pagos_monto, index.pagos_moneda) == (D("3580.00"), "MXN")


def test_a_payment_over_the_balance_is_refused_before_any_xml():
    payment = Payment(
        fecha_pago=datetime(2026, 11, 10, 12, 0),
        forma_pago="03",
        moneda="MXN",
        documents=(paid_document(INVOICE_A, "100.00", "150.00", parcialidad=3),),
    )
    document = Document(
        header=header("P"), issuer=issuer(), receiver=receiver(), payments=(payment,)
    )
    with pytest.raises(ValidationError) as caught:
        issue_xml(document=document, certificate_der=certificate_der(), sign=sign)
    assert caught.value.messages == [
        "Documento 1, Importe pagado: 150.00 es mayor que el saldo pendiente (100.00)."
    ]


def carta_porte() -> CartaPorte:
    origin = Address(
        estado="JAL",
        codigo_postal="44100",
        municipio="039",
        localidad="03",
        colonia="0003",
        calle="Av. Juárez",
        numero_exterior="100",
    )
    destination = Address(estado="JAL", codigo_postal="45010", municipio="120")
    return CartaPorte(
        id_ccp=new_id_ccp(),
        stops=(
            Stop("Origen", "OR000001", EKU, datetime(2026, 11, 30, 8, 0), origin, "Bodega"),
            Stop(
                "Destino",
                "DE000001",
                "URE180429TM6",
                datetime(2026, 11, 30, 10, 0),
                destination,
                "Tienda Zapopan",
                distancia_recorrida=D("18.5"),
            ),
        ),
        goods=(
            Goods(
                "50202306",
                "Refrescos en botella",
                D("120"),
                "H87",
                D("300.5"),
                moves=(GoodsMove(D("120"), "OR000001", "DE000001"),),
            ),
            Goods("24112700", "Tarimas", D("4"), "H87", D("80")),
        ),
        truck=Truck(
            perm_sct="TPAF01",
            num_permiso_sct="SCT-0001",
            config_vehicular="T3S2",
            peso_bruto_vehicular=D("36.5"),
            placa="ABC1234",
            anio_modelo=2020,
            asegura_resp_civil="Seguros Atlas",
            poliza_resp_civil="POL-123",
            trailers=(TrailerPart("CTR002", "XYZ987"),),
        ),
        figures=(TransportFigure("01", EKU, "Juan Pérez Operador", "LFD123456"),),
    )


def test_a_traslado_carries_carta_porte_31_from_its_parts():
    part = carta_porte()
    document = Document(
        header=header("T", forma_pago="", metodo_pago="", moneda="XXX"),
        issuer=issuer(),
        receiver=receiver(
            rfc=EKU,
            nombre="ESCUELA KEMPER URGATE",
            domicilio_fiscal="42501",
            uso_cfdi="S01",
        ),
        concepts=(concept("0", "1", objeto_imp="01"),),
        carta_porte=part,
    )
    root = parse_xml(_issue(document))
    assert (root.get("TipoDeComprobante"), root.get("SubTotal"), root.get("Total")) == (
        "T",
        "0",
        "0",
    )
    node = _node(root, ".//cartaporte31:CartaPorte")
    assert (node.get("IdCCP"), node.get("TotalDistRec")) == (part.id_ccp, "18.5")
    assert _node(node, "cartaporte31:Mercancias").get("PesoBrutoTotal") == "380.5"
    assert part.id_ccp.startswith("CCC") and len(part.id_ccp) == 36


def test_the_xsd_refusal_carries_the_schemas_message():
    xml = _issue(invoice())
    broken = xml.replace(b'Exportacion="01"', b'Exportacion="99"')
    with pytest.raises(ValidationError) as caught:
        validate_against_xsd(broken)
    assert caught.value.code == "xsd_invalid"
    assert "Exportacion" in caught.value.messages[0]
    assert caught.value.messages[0].startswith("El XML no cumple el esquema XSD del SAT:")


@settings(max_examples=20, deadline=None)
@given(partial_payments())
def test_random_partial_payments_always_validate_against_sats_xsd(case):
    item, parts = case
    amounts = invoice_amounts(concepts=(item,), moneda="MXN")
    saldo, payments = amounts.total, []
    for n, paid in enumerate(parts, 1):
        taxes = prorated_document_taxes(invoice=amounts, total=amounts.total, imp_pagado=paid)
        payments.append(
            Payment(
                fecha_pago=datetime(2026, 11, n, 12, 0),
                forma_pago="03",
                moneda="MXN",
                documents=(paid_document(INVOICE_A, str(saldo), str(paid), *taxes, parcialidad=n),),
            )
        )
        saldo -= paid
    document = Document(
        header=header("P"), issuer=issuer(), receiver=receiver(), payments=tuple(payments)
    )
    root = parse_xml(_issue(document))
    monto_total = _node(root, ".//pago20:Totales").get("MontoTotalPagos")
    assert D(monto_total) == sum(parts)


def test_the_xsd_check_reads_with_the_repositorys_hardened_parser():
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    )
    with pytest.raises(ValidationError) as caught:
        validate_against_xsd(hostile)
    assert caught.value.code == "doctype"
