"""Writes of drafts: create, update, clone, delete, and the stamping lifecycle's steps.

Every service checks Facturar on the draft's company (``selectors.invoicing_company``),
checks the data (``draft_checked``: each refusal a ValidationError naming the field and
the rule in Spanish), writes in one transaction and records its audit event. A draft is
edited only while it is a draft (not while stamping, never once issued).

Stamping lifecycle (the issuing service calls these around the PAC):
``draft_stamping_begin`` takes the folio (once: a retry keeps it) and snapshots the
receptor; ``draft_stamping_failed`` returns the draft to editing with the PAC's message;
``draft_issued`` records the UUID, the stamped XML's SHA-256 and the stored CFDI.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable
from dataclasses import fields, replace
from decimal import Decimal
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cartaporte.models import Item
from despacho.cfdi.models import Cfdi, Direction
from despacho.cfdi.selectors import CfdiNotFound, cfdi_for, cfdi_xml, ppd_balance
from despacho.invoicing.assemble import paid_document_taxes
from despacho.invoicing.fromxml import draft_data_from_xml
from despacho.invoicing.loading import carta_porte_of, carta_porte_rows, rows_of, with_rows
from despacho.invoicing.models import (
    AMOUNT_PLACES,
    QUANTITY_PLACES,
    Draft,
    DraftCartaPorte,
    DraftConcept,
    DraftFigure,
    DraftGoods,
    DraftPayment,
    DraftPaymentDocument,
    DraftRelation,
    DraftStatus,
    DraftStop,
    DraftTipo,
)
from despacho.invoicing.selectors import (
    DraftNotFound,
    invoicing_company,
    series_default,
    stamping_stuck,
)
from despacho.invoicing.services.series import folio_take
from despacho.invoicing.specs import (
    CartaPorteSpec,
    ConceptSpec,
    DraftData,
    GoodsSpec,
    PaymentDocumentSpec,
    PaymentSpec,
    RelationSpec,
    StopSpec,
)
from despacho.people.models import User
from despacho.products.services import LineSpec, field_error, lines_checked
from despacho.satcatalogs import Catalog, exists
from despacho.tenancy.models import Company

MAX_CONCEPTS = 500
Checked = TypeVar("Checked")
ONE = Decimal(1)
# ObjetoImp: 02 breaks taxes down; 01, 03 and 04 carry none (as products' schemes).
_OBJETO_WITHOUT_TAXES = ("01", "03", "04")


# --- checks ---------------------------------------------------------------------------------


def _decimal_checked(
    value: Any, *, field: str, label: str, places: int = AMOUNT_PLACES, positive: bool = False
) -> Decimal:
    """A non-negative (or positive) Decimal with at most ``places`` decimals."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise field_error(field, _("%(label)s: debe ser un número.") % {"label": label}, "invalid")
    if value < 0 or (positive and value == 0):
        message = (
            _("%(label)s: debe ser mayor que cero.")
            if positive
            else _("%(label)s: no puede ser negativo.")
        )
        raise field_error(field, message % {"label": label}, "not_positive")
    if int(value.as_tuple().exponent) < -places:
        raise field_error(
            field,
            _("%(label)s: máximo %(n)d decimales, como en el CFDI.")
            % {"label": label, "n": places},
            "too_many_decimals",
        )
    if value >= Decimal("1e17"):
        raise field_error(
            field, _("%(label)s: es demasiado grande.") % {"label": label}, "too_large"
        )
    return value


def _code_checked(value: str, *, catalog: Catalog, field: str, label: str) -> str:
    code = (value or "").strip()
    if code and not exists(catalog, code):
        raise field_error(
            field,
            _("%(label)s: «%(code)s» no está en el catálogo del SAT.")
            % {"label": label, "code": code[:20]},
            f"invalid_{field}",
        )
    return code


def _uuid_checked(value: str, *, field: str, label: str) -> str:
    try:
        return str(uuid_module.UUID(str(value).strip()))
    except ValueError:
        raise field_error(
            field, _("%(label)s: no es un UUID válido.") % {"label": label}, "invalid_uuid"
        ) from None


def _owned(company: Company, item: Item | Any, *, field: str, label: str) -> None:
    """The master-data row belongs to the company and is in use (not archived)."""
    if item.company_id != company.pk:
        raise field_error(
            field, _("%(label)s: no existe en esta empresa.") % {"label": label}, "unknown"
        )
    if getattr(item, "archived_at", None) is not None or getattr(item, "is_active", True) is False:
        raise field_error(
            field,
            _("%(label)s: está archivado; restáuralo o elige otro.") % {"label": label},
            "archived",
        )


