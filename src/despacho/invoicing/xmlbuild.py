"""The CFDI 4.0 XML of a ``Document``: built with satcfdi, amounts from ``amounts.py``,
sealed through a callable the caller supplies, checked against SAT's XSDs.

``issue_xml`` is the whole path: amounts → satcfdi's ``Comprobante`` (with Pagos 2.0 or
Carta Porte 3.1) → NoCertificado/Certificado from the CSD's DER → cadena original (SAT's
XSLT as satcfdi packages it) → ``sign(cadena) -> signature`` → Sello → XML bytes. The
pieces are public so the benchmark can time each one. Production passes a ``sign`` that
closes over ``despacho.seals.services.seal_sign`` (the key never leaves seals); anything
holding the key may sign in tests.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from satcfdi.create.cfd import cartaporte31, cfdi40, pago20
from satcfdi.models import Certificate

from despacho.cfdi.parsing import parse_xml
from despacho.cfdi.refusals import Refusal
from despacho.invoicing.amounts import (
    DocumentAmounts,
    InvoiceAmounts,
    PaymentsAmounts,
    TaxTotal,
    document_amounts,
    rate_text,
)
from despacho.invoicing.documents import (
    EXENTO,
    Address,
    CartaPorte,
    Document,
    Receiver,
    local_time,
)
from despacho.pac.xsd import xsd_errors

Signer = Callable[[bytes], bytes]


def _text(value: str) -> str | None:
    return value or None


def _receptor(receiver: Receiver) -> cfdi40.Receptor:
    return cfdi40.Receptor(
        rfc=receiver.rfc,
        nombre=receiver.nombre,
        domicilio_fiscal_receptor=receiver.domicilio_fiscal,
        regimen_fiscal_receptor=receiver.regimen_fiscal,
        uso_cfdi=receiver.uso_cfdi,
        residencia_fiscal=_text(receiver.residencia_fiscal),
        num_reg_id_trib=_text(receiver.num_reg_id_trib),
    )


def _tax_node(total: TaxTotal, *, with_base: bool = True, suffix: str = "") -> dict[str, Any]:
    node: dict[str, Any] = {f"Impuesto{suffix}": total.impuesto}
    if with_base:
        node = {
            f"Base{suffix}": total.base,
            **node,
            f"TipoFactor{suffix}": total.tipo_factor,
            f"TasaOCuota{suffix}": None
            if total.tasa_o_cuota is None
            else rate_text(total.tasa_o_cuota),
        }
    node[f"Importe{suffix}"] = total.importe
    return node


def _concept_taxes(taxes: Any, suffix: str = "") -> dict[str, Any] | None:
    """ImpuestosXX of a concepto or DoctoRelacionado: each tax with its own base."""
    nodes: dict[str, Any] = {}
    for tax in taxes:
        line = tax.line
        node = {
            f"Base{suffix}": tax.base,
            f"Impuesto{suffix}": line.impuesto,
            f"TipoFactor{suffix}": line.tipo_factor,
            f"TasaOCuota{suffix}": None
            if line.tipo_factor == EXENTO
            else rate_text(line.tasa_o_cuota or Decimal(0)),
            f"Importe{suffix}": tax.importe,
        }
        group = f"Retenciones{suffix}" if line.retencion else f"Traslados{suffix}"
        nodes.setdefault(group, []).append(node)
    return nodes or None


def _write_invoice_amounts(comprobante: cfdi40.Comprobante, invoice: InvoiceAmounts) -> None:
    """Put this engine's amounts where satcfdi computed its own (see amounts.py's docstring)."""
    for node, computed in zip(comprobante["Conceptos"], invoice.concepts, strict=True):
        node["Importe"] = computed.importe
        node["Descuento"] = computed.descuento if computed.concept.descuento else None
        node["Impuestos"] = _concept_taxes(computed.taxes)
    comprobante["SubTotal"] = invoice.subtotal
    has_discount = any(c.concept.descuento for c in invoice.concepts)
    comprobante["Descuento"] = invoice.descuento if has_discount else None
    impuestos: dict[str, Any] = {}
    if invoice.retenciones:
        impuestos["Retenciones"] = [_tax_node(t, with_base=False) for t in invoice.retenciones]
        impuestos["TotalImpuestosRetenidos"] = invoice.total_retenciones
    if invoice.traslados:
        impuestos["Traslados"] = [_tax_node(t) for t in invoice.traslados]
        if invoice.total_traslados is not None:
            impuestos["TotalImpuestosTrasladados"] = invoice.total_traslados
    comprobante["Impuestos"] = impuestos or None
    comprobante["Total"] = invoice.total


def _pagos(payments: PaymentsAmounts) -> pago20.Pagos:
    pagos = []
    for p in payments.payments:
        payment = p.payment
        documents = []
        for d in p.documents:
            doc = d.document
            documents.append(
                pago20.DoctoRelacionado(
                    id_documento=doc.id_documento,
                    moneda_dr=doc.moneda,
                    num_parcialidad=doc.num_parcialidad,
                    imp_saldo_ant=doc.imp_saldo_ant,
                    imp_pagado=doc.imp_pagado,
                    objeto_imp_dr=doc.objeto_imp,
                    serie=_text(doc.serie),
                    folio=_text(doc.folio),
                    equivalencia_dr=doc.equivalencia,
                    impuestos_dr=_concept_taxes(d.taxes, "DR"),
                )
            )
        pagos.append(
            pago20.Pago(
                fecha_pago=local_time(payment.fecha_pago),
                forma_de_pago_p=payment.forma_pago,
                moneda_p=payment.moneda,
                docto_relacionado=documents,
                tipo_cambio_p=p.tipo_cambio,
                num_operacion=_text(payment.num_operacion),
            )
        )
    complement = pago20.Pagos(pago=pagos)
    # satcfdi computed Monto, ImpuestosP and Totales unrounded: ours replace them.
    for node, computed in zip(complement["Pago"], payments.payments, strict=True):
        node["Monto"] = computed.monto
        node["TipoCambioP"] = computed.tipo_cambio
        for doc_node, paid in zip(node["DoctoRelacionado"], computed.documents, strict=True):
            doc_node["ImpSaldoInsoluto"] = paid.imp_saldo_insoluto
        impuestos: dict[str, Any] = {}
        if computed.retenciones:
            impuestos["RetencionesP"] = [
                _tax_node(t, with_base=False, suffix="P") for t in computed.retenciones
            ]
        if computed.traslados:
            impuestos["TrasladosP"] = [_tax_node(t, suffix="P") for t in computed.traslados]
        node["ImpuestosP"] = impuestos or None
    complement["Totales"] = dict(payments.totales)
    return complement


def _domicilio(address: Address) -> cartaporte31.Domicilio:
    return cartaporte31.Domicilio(
        estado=address.estado,
        pais=address.pais,
        codigo_postal=address.codigo_postal,
        calle=_text(address.calle),
        numero_exterior=_text(address.numero_exterior),
        numero_interior=_text(address.numero_interior),
        colonia=_text(address.colonia),
        localidad=_text(address.localidad),
        referencia=_text(address.referencia),
        municipio=_text(address.municipio),
    )


def _carta_porte(cp: CartaPorte) -> cartaporte31.CartaPorte:
    truck = cp.truck
    return cartaporte31.CartaPorte(
        id_ccp=cp.id_ccp,
        transp_internac=cp.transp_internac,
        total_dist_rec=cp.total_distance,
        ubicaciones=[
            cartaporte31.Ubicacion(
                tipo_ubicacion=s.tipo,
                id_ubicacion=s.id_ubicacion,
                rfc_remitente_destinatario=s.rfc,
                nombre_remitente_destinatario=_text(s.nombre),
                fecha_hora_salida_llegada=local_time(s.fecha_hora),
                distancia_recorrida=s.distancia_recorrida,
                domicilio=_domicilio(s.domicilio),
            )
            for s in cp.stops
        ],
        mercancias=cartaporte31.Mercancias(
            peso_bruto_total=cp.gross_weight,
            unidad_peso=cp.unidad_peso,
            num_total_mercancias=len(cp.goods),
            mercancia=[
                cartaporte31.Mercancia(
                    bienes_transp=g.bienes_transp,
                    descripcion=g.descripcion,
                    cantidad=g.cantidad,
                    clave_unidad=g.clave_unidad,
                    peso_en_kg=g.peso_en_kg,
                    material_peligroso=_text(g.material_peligroso),
                    cantidad_transporta=[
                        cartaporte31.CantidadTransporta(
                            cantidad=m.cantidad, id_origen=m.id_origen, id_destino=m.id_destino
                        )
                        for m in g.moves
                    ]
                    or None,
                )
                for g in cp.goods
            ],
            autotransporte=cartaporte31.Autotransporte(
                perm_sct=truck.perm_sct,
                num_permiso_sct=truck.num_permiso_sct,
                identificacion_vehicular=cartaporte31.IdentificacionVehicular(
                    config_vehicular=truck.config_vehicular,
                    peso_bruto_vehicular=truck.peso_bruto_vehicular,
                    placa_vm=truck.placa,
                    anio_modelo_vm=truck.anio_modelo,
                ),
                seguros=cartaporte31.Seguros(
                    asegura_resp_civil=truck.asegura_resp_civil,
                    poliza_resp_civil=truck.poliza_resp_civil,
                ),
                remolques=[
                    cartaporte31.Remolque(sub_tipo_rem=t.subtipo, placa=t.placa)
                    for t in truck.trailers
                ]
                or None,
            ),
        ),
        figura_transporte=[
            cartaporte31.TiposFigura(
                tipo_figura=f.tipo_figura,
                nombre_figura=f.nombre,
                rfc_figura=_text(f.rfc),
                num_licencia=_text(f.num_licencia),
            )
            for f in cp.figures
        ],
    )


def build_comprobante(
    *, document: Document, amounts: DocumentAmounts, certificate_der: bytes | None
) -> cfdi40.Comprobante:
    """satcfdi's Comprobante of ``document`` with ``amounts`` and the CSD's number and
    certificate, not yet sealed (without a certificate: a draft's preview)."""
    header, issuer = document.header, document.issuer
    relations = [
        cfdi40.CfdiRelacionados(tipo_relacion=r.tipo_relacion, cfdi_relacionado=list(r.uuids))
        for r in header.relations
    ] or None
    emisor = cfdi40.Emisor(
        rfc=issuer.rfc, nombre=issuer.nombre, regimen_fiscal=issuer.regimen_fiscal
    )
    fecha = local_time(header.fecha)
    if header.tipo == "P":
        assert amounts.payments is not None
        comprobante = cfdi40.Comprobante.pago(
            emisor=emisor,
            lugar_expedicion=issuer.lugar_expedicion,
            receptor=_receptor(document.receiver),
            complemento_pago=_pagos(amounts.payments),
            cfdi_relacionados=relations,
            serie=_text(header.serie),
            folio=_text(header.folio),
            fecha=fecha,
        )
    else:
        info = header.informacion_global
        moneda = "XXX" if header.tipo == "T" else header.moneda
        comprobante = cfdi40.Comprobante(
            emisor=emisor,
            lugar_expedicion=issuer.lugar_expedicion,
            receptor=_receptor(document.receiver),
            conceptos=[
                cfdi40.Concepto(
                    clave_prod_serv=c.clave_prod_serv,
                    cantidad=c.cantidad,
                    clave_unidad=c.clave_unidad,
                    descripcion=c.descripcion,
                    valor_unitario=c.valor_unitario,
                    objeto_imp=c.objeto_imp,
                    no_identificacion=_text(c.no_identificacion),
                    unidad=_text(c.unidad),
                )
                for c in document.concepts
            ],
            moneda=moneda,
            tipo_de_comprobante=header.tipo,
            exportacion=header.exportacion,
            serie=_text(header.serie),
            folio=_text(header.folio),
            forma_pago=_text(header.forma_pago),
            condiciones_de_pago=_text(header.condiciones_de_pago),
            tipo_cambio=header.tipo_cambio if moneda not in ("MXN", "XXX") else None,
            metodo_pago=_text(header.metodo_pago),
            informacion_global=None
            if info is None
            else cfdi40.InformacionGlobal(
                periodicidad=info.periodicidad, meses=info.meses, ano=info.ano
            ),
            cfdi_relacionados=relations,
            complemento=None
            if document.carta_porte is None
            else _carta_porte(document.carta_porte),
            fecha=fecha,
        )
        _write_invoice_amounts(comprobante, amounts.invoice)
    if certificate_der is not None:
        certify(comprobante, certificate_der)
    return comprobante


def certify(comprobante: cfdi40.Comprobante, certificate_der: bytes) -> None:
    """Write the CSD's NoCertificado and Certificado on a comprobante about to be sealed."""
    certificate = Certificate.load_certificate(certificate_der)
    comprobante["NoCertificado"] = certificate.certificate_number
    comprobante["Certificado"] = base64.b64encode(certificate_der).decode("ascii")


def cadena_original(comprobante: cfdi40.Comprobante) -> str:
    """The cadena original SAT's XSLT makes of the comprobante (what the Sello signs)."""
    return str(comprobante.cadena_original())


def seal(*, comprobante: cfdi40.Comprobante, cadena: str, sign: Signer) -> bytes:
    """Sign ``cadena`` with ``sign`` (RSA-SHA256), put the Sello, return the XML bytes."""
    comprobante["Sello"] = base64.b64encode(sign(cadena.encode("utf-8"))).decode("ascii")
    return bytes(comprobante.xml_bytes())


def issue_xml(*, document: Document, certificate_der: bytes, sign: Signer) -> bytes:
    """The sealed CFDI 4.0 XML of ``document``; ValidationError if its amounts are refused."""
    amounts = document_amounts(document)
    comprobante = build_comprobante(
        document=document, amounts=amounts, certificate_der=certificate_der
    )
    return seal(comprobante=comprobante, cadena=cadena_original(comprobante), sign=sign)


def validate_against_xsd(xml: bytes) -> None:
    """Refuse XML that SAT's XSD refuses, with the schema's own message (``pac.xsd``)."""
    try:
        root = parse_xml(xml)
    except Refusal as refusal:
        raise ValidationError(refusal.message, code=str(refusal.code)) from None
    errors = xsd_errors(root, limit=1)
    if errors:
        raise ValidationError(
            _("El XML no cumple el esquema XSD del SAT: %(message)s.") % {"message": errors[0]},
            code="xsd_invalid",
        )
