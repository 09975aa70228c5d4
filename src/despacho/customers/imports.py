"""Customers from a CSV or XLSX file: the ``customers`` kind of the import engine.

Each row passes the customer form's rules (``services.customer_rfc_checked`` and
``services.customer_checked``: RFC with check digit or a generic one, régimen for the
persona type, uso CFDI allowed for the régimen, CP in c_CodigoPostal, emails). Against
the file: an RFC appears once (foreigners, XEXX010101000, once per country and tax id).
Against the company: an RFC that is already its customer is **skipped, never updated** —
an import never overwrites what someone edited by hand, and re-uploading the same file
adds nothing. The checks against the database are one query per list of RFCs.

Creation writes a chunk with one bulk insert of customers and gives every new customer
with a real RFC its download-portal access through the portal's bulk service
(``portal_accesses_ensure``, one audit event per chunk) — as ``customer_create`` does,
never for generic RFCs nor for the company's own RFC. The Bitácora gets one summary
event per import (``customers.imported``), not one per customer: the result file names
every row, and 10,000 snapshots would cost more than the import itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.audit.actions import Action
from despacho.customers.models import EXTRANJERO, Customer
from despacho.customers.selectors import customers_company
from despacho.customers.services import customer_checked, customer_rfc_checked
from despacho.onboarding.csvfile import Layout
from despacho.onboarding.engine import ImportKind, chunks, row_error, row_outcome
from despacho.onboarding.models import ImportJob
from despacho.onboarding.rows import EXAMPLE_RFC
from despacho.people.models import User
from despacho.portal.services.accesses import portal_accesses_ensure
from despacho.tenancy.models import Account, Company
from despacho.tenancy.rfc import normalize_rfc
from despacho.textsearch import fold

LAYOUT = Layout(
    columns={
        "rfc": ("rfc", "r f c"),
        "razon_social": ("razon social", "nombre", "nombre o razon social", "denominacion"),
        "regimen_fiscal": ("regimen fiscal", "regimen"),
        "codigo_postal": ("codigo postal", "cp", "c p", "domicilio fiscal"),
        "uso_cfdi": ("uso cfdi", "uso", "uso del cfdi"),
        "correos": ("correos", "correo", "email", "emails", "correo electronico"),
        "forma_pago": ("forma pago", "forma de pago"),
        "metodo_pago": ("metodo pago", "metodo de pago"),
        "tax_id": ("num reg id trib", "numregidtrib", "tax id", "numero de identificacion fiscal"),
        "pais": ("pais", "residencia fiscal", "pais de residencia fiscal"),
        "contacto": ("contacto", "nombre del contacto"),
        "telefono": ("telefono", "tel", "celular"),
    },
    required=("rfc", "razon_social", "regimen_fiscal", "codigo_postal", "uso_cfdi"),
    template=(
        "rfc",
        "razon_social",
        "regimen_fiscal",
        "codigo_postal",
        "uso_cfdi",
        "correos",
        "forma_pago",
        "metodo_pago",
        "tax_id",
        "pais",
        "contacto",
        "telefono",
    ),
    one_per_row=gettext_lazy("agrega un cliente por fila"),
    digits={"codigo_postal": 5, "regimen_fiscal": 3, "forma_pago": 2},
)
EXAMPLE = {
    "rfc": EXAMPLE_RFC,
    "razon_social": "EJEMPLO COMERCIAL",
    "regimen_fiscal": "601",
    "codigo_postal": "06000",
    "uso_cfdi": "G03",
    "correos": "facturas@ejemplo.mx",
    "forma_pago": "03",
    "metodo_pago": "PUE",
    "tax_id": "",
    "pais": "",
    "contacto": "",
    "telefono": "",
}
_EMAIL_SEPARATORS = re.compile(r"[\s,;]+")

Key = tuple[str, ...]


def _key(rfc: str, values: dict[str, str]) -> Key:
    """A customer's natural key: its RFC, or for foreigners their country and tax id."""
    return (rfc, values.get("pais", ""), values.get("tax_id", "")) if rfc == EXTRANJERO else (rfc,)


