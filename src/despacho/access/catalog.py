"""The permission catalog and its rules: the only place a permission is defined.

A set of permissions is stored as a bit mask (one bit per permission), so a
grant's effective set is ``(profile | added) & ~removed`` in Python and SQL
alike. Nobody else spells a permission code as a bare string: import ``Perm``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Perm(enum.Enum):
    """A permission a grant can hold. The value is the stable code used in the API."""

    DATOS_MAESTROS = "datos_maestros"
    VENTAS = "ventas"
    EGRESOS = "egresos"
    NOMINA = "nomina"
    TESORERIA = "tesoreria"
    FACTURAR = "facturar"
    CANCELAR = "cancelar"
    POLIZAS = "polizas"
    WHATSAPP = "whatsapp"
    PORTAL = "portal"

    @property
    def bit(self) -> int:
        return _BITS[self]

    @property
    def label(self) -> Promise:
        return _LABELS[self][0]

    @property
    def help_text(self) -> Promise:
        return _LABELS[self][1]

    @classmethod
    def from_code(cls, code: str) -> Perm:
        """The permission with that code; ValueError for an unknown one."""
        return cls(code)


# Bit positions are part of the stored data: append, never reorder.
_BITS: dict[Perm, int] = {perm: 1 << index for index, perm in enumerate(Perm)}
ALL_MASK = sum(_BITS.values())

_LABELS: dict[Perm, tuple[Promise, Promise]] = {
    Perm.DATOS_MAESTROS: (
        _("Datos maestros"),
        _("Datos fiscales de clientes, productos y servicios, y datos de Carta Porte."),
    ),
    Perm.VENTAS: (
        _("Ventas"),
        _("CFDI de ingreso emitidos (I, E, P, T) y sus reportes."),
    ),
    Perm.EGRESOS: (
        _("Egresos"),
        _("CFDI recibidos (gastos) y sus reportes."),
    ),
    Perm.NOMINA: (_("Nómina"), _("CFDI de nómina (N) que emitió la empresa.")),
    Perm.TESORERIA: (_("Tesorería"), _("Estados de cuenta bancarios y conciliación.")),
    Perm.FACTURAR: (
        _("Facturar"),
        _("Emitir facturas, notas de crédito y complementos de pago."),
    ),
    Perm.CANCELAR: (_("Cancelar CFDIs"), _("Cancelar CFDI emitidos.")),
    Perm.POLIZAS: (
        _("Pólizas y reportes contables"),
        _("Reportes contables y la póliza de cada CFDI."),
    ),
    Perm.WHATSAPP: (
        _("Asistente de WhatsApp"),
        _("Registrar un número propio y usar el asistente."),
    ),
    Perm.PORTAL: (
        _("Portal de descargas"),
        _("Administrar el acceso de los receptores al portal de descargas."),
    ),
}

# "X requires Y": holding X without Y is invalid.
REQUIRES: dict[Perm, Perm] = {
    Perm.FACTURAR: Perm.VENTAS,
    Perm.CANCELAR: Perm.VENTAS,
    Perm.PORTAL: Perm.VENTAS,
}
# Every grant holds at least one of these.
AT_LEAST_ONE_OF: tuple[Perm, ...] = (Perm.VENTAS, Perm.EGRESOS)
# A company opens only for a set holding one of them: the same rule as a bit test.
OPENING_MASK = _BITS[Perm.VENTAS] | _BITS[Perm.EGRESOS]

# The rules' codes are stable (the API names a broken rule by them): spell them through
# these, never as bare strings.
AT_LEAST_ONE_CODE = "requires_ventas_or_egresos"


def requires_code(required: Perm) -> str:
    """The code of the rule "a permission requires ``required``" (``requires_ventas``)."""
    return f"requires_{required.value}"


PermSet = frozenset[Perm]


def to_mask(perms: Iterable[Perm]) -> int:
    """The bit mask of a set of permissions."""
    mask = 0
    for perm in perms:
        mask |= perm.bit
    return mask


@cache
def from_mask(mask: int) -> PermSet:
    """The set of permissions of a bit mask (unknown bits are ignored).

    Cached: there are only 1,024 masks, and pages that list thousands of companies ask
    for the same few again and again.
    """
    return frozenset(perm for perm in Perm if mask & perm.bit)


def from_codes(codes: Iterable[str]) -> PermSet:
    """Permissions from their codes; ValueError naming the first unknown code."""
    result = set()
    for code in codes:
        try:
            result.add(Perm(code))
        except ValueError:
            raise ValueError(code) from None
    return frozenset(result)


def effective_mask(profile_mask: int, added: int, removed: int) -> int:
    """A grant's set: (profile ∪ added) − removed."""
    return (profile_mask | added) & ~removed & ALL_MASK


@dataclass(frozen=True)
class RuleViolation:
    """One rule a permission set breaks, with a stable code and a Spanish message."""

    code: str
    message: str
    perms: tuple[Perm, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "permissions": [p.value for p in self.perms],
        }


def violations(perms: Iterable[Perm]) -> list[RuleViolation]:
    """Every rule that the set breaks (empty when the set is valid). Pure."""
    from django.utils.translation import gettext

    held = frozenset(perms)
    found: list[RuleViolation] = []
    if not any(perm in held for perm in AT_LEAST_ONE_OF):
        found.append(
            RuleViolation(
                code=AT_LEAST_ONE_CODE,
                message=gettext("Todo acceso a una empresa necesita %(a)s o %(b)s (al menos uno).")
                % {"a": Perm.VENTAS.label, "b": Perm.EGRESOS.label},
                perms=AT_LEAST_ONE_OF,
            )
        )
    for perm, required in REQUIRES.items():
        if perm in held and required not in held:
            found.append(
                RuleViolation(
                    code=requires_code(required),
                    message=gettext("%(perm)s requiere %(required)s.")
                    % {"perm": perm.label, "required": required.label},
                    perms=(perm, required),
                )
            )
    return found


def is_valid(perms: Iterable[Perm]) -> bool:
    return not violations(perms)


def dependents_of(perm: Perm) -> tuple[Perm, ...]:
    """Permissions that require ``perm`` (switching it off breaks them)."""
    return tuple(p for p, required in REQUIRES.items() if required is perm)


def rules_as_data() -> list[dict[str, object]]:
    """The rules, for the API and the UI."""
    rules: list[dict[str, object]] = [
        {
            "code": AT_LEAST_ONE_CODE,
            "kind": "at_least_one",
            "permissions": [p.value for p in AT_LEAST_ONE_OF],
        }
    ]
    for perm, required in REQUIRES.items():
        rules.append(
            {
                "code": requires_code(required),
                "kind": "requires",
                "permission": perm.value,
                "requires": required.value,
            }
        )
    return rules
