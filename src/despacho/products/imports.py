"""Products from a CSV or XLSX file: the ``products`` kind of the import engine.

Each row passes the product form's rules (``services.product_checked``): clave de
producto o servicio and clave de unidad present in SAT's tables in the database (read in
one query per file, not per row), a description, a price as a Decimal with at most
``PRICE_PLACES`` decimals, objeto de impuesto of c_ObjetoImp (``02`` when left empty), and
a tax scheme of the company by name — or, when the column is empty and objeto 02 needs
one, the company's default scheme (the preset IVA 16 %).

A product's natural key is its clave de producto o servicio with its description
(accent- and case-blind): a row repeating one of the file, or one the company already
has, is skipped, never updated, so re-uploading a file adds nothing. Creation is one bulk
insert per chunk; the Bitácora gets one summary event per import (``products.imported``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.audit.actions import Action
from despacho.onboarding.csvfile import Layout
from despacho.onboarding.engine import ImportKind, chunks, row_error, row_outcome
from despacho.onboarding.models import ImportJob
from despacho.people.models import User
from despacho.products.models import Product, ProductKey, TaxScheme, UnitKey
from despacho.products.selectors import products_company
from despacho.products.services import (
    ProductData,
    product_checked,
    tax_scheme_presets_ensure,
)
from despacho.tenancy.models import Account, Company
from despacho.textsearch import fold

DEFAULT_OBJETO_IMP = "02"
DEFAULT_PRESET = "iva16"

LAYOUT = Layout(
    columns={
        "clave_prod_serv": ("clave prod serv", "clave producto", "claveprodserv", "clave sat"),
        "clave_unidad": ("clave unidad", "claveunidad", "clave de unidad"),
        "descripcion": ("descripcion", "producto", "nombre", "concepto"),
        "unidad": ("unidad",),
        "precio": ("precio", "precio unitario", "valor unitario"),
        "objeto_imp": ("objeto imp", "objeto de impuesto", "objetoimp"),
        "esquema": ("esquema", "esquema de impuestos", "impuestos"),
    },
    required=("clave_prod_serv", "clave_unidad", "descripcion", "precio"),
    template=(
        "clave_prod_serv",
        "clave_unidad",
        "descripcion",
        "unidad",
        "precio",
        "objeto_imp",
        "esquema",
    ),
    one_per_row=gettext_lazy("agrega un producto por fila"),
    digits={"clave_prod_serv": 8, "objeto_imp": 2},
)
EXAMPLE = {
    "clave_prod_serv": "01010101",
    "clave_unidad": "H87",
    "descripcion": "PRODUCTO DE EJEMPLO: BÓRRAME",
    "unidad": "Pieza",
    "precio": "100.00",
    "objeto_imp": "02",
    "esquema": "IVA 16 %",
}
_MONEY_NOISE = re.compile(r"[\s$]")

Key = tuple[str, str]


def _key(values: dict[str, str]) -> Key:
    return (values["clave_prod_serv"], fold(values["descripcion"]))


def _price(value: str) -> Decimal:
    text = _MONEY_NOISE.sub("", value or "")
    if "," in text and "." in text:
        text = text.replace(",", "")  # 1,234.50: thousands separated by commas
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise ValidationError(
            {
                "unit_price": ValidationError(
                    _("Precio unitario: «%(value)s» no es un número (p. ej. 1234.50).")
                    % {"value": (value or "")[:20]},
                    code="invalid",
                )
            }
        ) from None
    return price


class _Context:
    """What the rows of one file need from the database, read once: catalog keys present,
    the company's schemes by folded name and its default."""

    def __init__(self, company: Company, rows: list[dict[str, str]]) -> None:
        tax_scheme_presets_ensure(company=company)
        claves = sorted({r.get("clave_prod_serv", "").strip() for r in rows} - {""})
        unidades = sorted({r.get("clave_unidad", "").strip().upper() for r in rows} - {""})
        self.product_keys: set[str] = set()
        for part in chunks(claves):
            found = ProductKey.objects.filter(code__in=part).values_list("code", flat=True)
            self.product_keys.update(found)
        self.unit_keys: set[str] = set()
        for part in chunks(unidades):
            self.unit_keys.update(
                UnitKey.objects.filter(code__in=part).values_list("code", flat=True)
            )
        schemes = list(TaxScheme.objects.filter(company=company))
        self.schemes = {fold(s.name): s for s in schemes}
        self.default = next((s for s in schemes if s.preset == DEFAULT_PRESET), None)