def _rate_checked(moneda: str, tipo_cambio: Decimal | None, *, field: str) -> None:
    if moneda in ("MXN", "XXX"):
        if tipo_cambio is not None and tipo_cambio != ONE:
            raise field_error(
                field,
                _("Tipo de cambio: en %(m)s es 1 o se omite.") % {"m": moneda},
                "rate_not_one",
            )
        return
    if tipo_cambio is None:
        raise field_error(
            field,
            _("Tipo de cambio: es obligatorio cuando la moneda es %(m)s.") % {"m": moneda},
            "rate_required",
        )
    _decimal_checked(tipo_cambio, field=field, label=_("Tipo de cambio"), positive=True)


def _header_checked(company: Company, data: DraftData) -> None:
    if data.tipo not in DraftTipo.values:
        raise field_error("tipo", _("Tipo de comprobante: debe ser I, E, P o T."), "invalid_tipo")
    if data.customer is not None:
        _owned(company, data.customer, field="customer", label=_("Cliente"))
    series = data.series
    if series is not None:
        _owned(company, series, field="series", label=_("Serie"))
        if not series.is_active:
            raise field_error(
                "series",
                _("Serie: la serie %(code)s está desactivada.") % {"code": series.code},
                "inactive_series",
            )
        if series.tipo not in ("", data.tipo):
            raise field_error(
                "series",
                _("Serie: la serie %(code)s es para comprobantes de %(serves)s, no de %(tipo)s.")
                % {
                    "code": series.code,
                    "serves": DraftTipo(series.tipo).label,
                    "tipo": DraftTipo(data.tipo).label,
                },
                "series_tipo",
            )
    _code_checked(
        data.forma_pago, catalog=Catalog.FORMA_PAGO, field="forma_pago", label=_("Forma de pago")
    )
    if data.metodo_pago not in ("", "PUE", "PPD"):
        raise field_error(
            "metodo_pago", _("Método de pago: debe ser PUE o PPD."), "invalid_metodo_pago"
        )
    if data.metodo_pago == "PPD" and data.forma_pago not in ("", "99"):
        raise field_error(
            "forma_pago",
            _("Forma de pago: con método PPD (pago en parcialidades) la forma es 99, Por definir."),
            "ppd_forma_99",
        )
    _code_checked(data.uso_cfdi, catalog=Catalog.USO_CFDI, field="uso_cfdi", label=_("Uso CFDI"))
    if not data.exportacion or not exists(Catalog.EXPORTACION, data.exportacion):
        raise field_error(
            "exportacion",
            _("Exportación: elige una clave del catálogo del SAT."),
            "invalid_exportacion",
        )
    if not data.moneda or not exists(Catalog.MONEDA, data.moneda):
        raise field_error(
            "moneda", _("Moneda: elige una moneda del catálogo del SAT."), "invalid_moneda"
        )
    _rate_checked(data.moneda, data.tipo_cambio, field="tipo_cambio")
    _global_checked(data)


def _global_checked(data: DraftData) -> None:
    given = (data.global_periodicidad, data.global_meses, data.global_anio)
    if not any(given):
        return
    if not all(given):
        raise field_error(
            "global_periodicidad",
            _("Información global: indica periodicidad, meses y año, los tres."),
            "global_incomplete",
        )
    _code_checked(
        data.global_periodicidad,
        catalog=Catalog.PERIODICIDAD,
        field="global_periodicidad",
        label=_("Periodicidad"),
    )
    if not (data.global_meses.isdigit() and 1 <= int(data.global_meses) <= 18):
        raise field_error(
            "global_meses", _("Meses: una clave de 01 a 18 del catálogo del SAT."), "invalid_meses"
        )
    year = data.global_anio or 0
    if not 2021 <= year <= timezone.now().year + 1:
        raise field_error(
            "global_anio", _("Año: desde 2021 (CFDI 4.0) hasta el año en curso."), "invalid_anio"
        )


def _concept_taxes(spec: ConceptSpec, number: int) -> list[LineSpec]:
    taxes = spec.taxes
    if taxes is None:
        scheme = spec.product.tax_scheme if spec.product is not None else None
        taxes = (
            tuple(
                LineSpec(line.kind, line.impuesto, line.tipo_factor, line.rate)
                for line in scheme.lines.all()
            )
            if scheme is not None
            else ()
        )
    if spec.objeto_imp in _OBJETO_WITHOUT_TAXES:
        if taxes:
            raise field_error(
                "concepts",
                _("Concepto %(n)d: con objeto de impuesto %(o)s no lleva impuestos.")
                % {"n": number, "o": spec.objeto_imp},
                "taxes_not_allowed",
            )
        return []
    if spec.objeto_imp == "02" and not taxes:
        raise field_error(
            "concepts",
            _(
                "Concepto %(n)d: con objeto de impuesto 02 (sí objeto de impuesto) lleva al "
                "menos un impuesto."
            )
            % {"n": number},
            "taxes_required",
        )
    if not taxes:
        return []
    try:
        return lines_checked(list(taxes))
    except ValidationError as error:
        message = " ".join(str(m) for m in error.messages)
        raise field_error(
            "concepts",
            _("Concepto %(n)d: %(why)s") % {"n": number, "why": message},
            "invalid_tax",
        ) from None


