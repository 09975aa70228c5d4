"""A draft's rows turned into the engine's ``Document``: what is built, sealed and stamped.

The company is the issuer (its RFC, razón social, régimen and código postal as
LugarExpedicion); the receptor comes from the draft's snapshot (taken when stamping begins)
or, for a preview, from the customer as it is now. Names go upper case, as SAT registers
them (CFDI 4.0 compares the receptor's Nombre with the RFC's registered name). The generic
RFC of the público en general takes LugarExpedicion as its DomicilioFiscalReceptor (SAT's
rule for XAXX010101000).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from despacho.cfdi.models import Cfdi
from despacho.cfdi.selectors import cfdi_xml
from despacho.customers.models import PUBLICO_EN_GENERAL
from despacho.invoicing.amounts import invoice_amounts, prorated_document_taxes
from despacho.invoicing.documents import (
    CartaPorte,
    Concept,
    Document,
    DocumentTax,
    GlobalInformation,
    Goods,
    Header,
    Issuer,
    PaidDocument,
    Payment,
    Receiver,
    Relation,
    TaxLine,
    figure_from,
    new_id_ccp,
    stop_from_location,
    truck_from,
)
from despacho.invoicing.fromxml import invoice_concepts
from despacho.invoicing.loading import carta_porte_of, rows_of
from despacho.invoicing.models import Draft
from despacho.products.models import LineKind
from despacho.tenancy.models import Company

KG_PER_TONNE = Decimal(1000)


def issuer_of(company: Company) -> Issuer:
    """The company as a CFDI's Emisor: razón social in upper case, its CP as the
    LugarExpedicion."""
    return Issuer(
        rfc=company.rfc,
        nombre=company.razon_social.upper(),
        regimen_fiscal=company.regimen_fiscal,
        lugar_expedicion=company.codigo_postal,
    )


def _receiver(draft: Draft) -> Receiver:
    if draft.receptor_rfc:  # the snapshot taken when stamping began
        rfc, nombre, regimen = draft.receptor_rfc, draft.receptor_nombre, draft.receptor_regimen
        cp, tax_id, pais = draft.receptor_cp, draft.receptor_tax_id, draft.receptor_pais
    else:
        customer = draft.customer
        if customer is None:
            rfc = nombre = regimen = cp = tax_id = pais = ""
        else:
            rfc, nombre, regimen = customer.rfc, customer.razon_social, customer.regimen_fiscal
            cp, tax_id, pais = customer.codigo_postal, customer.tax_id, customer.pais
    if rfc == PUBLICO_EN_GENERAL:
        cp = draft.company.codigo_postal
    return Receiver(
        rfc=rfc,
        nombre=nombre.upper(),
        regimen_fiscal=regimen,
        domicilio_fiscal=cp,
        uso_cfdi=draft.uso_cfdi,
        residencia_fiscal=pais,
        num_reg_id_trib=tax_id,
    )


def _header(draft: Draft, fecha: datetime) -> Header:
    relations: dict[str, list[str]] = {}
    for relation in rows_of(draft, "relations"):
        relations.setdefault(relation.tipo_relacion, []).append(str(relation.uuid).upper())
    informacion_global = None
    if draft.global_periodicidad and draft.global_anio is not None:
        informacion_global = GlobalInformation(
            periodicidad=draft.global_periodicidad,
            meses=draft.global_meses,
            ano=draft.global_anio,
        )
    return Header(
        tipo=draft.tipo,
        fecha=fecha,
        serie=draft.series.code if draft.series is not None else "",
        folio=str(draft.folio) if draft.folio is not None else "",
        forma_pago=draft.forma_pago,
        metodo_pago=draft.metodo_pago,
        moneda=draft.moneda,
        tipo_cambio=draft.tipo_cambio,
        exportacion=draft.exportacion,
        informacion_global=informacion_global,
        relations=tuple(Relation(kind, tuple(uuids)) for kind, uuids in relations.items()),
    )


def concept_of(row: Any, taxes: Iterable[Mapping[str, Any]]) -> Concept:
    """The engine's concepto of a draft's row or a ``ConceptSpec`` (the same names) with its
    tax lines as the row stores them (``services.drafts.tax_json``)."""
    return Concept(
        clave_prod_serv=row.clave_prod_serv,
        cantidad=row.cantidad,
        clave_unidad=row.clave_unidad,
        descripcion=row.descripcion,
        valor_unitario=row.valor_unitario,
        objeto_imp=row.objeto_imp,
        taxes=tuple(
            TaxLine(
                impuesto=line["impuesto"],
                tipo_factor=line["tipo_factor"],
                tasa_o_cuota=None if line["rate"] is None else Decimal(line["rate"]),
                retencion=line["kind"] == LineKind.RETENCION,
            )
            for line in taxes
        ),
        descuento=row.descuento,
        no_identificacion=row.no_identificacion,
        unidad=row.unidad,
    )


def _concepts(draft: Draft) -> tuple[Concept, ...]:
    return tuple(concept_of(row, row.taxes) for row in rows_of(draft, "concepts"))


def paid_document_taxes(
    *, company: Company, uuid: str, imp_pagado: Decimal | None
) -> tuple[DocumentTax, ...] | None:
    """The ImpuestosDR of paying ``imp_pagado`` of the company's stored invoice ``uuid``: each
    of its taxes (per impuesto, factor and tasa) with the base in the proportion ImpPagado /
    Total, as SAT's Guía de llenado del complemento de pagos says; the invoice is read from
    the repository's stored XML. ``()`` when the invoice had no taxes; None when the
    repository does not hold it (issued elsewhere: its taxes cannot be known here).
    ``imp_pagado`` None (or a zero Total) prorates nothing but still tells whether it had
    taxes."""
    cfdi = Cfdi.objects.filter(company=company, uuid=uuid).only("xml_path").first()
    if cfdi is None:
        return None
    specs, total, moneda = invoice_concepts(cfdi_xml(cfdi))
    concepts = tuple(
        concept_of(spec, [vars(line) for line in spec.taxes or ()])
        for spec in specs
        if spec.objeto_imp == "02"
    )
    if not any(concept.taxes for concept in concepts):
        return ()
    invoice = invoice_amounts(concepts=concepts, moneda=moneda)
    return prorated_document_taxes(
        invoice=invoice, total=total or Decimal(1), imp_pagado=imp_pagado or Decimal(0)
    )


def _paid_taxes(draft: Draft, document: Any) -> tuple[DocumentTax, ...]:
    if document.objeto_imp_dr != "02":
        return ()
    taxes = paid_document_taxes(
        company=draft.company, uuid=str(document.related_uuid), imp_pagado=document.imp_pagado
    )
    return taxes or ()


def _payments(draft: Draft) -> tuple[Payment, ...]:
    return tuple(
        Payment(
            fecha_pago=payment.fecha_pago,
            forma_pago=payment.forma_pago,
            moneda=payment.moneda,
            tipo_cambio=payment.tipo_cambio,
            monto=payment.monto,
            num_operacion=payment.num_operacion,
            documents=tuple(
                PaidDocument(
                    id_documento=str(document.related_uuid).upper(),
                    moneda=document.moneda_dr,
                    num_parcialidad=document.num_parcialidad,
                    imp_saldo_ant=document.imp_saldo_ant,
                    imp_pagado=document.imp_pagado,
                    objeto_imp=document.objeto_imp_dr,
                    serie=document.serie,
                    folio=document.folio,
                    equivalencia=document.equivalencia_dr or Decimal(1),
                    taxes=_paid_taxes(draft, document),
                )
                for document in payment.documents.all()
            ),
        )
        for payment in rows_of(draft, "payments", prefetch=("documents",))
    )


def _carta_porte(draft: Draft) -> CartaPorte | None:
    header = carta_porte_of(draft)
    if header is None:
        return None
    stops = list(rows_of(draft, "stops", "location"))
    goods = tuple(
        Goods(
            bienes_transp=row.bienes_transp,
            descripcion=row.descripcion,
            cantidad=row.cantidad,
            clave_unidad=row.clave_unidad,
            peso_en_kg=row.peso_kg,
            material_peligroso="Sí" if row.material_peligroso else "",
        )
        for row in rows_of(draft, "goods")
    )
    # The vehicle's own weight is not stored: PesoBrutoVehicular states the load in tonnes.
    load = sum((g.peso_en_kg for g in goods), Decimal(0)) / KG_PER_TONNE
    trailers = (header.trailer,) if header.trailer is not None else ()
    return CartaPorte(
        id_ccp=header.id_ccp or new_id_ccp(),
        stops=tuple(
            stop_from_location(
                stop.location,
                tipo="Origen" if number == 0 else "Destino",
                number=number if number else 1,
                fecha_hora=stop.fecha_hora,
                distancia_recorrida=stop.distancia_recorrida,
            )
            for number, stop in enumerate(stops)
        ),
        goods=goods,
        truck=truck_from(
            header.vehicle,
            peso_bruto_vehicular=max(load.quantize(Decimal("0.01")), Decimal("0.01")),
            trailers=trailers,
        ),
        figures=tuple(figure_from(row.figure) for row in rows_of(draft, "figures", "figure")),
        transp_internac="Sí" if header.transp_internac else "No",
    )


def document_of(draft: Draft, *, fecha: datetime | None = None) -> Document:
    """The ``Document`` the draft says, dated ``fecha`` (the draft's own, else the moment
    given: the caller passes the stamping moment)."""
    moment = draft.fecha or fecha
    if moment is None:
        raise ValueError("a document needs its fecha")
    return Document(
        header=_header(draft, moment),
        issuer=issuer_of(draft.company),
        receiver=_receiver(draft),
        concepts=_concepts(draft),
        payments=_payments(draft) if draft.tipo == "P" else (),
        carta_porte=_carta_porte(draft),
    )
