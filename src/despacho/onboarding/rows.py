"""The rules of one client row, and the checks of many rows against the database at once.

A row is valid when the company would pass ``Company.clean()`` (RFC with check digit,
not generic; régimen fiscal of the catalog and the persona type; CP of 5 digits;
razón social), its optional phone is a Mexican number of 10 digits and its optional
email is an address. Against the file: an RFC or an email may appear once. Against
Despacho: an RFC the firm already manages (own, linked or invited) is skipped. An RFC
registered by another account, or an email that already has a login, is *not* reported:
the row reads like any other and, when created, becomes a link invitation to that
company's owner instead (``Registry.collides``), so the row report never tells the firm
whether an RFC or an email belongs to someone.

The database checks take one query per list of values (chunked by the backend's
parameter limit), never one per row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.mx import rfc as stdnum_rfc

from despacho.people.models import User
from despacho.people.validators import normalize_email
from despacho.tenancy.models import (
    Account,
    Company,
    CompanyLink,
    LinkStatus,
    Plan,
    Sector,
)
from despacho.tenancy.rfc import PersonaType, normalize_rfc, persona_type

# Defaults for what the template leaves optional (documented on the import page).
DEFAULT_REGIMEN = {PersonaType.MORAL: "601", PersonaType.FISICA: "612"}
DEFAULT_SECTOR = Sector.SERVICIOS
DEFAULT_PLAN = Plan.EMPRENDEDOR

# The template's example row: a file that still carries it gets it skipped, not created.
EXAMPLE_RFC_BASE = "EJE260101AB"
EXAMPLE_RFC = EXAMPLE_RFC_BASE + stdnum_rfc.calc_check_digit(EXAMPLE_RFC_BASE)
EXAMPLE_ROW = {
    "nombre": "EJEMPLO COMERCIAL SA DE CV",
    "rfc": EXAMPLE_RFC,
    "telefono": "55 1234 5678",
    "email": "contacto@ejemplo.mx",
    "codigo_postal": "06000",
    "regimen_fiscal": "601",
}

_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_phone(value: str) -> str:
    """Ten ASCII digits; spaces, dashes, dots, parentheses and a +52 (or 0052) prefix dropped."""
    raw = (value or "").strip()
    if not raw:
        return ""
    digits = _PHONE_SEPARATORS.sub("", raw)
    for prefix in ("+52", "0052"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    else:
        if len(digits) == 12 and digits.startswith("52"):
            digits = digits[2:]
    if not re.fullmatch(r"[1-9][0-9]{9}", digits):
        raise ValidationError(
            _(
                "Teléfono: «%(value)s» no es un teléfono de México de 10 dígitos (se aceptan "
                "espacios, guiones, paréntesis y +52)."
            )
            % {"value": raw},
            code="phone_invalid",
        )
    return digits


@dataclass
class ClientRow:
    """Everything creating one client needs, already normalised."""

    razon_social: str
    rfc: str
    regimen_fiscal: str
    codigo_postal: str
    sector: str = DEFAULT_SECTOR
    telefono: str = ""
    email: str = ""
    plan: str = DEFAULT_PLAN
    password: str | None = None
    line: int = 0

    def as_values(self) -> dict[str, str]:
        return {
            "nombre": self.razon_social,
            "rfc": self.rfc,
            "telefono": self.telefono,
            "email": self.email,
            "codigo_postal": self.codigo_postal,
            "regimen_fiscal": self.regimen_fiscal,
        }

    @classmethod
    def from_values(cls, values: dict[str, str], line: int = 0) -> ClientRow:
        return cls(
            razon_social=values.get("nombre", ""),
            rfc=values.get("rfc", ""),
            regimen_fiscal=values.get("regimen_fiscal", ""),
            codigo_postal=values.get("codigo_postal", ""),
            telefono=values.get("telefono", ""),
            email=values.get("email", ""),
            line=line,
        )


# An error of a row: the field it belongs to (a Company field, telefono, email) and the error.
FieldError = tuple[str, ValidationError]


def error_dict(error: FieldError) -> dict[str, str]:
    field, exc = error
    return {"field": field, "code": exc.code or "invalid", "message": " ".join(exc.messages)}


def check_row(values: dict[str, str]) -> tuple[ClientRow, list[FieldError]]:
    """The row normalised, and every rule it breaks on its own (no database)."""
    rfc = normalize_rfc(values.get("rfc", ""))
    regimen = (values.get("regimen_fiscal") or "").strip()
    errors: list[FieldError] = []
    if rfc == EXAMPLE_RFC:
        errors.append(
            (
                "rfc",
                ValidationError(
                    _(
                        "Es la fila de ejemplo de la plantilla; bórrala o reemplázala por tus "
                        "datos."
                    ),
                    code="example_row",
                ),
            )
        )
    if not regimen and len(rfc) in (12, 13):
        regimen = DEFAULT_REGIMEN[persona_type(rfc)]
    company = Company(
        rfc=rfc,
        razon_social=values.get("nombre", ""),
        regimen_fiscal=regimen,
        codigo_postal=values.get("codigo_postal", ""),
    )
    try:
        company.clean()
    except ValidationError as exc:
        errors.extend((field, e) for field, es in exc.error_dict.items() for e in es)
    telefono = ""
    try:
        telefono = normalize_phone(values.get("telefono", ""))
    except ValidationError as exc:
        errors.append(("telefono", exc))
    email = normalize_email(values.get("email", ""))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(
                (
                    "email",
                    ValidationError(
                        _("Correo: «%(email)s» no es un correo válido.") % {"email": email},
                        code="invalid_email",
                    ),
                )
            )
    row = ClientRow(
        razon_social=company.razon_social,
        rfc=company.rfc,
        regimen_fiscal=regimen,
        codigo_postal=company.codigo_postal,
        telefono=telefono,
        email=email,
    )
    return row, errors


def _chunks(values: list[str]) -> Iterator[list[str]]:
    size = connection.features.max_query_params or 5000
    size = max(1, min(size - 10, 20_000))
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class Registry:
    """What Despacho already holds for a set of RFCs and emails (a few queries)."""

    managed: dict[str, str]  # rfc → "own" | "accepted" | "pending"
    registered: set[str]  # rfcs of other accounts' companies
    emails: set[str]  # emails that already have a login


def registry_for(*, firm: Account, rfcs: Iterable[str], emails: Iterable[str]) -> Registry:
    """Look up, in bulk, which RFCs and emails are already taken."""
    rfc_list = sorted({r for r in rfcs if r})
    email_list = sorted({e for e in emails if e})
    managed: dict[str, str] = {}
    registered: set[str] = set()
    now = timezone.now()
    for chunk in _chunks(rfc_list):
        for rfc, account_id in Company.objects.filter(rfc__in=chunk).values_list(
            "rfc", "account_id"
        ):
            if account_id == firm.pk:
                managed[rfc] = "own"
            else:
                registered.add(rfc)
        # What the firm sees: companies it manages, and invitations by what it typed (an
        # invitation to an RFC is pending for the firm until it expires, whoever got it).
        accepted = CompanyLink.objects.filter(
            firm=firm, company__rfc__in=chunk, status=LinkStatus.ACCEPTED
        )
        for rfc in accepted.values_list("company__rfc", flat=True):
            managed[rfc] = LinkStatus.ACCEPTED
        invited = CompanyLink.objects.filter(
            firm=firm,
            requested_rfc__in=chunk,
            status__in=[LinkStatus.PENDING, LinkStatus.DECLINED],
            expires_at__gt=now,
        )
        for rfc in invited.values_list("requested_rfc", flat=True):
            managed.setdefault(rfc, LinkStatus.PENDING)
    taken: set[str] = set()
    for chunk in _chunks(email_list):
        taken.update(User.objects.filter(email__in=chunk).values_list("email", flat=True))
    return Registry(managed=managed, registered=registered - set(managed), emails=taken)


def registry_collides(row: ClientRow, registry: Registry) -> bool:
    """Whether the row names another account's company or an email with a login: it cannot be
    created, and becomes a link invitation instead (the firm is told nothing)."""
    return row.rfc in registry.registered or bool(row.email and row.email in registry.emails)


def registry_errors(row: ClientRow, registry: Registry) -> list[FieldError]:
    """What the firm may be told about one row: RFCs it manages or already invited."""
    state = registry.managed.get(row.rfc)
    if state in ("own", LinkStatus.ACCEPTED):
        return [
            (
                "rfc",
                ValidationError(
                    _("RFC: ya administras %(rfc)s; no se crea de nuevo.") % {"rfc": row.rfc},
                    code="already_managed",
                ),
            )
        ]
    if state == LinkStatus.PENDING:
        return [
            (
                "rfc",
                ValidationError(
                    _("RFC: ya invitaste a %(rfc)s a vincularse; espera su respuesta.")
                    % {"rfc": row.rfc},
                    code="already_invited",
                ),
            )
        ]
    return []


def validate_rows(
    *, firm: Account, rows: list[tuple[int, dict[str, str]]], on_progress: Any = None
) -> list[dict[str, Any]]:
    """Every row with its normalised values and errors: rules, duplicates, then the database."""
    checked: list[tuple[int, ClientRow, list[FieldError]]] = []
    first_rfc: dict[str, int] = {}
    first_email: dict[str, int] = {}
    for index, (line, values) in enumerate(rows, start=1):
        row, errors = check_row(values)
        if row.rfc:
            if row.rfc in first_rfc:
                message = _("RFC: %(rfc)s ya aparece en la fila %(row)d del archivo.") % {
                    "rfc": row.rfc,
                    "row": first_rfc[row.rfc],
                }
                errors.append(("rfc", ValidationError(message, code="duplicate_rfc")))
            else:
                first_rfc[row.rfc] = line
        if row.email:
            if row.email in first_email:
                message = _(
                    "Correo: %(email)s ya aparece en la fila %(row)d; cada empresa necesita el "
                    "correo de su propio dueño."
                ) % {"email": row.email, "row": first_email[row.email]}
                errors.append(("email", ValidationError(message, code="duplicate_email")))
            else:
                first_email[row.email] = line
        checked.append((line, row, errors))
        if on_progress is not None and index % 1000 == 0:
            on_progress(index)
    registry = registry_for(
        firm=firm, rfcs=[r.rfc for _l, r, _e in checked], emails=[r.email for _l, r, _e in checked]
    )
    result = []
    for line, row, errors in checked:
        if not any(e.code == "duplicate_rfc" for _f, e in errors):
            errors = [*registry_errors(row, registry), *errors]
        result.append(
            {"line": line, "values": row.as_values(), "errors": [error_dict(e) for e in errors]}
        )
    return result
