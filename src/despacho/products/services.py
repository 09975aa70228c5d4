"""Writes of the products app: products and tax schemes (keyword-only, one transaction each,
an audit event each). Every SAT rule is asked of the catalogs (``ProductKey``, ``UnitKey``,
c_ObjetoImp) or of ``taxrules``; refusals name the field and the rule in Spanish.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.names import validate_name_characters
from despacho.people.models import User
from despacho.products.models import (
    PRICE_DIGITS,
    PRICE_PLACES,
    Factor,
    LineKind,
    Product,
    ProductKey,
    Tax,
    TaxLine,
    TaxScheme,
    UnitKey,
)
from despacho.products.taxrules import OBJETO_IMP_NEEDS_SCHEME, PRESETS, line_refusal
from despacho.satcatalogs import Catalog, description
from despacho.tenancy.models import Company
from despacho.textsearch import fold

MAX_LINES = 6


def field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


@dataclass(frozen=True)
class LineSpec:
    """One tax line as asked (a form's row, an API item)."""

    kind: str
    impuesto: str
    tipo_factor: str
    rate: Decimal | None


# --- tax schemes ----------------------------------------------------------------------------


def scheme_snapshot(scheme: TaxScheme) -> dict[str, Any]:
    return {
        "name": scheme.name,
        "lines": [
            {
                "tax_kind": line.kind,
                "impuesto": line.impuesto,
                "tipo_factor": line.tipo_factor,
                "rate": None if line.rate is None else str(line.rate),
            }
            for line in scheme.lines.all()
        ],
    }


def _name_checked(company: Company, name: str, *, exclude: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise field_error("name", _("Nombre: escribe un nombre para el esquema."), "required")
    if len(name) > 120:
        raise field_error("name", _("Nombre: máximo 120 caracteres."), "max_length")
    try:
        validate_name_characters(name, field=_("Nombre"))
    except ValidationError as exc:
        raise ValidationError({"name": exc}) from exc
    taken = TaxScheme.objects.filter(company=company, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise field_error(
            "name",
            _("Nombre: ya hay un esquema «%(name)s» en esta empresa.") % {"name": name},
            "duplicate_name",
        )
    return name


def lines_checked(lines: Sequence[LineSpec]) -> list[LineSpec]:
    """The lines if SAT's catalogs admit each and the scheme as a whole; ValidationError."""
    if not lines:
        raise field_error(
            "lines", _("Impuestos: el esquema necesita al menos un impuesto."), "no_lines"
        )
    if len(lines) > MAX_LINES:
        raise field_error(
            "lines",
            _("Impuestos: máximo %(n)d por esquema.") % {"n": MAX_LINES},
            "too_many_lines",
        )
    seen: set[tuple[str, str]] = set()
    checked: list[LineSpec] = []
    for number, line in enumerate(lines, start=1):
        refusal: str | None
        if line.kind not in LineKind.values:
            refusal = _("Tipo: debe ser traslado o retención.")
        elif line.impuesto not in Tax.values:
            refusal = _("Impuesto: debe ser 001 (ISR), 002 (IVA) o 003 (IEPS).")
        elif line.tipo_factor not in Factor.values:
            refusal = _("Tipo factor: debe ser Tasa, Cuota o Exento.")
        else:
            refusal = line_refusal(line.kind, line.impuesto, line.tipo_factor, line.rate)
        if refusal is None and (line.kind, line.impuesto) in seen:
            refusal = _("Impuesto: el esquema ya tiene ese %(kind)s de %(tax)s.") % {
                "kind": LineKind(line.kind).label.lower(),
                "tax": Tax(line.impuesto).label,
            }
        if refusal is not None:
            raise field_error(
                "lines",
                _("Impuesto %(n)d: %(why)s") % {"n": number, "why": refusal},
                "invalid_line",
            )
        seen.add((line.kind, line.impuesto))
        checked.append(line)
    return checked


def _write_lines(scheme: TaxScheme, lines: Sequence[LineSpec]) -> None:
    scheme.lines.all().delete()
    TaxLine.objects.bulk_create(
        TaxLine(
            scheme=scheme,
            position=position,
            kind=line.kind,
            impuesto=line.impuesto,
            tipo_factor=line.tipo_factor,
            rate=line.rate,
        )
        for position, line in enumerate(lines)
    )


def tax_scheme_presets_ensure(*, company: Company) -> int:
    """Create the presets the company lacks (the first time it uses products); how many."""
    have = set(
        TaxScheme.objects.filter(company=company)
        .exclude(preset="")
        .values_list("preset", flat=True)
    )
    missing = [p for p in PRESETS if p.key not in have]
    if not missing:
        return 0
    names = set(TaxScheme.objects.filter(company=company).values_list("name", flat=True))
    try:
        with transaction.atomic():
            created = []
            for preset in missing:
                name = str(preset.name)
                if name in names:  # the company already named one of its own that way
                    name = f"{name} ({_('predeterminado')})"
                scheme = TaxScheme.objects.create(company=company, name=name, preset=preset.key)
                _write_lines(
                    scheme,
                    [LineSpec(p.kind, p.impuesto, p.factor, p.rate) for p in preset.lines],
                )
                created.append(scheme.name)
            audit_record(
                actor=None,
                action=Action.TAX_SCHEMES_PRESET,
                account=company.account,
                company=company,
                target=company,
                after={"names": created},
            )
    except IntegrityError:  # another request created them at the same moment
        return 0
    return len(created)


def tax_scheme_create(
    *, company: Company, actor: User | None, name: str, lines: Sequence[LineSpec]
) -> TaxScheme:
    with transaction.atomic():
        name = _name_checked(company, name)
        checked = lines_checked(lines)
        scheme = TaxScheme.objects.create(company=company, name=name)
        _write_lines(scheme, checked)
        audit_record(
            actor=actor,
            action=Action.TAX_SCHEME_CREATED,
            account=company.account,
            company=company,
            target=scheme,
            after=scheme_snapshot(scheme),
        )
    return scheme


def tax_scheme_update(
    *, scheme: TaxScheme, actor: User | None, name: str, lines: Sequence[LineSpec]
) -> TaxScheme:
    """Rename the scheme and replace its lines; the products that name it follow."""
    company = scheme.company
    with transaction.atomic():
        scheme = TaxScheme.objects.select_for_update().get(pk=scheme.pk)
        before = scheme_snapshot(scheme)
        scheme.name = _name_checked(company, name, exclude=scheme.pk)
        checked = lines_checked(lines)
        scheme.save(update_fields=["name", "updated_at"])
        _write_lines(scheme, checked)
        after = scheme_snapshot(scheme)
        if after != before:
            audit_record(
                actor=actor,
                action=Action.TAX_SCHEME_UPDATED,
                account=company.account,
                company=company,
                target=scheme,
                before=before,
                after=after,
            )
    return scheme


# --- products -------------------------------------------------------------------------------


def product_snapshot(product: Product) -> dict[str, Any]:
    return {
        "clave_prod_serv": product.clave_prod_serv_id,
        "clave_unidad": product.clave_unidad_id,
        "description": product.description,
        "unit": product.unit,
        "unit_price": str(product.unit_price),
        "objeto_imp": product.objeto_imp,
        "tax_scheme": product.tax_scheme.name if product.tax_scheme else "",
        "is_active": product.is_active,
    }


@dataclass(frozen=True)
class ProductData:
    """What a product is made of, as asked; ``product_checked`` validates it."""

    clave_prod_serv: str
    clave_unidad: str
    description: str
    unit: str
    unit_price: Decimal
    objeto_imp: str
    tax_scheme: TaxScheme | None


def _price_checked(value: Decimal) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise field_error("unit_price", _("Precio unitario: debe ser un número."), "invalid")
    if value < 0:
        raise field_error(
            "unit_price", _("Precio unitario: no puede ser negativo."), "negative_price"
        )
    exponent = int(value.as_tuple().exponent)
    if exponent < -PRICE_PLACES:
        raise field_error(
            "unit_price",
            _("Precio unitario: máximo %(n)d decimales, como en el CFDI.") % {"n": PRICE_PLACES},
            "too_many_decimals",
        )
    if len(value.as_tuple().digits) + exponent > PRICE_DIGITS - PRICE_PLACES:
        raise field_error("unit_price", _("Precio unitario: es demasiado grande."), "too_large")
    return value


def product_checked(
    company: Company,
    data: ProductData,
    *,
    product_keys: Set[str] | None = None,
    unit_keys: Set[str] | None = None,
) -> ProductData:
    """The data, normalised, if SAT's catalogs and the company's schemes admit it.

    A bulk caller (the products import) passes the keys of the file that exist in the
    catalogs, read in one query each, instead of one query per row.
    """
    clave = (data.clave_prod_serv or "").strip()
    if not (
        clave in product_keys
        if product_keys is not None
        else ProductKey.objects.filter(code=clave).exists()
    ):
        raise field_error(
            "clave_prod_serv",
            _(
                "Clave de producto o servicio: «%(code)s» no está en el catálogo "
                "c_ClaveProdServ del SAT."
            )
            % {"code": clave[:20]},
            "unknown_product_key",
        )
    unidad = (data.clave_unidad or "").strip().upper()
    if not (
        unidad in unit_keys
        if unit_keys is not None
        else UnitKey.objects.filter(code=unidad).exists()
    ):
        raise field_error(
            "clave_unidad",
            _("Clave de unidad: «%(code)s» no está en el catálogo c_ClaveUnidad del SAT.")
            % {"code": unidad[:20]},
            "unknown_unit_key",
        )
    text = " ".join((data.description or "").split())
    if not text:
        raise field_error(
            "description", _("Descripción: escribe qué vendes (va en el CFDI)."), "required"
        )
    try:
        validate_name_characters(text, field=_("Descripción"))
    except ValidationError as exc:
        raise ValidationError({"description": exc}) from exc
    if len(text) > 1000:
        raise field_error("description", _("Descripción: máximo 1000 caracteres."), "max_length")
    unit = " ".join((data.unit or "").split())
    if len(unit) > 20:
        raise field_error("unit", _("Unidad: máximo 20 caracteres."), "max_length")
    price = _price_checked(data.unit_price)
    objeto = (data.objeto_imp or "").strip()
    if objeto not in OBJETO_IMP_NEEDS_SCHEME or not description(Catalog.OBJETO_IMP, objeto):
        raise field_error(
            "objeto_imp",
            _("Objeto de impuesto: «%(code)s» no está en el catálogo c_ObjetoImp del SAT.")
            % {"code": objeto[:20]},
            "unknown_objeto_imp",
        )
    scheme = data.tax_scheme
    if scheme is not None and scheme.company_id != company.pk:
        raise field_error(
            "tax_scheme",
            _("Esquema de impuestos: no es de esta empresa."),
            "unknown_tax_scheme",
        )
    needs = OBJETO_IMP_NEEDS_SCHEME[objeto]
    label = description(Catalog.OBJETO_IMP, objeto)
    if needs is True and scheme is None:
        raise field_error(
            "tax_scheme",
            _("Esquema de impuestos: es obligatorio con objeto de impuesto %(code)s (%(label)s).")
            % {"code": objeto, "label": label},
            "scheme_required",
        )
    if needs is False and scheme is not None:
        raise field_error(
            "tax_scheme",
            _(
                "Esquema de impuestos: con objeto de impuesto %(code)s (%(label)s) el CFDI "
                "no desglosa impuestos; déjalo vacío."
            )
            % {"code": objeto, "label": label},
            "scheme_not_allowed",
        )
    return ProductData(clave, unidad, text, unit, price, objeto, scheme)


def product_create(*, company: Company, actor: User | None, data: ProductData) -> Product:
    with transaction.atomic():
        data = product_checked(company, data)
        product = Product.objects.create(
            company=company,
            clave_prod_serv_id=data.clave_prod_serv,
            clave_unidad_id=data.clave_unidad,
            description=data.description,
            description_folded=fold(data.description),
            unit=data.unit,
            unit_price=data.unit_price,
            objeto_imp=data.objeto_imp,
            tax_scheme=data.tax_scheme,
        )
        audit_record(
            actor=actor,
            action=Action.PRODUCT_CREATED,
            account=company.account,
            company=company,
            target=product,
            after=product_snapshot(product),
        )
    return product


def product_update(*, product: Product, actor: User | None, data: ProductData) -> Product:
    company = product.company
    with transaction.atomic():
        product = (
            # Lock the product's row only: its scheme is the nullable side of an outer join.
            Product.objects.select_for_update(of=("self",))
            .select_related("tax_scheme")
            .get(pk=product.pk)
        )
        before = product_snapshot(product)
        data = product_checked(company, data)
        product.clave_prod_serv_id = data.clave_prod_serv
        product.clave_unidad_id = data.clave_unidad
        product.description = data.description
        product.description_folded = fold(data.description)
        product.unit = data.unit
        product.unit_price = data.unit_price
        product.objeto_imp = data.objeto_imp
        product.tax_scheme = data.tax_scheme
        product.save()
        after = product_snapshot(product)
        if after != before:
            audit_record(
                actor=actor,
                action=Action.PRODUCT_UPDATED,
                account=company.account,
                company=company,
                target=product,
                before=before,
                after=after,
            )
    return product


def product_set_active(*, product: Product, actor: User | None, active: bool) -> Product:
    """Archive a product (it leaves the list and new CFDIs) or bring it back."""
    company = product.company
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        if product.is_active == active:
            return product
        product.is_active = active
        product.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.PRODUCT_RESTORED if active else Action.PRODUCT_ARCHIVED,
            account=company.account,
            company=company,
            target=product,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return product
