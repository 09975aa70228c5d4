"""What a CFDI 4.0 to issue says, as typed immutable values independent of the models.

A ``Document`` is everything the engine needs to compute the amounts (``amounts.py``) and
build the XML (``xmlbuild.py``): the header, issuer, receiver, concepts, and for a Pago its
payments (Pagos 2.0), for a Traslado its Carta Porte 3.1. Drafts (stored elsewhere) are
turned into a ``Document`` just before issuing; the converters at the bottom build the
parts from a company's products and Carta Porte data.

Codes are SAT's own (c_Impuesto ``002``, c_ObjetoImp ``02`` …); amounts are ``Decimal``.
``fecha`` values are the local time of Mexico City (aware values are converted; naive ones
are taken as already local), as the CFDI writes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from despacho.cfdi.parsing import CFDI_ZONE

if TYPE_CHECKING:
    from despacho.cartaporte.models import Figure, Location, Trailer, Vehicle
    from despacho.products.models import Product

IVA = "002"
IEPS = "003"
ISR = "001"
TASA = "Tasa"
CUOTA = "Cuota"
EXENTO = "Exento"
NO_TAX = "XXX"  # c_Moneda for Pago and Traslado comprobantes


def local_time(moment: datetime) -> datetime:
    """The CFDI's way of writing a moment: Mexico City's wall clock, no offset, no µs."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(CFDI_ZONE).replace(tzinfo=None)
    return moment.replace(microsecond=0)


@dataclass(frozen=True)
class Issuer:
    rfc: str
    nombre: str
    regimen_fiscal: str
    lugar_expedicion: str  # the issuing place's código postal


@dataclass(frozen=True)
class Receiver:
    rfc: str
    nombre: str
    regimen_fiscal: str
    domicilio_fiscal: str  # código postal
    uso_cfdi: str
    # A foreign receiver (XEXX010101000): country (c_Pais) and its tax id.
    residencia_fiscal: str = ""
    num_reg_id_trib: str = ""


@dataclass(frozen=True)
class TaxLine:
    """One tax a concept carries: a traslado or (``retencion``) a retención."""

    impuesto: str  # c_Impuesto: 001 ISR, 002 IVA, 003 IEPS
    tipo_factor: str  # Tasa, Cuota, Exento
    tasa_o_cuota: Decimal | None  # None only for Exento
    retencion: bool = False


@dataclass(frozen=True)
class Concept:
    clave_prod_serv: str
    cantidad: Decimal
    clave_unidad: str
    descripcion: str
    valor_unitario: Decimal
    objeto_imp: str = "02"
    taxes: tuple[TaxLine, ...] = ()
    descuento: Decimal = Decimal(0)
    no_identificacion: str = ""
    unidad: str = ""


@dataclass(frozen=True)
class Relation:
    """CfdiRelacionados: one TipoRelacion and the UUIDs it relates."""

    tipo_relacion: str
    uuids: tuple[str, ...]


@dataclass(frozen=True)
class GlobalInformation:
    """InformacionGlobal of a comprobante to the público en general."""

    periodicidad: str  # c_Periodicidad
    meses: str  # c_Meses
    ano: int


@dataclass(frozen=True)
class Header:
    tipo: str  # I, E, P, T
    fecha: datetime
    serie: str = ""
    folio: str = ""
    forma_pago: str = ""
    metodo_pago: str = ""  # PUE, PPD
    moneda: str = "MXN"
    tipo_cambio: Decimal | None = None
    exportacion: str = "01"
    condiciones_de_pago: str = ""
    informacion_global: GlobalInformation | None = None
    relations: tuple[Relation, ...] = ()


@dataclass(frozen=True)
class DocumentTax:
    """A tax of a paid document (ImpuestosDR): the line and the base this payment covers."""

    line: TaxLine
    base: Decimal  # BaseDR, in the document's currency


@dataclass(frozen=True)
class PaidDocument:
    """A DoctoRelacionado of Pagos 2.0."""

    id_documento: str  # the paid CFDI's UUID
    moneda: str  # MonedaDR
    num_parcialidad: int
    imp_saldo_ant: Decimal
    imp_pagado: Decimal
    objeto_imp: str = "02"
    serie: str = ""
    folio: str = ""
    # Units of MonedaDR per unit of MonedaP: 1 when both are the same currency.
    equivalencia: Decimal = Decimal(1)
    taxes: tuple[DocumentTax, ...] = ()


@dataclass(frozen=True)
class Payment:
    """A Pago of Pagos 2.0: one receipt of money covering one or more documents."""

    fecha_pago: datetime
    forma_pago: str
    moneda: str
    documents: tuple[PaidDocument, ...]
    tipo_cambio: Decimal | None = None  # MXN per unit of ``moneda``; 1 for MXN
    monto: Decimal | None = None  # None: the documents' sum
    num_operacion: str = ""


@dataclass(frozen=True)
class Address:
    """Domicilio of Carta Porte 3.1 (SAT's codes for estado, municipio, colonia …)."""

    estado: str
    codigo_postal: str
    pais: str = "MEX"
    calle: str = ""
    numero_exterior: str = ""
    numero_interior: str = ""
    colonia: str = ""
    localidad: str = ""
    municipio: str = ""
    referencia: str = ""


@dataclass(frozen=True)
class Stop:
    """An Ubicación: where the goods leave (Origen) or arrive (Destino)."""

    tipo: str  # Origen, Destino
    id_ubicacion: str  # OR000001, DE000001 …
    rfc: str
    fecha_hora: datetime
    domicilio: Address
    nombre: str = ""
    distancia_recorrida: Decimal | None = None  # km from the previous stop (Destino)