def _concept_label(number: int, name: str) -> str:
    return _("Concepto %(n)d, %(field)s") % {"n": number, "field": name}


# Translated only if a refusal quotes it: issuing checks every concept, and translating the
# labels of all of them cost more than the checks they name.
_concept_label_lazy = lazy(_concept_label, str)


def _concept_checked(company: Company, spec: ConceptSpec, number: int) -> list[LineSpec]:
    def label(name: str) -> str:
        return _concept_label(number, name)

    def lazy_label(name: Any) -> str:  # name: a gettext_lazy
        return cast(str, _concept_label_lazy(number, name))

    if spec.product is not None:
        _owned(company, spec.product, field="concepts", label=lazy_label(gettext_lazy("producto")))
    if not exists(Catalog.CLAVE_PROD_SERV, spec.clave_prod_serv):
        raise field_error(
            "concepts",
            _("%(label)s: «%(code)s» no está en el catálogo c_ClaveProdServ del SAT.")
            % {
                "label": label(_("clave de producto o servicio")),
                "code": spec.clave_prod_serv[:20],
            },
            "invalid_clave_prod_serv",
        )
    if not exists(Catalog.CLAVE_UNIDAD, spec.clave_unidad):
        raise field_error(
            "concepts",
            _("%(label)s: «%(code)s» no está en el catálogo c_ClaveUnidad del SAT.")
            % {"label": label(_("clave de unidad")), "code": spec.clave_unidad[:20]},
            "invalid_clave_unidad",
        )
    descripcion = " ".join((spec.descripcion or "").split())
    if not descripcion or len(descripcion) > 1000:
        raise field_error(
            "concepts",
            _("%(label)s: de 1 a 1000 caracteres.") % {"label": label(_("descripción"))},
            "invalid_descripcion",
        )
    cantidad = _decimal_checked(
        spec.cantidad,
        field="concepts",
        label=lazy_label(gettext_lazy("cantidad")),
        places=QUANTITY_PLACES,
        positive=True,
    )
    valor = _decimal_checked(
        spec.valor_unitario, field="concepts", label=lazy_label(gettext_lazy("valor unitario"))
    )
    descuento = _decimal_checked(
        spec.descuento, field="concepts", label=lazy_label(gettext_lazy("descuento"))
    )
    if descuento > cantidad * valor:
        raise field_error(
            "concepts",
            _("%(label)s: no puede ser mayor que el importe (cantidad × valor unitario).")
            % {"label": label(_("descuento"))},
            "discount_over_amount",
        )
    if not exists(Catalog.OBJETO_IMP, spec.objeto_imp):
        raise field_error(
            "concepts",
            _("%(label)s: elige una clave del catálogo c_ObjetoImp.")
            % {"label": label(_("objeto de impuesto"))},
            "invalid_objeto_imp",
        )
    return _concept_taxes(spec, number)


def _relation_checked(spec: RelationSpec, number: int) -> tuple[str, str]:
    label = _("CFDI relacionado %(n)d") % {"n": number}
    if not exists(Catalog.TIPO_RELACION, spec.tipo_relacion):
        raise field_error(
            "relations",
            _("%(label)s: el tipo de relación debe ser una clave del catálogo c_TipoRelacion.")
            % {"label": label},
            "invalid_tipo_relacion",
        )
    return spec.tipo_relacion, _uuid_checked(spec.uuid, field="relations", label=label)


