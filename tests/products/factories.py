"""Products and tax schemes for tests, made through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from despacho.products.models import Factor, LineKind, Product, Tax, TaxScheme
from despacho.products.services import LineSpec, ProductData, product_create, tax_scheme_create

IVA16 = LineSpec(LineKind.TRASLADO, Tax.IVA, Factor.TASA, Decimal("0.160000"))


def make_scheme(
    company: Any, *, name: str = "IVA general", lines: list[LineSpec] | None = None
) -> TaxScheme:
    with transaction.atomic():
        return tax_scheme_create(company=company, actor=None, name=name, lines=lines or [IVA16])


def product_data(**changes: Any) -> ProductData:
    values: dict[str, Any] = {
        "clave_prod_serv": "50201706",
        "clave_unidad": "H87",
        "description": "Café de grano tostado, bolsa de 1 kg",
        "unit": "Pieza",
        "unit_price": Decimal("250.500000"),
        "objeto_imp": "02",
        "tax_scheme": None,
    }
    values.update(changes)
    return ProductData(**values)


def make_product(
    company: Any,
    *,
    description: str = "Café de grano tostado",
    scheme: TaxScheme | None = None,
    **changes: Any,
) -> Product:
    if scheme is None and changes.get("objeto_imp", "02") == "02":
        scheme = make_scheme(company, name=f"IVA de {description}"[:120])
    with transaction.atomic():
        return product_create(
            company=company,
            actor=None,
            data=product_data(description=description, tax_scheme=scheme, **changes),
        )
