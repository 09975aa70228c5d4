"""Drafts and series for tests, made through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from despacho.customers.models import Customer
from despacho.invoicing.models import Draft, Series
from despacho.invoicing.services.drafts import draft_create
from despacho.invoicing.services.series import series_create
from despacho.invoicing.specs import ConceptSpec, DraftData
from despacho.products.models import Factor, LineKind, Tax
from despacho.products.services import LineSpec
from despacho.tenancy.models import Company
from tests.customers.helpers import register
from tests.factories import owner_of

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