@dataclass(frozen=True)
class GoodsMove:
    """CantidadTransporta: how much of a mercancía goes from one stop to another."""

    cantidad: Decimal
    id_origen: str
    id_destino: str


@dataclass(frozen=True)
class Goods:
    """A Mercancía: SAT's keys, quantity and weight."""

    bienes_transp: str  # c_ClaveProdServCP
    descripcion: str
    cantidad: Decimal
    clave_unidad: str
    peso_en_kg: Decimal
    material_peligroso: str = ""  # "Sí"/"No" when the key asks
    moves: tuple[GoodsMove, ...] = ()


@dataclass(frozen=True)
class TrailerPart:
    subtipo: str  # c_SubTipoRem
    placa: str


@dataclass(frozen=True)
class Truck:
    """Autotransporte: the vehicle, its permit, insurance and trailers."""

    perm_sct: str
    num_permiso_sct: str
    config_vehicular: str
    peso_bruto_vehicular: Decimal  # tonnes
    placa: str
    anio_modelo: int
    asegura_resp_civil: str
    poliza_resp_civil: str
    trailers: tuple[TrailerPart, ...] = ()


@dataclass(frozen=True)
class TransportFigure:
    tipo_figura: str  # c_FiguraTransporte
    rfc: str
    nombre: str
    num_licencia: str = ""


@dataclass(frozen=True)
class CartaPorte:
    """Complemento Carta Porte 3.1 for autotransporte."""

    id_ccp: str
    stops: tuple[Stop, ...]
    goods: tuple[Goods, ...]
    truck: Truck
    figures: tuple[TransportFigure, ...]
    unidad_peso: str = "KGM"
    transp_internac: str = "No"

    @property
    def total_distance(self) -> Decimal:
        return sum((s.distancia_recorrida or Decimal(0) for s in self.stops), Decimal(0))

    @property
    def gross_weight(self) -> Decimal:
        return sum((g.peso_en_kg for g in self.goods), Decimal(0))


@dataclass(frozen=True)
class Document:
    """A CFDI 4.0 ready to be computed and built."""

    header: Header
    issuer: Issuer
    receiver: Receiver
    concepts: tuple[Concept, ...] = ()
    payments: tuple[Payment, ...] = ()
    carta_porte: CartaPorte | None = None


def new_id_ccp() -> str:
    """A fresh IdCCP: a UUID whose first three characters are ``CCC`` (Carta Porte 3.x)."""
    return "CCC" + str(uuid.uuid4())[3:]


# Converters from the company's data: what a draft is made of.


def concept_from_product(
    product: Product,
    cantidad: Decimal,
    *,
    descuento: Decimal = Decimal(0),
    valor_unitario: Decimal | None = None,
    descripcion: str | None = None,
) -> Concept:
    """The concepto of ``cantidad`` of ``product``, with its tax scheme's lines."""
    taxes: tuple[TaxLine, ...] = ()
    if product.tax_scheme is not None:
        taxes = tuple(
            TaxLine(
                impuesto=line.impuesto,
                tipo_factor=line.tipo_factor,
                tasa_o_cuota=line.rate,
                retencion=line.kind == "retencion",
            )
            for line in product.tax_scheme.lines.all()
        )
    return Concept(
        clave_prod_serv=product.clave_prod_serv_id,
        cantidad=cantidad,
        clave_unidad=product.clave_unidad_id,
        descripcion=descripcion or product.description,
        valor_unitario=product.unit_price if valor_unitario is None else valor_unitario,
        objeto_imp=product.objeto_imp,
        taxes=taxes,
        descuento=descuento,
        unidad=product.unit,
    )


def _address_of(item: Location | Figure) -> Address:
    return Address(
        estado=item.state,
        codigo_postal=item.postal_code,
        pais=item.country or "MEX",
        calle=item.street,
        numero_exterior=item.exterior_number,
        numero_interior=item.interior_number,
        colonia=item.neighborhood,
        localidad=item.locality,
        municipio=item.municipality,
        referencia=item.reference,
    )


def stop_from_location(
    location: Location,
    *,
    tipo: str,
    number: int,
    fecha_hora: datetime,
    distancia_recorrida: Decimal | None = None,
) -> Stop:
    """The Ubicación at ``location``: ``tipo`` Origen or Destino, ``number`` its sequence."""
    prefix = "OR" if tipo == "Origen" else "DE"
    return Stop(
        tipo=tipo,
        id_ubicacion=f"{prefix}{number:06d}",
        rfc=location.rfc,
        nombre=location.name,
        fecha_hora=fecha_hora,
        domicilio=_address_of(location),
        distancia_recorrida=distancia_recorrida,
    )


def truck_from(
    vehicle: Vehicle, *, peso_bruto_vehicular: Decimal, trailers: tuple[Trailer, ...] = ()
) -> Truck:
    """The Autotransporte of ``vehicle`` pulling ``trailers``."""
    return Truck(
        perm_sct=vehicle.permit_type,
        num_permiso_sct=vehicle.permit_number,
        config_vehicular=vehicle.configuration,
        peso_bruto_vehicular=peso_bruto_vehicular,
        placa=vehicle.plate,
        anio_modelo=vehicle.model_year,
        asegura_resp_civil=vehicle.insurer,
        poliza_resp_civil=vehicle.policy,
        trailers=tuple(TrailerPart(subtipo=t.subtype, placa=t.plate) for t in trailers),
    )


def figure_from(figure: Figure) -> TransportFigure:
    """The TiposFigura of a stored figura de transporte."""
    return TransportFigure(
        tipo_figura=figure.figure_type,
        rfc=figure.rfc,
        nombre=figure.name,
        num_licencia=figure.license,
    )