def _payment_checked(company: Company, spec: PaymentSpec, number: int) -> None:
    label = _("Pago %(n)d") % {"n": number}
    if not exists(Catalog.FORMA_PAGO, spec.forma_pago) or spec.forma_pago == "99":
        raise field_error(
            "payments",
            _("%(label)s: la forma de pago debe ser una clave del catálogo (no 99, Por definir).")
            % {"label": label},
            "invalid_forma_pago",
        )
    if not exists(Catalog.MONEDA, spec.moneda) or spec.moneda == "XXX":
        raise field_error(
            "payments",
            _("%(label)s: elige la moneda del pago.") % {"label": label},
            "invalid_moneda",
        )
    _rate_checked(spec.moneda, spec.tipo_cambio, field="payments")
    monto = _decimal_checked(
        spec.monto, field="payments", label=_("%(label)s, monto") % {"label": label}, positive=True
    )
    if not spec.documents:
        raise field_error(
            "payments",
            _("%(label)s: indica al menos una factura pagada.") % {"label": label},
            "no_documents",
        )
    applied = Decimal(0)
    seen: set[str] = set()
    for position, document in enumerate(spec.documents, start=1):
        doc_label = _("%(label)s, factura %(n)d") % {"label": label, "n": position}
        related = _uuid_checked(document.related_uuid, field="payments", label=doc_label)
        if related in seen:
            raise field_error(
                "payments",
                _("%(label)s: esa factura ya está en este pago.") % {"label": doc_label},
                "duplicate_document",
            )
        seen.add(related)
        if document.num_parcialidad < 1:
            raise field_error(
                "payments",
                _("%(label)s: el número de parcialidad empieza en 1.") % {"label": doc_label},
                "invalid_parcialidad",
            )
        saldo = _decimal_checked(
            document.imp_saldo_ant, field="payments", label=doc_label, positive=True
        )
        pagado = _decimal_checked(
            document.imp_pagado, field="payments", label=doc_label, positive=True
        )
        if pagado > saldo:
            raise field_error(
                "payments",
                _("%(label)s: el importe pagado no puede exceder el saldo anterior.")
                % {"label": doc_label},
                "paid_over_saldo",
            )
        _balance_checked(company, related, pagado, label=doc_label)
        equivalencia = document.equivalencia_dr or ONE
        applied += pagado / equivalencia
    if applied > monto:
        raise field_error(
            "payments",
            _("%(label)s: lo pagado a las facturas suma más que el monto del pago.")
            % {"label": label},
            "documents_over_monto",
        )


def _balance_checked(company: Company, related: str, pagado: Decimal, *, label: str) -> None:
    """A payment larger than the invoice's remaining balance is refused (when the
    repository holds the invoice; one issued elsewhere cannot be checked here)."""
    try:
        balance = ppd_balance(company=company, uuid=related)
    except CfdiNotFound:
        return
    if pagado > balance:
        raise field_error(
            "payments",
            _(
                "%(label)s: el importe pagado (%(paid)s) excede el saldo pendiente de la "
                "factura (%(balance)s)."
            )
            % {"label": label, "paid": pagado, "balance": balance.quantize(Decimal("0.01"))},
            "payment_exceeds_balance",
        )


def _carta_porte_checked(company: Company, spec: CartaPorteSpec) -> None:
    _owned(company, spec.vehicle, field="carta_porte", label=_("Carta Porte, vehículo"))
    if spec.trailer is not None:
        _owned(company, spec.trailer, field="carta_porte", label=_("Carta Porte, remolque"))
    for figure in spec.figures:
        _owned(company, figure, field="carta_porte", label=_("Carta Porte, figura de transporte"))
    if len(spec.stops) < 2:
        raise field_error(
            "carta_porte",
            _("Carta Porte: indica el origen y al menos un destino."),
            "stops_required",
        )
    for number, stop in enumerate(spec.stops, start=1):
        label = _("Carta Porte, ubicación %(n)d") % {"n": number}
        _owned(company, stop.location, field="carta_porte", label=label)
        if number > 1:
            if stop.distancia_recorrida is None:
                raise field_error(
                    "carta_porte",
                    _("%(label)s: indica la distancia recorrida hasta ese destino.")
                    % {"label": label},
                    "distance_required",
                )
            _decimal_checked(
                stop.distancia_recorrida, field="carta_porte", label=label, places=2, positive=True
            )
    for number, goods in enumerate(spec.goods, start=1):
        label = _("Carta Porte, mercancía %(n)d") % {"n": number}
        if not (goods.descripcion or "").strip():
            raise field_error(
                "carta_porte",
                _("%(label)s: escribe su descripción.") % {"label": label},
                "required",
            )
        _decimal_checked(
            goods.cantidad, field="carta_porte", label=label, places=QUANTITY_PLACES, positive=True
        )
        _decimal_checked(goods.peso_kg, field="carta_porte", label=label, places=3, positive=True)
        if not exists(Catalog.CLAVE_UNIDAD, goods.clave_unidad):
            raise field_error(
                "carta_porte",
                _("%(label)s: la clave de unidad no está en el catálogo del SAT.")
                % {"label": label},
                "invalid_clave_unidad",
            )