def _checked(values: dict[str, str]) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The row normalised as the form would store it, and what it breaks (no database)."""
    errors: list[dict[str, str]] = []
    raw_rfc = values.get("rfc", "")
    try:
        rfc = customer_rfc_checked(raw_rfc)
    except ValidationError as exc:
        return {**values, "rfc": normalize_rfc(raw_rfc)}, row_error("rfc", exc)
    if rfc == EXAMPLE_RFC:
        message = _("Es la fila de ejemplo de la plantilla; bórrala o reemplázala por tus datos.")
        errors.append({"field": "rfc", "code": "example_row", "message": message})
    try:
        data = customer_checked(
            rfc=rfc,
            razon_social=values.get("razon_social", ""),
            regimen_fiscal=values.get("regimen_fiscal", ""),
            codigo_postal=values.get("codigo_postal", ""),
            uso_cfdi=values.get("uso_cfdi", "").upper(),
            forma_pago=values.get("forma_pago", ""),
            metodo_pago=values.get("metodo_pago", ""),
            tax_id=values.get("tax_id", ""),
            pais=values.get("pais", ""),
            emails=_EMAIL_SEPARATORS.split(values.get("correos", "")),
            contact_name=values.get("contacto", ""),
            contact_phone=values.get("telefono", ""),
        )
    except ValidationError as exc:
        return {**values, "rfc": rfc}, errors + row_error("", exc)
    normalised = {
        "rfc": rfc,
        "razon_social": data.razon_social,
        "regimen_fiscal": data.regimen_fiscal,
        "codigo_postal": data.codigo_postal,
        "uso_cfdi": data.uso_cfdi,
        "correos": " ".join(data.emails),
        "forma_pago": data.forma_pago,
        "metodo_pago": data.metodo_pago,
        "tax_id": data.tax_id,
        "pais": data.pais,
        "contacto": data.contact_name,
        "telefono": data.contact_phone,
    }
    return normalised, errors


def _existing(company: Company, keys: list[Key]) -> set[Key]:
    """Which natural keys are already customers of the company (one query per list)."""
    found: set[Key] = set()
    rfcs = sorted({key[0] for key in keys if key[0] != EXTRANJERO})
    for part in chunks(rfcs):
        found.update(
            (rfc,)
            for rfc in Customer.objects.filter(company=company, rfc__in=part).values_list(
                "rfc", flat=True
            )
        )
    if any(key[0] == EXTRANJERO for key in keys):
        foreigners = Customer.objects.filter(company=company, rfc=EXTRANJERO)
        found.update((EXTRANJERO, p, t) for p, t in foreigners.values_list("pais", "tax_id"))
    return found


def _already(rfc: str) -> dict[str, str]:
    return {
        "field": "rfc",
        "code": "already_customer",
        "message": _("RFC: %(rfc)s ya es cliente de esta empresa; la importación no lo modifica.")
        % {"rfc": rfc},
    }


def customers_rows_checked(
    job: ImportJob, rows: list[tuple[int, dict[str, str]]], progress: Callable[[int], None]
) -> list[dict[str, Any]]:
    """Every row with its normalised values and errors: rules, the file, then the company."""
    assert job.company is not None
    checked: list[dict[str, Any]] = []
    first: dict[Key, int] = {}
    for index, (line, raw) in enumerate(rows, start=1):
        values, errors = _checked(raw)
        if not errors:
            key = _key(values["rfc"], values)
            if key in first:
                errors.append(
                    {
                        "field": "rfc",
                        "code": "duplicate_rfc",
                        "message": _("RFC: %(rfc)s ya aparece en la fila %(row)d del archivo.")
                        % {"rfc": values["rfc"], "row": first[key]},
                    }
                )
            else:
                first[key] = line
        checked.append({"line": line, "values": values, "errors": errors})
        if index % 1000 == 0:
            progress(index)
    existing = _existing(job.company, list(first))
    for row in checked:
        if not row["errors"] and _key(row["values"]["rfc"], row["values"]) in existing:
            row["errors"].append(_already(row["values"]["rfc"]))
    return checked


def customers_write_chunk(job: ImportJob, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Re-check a chunk against the company and create the rest, with their portal accesses."""
    company, actor = job.company, job.confirmed_by
    assert company is not None
    existing = _existing(company, [_key(row["values"]["rfc"], row["values"]) for row in chunk])
    outcomes, new = [], []
    for row in chunk:
        values = row["values"]
        if _key(values["rfc"], values) in existing:
            outcomes.append(
                row_outcome(CUSTOMERS, row, "skipped", _already(values["rfc"])["message"])
            )
            continue
        new.append(
            Customer(
                company=company,
                rfc=values["rfc"],
                razon_social=values["razon_social"],
                name_folded=fold(values["razon_social"]),  # bulk_create skips save()
                regimen_fiscal=values["regimen_fiscal"],
                codigo_postal=values["codigo_postal"],
                uso_cfdi=values["uso_cfdi"],
                forma_pago=values["forma_pago"],
                metodo_pago=values["metodo_pago"],
                tax_id=values["tax_id"],
                pais=values["pais"],
                emails=values["correos"].split(),
                contact_name=values["contacto"],
                contact_phone=values["telefono"],
            )
        )
        outcomes.append(row_outcome(CUSTOMERS, row, "created"))
    customers = Customer.objects.bulk_create(new)
    portal_accesses_ensure(
        company=company,
        receivers=[(c.rfc, c.razon_social) for c in customers if not c.is_generic],
        emails={c.rfc: c.emails[0] for c in customers if c.emails},
        actor=actor,
    )
    return outcomes


def _authorized(actor: User, firm: Account, company: Company | None) -> None:
    customers_company(viewer=actor, company=company)


CUSTOMERS = ImportKind(
    name="customers",
    layout=LAYOUT,
    example=EXAMPLE,
    check_rows=customers_rows_checked,
    write_chunk=customers_write_chunk,
    authorize=_authorized,
    summary_action=Action.CUSTOMERS_IMPORTED,
    report_fields=("rfc", "razon_social", "correos"),
    report_labels=(gettext_lazy("rfc"), gettext_lazy("razón social"), gettext_lazy("correos")),
    template_name="plantilla-clientes",
    conflict_message=gettext_lazy(
        "Otra operación registró este cliente al mismo tiempo; no se creó."
    ),
)
