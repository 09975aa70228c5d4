"""What a draft says, as the services receive it (a form, an API body, a cloned CFDI).

Plain frozen dataclasses: the services check them (``services.drafts.draft_checked``)
and write them as the draft's rows. ``DraftData`` is the whole draft; an update replaces
the whole draft, children included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from despacho.cartaporte.models import Figure, Location, Trailer, Vehicle
from despacho.customers.models import Customer
from despacho.invoicing.models import Series
from despacho.products.models import Product
from despacho.products.services import LineSpec


@dataclass(frozen=True)
class ConceptSpec:
    """One concepto. ``taxes`` None with a product: the product's tax scheme, copied."""

    clave_prod_serv: str
    clave_unidad: str
    descripcion: str
    cantidad: Decimal
    valor_unitario: Decimal
    objeto_imp: str
    descuento: Decimal = Decimal(0)
    product: Product | None = None
    no_identificacion: str = ""
    unidad: str = ""
    taxes: tuple[LineSpec, ...] | None = None


@dataclass(frozen=True)
class RelationSpec:
    tipo_relacion: str
    uuid: str


@dataclass(frozen=True)
class PaymentDocumentSpec:
    """A DoctoRelacionado; ImpSaldoInsoluto is ImpSaldoAnt − ImpPagado."""

    related_uuid: str
    num_parcialidad: int
    imp_saldo_ant: Decimal
    imp_pagado: Decimal
    moneda_dr: str = "MXN"
    equivalencia_dr: Decimal | None = None
    serie: str = ""
    folio: str = ""
    # "" : 02 when the repository's copy of the paid invoice carries taxes, else 01.
    objeto_imp_dr: str = ""


@dataclass(frozen=True)
class PaymentSpec:
    fecha_pago: datetime
    forma_pago: str
    monto: Decimal
    documents: tuple[PaymentDocumentSpec, ...]
    moneda: str = "MXN"
    tipo_cambio: Decimal | None = None
    num_operacion: str = ""


@dataclass(frozen=True)
class StopSpec:
    """An Ubicacion: the first is the origin; each later one needs the distance to it."""

    location: Location
    fecha_hora: datetime
    distancia_recorrida: Decimal | None = None


@dataclass(frozen=True)
class GoodsSpec:
    bienes_transp: str
    descripcion: str
    cantidad: Decimal
    clave_unidad: str
    peso_kg: Decimal
    material_peligroso: bool = False
    valor_mercancia: Decimal | None = None
    moneda: str = ""


@dataclass(frozen=True)
class CartaPorteSpec:
    vehicle: Vehicle
    stops: tuple[StopSpec, ...]
    goods: tuple[GoodsSpec, ...]
    figures: tuple[Figure, ...] = ()
    trailer: Trailer | None = None
    transp_internac: bool = False


@dataclass(frozen=True)
class DraftData:
    """A whole draft. Missing pieces (no customer, no concepts yet) may be saved; what is
    there must be right. Completeness is checked when stamping begins."""

    tipo: str
    customer: Customer | None = None
    series: Series | None = None
    fecha: datetime | None = None
    forma_pago: str = ""
    metodo_pago: str = ""
    uso_cfdi: str = ""
    exportacion: str = "01"
    moneda: str = "MXN"
    tipo_cambio: Decimal | None = None
    global_periodicidad: str = ""
    global_meses: str = ""
    global_anio: int | None = None
    concepts: tuple[ConceptSpec, ...] = ()
    relations: tuple[RelationSpec, ...] = ()
    payments: tuple[PaymentSpec, ...] = ()
    carta_porte: CartaPorteSpec | None = None