def draft_checked(company: Company, data: DraftData) -> list[list[LineSpec]]:
    """Every rule a draft's data must keep; the concepts' tax lines as they will be written.

    A draft may be incomplete (no customer or concepts yet); what it says must be right,
    and its parts must fit its tipo: a Pago carries payments and no concepts, the others
    no payments; Carta Porte goes with a Traslado or an Ingreso.
    """
    _header_checked(company, data)
    if data.tipo == DraftTipo.PAGO and data.concepts:
        raise field_error(
            "concepts",
            _("Conceptos: un complemento de pago no lleva conceptos (el SAT fija el único)."),
            "pago_concepts",
        )
    if data.tipo == DraftTipo.PAGO and (data.forma_pago or data.metodo_pago):
        raise field_error(
            "forma_pago",
            _("Forma de pago: en un complemento de pago va en cada pago, no en el comprobante."),
            "pago_forma_pago",
        )
    if data.tipo != DraftTipo.PAGO and data.payments:
        raise field_error(
            "payments",
            _("Pagos: solo un complemento de pago (tipo P) lleva pagos."),
            "payments_only_pago",
        )
    if data.carta_porte is not None and data.tipo not in (DraftTipo.TRASLADO, DraftTipo.INGRESO):
        raise field_error(
            "carta_porte",
            _("Carta Porte: va en un comprobante de Traslado o de Ingreso."),
            "carta_porte_tipo",
        )
    if len(data.concepts) > MAX_CONCEPTS:
        raise field_error(
            "concepts",
            _("Conceptos: máximo %(n)d por comprobante.") % {"n": MAX_CONCEPTS},
            "too_many_concepts",
        )
    taxes = [
        _concept_checked(company, spec, number)
        for number, spec in enumerate(data.concepts, start=1)
    ]
    seen: set[tuple[str, str]] = set()
    for number, relation in enumerate(data.relations, start=1):
        key = _relation_checked(relation, number)
        if key in seen:
            raise field_error(
                "relations",
                _("CFDI relacionado %(n)d: ya está en la lista con ese tipo de relación.")
                % {"n": number},
                "duplicate_relation",
            )
        seen.add(key)
    for number, payment in enumerate(data.payments, start=1):
        _payment_checked(company, payment, number)
    if data.carta_porte is not None:
        _carta_porte_checked(company, data.carta_porte)
    return taxes


# --- writing --------------------------------------------------------------------------------


def tax_json(lines: list[LineSpec]) -> list[dict[str, Any]]:
    """Tax lines as a concept row stores them (JSON: kind, impuesto, tipo_factor, rate)."""
    return [
        {
            "kind": line.kind,
            "impuesto": line.impuesto,
            "tipo_factor": line.tipo_factor,
            "rate": None if line.rate is None else str(line.rate),
        }
        for line in lines
    ]


# DraftData's parts that are child rows; the rest are the Draft's own columns.
_CHILDREN = ("concepts", "relations", "payments", "carta_porte")