def _checked(
    company: Company, context: _Context, values: dict[str, str]
) -> tuple[dict[str, str], list[dict[str, str]]]:
    objeto = values.get("objeto_imp", "").strip() or DEFAULT_OBJETO_IMP
    scheme_name = values.get("esquema", "").strip()
    scheme: TaxScheme | None = None
    if scheme_name:
        scheme = context.schemes.get(fold(scheme_name))
        if scheme is None:
            message = _("Esquema de impuestos: «%(name)s» no es un esquema de esta empresa.") % {
                "name": scheme_name[:120]
            }
            return values, [
                {"field": "tax_scheme", "code": "unknown_tax_scheme", "message": message}
            ]
    elif objeto == DEFAULT_OBJETO_IMP:
        scheme = context.default
    try:
        data = product_checked(
            company,
            ProductData(
                clave_prod_serv=values.get("clave_prod_serv", ""),
                clave_unidad=values.get("clave_unidad", ""),
                description=values.get("descripcion", ""),
                unit=values.get("unidad", ""),
                unit_price=_price(values.get("precio", "")),
                objeto_imp=objeto,
                tax_scheme=scheme,
            ),
            product_keys=context.product_keys,
            unit_keys=context.unit_keys,
        )
    except ValidationError as exc:
        return values, row_error("", exc)
    errors = []
    if data.description == EXAMPLE["descripcion"]:
        message = _("Es la fila de ejemplo de la plantilla; bórrala o reemplázala por tus datos.")
        errors.append({"field": "description", "code": "example_row", "message": message})
    return {
        "clave_prod_serv": data.clave_prod_serv,
        "clave_unidad": data.clave_unidad,
        "descripcion": data.description,
        "unidad": data.unit,
        "precio": str(data.unit_price),
        "objeto_imp": data.objeto_imp,
        "esquema": data.tax_scheme.name if data.tax_scheme else "",
        "scheme_id": str(data.tax_scheme.pk) if data.tax_scheme else "",
    }, errors


def _existing(company: Company, keys: list[Key]) -> set[Key]:
    """Which natural keys the company already has (one query per list of descriptions)."""
    found: set[Key] = set()
    for part in chunks(sorted({folded for _clave, folded in keys})):
        pairs = Product.objects.filter(company=company, description_folded__in=part).values_list(
            "clave_prod_serv_id", "description_folded"
        )
        found.update((str(clave), folded) for clave, folded in pairs)
    return found


def _already(values: dict[str, str]) -> dict[str, str]:
    return {
        "field": "description",
        "code": "already_product",
        "message": _(
            "Descripción: la empresa ya tiene «%(name)s» con la clave %(clave)s; la importación "
            "no lo modifica."
        )
        % {"name": values["descripcion"][:80], "clave": values["clave_prod_serv"]},
    }


def products_rows_checked(
    job: ImportJob, rows: list[tuple[int, dict[str, str]]], progress: Callable[[int], None]
) -> list[dict[str, Any]]:
    """Every row with its normalised values and errors: rules, the file, then the company."""
    company = job.company
    assert company is not None
    context = _Context(company, [values for _line, values in rows])
    checked: list[dict[str, Any]] = []
    first: dict[Key, int] = {}
    for index, (line, raw) in enumerate(rows, start=1):
        values, errors = _checked(company, context, raw)
        if not errors:
            key = _key(values)
            if key in first:
                message = _(
                    "Descripción: «%(name)s» con la clave %(clave)s ya aparece en la fila "
                    "%(row)d del archivo."
                ) % {"name": values["descripcion"][:80], "clave": key[0], "row": first[key]}
                errors.append({"field": "description", "code": "duplicate", "message": message})
            else:
                first[key] = line
        checked.append({"line": line, "values": values, "errors": errors})
        if index % 1000 == 0:
            progress(index)
    existing = _existing(company, list(first))
    for row in checked:
        if not row["errors"] and _key(row["values"]) in existing:
            row["errors"].append(_already(row["values"]))
    return checked


def products_write_chunk(job: ImportJob, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Re-check a chunk against the company and create the rest in one insert."""
    company = job.company
    assert company is not None
    existing = _existing(company, [_key(row["values"]) for row in chunk])
    outcomes, new = [], []
    for row in chunk:
        values = row["values"]
        if _key(values) in existing:
            outcomes.append(row_outcome(PRODUCTS, row, "skipped", _already(values)["message"]))
            continue
        new.append(
            Product(
                company=company,
                clave_prod_serv_id=values["clave_prod_serv"],
                clave_unidad_id=values["clave_unidad"],
                description=values["descripcion"],
                description_folded=fold(values["descripcion"]),
                unit=values["unidad"],
                unit_price=Decimal(values["precio"]),
                objeto_imp=values["objeto_imp"],
                tax_scheme_id=int(values["scheme_id"]) if values["scheme_id"] else None,
            )
        )
        outcomes.append(row_outcome(PRODUCTS, row, "created"))
    Product.objects.bulk_create(new)
    return outcomes


def _authorized(actor: User, firm: Account, company: Company | None) -> None:
    products_company(viewer=actor, company=company)


PRODUCTS = ImportKind(
    name="products",
    layout=LAYOUT,
    example=EXAMPLE,
    check_rows=products_rows_checked,
    write_chunk=products_write_chunk,
    authorize=_authorized,
    summary_action=Action.PRODUCTS_IMPORTED,
    report_fields=("clave_prod_serv", "descripcion", "precio"),
    report_labels=(gettext_lazy("clave"), gettext_lazy("descripción"), gettext_lazy("precio")),
    template_name="plantilla-productos",
    conflict_message=gettext_lazy(
        "Otra operación registró este producto al mismo tiempo; no se creó."
    ),
)
