"""RFC (Registro Federal de Contribuyentes) rules for companies.

The check digit is python-stdnum's ``mx.rfc`` algorithm, and stdnum's
``validate(..., validate_check_digits=True)`` has the last word. The steps
before it are ours so that each broken rule gets its own code and a Spanish
message that says which part of the RFC is wrong (stdnum reports a bad date,
an inconvenient word and a bad homoclave all as ``InvalidComponent``).
What is specific to Despacho is here too: generic RFCs are never companies,
and the length tells a persona física (13) from a persona moral (12).
"""

from __future__ import annotations

import datetime
import enum
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.mx import rfc as stdnum_rfc

GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})

# Same shapes as stdnum's, per persona type; the database constraint accepts their union.
_SHAPE = {
    12: re.compile(r"^[A-Z&Ñ]{3}[0-9]{6}[0-9A-Z]{3}$"),
    13: re.compile(r"^[A-Z&Ñ]{4}[0-9]{6}[0-9A-Z]{3}$"),
}
# SAT assigns homoclaves of this shape; the last character is the check digit.
_HOMOCLAVE = re.compile(r"^[1-9A-V][1-9A-Z][0-9A]$")


class PersonaType(enum.StrEnum):
    FISICA = "fisica"
    MORAL = "moral"


def normalize_rfc(value: str) -> str:
    """Upper-case, without spaces, dashes or underscores (people paste RFCs in every shape)."""
    return stdnum_rfc.compact("".join(str(value).split()))


def persona_type(rfc: str) -> PersonaType:
    """13 characters: persona física; 12: persona moral."""
    return PersonaType.FISICA if len(rfc) == 13 else PersonaType.MORAL


def _has_valid_date(rfc: str) -> bool:
    start = len(rfc) - 9
    digits = rfc[start : start + 6]
    try:
        # The century is not in the RFC; 2000+YY has the same leap years as 1900+YY but 1900.
        datetime.date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return False
    return True


def validate_company_rfc(value: str, *, field: str = "RFC") -> str:
    """Return the normalised RFC or raise ValidationError naming the field and the rule."""
    rfc = normalize_rfc(value)
    names = {"field": field, "rfc": rfc}
    if not rfc:
        raise ValidationError(_("%(field)s: escribe el RFC.") % names, code="required")
    if rfc in GENERIC_RFCS:
        raise ValidationError(
            _(
                "%(field)s: %(rfc)s es un RFC genérico (público en general o extranjero) "
                "y no puede registrarse como empresa."
            )
            % names,
            code="generic_rfc",
        )
    if len(rfc) not in _SHAPE:
        raise ValidationError(
            _(
                "%(field)s: debe tener 12 caracteres (persona moral) o 13 (persona física); "
                "tiene %(length)d."
            )
            % {**names, "length": len(rfc)},
            code="rfc_length",
        )
    if not _SHAPE[len(rfc)].match(rfc):
        raise ValidationError(
            _(
                "%(field)s: %(rfc)s no tiene el formato de un RFC "
                "(letras iniciales, fecha AAMMDD y homoclave de 3 caracteres)."
            )
            % names,
            code="rfc_format",
        )
    if not _has_valid_date(rfc):
        raise ValidationError(
            _("%(field)s: la fecha contenida en %(rfc)s no es válida.") % names,
            code="rfc_date",
        )
    if not _HOMOCLAVE.match(rfc[-3:]):
        raise ValidationError(
            _("%(field)s: la homoclave %(homoclave)s de %(rfc)s no es una que asigne el SAT.")
            % {**names, "homoclave": rfc[-3:]},
            code="rfc_homoclave",
        )
    if rfc[-1] != stdnum_rfc.calc_check_digit(rfc[:-1]):
        raise ValidationError(
            _("%(field)s: el dígito verificador de %(rfc)s no es correcto.") % names,
            code="rfc_check_digit",
        )
    try:
        stdnum_rfc.validate(rfc, validate_check_digits=True)
    except StdnumError as exc:
        # What remains is stdnum's list of words the SAT never assigns (e.g. "PUTO").
        raise ValidationError(
            _("%(field)s: las letras iniciales de %(rfc)s no corresponden a un RFC asignado.")
            % names,
            code="rfc_letters",
        ) from exc
    return rfc
