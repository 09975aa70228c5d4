"""RFC (Registro Federal de Contribuyentes) rules for companies.

Format and check digit come from python-stdnum's ``mx.rfc`` with check digits
turned on; what is specific to Despacho (generic RFCs are never companies,
persona física or moral by length) is here.
"""

from __future__ import annotations

import enum

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.mx import rfc as stdnum_rfc

GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})


class PersonaType(enum.StrEnum):
    FISICA = "fisica"
    MORAL = "moral"


def normalize_rfc(value: str) -> str:
    """Upper-case, without spaces or dashes (people paste RFCs in every shape)."""
    return "".join(value.split()).replace("-", "").upper()


def persona_type(rfc: str) -> PersonaType:
    """13 characters: persona física; 12: persona moral."""
    return PersonaType.FISICA if len(rfc) == 13 else PersonaType.MORAL


def validate_company_rfc(value: str, *, field: str = "RFC") -> str:
    """Return the normalised RFC or raise ValidationError naming the field and the rule."""
    rfc = normalize_rfc(value)
    if not rfc:
        raise ValidationError(_("%(field)s: escribe el RFC.") % {"field": field}, code="required")
    if rfc in GENERIC_RFCS:
        raise ValidationError(
            _(
                "%(field)s: %(rfc)s es un RFC genérico (público en general o extranjero) "
                "y no puede registrarse como empresa."
            )
            % {"field": field, "rfc": rfc},
            code="generic_rfc",
        )
    if len(rfc) not in (12, 13):
        raise ValidationError(
            _(
                "%(field)s: debe tener 12 caracteres (persona moral) o 13 (persona física); "
                "tiene %(length)d."
            )
            % {"field": field, "length": len(rfc)},
            code="rfc_length",
        )
    try:
        stdnum_rfc.validate(rfc, validate_check_digits=True)
    except InvalidLength as exc:  # pragma: no cover - length checked above
        raise ValidationError(str(exc), code="rfc_length") from exc
    except InvalidChecksum as exc:
        raise ValidationError(
            _("%(field)s: el dígito verificador de %(rfc)s no es correcto.")
            % {"field": field, "rfc": rfc},
            code="rfc_check_digit",
        ) from exc
    except InvalidComponent as exc:
        raise ValidationError(
            _("%(field)s: la fecha contenida en %(rfc)s no es válida.")
            % {"field": field, "rfc": rfc},
            code="rfc_date",
        ) from exc
    except InvalidFormat as exc:
        raise ValidationError(
            _(
                "%(field)s: %(rfc)s no tiene el formato de un RFC "
                "(letras iniciales, fecha AAMMDD y homoclave)."
            )
            % {"field": field, "rfc": rfc},
            code="rfc_format",
        ) from exc
    return rfc
