"""REST API of products, tax schemes and SAT's product and unit keys (Perm.DATOS_MAESTROS).

The same services and selectors as the pages; the company is an explicit parameter, as in
the portal's and the CFDI routes. Prices and rates travel as strings with up to six
decimals (CFDI's precision), never as floats.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from despacho.access.catalog import Perm
from despacho.api.auth import Principal, caller, company_param, refused
from despacho.api.errors import ApiError, responses
from despacho.api.idempotency import idempotent
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import CURSOR, LIMIT, filter_id, local, object_id, query_text, text
from despacho.products.catalogs import product_key_search, search_ordering, unit_key_search
from despacho.products.models import (
    PRICE_DIGITS,
    PRICE_PLACES,
    Factor,
    LineKind,
    Product,
    Tax,
    TaxScheme,
)
from despacho.products.selectors import (
    ProductsForbidden,
    TaxSchemeNotFound,
    product_for,
    product_list,
    products_company,
    tax_scheme_for,
    tax_scheme_list,
)
from despacho.products.services import (
    ProductData,
    product_create,
    product_set_active,
    product_update,
    tax_scheme_presets_ensure,
)
from despacho.tenancy.models import Company

products_router = Router(tags=["products"])
tax_schemes_router = Router(tags=["tax-schemes"])
sat_router = Router(tags=["sat-catalogs"])

COMPANY = query_text(max_length=20, description="The company's id (GET /companies).")
PRICE = Field(
    max_digits=PRICE_DIGITS,
    decimal_places=PRICE_PLACES,
    ge=0,
    description="Unit price before taxes, up to 6 decimals (a string or a number).",
)


def _plain(value: Decimal | None) -> str | None:
    """A Decimal as a string without an exponent (``0.160000``, ``1250.500000``)."""
    return None if value is None else f"{value:f}"


class TaxLineOut(Schema):
    kind: LineKind
    impuesto: Tax = Field(description="c_Impuesto: 001 ISR, 002 IVA, 003 IEPS.")
    tipo_factor: Factor
    rate: str | None = Field(description="TasaOCuota with 6 decimals; null when Exento.")


class TaxSchemeOut(Schema):
    id: str
    company: str
    name: str
    preset: str = Field(description="The preset it was created from; empty for the company's.")
    lines: list[TaxLineOut]
    updated_at: datetime

    @staticmethod
    def of(scheme: TaxScheme) -> TaxSchemeOut:
        return TaxSchemeOut(
            id=str(scheme.pk),
            company=str(scheme.company_id),
            name=scheme.name,
            preset=scheme.preset,
            lines=[
                TaxLineOut(
                    kind=LineKind(line.kind),
                    impuesto=Tax(line.impuesto),
                    tipo_factor=Factor(line.tipo_factor),
                    rate=_plain(line.rate),
                )
                for line in scheme.lines.all()
            ],
            updated_at=local(scheme.updated_at),  # type: ignore[arg-type]
        )


class ProductOut(Schema):
    id: str
    company: str
    clave_prod_serv: str
    clave_prod_serv_description: str
    clave_unidad: str
    clave_unidad_description: str
    description: str
    unit: str
    unit_price: str
    objeto_imp: str
    tax_scheme: str | None = Field(description="The tax scheme's id (GET /tax-schemes).")
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def of(product: Product) -> ProductOut:
        return ProductOut(
            id=str(product.pk),
            company=str(product.company_id),
            clave_prod_serv=product.clave_prod_serv_id,
            clave_prod_serv_description=product.clave_prod_serv.description,
            clave_unidad=product.clave_unidad_id,
            clave_unidad_description=product.clave_unidad.description,
            description=product.description,
            unit=product.unit,
            unit_price=_plain(product.unit_price) or "0",
            objeto_imp=product.objeto_imp,
            tax_scheme=None if product.tax_scheme_id is None else str(product.tax_scheme_id),
            is_active=product.is_active,
            created_at=local(product.created_at),  # type: ignore[arg-type]
            updated_at=local(product.updated_at),  # type: ignore[arg-type]
        )


class ProductIn(Schema):
    company: str = text(max_length=20, description="The company's id.")
    clave_prod_serv: str = text(max_length=20, description="c_ClaveProdServ code.")
    clave_unidad: str = text(max_length=20, description="c_ClaveUnidad code.")
    description: str = text(max_length=1000)
    unit: str = text("", max_length=20, description="The unit as the CFDI shows it.")
    unit_price: Decimal = PRICE
    objeto_imp: str = text(max_length=2, description="c_ObjetoImp code (01–08).")
    tax_scheme: str | None = text(
        None, max_length=20, description="A tax scheme's id; required with objeto_imp 02."
    )


class ProductPatch(Schema):
    clave_prod_serv: str | None = text(None, max_length=20)
    clave_unidad: str | None = text(None, max_length=20)
    description: str | None = text(None, max_length=1000)
    unit: str | None = text(None, max_length=20)
    unit_price: Decimal | None = Field(
        None, max_digits=PRICE_DIGITS, decimal_places=PRICE_PLACES, ge=0
    )
    objeto_imp: str | None = text(None, max_length=2)
    tax_scheme: str | None = text(
        None, max_length=20, description="A tax scheme's id; an empty string removes it."
    )


class CatalogKeyOut(Schema):
    code: str
    description: str


def _company(principal: Principal, company_id: str) -> Company:
    """The company, if the key may open it (404) and keep its master data (403, saying why)."""
    company = company_param(principal, company_id)
    try:
        company = products_company(viewer=principal.user, company=company)
    except ProductsForbidden:
        raise refused(principal, company, Perm.DATOS_MAESTROS) from None
    tax_scheme_presets_ensure(company=company)
    return company


def _scheme(principal: Principal, company: Company, value: str | None) -> TaxScheme | None:
    """The scheme a body names: None when absent or empty; 422 naming the field otherwise."""
    scheme_id = filter_id(value, field="tax_scheme")
    if scheme_id is None:
        return None
    try:
        return tax_scheme_for(viewer=principal.user, company=company, scheme_id=scheme_id)
    except TaxSchemeNotFound:
        message = _("Esquema de impuestos: no es un esquema de esta empresa.")
        raise ApiError(
            422,
            "unknown_tax_scheme",
            message,
            fields=[{"field": "tax_scheme", "code": "unknown_tax_scheme", "message": message}],
        ) from None


def _product(request: HttpRequest, product_id: str, company: str) -> tuple[Principal, Product]:
    principal = caller(request)
    product = product_for(
        viewer=principal.user,
        company=_company(principal, company),
        product_id=object_id(product_id),
    )
    return principal, product


# --- products --------------------------------------------------------------------------------


@products_router.get("", response=responses({200: Page[ProductOut]}))
def products_list(
    request: HttpRequest,
    company: str = COMPANY,
    q: str | None = query_text(
        None, max_length=300, description="Words of the description, or a clave prefix."
    ),
    archived: bool = False,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """The company's products (or its archived ones), accents and case ignored."""
    principal = caller(request)
    qs = product_list(
        viewer=principal.user,
        company=_company(principal, company),
        query=q or "",
        archived=archived,
    )
    rows, next_cursor = paginate(
        qs, ordering=("description_folded", "id"), limit=limit, cursor=cursor
    )
    return {"items": [ProductOut.of(p) for p in rows], "next_cursor": next_cursor}


