"""Writes of customers: register, edit, archive and restore; each one transaction, audited.

Registering a customer with a real RFC gives it an access to the company's download
portal through the portal's own service (``portal_access_create``), in the same
transaction; a generic RFC never gets one, and an RFC that already has one keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.customers.models import (
    EXTRANJERO,
    GENERIC_REGIMEN,
    PUBLICO_EN_GENERAL,
    PUBLICO_EN_GENERAL_NAME,
    Customer,
)
from despacho.names import validate_name_characters
from despacho.people.models import User
from despacho.people.validators import normalize_email
from despacho.portal.models import Origin, PortalAccess
from despacho.portal.services.accesses import portal_access_create
from despacho.satcatalogs import Catalog, descriptions, exists
from despacho.tenancy.models import Company
from despacho.tenancy.regimen import validate_regimen
from despacho.tenancy.rfc import normalize_rfc, persona_type, validate_company_rfc
from despacho.tenancy.uso_cfdi import validate_uso_cfdi
from despacho.textsearch import fold

MAX_EMAILS = 10
# CFDI 4.0 wants the name without the régimen de capital ("S.A. de C.V." and the like).
_REGIMEN_CAPITAL = re.compile(
    r"[\s,]+(S\.?\s*A\.?\s*P\.?\s*I\.?|S\.?\s*A\.?\s*S\.?|S\.?\s*A\.?|S\.?\s*DE\s+R\.?\s*L\.?)"
    r"(\s+DE\s+C\.?\s*V\.?)?$",
    re.IGNORECASE,
)

# The fields a customer's form and the API write (the RFC only on creation).
EDITABLE = (
    "razon_social",
    "regimen_fiscal",
    "codigo_postal",
    "uso_cfdi",
    "forma_pago",
    "metodo_pago",
    "tax_id",
    "pais",
    "emails",
    "contact_name",
    "contact_phone",
    "notes",
)


def _refused(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _field(field: str, exc: ValidationError) -> ValidationError:
    return ValidationError({field: exc.error_list})


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    """What the audit trail keeps of a customer."""
    return {
        "rfc": customer.rfc,
        "razon_social": customer.razon_social,
        "regimen_fiscal": customer.regimen_fiscal,
        "codigo_postal": customer.codigo_postal,
        "uso_cfdi": customer.uso_cfdi,
        "forma_pago": customer.forma_pago,
        "metodo_pago": customer.metodo_pago,
        "tax_id": customer.tax_id,
        "pais": customer.pais,
        "emails": list(customer.emails),
        "contact_name": customer.contact_name,
        "contact_phone": customer.contact_phone,
        "notes": customer.notes,
        "is_active": customer.is_active,
    }


def customer_rfc_checked(value: str) -> str:
    """A real RFC (check digit on) or one of the two generic ones."""
    rfc = normalize_rfc(value or "")
    if rfc in (PUBLICO_EN_GENERAL, EXTRANJERO):
        return rfc
    try:
        return validate_company_rfc(rfc, field=_("RFC"))
    except ValidationError as exc:
        raise _field("rfc", exc) from exc


def _razon_social_checked(value: str, *, rfc: str) -> str:
    name = " ".join((value or "").split())
    if rfc == PUBLICO_EN_GENERAL:
        if fold(name) not in ("", fold(PUBLICO_EN_GENERAL_NAME)):
            raise _refused(
                "razon_social",
                _("Razón social: con el RFC %(rfc)s el nombre debe ser «%(name)s».")
                % {"rfc": rfc, "name": PUBLICO_EN_GENERAL_NAME},
                "publico_en_general_name",
            )
        return PUBLICO_EN_GENERAL_NAME
    if not name:
        raise _refused(
            "razon_social",
            _("Razón social: escríbela exactamente como aparece en la constancia del SAT."),
            "required",
        )
    try:
        validate_name_characters(name, field=_("Razón social"))
    except ValidationError as exc:
        raise _field("razon_social", exc) from exc
    if len(name) > 300:
        raise _refused(
            "razon_social", _("Razón social: máximo 300 caracteres."), "razon_social_length"
        )
    if _REGIMEN_CAPITAL.search(name):
        raise _refused(
            "razon_social",
            _(
                "Razón social: escríbela sin el régimen de capital (p. ej. «S.A. de C.V.»), "
                "como la registra el SAT; el CFDI 4.0 la compara así."
            ),
            "regimen_capital",
        )
    return name


def _required(field: str, value: str, message: str) -> None:
    if not (value or "").strip():
        raise _refused(field, message, "required")


def _regimen_checked(code: str, *, rfc: str) -> str:
    code = (code or "").strip()
    _required(
        "regimen_fiscal", code, _("Régimen fiscal: elige el de la constancia de situación fiscal.")
    )
    if rfc in (PUBLICO_EN_GENERAL, EXTRANJERO) and code != GENERIC_REGIMEN:
        raise _refused(
            "regimen_fiscal",
            _(
                "Régimen fiscal: con el RFC genérico %(rfc)s debe ser 616 (Sin obligaciones "
                "fiscales)."
            )
            % {"rfc": rfc},
            "generic_regimen",
        )
    try:
        return validate_regimen(code, persona=persona_type(rfc)).code
    except ValidationError as exc:
        raise _field("regimen_fiscal", exc) from exc


def _cp_checked(value: str) -> str:
    cp = (value or "").strip()
    _required("codigo_postal", cp, _("Código postal: escribe el del domicilio fiscal (5 dígitos)."))
    if not re.fullmatch(r"[0-9]{5}", cp) or not exists(Catalog.CODIGO_POSTAL, cp):
        raise _refused(
            "codigo_postal",
            _("Código postal: %(cp)s no está en el catálogo c_CodigoPostal del SAT.") % {"cp": cp},
            "cp_unknown",
        )
    return cp


def _catalog_code(field: str, label: str, catalog: Catalog, value: str) -> str:
    code = (value or "").strip().upper()
    if code and code not in descriptions(catalog):
        raise _refused(
            field,
            _("%(field)s: %(code)s no está en el catálogo %(catalog)s del SAT.")
            % {"field": label, "code": code, "catalog": catalog.value.split("_", 1)[1]},
            f"{field}_unknown",
        )
    return code


def _foreigner_checked(*, rfc: str, tax_id: str, pais: str) -> tuple[str, str]:
    tax_id = " ".join((tax_id or "").split())
    pais = (pais or "").strip().upper()
    if rfc != EXTRANJERO:
        if tax_id or pais:
            raise _refused(
                "tax_id",
                _(
                    "Número de identificación fiscal: solo se registra con el RFC genérico "
                    "de extranjeros %(rfc)s."
                )
                % {"rfc": EXTRANJERO},
                "tax_id_not_foreign",
            )
        return "", ""
    if not tax_id:
        raise _refused(
            "tax_id",
            _("Número de identificación fiscal: es obligatorio con el RFC %(rfc)s.")
            % {"rfc": EXTRANJERO},
            "tax_id_required",
        )
    if len(tax_id) > 40:
        raise _refused(
            "tax_id", _("Número de identificación fiscal: máximo 40 caracteres."), "tax_id_length"
        )
    if not pais or pais not in descriptions(Catalog.PAIS) or pais == "MEX":
        raise _refused(
            "pais",
            _(
                "País: con el RFC %(rfc)s escribe el país de residencia fiscal del catálogo "
                "c_Pais del SAT (no México)."
            )
            % {"rfc": EXTRANJERO},
            "pais_invalid",
        )
    return tax_id, pais


def _emails_checked(values: Iterable[str]) -> list[str]:
    emails: list[str] = []
    for value in values:
        email = normalize_email(value or "")
        if not email or email in emails:
            continue
        try:
            validate_email(email)
        except ValidationError:
            raise _refused(
                "emails",
                _("Correos: %(email)s no es una dirección válida.") % {"email": email},
                "invalid_email",
            ) from None
        emails.append(email)
    if len(emails) > MAX_EMAILS:
        raise _refused(
            "emails",
            _("Correos: máximo %(n)d direcciones.") % {"n": MAX_EMAILS},
            "too_many_emails",
        )
    return emails


def _text(field: str, label: str, value: str, max_length: int) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise _refused(
            field,
            _("%(field)s: máximo %(n)d caracteres.") % {"field": label, "n": max_length},
            f"{field}_length",
        )
    try:
        validate_name_characters(text.replace("\n", " ").replace("\r", ""), field=label)
    except ValidationError as exc:
        raise _field(field, exc) from exc
    return text


@dataclass(frozen=True)
class CustomerData:
    """A customer's fields, checked against SAT's rules and catalogs."""

    razon_social: str
    regimen_fiscal: str
    codigo_postal: str
    uso_cfdi: str
    forma_pago: str
    metodo_pago: str
    tax_id: str
    pais: str
    emails: list[str]
    contact_name: str
    contact_phone: str
    notes: str


def customer_checked(*, rfc: str, **fields: Any) -> CustomerData:
    """Every rule of one customer's fields; the first broken one is refused, naming its field."""
    regimen = _regimen_checked(fields.get("regimen_fiscal", ""), rfc=rfc)
    _required("uso_cfdi", fields.get("uso_cfdi", ""), _("Uso CFDI: elige el uso por omisión."))
    try:
        uso = validate_uso_cfdi(fields.get("uso_cfdi", ""), regimen=regimen)
    except ValidationError as exc:
        raise _field("uso_cfdi", exc) from exc
    tax_id, pais = _foreigner_checked(
        rfc=rfc, tax_id=fields.get("tax_id", ""), pais=fields.get("pais", "")
    )
    return CustomerData(
        razon_social=_razon_social_checked(fields.get("razon_social", ""), rfc=rfc),
        regimen_fiscal=regimen,
        codigo_postal=_cp_checked(fields.get("codigo_postal", "")),
        uso_cfdi=uso,
        forma_pago=_catalog_code(
            "forma_pago", _("Forma de pago"), Catalog.FORMA_PAGO, fields.get("forma_pago", "")
        ),
        metodo_pago=_catalog_code(
            "metodo_pago", _("Método de pago"), Catalog.METODO_PAGO, fields.get("metodo_pago", "")
        ),
        tax_id=tax_id,
        pais=pais,
        emails=_emails_checked(fields.get("emails") or ()),
        contact_name=_text("contact_name", _("Contacto"), fields.get("contact_name", ""), 150),
        contact_phone=_text("contact_phone", _("Teléfono"), fields.get("contact_phone", ""), 30),
        notes=_text("notes", _("Notas"), fields.get("notes", ""), 2000),
    )


