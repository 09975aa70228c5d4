"""REST API of customers (Perm.DATOS_MAESTROS on the company): /api/v1/customers.

The same services and selectors as the Clientes pages; the company is an explicit
parameter, as in the portal's and the CFDI routes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from despacho.access.catalog import Perm
from despacho.api.auth import Principal, caller, company_param, refused
from despacho.api.errors import responses
from despacho.api.idempotency import idempotent
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import CURSOR, LIMIT, local, object_id, query_text, text
from despacho.customers.models import Customer
from despacho.customers.selectors import (
    CustomersForbidden,
    customer_for,
    customer_list,
    customers_company,
    portal_access_ids,
)
from despacho.customers.selectors import (
    Status as ListStatus,
)
from despacho.customers.services import customer_create, customer_set_active, customer_update
from despacho.tenancy.models import Company

customers_router = Router(tags=["customers"])

COMPANY = query_text(max_length=20, description="The company's id (GET /companies).")
EMAILS: Any = Field(default_factory=list, max_length=10, description="Up to 10 addresses.")


class CustomerOut(Schema):
    id: str
    company: str
    rfc: str
    razon_social: str
    regimen_fiscal: str
    codigo_postal: str
    uso_cfdi: str
    forma_pago: str
    metodo_pago: str
    tax_id: str = Field(description="Foreigners (XEXX010101000) only: NumRegIdTrib.")
    pais: str = Field(description="Foreigners only: c_Pais of the fiscal residence.")
    emails: list[str]
    contact_name: str
    contact_phone: str
    notes: str
    is_active: bool
    portal_access: str | None = Field(
        description="The id of the customer's portal access (GET /portal-accesses/{id})."
    )
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def of(customer: Customer, access_ids: dict[int, int] | None = None) -> CustomerOut:
        if access_ids is None:
            access_ids = portal_access_ids([customer])
        access = access_ids.get(customer.pk)
        return CustomerOut(
            id=str(customer.pk),
            company=str(customer.company_id),
            rfc=customer.rfc,
            razon_social=customer.razon_social,
            regimen_fiscal=customer.regimen_fiscal,
            codigo_postal=customer.codigo_postal,
            uso_cfdi=customer.uso_cfdi,
            forma_pago=customer.forma_pago,
            metodo_pago=customer.metodo_pago,
            tax_id=customer.tax_id,
            pais=customer.pais,
            emails=list(customer.emails),
            contact_name=customer.contact_name,
            contact_phone=customer.contact_phone,
            notes=customer.notes,
            is_active=customer.is_active,
            portal_access=str(access) if access else None,
            created_at=local(customer.created_at),  # type: ignore[arg-type]
            updated_at=local(customer.updated_at),  # type: ignore[arg-type]
        )


class CustomerIn(Schema):
    company: str = text(max_length=20, description="The company's id.")
    rfc: str = text(
        max_length=20, description="The customer's RFC; XAXX010101000 and XEXX010101000 allowed."
    )
    razon_social: str = text("", max_length=300, description="Exactly as SAT registers it.")
    regimen_fiscal: str = text(max_length=3, description="c_RegimenFiscal.")
    codigo_postal: str = text(max_length=5, description="c_CodigoPostal.")
    uso_cfdi: str = text(max_length=4, description="c_UsoCFDI, allowed for the régimen.")
    forma_pago: str = text("", max_length=2, description="c_FormaPago.")
    metodo_pago: str = text("", max_length=3, description="c_MetodoPago.")
    tax_id: str = text("", max_length=40)
    pais: str = text("", max_length=3)
    emails: list[str] = EMAILS
    contact_name: str = text("", max_length=150)
    contact_phone: str = text("", max_length=30)
    notes: str = text("", max_length=2000)


class CustomerPatch(Schema):
    razon_social: str | None = text(None, max_length=300)
    regimen_fiscal: str | None = text(None, max_length=3)
    codigo_postal: str | None = text(None, max_length=5)
    uso_cfdi: str | None = text(None, max_length=4)
    forma_pago: str | None = text(None, max_length=2)
    metodo_pago: str | None = text(None, max_length=3)
    tax_id: str | None = text(None, max_length=40)
    pais: str | None = text(None, max_length=3)
    emails: list[str] | None = Field(None, max_length=10)
    contact_name: str | None = text(None, max_length=150)
    contact_phone: str | None = text(None, max_length=30)
    notes: str | None = text(None, max_length=2000)


def _company(principal: Principal, company_id: str) -> Company:
    """The company, if the key may open it (404) and keep its master data (403, saying why)."""
    company = company_param(principal, company_id)
    try:
        return customers_company(viewer=principal.user, company=company)
    except CustomersForbidden:
        raise refused(principal, company, Perm.DATOS_MAESTROS) from None


def _customer(request: HttpRequest, customer_id: str, company: str) -> tuple[Principal, Customer]:
    principal = caller(request)
    customer = customer_for(
        viewer=principal.user,
        company=_company(principal, company),
        customer_id=object_id(customer_id),
    )
    return principal, customer


@customers_router.get("", response=responses({200: Page[CustomerOut]}))
def customers_list(
    request: HttpRequest,
    company: str = COMPANY,
    q: str | None = query_text(None, max_length=300, description="Part of the RFC or name."),
    archived: bool = False,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """The company's customers by RFC, active (or archived), optionally matching ``q``
    (accents and case ignored)."""
    principal = caller(request)
    qs = customer_list(
        viewer=principal.user,
        company=_company(principal, company),
        query=q or "",
        status=ListStatus.ARCHIVED if archived else ListStatus.ACTIVE,
    )
    rows, next_cursor = paginate(qs, ordering=("rfc", "id"), limit=limit, cursor=cursor)
    access_ids = portal_access_ids(list(rows))
    return {"items": [CustomerOut.of(c, access_ids) for c in rows], "next_cursor": next_cursor}


@customers_router.post("", response=responses({201: CustomerOut}))
@idempotent
def customers_create(request: HttpRequest, response: HttpResponse, payload: CustomerIn) -> Any:
    """Register a customer; a real RFC gets its portal access (never a generic one)."""
    principal = caller(request)
    fields = payload.dict()
    company = _company(principal, fields.pop("company"))
    customer = customer_create(company=company, actor=principal.user, **fields)
    return Status(201, CustomerOut.of(customer))


@customers_router.get("/{customer_id}", response=responses({200: CustomerOut}))
def customers_get(request: HttpRequest, customer_id: str, company: str = COMPANY) -> Any:
    _principal, customer = _customer(request, customer_id, company)
    return CustomerOut.of(customer)


@customers_router.patch("/{customer_id}", response=responses({200: CustomerOut}))
def customers_update(
    request: HttpRequest, customer_id: str, payload: CustomerPatch, company: str = COMPANY
) -> Any:
    """Change a customer's fields (what is omitted stays; the RFC never changes)."""
    principal, customer = _customer(request, customer_id, company)
    changes = {k: v for k, v in payload.dict().items() if v is not None}
    customer = customer_update(customer=customer, actor=principal.user, **changes)
    return CustomerOut.of(customer)


@customers_router.post("/{customer_id}/archive", response=responses({200: CustomerOut}))
def customers_archive(request: HttpRequest, customer_id: str, company: str = COMPANY) -> Any:
    """Archive the customer: it leaves the default list; its data and CFDIs stay."""
    principal, customer = _customer(request, customer_id, company)
    customer = customer_set_active(customer=customer, actor=principal.user, active=False)
    return CustomerOut.of(customer)


@customers_router.post("/{customer_id}/restore", response=responses({200: CustomerOut}))
def customers_restore(request: HttpRequest, customer_id: str, company: str = COMPANY) -> Any:
    principal, customer = _customer(request, customer_id, company)
    customer = customer_set_active(customer=customer, actor=principal.user, active=True)
    return CustomerOut.of(customer)
