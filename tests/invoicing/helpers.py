"""Drafts and series for tests, made through the services."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from despacho.cartaporte.models import Figure, Location, Vehicle
from despacho.customers.models import Customer
from despacho.invoicing.models import Draft, Series
from despacho.invoicing.services.drafts import draft_create
from despacho.invoicing.services.series import series_create
from despacho.invoicing.specs import CartaPorteSpec, ConceptSpec, DraftData, GoodsSpec, StopSpec
from despacho.products.models import Factor, LineKind, Tax
from despacho.products.services import LineSpec
from despacho.tenancy.models import Company
from tests.cartaporte.samples import make_item
from tests.customers.helpers import register
from tests.factories import owner_of

MEXICO = ZoneInfo("America/Mexico_City")
IVA16 = LineSpec(LineKind.TRASLADO, Tax.IVA, Factor.TASA, Decimal("0.160000"))


def make_series(company: Company, code: str = "A", **changes: Any) -> Series:
    return series_create(company=company, actor=owner_of(company.account), code=code, **changes)


def concept(**changes: Any) -> ConceptSpec:
    values: dict[str, Any] = {
        "clave_prod_serv": "84111506",
        "clave_unidad": "E48",
        "descripcion": "Servicio de contabilidad, enero",
        "cantidad": Decimal("1"),
        "valor_unitario": Decimal("1000.00"),
        "objeto_imp": "02",
        "taxes": (IVA16,),
    }
    values.update(changes)
    return ConceptSpec(**values)


def invoice_data(customer: Customer | None = None, **changes: Any) -> DraftData:
    values: dict[str, Any] = {
        "tipo": "I",
        "customer": customer,
        "forma_pago": "03",
        "metodo_pago": "PUE",
        "uso_cfdi": "G03",
        "concepts": (concept(),),
    }
    values.update(changes)
    return DraftData(**values)


def make_draft(company: Company, **changes: Any) -> Draft:
    customer = changes.pop("customer", None) or register(company)
    return draft_create(
        company=company,
        actor=changes.pop("actor", None) or owner_of(company.account),
        data=invoice_data(customer, **changes),
    )


def carta_porte(company: Company, **changes: Any) -> CartaPorteSpec:
    """Carta Porte from the company's prepared data: Guadalajara to Zapopan, 25.5 km, 10 kg
    of coffee, one truck and its operator."""
    origin = make_item(Location, company)
    destination = make_item(Location, company, name="Bodega Zapopan", location_type="destination")
    values: dict[str, Any] = {
        "vehicle": make_item(Vehicle, company),
        "stops": (
            StopSpec(origin, datetime(2026, 2, 1, 8, tzinfo=MEXICO)),
            StopSpec(destination, datetime(2026, 2, 1, 12, tzinfo=MEXICO), Decimal("25.5")),
        ),
        "goods": (GoodsSpec("50201706", "Café en grano", Decimal("10"), "KGM", Decimal("10.000")),),
        "figures": (make_item(Figure, company),),
    }
    values.update(changes)
    return CartaPorteSpec(**values)


def traslado(spec: CartaPorteSpec) -> dict[str, Any]:
    """What a traslado draft states besides its Carta Porte: no payment, uso S01, one concepto
    without value or taxes."""
    return {
        "tipo": "T",
        "forma_pago": "",
        "metodo_pago": "",
        "uso_cfdi": "S01",
        "concepts": (concept(valor_unitario=Decimal(0), objeto_imp="01", taxes=()),),
        "carta_porte": spec,
    }
