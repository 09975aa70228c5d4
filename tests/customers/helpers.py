"""Customers for tests: real RFCs of each persona type, and valid fields to start from."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from despacho.customers.models import Customer
from despacho.customers.services import customer_create
from despacho.tenancy.models import Company
from despacho.tenancy.rfc import validate_company_rfc
from tests.factories import owner_of, valid_rfc


def real_rfc(*, moral: bool = True) -> str:
    """An RFC Despacho accepts (check digit right, no word SAT never assigns)."""
    while True:
        rfc = valid_rfc(moral=moral)
        try:
            return validate_company_rfc(rfc)
        except ValidationError:
            continue


def moral_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "rfc": real_rfc(moral=True),
        "razon_social": "COMERCIALIZADORA DEL NORTE",
        "regimen_fiscal": "601",
        "codigo_postal": "06600",
        "uso_cfdi": "G03",
        "forma_pago": "03",
        "metodo_pago": "PUE",
        "emails": ["compras@norte.example.mx"],
        **overrides,
    }


def fisica_fields(**overrides: Any) -> dict[str, Any]:
    return moral_fields(
        **{
            "rfc": real_rfc(moral=False),
            "razon_social": "MARÍA GUADALUPE PÉREZ LÓPEZ",
            "regimen_fiscal": "612",
            **overrides,
        }
    )


def register(company: Company, **fields: Any) -> Customer:
    return customer_create(
        company=company, actor=owner_of(company.account), **{**moral_fields(), **fields}
    )