def _duplicate_check(company: Company, rfc: str, data: CustomerData, exclude: int | None) -> None:
    others = Customer.objects.filter(company=company, rfc=rfc)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if rfc == EXTRANJERO:
        if others.filter(pais=data.pais, tax_id=data.tax_id).exists():
            raise _refused(
                "tax_id",
                _(
                    "Número de identificación fiscal: ya hay un cliente extranjero de "
                    "%(pais)s con %(tax_id)s en esta empresa."
                )
                % {"pais": data.pais, "tax_id": data.tax_id},
                "duplicate_tax_id",
            )
    elif others.exists():
        raise _refused(
            "rfc",
            _("RFC: %(rfc)s ya es cliente de esta empresa.") % {"rfc": rfc},
            "duplicate_rfc",
        )


def _audit(*, actor: User, action: Action, customer: Customer, **changes: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        account=customer.company.account,
        company=customer.company,
        target=customer,
        **changes,
    )


@transaction.atomic
def customer_create(*, company: Company, actor: User, rfc: str, **fields: Any) -> Customer:
    """Register a customer; a real RFC without a portal access gets one (origin ``auto``)."""
    clean_rfc = customer_rfc_checked(rfc)
    data = customer_checked(rfc=clean_rfc, **fields)
    _duplicate_check(company, clean_rfc, data, exclude=None)
    customer = Customer(company=company, rfc=clean_rfc, **data.__dict__)
    try:
        with transaction.atomic():  # a concurrent registration of the same RFC: refused
            customer.save()
    except IntegrityError:
        _duplicate_check(company, clean_rfc, data, exclude=None)
        raise
    _audit(
        actor=actor,
        action=Action.CUSTOMER_CREATED,
        customer=customer,
        after=customer_snapshot(customer),
    )
    if (
        not customer.is_generic
        and clean_rfc != company.rfc
        and not PortalAccess.objects.filter(company=company, rfc=clean_rfc).exists()
    ):
        try:
            with transaction.atomic():
                portal_access_create(
                    company=company,
                    actor=actor,
                    rfc=clean_rfc,
                    name=customer.razon_social,
                    email=data.emails[0] if data.emails else "",
                    origin=Origin.AUTO,
                )
        except IntegrityError:
            pass  # a CFDI to this RFC created its access meanwhile: the customer has one
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, actor: User, **fields: Any) -> Customer:
    """Change a customer's fields (not its RFC: register the new RFC as a new customer)."""
    customer = (
        Customer.objects.select_for_update().select_related("company__account").get(pk=customer.pk)
    )
    before = customer_snapshot(customer)
    current = {name: getattr(customer, name) for name in EDITABLE}
    data = customer_checked(rfc=customer.rfc, **{**current, **fields})
    _duplicate_check(customer.company, customer.rfc, data, exclude=customer.pk)
    for name, value in data.__dict__.items():
        setattr(customer, name, value)
    customer.updated_at = timezone.now()
    customer.save()
    after = customer_snapshot(customer)
    if after != before:
        _audit(
            actor=actor,
            action=Action.CUSTOMER_UPDATED,
            customer=customer,
            before=before,
            after=after,
        )
    return customer


@transaction.atomic
def customer_set_active(*, customer: Customer, actor: User, active: bool) -> Customer:
    """Archive (``active=False``) or restore a customer; its history and CFDIs stay."""
    customer = (
        Customer.objects.select_for_update().select_related("company__account").get(pk=customer.pk)
    )
    if customer.is_active == active:
        return customer
    customer.is_active = active
    customer.updated_at = timezone.now()
    customer.save(update_fields=["is_active", "updated_at"])
    _audit(
        actor=actor,
        action=Action.CUSTOMER_RESTORED if active else Action.CUSTOMER_ARCHIVED,
        customer=customer,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return customer