@products_router.post("", response=responses({201: ProductOut}))
@idempotent
def products_create(request: HttpRequest, response: HttpResponse, payload: ProductIn) -> Any:
    principal = caller(request)
    company = _company(principal, payload.company)
    product = product_create(
        company=company,
        actor=principal.user,
        data=ProductData(
            clave_prod_serv=payload.clave_prod_serv,
            clave_unidad=payload.clave_unidad,
            description=payload.description,
            unit=payload.unit,
            unit_price=payload.unit_price,
            objeto_imp=payload.objeto_imp,
            tax_scheme=_scheme(principal, company, payload.tax_scheme),
        ),
    )
    return Status(201, ProductOut.of(product))


@products_router.get("/{product_id}", response=responses({200: ProductOut}))
def products_get(request: HttpRequest, product_id: str, company: str = COMPANY) -> Any:
    _principal, product = _product(request, product_id, company)
    return ProductOut.of(product)


@products_router.patch("/{product_id}", response=responses({200: ProductOut}))
def products_update(
    request: HttpRequest, product_id: str, payload: ProductPatch, company: str = COMPANY
) -> Any:
    """Change what is given; what is omitted stays."""
    principal, product = _product(request, product_id, company)
    scheme = (
        product.tax_scheme
        if payload.tax_scheme is None
        else _scheme(principal, product.company, payload.tax_scheme)
    )

    def given(name: str, current: Any) -> Any:
        value = getattr(payload, name)
        return current if value is None else value

    product = product_update(
        product=product,
        actor=principal.user,
        data=ProductData(
            clave_prod_serv=given("clave_prod_serv", product.clave_prod_serv_id),
            clave_unidad=given("clave_unidad", product.clave_unidad_id),
            description=given("description", product.description),
            unit=given("unit", product.unit),
            unit_price=given("unit_price", product.unit_price),
            objeto_imp=given("objeto_imp", product.objeto_imp),
            tax_scheme=scheme,
        ),
    )
    product = product_for(viewer=principal.user, company=product.company, product_id=product.pk)
    return ProductOut.of(product)