def _values(source: Any, spec: type, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """``source``'s values of the spec dataclass's fields. Specs and rows name their fields
    alike, so this copies a spec onto a row and a row back into a spec."""
    return {f.name: getattr(source, f.name) for f in fields(spec) if f.name not in skip}


def _header_fields(data: DraftData) -> dict[str, Any]:
    return _values(data, DraftData, skip=_CHILDREN)


def _write_children(draft: Draft, data: DraftData, taxes: list[list[LineSpec]]) -> None:
    """The draft's rows as ``data`` says (replacing what it had): one insert per kind."""
    for manager in (draft.concepts, draft.relations, draft.payments, draft.stops, draft.figures):
        manager.all().delete()
    draft.goods.all().delete()
    DraftCartaPorte.objects.filter(draft=draft).delete()
    DraftConcept.objects.bulk_create(
        DraftConcept(
            draft=draft,
            position=position,
            **_values(spec, ConceptSpec, skip=("taxes", "descripcion")),
            descripcion=" ".join(spec.descripcion.split()),
            taxes=tax_json(lines),
        )
        for position, (spec, lines) in enumerate(zip(data.concepts, taxes, strict=True), start=1)
    )
    DraftRelation.objects.bulk_create(
        DraftRelation(draft=draft, **_values(spec, RelationSpec)) for spec in data.relations
    )
    for position, spec in enumerate(data.payments, start=1):
        payment = DraftPayment.objects.create(
            draft=draft, position=position, **_values(spec, PaymentSpec, skip=("documents",))
        )
        DraftPaymentDocument.objects.bulk_create(
            DraftPaymentDocument(
                payment=payment,
                position=number,
                **{
                    **_values(document, PaymentDocumentSpec),
                    **_serie_folio(draft.company, document),
                    "objeto_imp_dr": _objeto_imp_dr(draft.company, document),
                },
            )
            for number, document in enumerate(spec.documents, start=1)
        )
    carta = data.carta_porte
    if carta is None:
        return
    DraftCartaPorte.objects.create(
        draft=draft, **_values(carta, CartaPorteSpec, skip=("stops", "goods", "figures"))
    )
    DraftStop.objects.bulk_create(
        DraftStop(draft=draft, position=position, **_values(stop, StopSpec))
        for position, stop in enumerate(carta.stops, start=1)
    )
    DraftFigure.objects.bulk_create(DraftFigure(draft=draft, figure=f) for f in carta.figures)
    DraftGoods.objects.bulk_create(
        DraftGoods(draft=draft, position=position, **_values(goods, GoodsSpec))
        for position, goods in enumerate(carta.goods, start=1)
    )


def _serie_folio(company: Company, document: PaymentDocumentSpec) -> dict[str, str]:
    """The paid invoice's serie and folio as the payment prints them: those given, else the
    repository's copy's (the page's "Pagar" names only the UUID)."""
    if document.serie or document.folio:
        return {"serie": document.serie, "folio": document.folio}
    stored = (
        Cfdi.objects.filter(company=company, uuid=document.related_uuid)
        .values("serie", "folio")
        .first()
    )
    if stored is None:
        return {"serie": "", "folio": ""}
    return {"serie": stored["serie"], "folio": stored["folio"]}


def _objeto_imp_dr(company: Company, document: PaymentDocumentSpec) -> str:
    """The ObjetoImpDR asked, else 02 when the stored invoice paid carries taxes (its
    ImpuestosDR are prorated from it when the payment is built), else 01."""
    if document.objeto_imp_dr:
        return document.objeto_imp_dr
    taxes = paid_document_taxes(company=company, uuid=document.related_uuid, imp_pagado=None)
    return "02" if taxes else "01"


def draft_snapshot(draft: Draft) -> dict[str, Any]:
    """What the audit trail keeps of a draft: its kind, customer, series and size."""
    return {
        "tipo": draft.tipo,
        "customer": draft.customer.rfc if draft.customer is not None else "",
        "series": draft.series.code if draft.series is not None else "",
        "moneda": draft.moneda,
        "concepts": draft.concepts.count(),
        "payments": draft.payments.count(),
        "relations": draft.relations.count(),
    }


def draft_create(*, company: Company, actor: User, data: DraftData, cloned_from: str = "") -> Draft:
    """A new draft of the company (its tipo's default series when none is given)."""
    invoicing_company(viewer=actor, company=company)
    taxes = draft_checked(company, data)
    if data.series is None:
        default = series_default(company=company, tipo=data.tipo)
        if default is not None:
            data = replace(data, series=default)
    with transaction.atomic():
        draft = Draft.objects.create(company=company, created_by=actor, **_header_fields(data))
        _write_children(draft, data, taxes)
        after = draft_snapshot(draft)
        if cloned_from:
            after["cloned_from"] = cloned_from
        audit_record(
            actor=actor,
            action=Action.DRAFT_CREATED,
            account=company.account,
            company=company,
            target=draft,
            after=after,
        )
    return draft


def _editable_locked(draft: Draft, *, rows: bool = False, resume_stuck: bool = False) -> Draft:
    """The draft's row, locked for this transaction (with ``rows``: and every row issuing
    reads, ``loading.with_rows``); refused unless it is still a draft (or, with
    ``resume_stuck``, a stamping that was interrupted: ``stamping_stuck``)."""
    drafts = Draft.objects.select_for_update(of=("self",))
    locked = (with_rows(drafts) if rows else drafts.select_related("series", "customer")).get(
        pk=draft.pk
    )
    resumed = resume_stuck and locked.status == DraftStatus.STAMPING
    if resumed and not stamping_stuck(locked):
        raise ValidationError(
            _(
                "El borrador se está timbrando. Si el timbrado se interrumpió, podrás "
                "reintentarlo cuando pasen %(minutes)s minutos desde que empezó."
            )
            % {"minutes": settings.DESPACHO_STAMPING_RETRY_MINUTES},
            code="stamping_in_progress",
        )
    if locked.status != DraftStatus.DRAFT and not resumed:
        raise ValidationError(
            _("El borrador ya no se puede modificar: está %(status)s.")
            % {"status": DraftStatus(locked.status).label.lower()},
            code="not_editable",
        )
    if rows:
        carta_porte_rows([locked])
    return locked


def draft_update(*, draft: Draft, actor: User, data: DraftData) -> Draft:
    """The draft replaced by ``data`` (header and every child row), only while a draft.

    A draft that already holds a folio (a failed stamping attempt) keeps it, and so its
    series: changing the series would leave the folio unused.
    """
    company = invoicing_company(viewer=actor, company=draft.company)
    taxes = draft_checked(company, data)
    with transaction.atomic():
        locked = _editable_locked(draft)
        held = locked.series if locked.folio is not None else None
        if held is not None:
            if data.series is not None and data.series.pk != held.pk:
                raise field_error(
                    "series",
                    _(
                        "Serie: el borrador ya tiene el folio %(folio)s de la serie %(code)s; "
                        "no se cambia."
                    )
                    % {"folio": locked.folio, "code": held.code},
                    "folio_taken",
                )
            data = replace(data, series=held)
        before = draft_snapshot(locked)
        for name, value in _header_fields(data).items():
            setattr(locked, name, value)
        locked.updated_at = timezone.now()
        locked.save()
        _write_children(locked, data, taxes)
        audit_record(
            actor=actor,
            action=Action.DRAFT_UPDATED,
            account=company.account,
            company=company,
            target=locked,
            before=before,
            after=draft_snapshot(locked),
        )
    return locked


def draft_delete(*, draft: Draft, actor: User) -> None:
    """Delete a draft; refused once it holds a folio (deleting it would skip that folio)."""
    company = invoicing_company(viewer=actor, company=draft.company)
    with transaction.atomic():
        locked = _editable_locked(draft)
        if locked.folio is not None:
            raise ValidationError(
                _(
                    "El borrador ya tiene el folio %(ref)s: emítelo; borrarlo dejaría un hueco "
                    "en los folios de la serie."
                )
                % {"ref": locked.serie_folio},
                code="folio_taken",
            )
        before = draft_snapshot(locked)
        audit_record(
            actor=actor,
            action=Action.DRAFT_DELETED,
            account=company.account,
            company=company,
            target=locked,
            before=before,
        )
        locked.delete()


def draft_clone(
    *,
    company: Company,
    actor: User,
    source_uuid: str | None = None,
    source_draft: Draft | None = None,
) -> Draft:
    """A new draft with the content of one of the company's issued CFDIs (read from its
    XML) or of another of its drafts: same customer, concepts, currency; no folio, no date."""
    invoicing_company(viewer=actor, company=company)
    if source_draft is not None:
        if source_draft.company_id != company.pk:
            raise DraftNotFound(_("No existe ese borrador."))
        data = draft_data_of(source_draft)
        return draft_create(
            company=company, actor=actor, data=data, cloned_from=source_draft.audit_label
        )
    cfdi = cfdi_for(viewer=actor, company=company, uuid=source_uuid or "")
    if cfdi.direction != Direction.EMITIDO or cfdi.tipo not in DraftTipo.values:
        raise ValidationError(
            _("Solo se copia un CFDI que la empresa emitió (ingreso, egreso, pago o traslado)."),
            code="clone_not_issued",
        )
    data = draft_data_from_xml(cfdi_xml(cfdi), company=company)
    return draft_create(company=company, actor=actor, data=data, cloned_from=cfdi.audit_label)


def _header_of(draft: Draft) -> DraftData:
    header = DraftData(**_values(draft, DraftData, skip=(*_CHILDREN, "fecha")))
    if header.series is not None and not header.series.is_active:
        return replace(header, series=None)  # the new draft takes the tipo's default
    return header


def _concept_spec(concept: DraftConcept) -> ConceptSpec:
    taxes = tuple(
        LineSpec(
            line["kind"],
            line["impuesto"],
            line["tipo_factor"],
            None if line["rate"] is None else Decimal(line["rate"]),
        )
        for line in concept.taxes
    )
    return ConceptSpec(**_values(concept, ConceptSpec, skip=("taxes",)), taxes=taxes)


def _payment_spec(payment: DraftPayment) -> PaymentSpec:
    documents = tuple(
        PaymentDocumentSpec(**_values(document, PaymentDocumentSpec))
        for document in payment.documents.all()
    )
    return PaymentSpec(**_values(payment, PaymentSpec, skip=("documents",)), documents=documents)


def _carta_porte_spec(draft: Draft) -> CartaPorteSpec | None:
    header = carta_porte_of(draft)
    if header is None:
        return None
    return CartaPorteSpec(
        **_values(header, CartaPorteSpec, skip=("stops", "goods", "figures")),
        stops=tuple(
            StopSpec(**_values(stop, StopSpec)) for stop in rows_of(draft, "stops", "location")
        ),
        figures=tuple(row.figure for row in rows_of(draft, "figures", "figure")),
        goods=tuple(GoodsSpec(**_values(goods, GoodsSpec)) for goods in rows_of(draft, "goods")),
    )


def draft_data_of(draft: Draft) -> DraftData:
    """A draft's content as ``DraftData`` (to clone it): no folio, no date, no receptor
    snapshot; an inactive series is left for the new draft's default. Reads the rows
    ``loading.with_rows`` prefetched, if it did."""
    relations = rows_of(draft, "relations")
    return replace(
        _header_of(draft),
        concepts=tuple(_concept_spec(c) for c in rows_of(draft, "concepts", "product")),
        relations=tuple(RelationSpec(**_values(r, RelationSpec)) for r in relations),
        payments=tuple(
            _payment_spec(p) for p in rows_of(draft, "payments", prefetch=("documents",))
        ),
        carta_porte=_carta_porte_spec(draft),
    )


# --- the stamping lifecycle -----------------------------------------------------------------


def _stamping_prepared(locked: Draft, *, actor: User, company: Company) -> None:
    """On the locked draft (not saved yet): its folio taken if it has none (audited), its
    receptor snapshotted from the customer, its status ``stamping``."""
    if locked.series is None:
        raise field_error("series", _("Serie: elige la serie del comprobante."), "series_required")
    if locked.customer is None:
        raise field_error("customer", _("Cliente: elige el receptor."), "customer_required")
    if locked.folio is None:
        locked.folio = folio_take(series=locked.series)
        audit_record(
            actor=actor,
            action=Action.DRAFT_FOLIO_TAKEN,
            account=company.account,
            company=company,
            target=locked,
            after={"series": locked.series.code, "folio": locked.folio},
        )
    customer = locked.customer
    locked.receptor_rfc = customer.rfc
    locked.receptor_nombre = customer.razon_social
    locked.receptor_regimen = customer.regimen_fiscal
    locked.receptor_cp = customer.codigo_postal
    locked.receptor_tax_id = customer.tax_id
    locked.receptor_pais = customer.pais
    locked.status = DraftStatus.STAMPING
    locked.last_error = ""
    locked.updated_at = timezone.now()


def draft_stamping_begin(*, draft: Draft, actor: User) -> Draft:
    """The draft ready for the PAC: its folio taken (once; a retry keeps it), its receptor
    snapshotted from the customer, its status ``stamping`` — all in one transaction.

    A draft left ``stamping`` by a process that died between the PAC call and storing
    begins again once ``stamping_stuck`` says so (with its folio and its kept sealed XML,
    which the issuing service asks the PAC about first); before then it is refused
    (``stamping_in_progress``), so two attempts never run at once."""
    company = invoicing_company(viewer=actor, company=draft.company)
    with transaction.atomic():
        locked = _editable_locked(draft, resume_stuck=True)
        _stamping_prepared(locked, actor=actor, company=company)
        locked.save()
    return locked


def draft_stamping_sealed(
    *,
    draft: Draft,
    actor: User,
    check: Callable[[Draft], Checked],
    seal: Callable[[Draft, Checked], bytes],
) -> tuple[Draft, Checked, bytes | None]:
    """``draft_stamping_begin`` for issuing, with the checks and the seal in the same
    transaction: the draft locked and read once with every row issuing reads
    (``loading.with_rows``); ``check(locked)`` (a refusal leaves nothing taken); the folio
    taken, the receptor snapshotted; ``seal(locked, checked)`` seals the document, unless
    the draft already holds sealed bytes from an attempt the PAC may have stamped (then
    None: the caller recovers them first); one UPDATE of the draft. Returns the draft, what
    ``check`` returned and the sealed bytes. The series' row stays locked only from the
    folio to the commit."""
    company = invoicing_company(viewer=actor, company=draft.company)
    with transaction.atomic():
        locked = _editable_locked(draft, rows=True, resume_stuck=True)
        checked = check(locked)
        _stamping_prepared(locked, actor=actor, company=company)
        sealed = None if locked.sealed_xml else seal(locked, checked)
        if sealed is not None:
            locked.sealed_xml = sealed
        locked.save()
    return locked, checked, sealed


def draft_stamping_failed(*, draft: Draft, error: str) -> Draft:
    """Back to editing after a failed PAC attempt, keeping its folio and the PAC's message."""
    with transaction.atomic():
        updated = Draft.objects.filter(pk=draft.pk, status=DraftStatus.STAMPING).update(
            status=DraftStatus.DRAFT, last_error=error[:4000], updated_at=timezone.now()
        )
        if not updated:
            raise ValidationError(_("El borrador no se estaba timbrando."), code="not_stamping")
    draft.refresh_from_db()
    return draft


def draft_issued(*, draft: Draft, cfdi: Cfdi, xml_sha256: str) -> Draft:
    """Record the stamped CFDI on its draft (in the transaction that stores it)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("draft_issued must run in the transaction that stores the CFDI")
    if cfdi.company_id != draft.company_id:
        raise ValueError("the stored CFDI belongs to another company")
    now = timezone.now()
    updated = Draft.objects.filter(pk=draft.pk, status=DraftStatus.STAMPING).update(
        status=DraftStatus.ISSUED,
        uuid=cfdi.uuid,
        cfdi=cfdi,
        xml_sha256=xml_sha256,
        last_error="",
        updated_at=now,
    )
    if not updated:
        raise ValidationError(_("El borrador no se estaba timbrando."), code="not_stamping")
    # What the UPDATE wrote, without reading the row (and its series and customer) back.
    draft.status, draft.uuid, draft.cfdi, draft.xml_sha256 = (
        DraftStatus.ISSUED,
        cfdi.uuid,
        cfdi,
        xml_sha256,
    )
    draft.last_error, draft.updated_at = "", now
    return draft