@products_router.post("/{product_id}/archive", response=responses({200: ProductOut}))
def products_archive(request: HttpRequest, product_id: str, company: str = COMPANY) -> Any:
    """The product leaves the list (``archived=true`` finds it) and new CFDIs."""
    principal, product = _product(request, product_id, company)
    product_set_active(product=product, actor=principal.user, active=False)
    return ProductOut.of(
        product_for(viewer=principal.user, company=product.company, product_id=product.pk)
    )


@products_router.post("/{product_id}/restore", response=responses({200: ProductOut}))
def products_restore(request: HttpRequest, product_id: str, company: str = COMPANY) -> Any:
    principal, product = _product(request, product_id, company)
    product_set_active(product=product, actor=principal.user, active=True)
    return ProductOut.of(
        product_for(viewer=principal.user, company=product.company, product_id=product.pk)
    )


# --- tax schemes -----------------------------------------------------------------------------


@tax_schemes_router.get("", response=responses({200: Page[TaxSchemeOut]}))
def tax_schemes_list(
    request: HttpRequest, company: str = COMPANY, limit: int = LIMIT, cursor: str | None = CURSOR
) -> Any:
    """The company's tax schemes (the presets are created on first use)."""
    principal = caller(request)
    qs = tax_scheme_list(viewer=principal.user, company=_company(principal, company))
    rows, next_cursor = paginate(qs, ordering=("name", "id"), limit=limit, cursor=cursor)
    return {"items": [TaxSchemeOut.of(s) for s in rows], "next_cursor": next_cursor}


@tax_schemes_router.get("/{scheme_id}", response=responses({200: TaxSchemeOut}))
def tax_schemes_get(request: HttpRequest, scheme_id: str, company: str = COMPANY) -> Any:
    principal = caller(request)
    scheme = tax_scheme_for(
        viewer=principal.user,
        company=_company(principal, company),
        scheme_id=object_id(scheme_id),
    )
    return TaxSchemeOut.of(scheme)


# --- SAT catalogs ----------------------------------------------------------------------------

SEARCH = query_text(
    None, max_length=100, description="A code prefix (`4321`, `H8`) or words (`cafe tostado`)."
)


@sat_router.get("/product-keys", response=responses({200: Page[CatalogKeyOut]}))
def sat_product_keys(
    request: HttpRequest,
    company: str = COMPANY,
    q: str | None = SEARCH,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """SAT's c_ClaveProdServ, searched accent-blind (needs Datos maestros on the company)."""
    _company(caller(request), company)
    rows, next_cursor = paginate(
        product_key_search(q or ""), ordering=search_ordering(q or ""), limit=limit, cursor=cursor
    )
    items = [CatalogKeyOut(code=k.code, description=k.description) for k in rows]
    return {"items": items, "next_cursor": next_cursor}


@sat_router.get("/unit-keys", response=responses({200: Page[CatalogKeyOut]}))
def sat_unit_keys(
    request: HttpRequest,
    company: str = COMPANY,
    q: str | None = SEARCH,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """SAT's c_ClaveUnidad, searched accent-blind (needs Datos maestros on the company)."""
    _company(caller(request), company)
    rows, next_cursor = paginate(
        unit_key_search(q or ""), ordering=search_ordering(q or ""), limit=limit, cursor=cursor
    )
    items = [CatalogKeyOut(code=k.code, description=k.description) for k in rows]
    return {"items": items, "next_cursor": next_cursor}
