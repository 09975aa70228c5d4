"""SAT catalog c_RegimenFiscal with the persona type each régimen applies to.

The codes and names come from satcfdi's copy of the catalog (``despacho.satcatalogs``,
the one source of SAT catalog descriptions); the física/moral
marks (which satcfdi does not carry) come from SAT's published catalog
(catCFDI, columns "Física" and "Moral").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from despacho.satcatalogs import Catalog, descriptions
from despacho.tenancy.rfc import PersonaType

# code: (applies to física, applies to moral)
_APPLIES_TO: dict[str, tuple[bool, bool]] = {
    "601": (False, True),
    "603": (False, True),
    "605": (True, False),
    "606": (True, False),
    "607": (True, False),
    "608": (True, False),
    "609": (False, True),
    "610": (True, True),
    "611": (True, False),
    "612": (True, False),
    "614": (True, False),
    "615": (True, False),
    "616": (True, False),
    "620": (False, True),
    "621": (True, False),
    "622": (False, True),
    "623": (False, True),
    "624": (False, True),
    "625": (True, False),
    "626": (True, True),
    "628": (False, True),
    "629": (True, False),
    "630": (True, False),
}


@dataclass(frozen=True)
class Regimen:
    code: str
    name: str
    fisica: bool
    moral: bool

    def applies_to(self, persona: PersonaType) -> bool:
        return self.fisica if persona is PersonaType.FISICA else self.moral

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


@cache
def regimenes() -> dict[str, Regimen]:
    """Every régimen fiscal, by code."""
    names = descriptions(Catalog.REGIMEN_FISCAL)
    return {
        code: Regimen(code=code, name=names[code], fisica=fisica, moral=moral)
        for code, (fisica, moral) in _APPLIES_TO.items()
        if code in names
    }


def regimen_choices() -> list[tuple[str, str]]:
    return [(r.code, r.label) for r in regimenes().values()]


def validate_regimen(code: str, *, persona: PersonaType | None = None) -> Regimen:
    """The régimen exists in c_RegimenFiscal and applies to the persona type."""
    regimen = regimenes().get((code or "").strip())
    if regimen is None:
        raise ValidationError(
            _("Régimen fiscal: %(code)s no está en el catálogo c_RegimenFiscal del SAT.")
            % {"code": code},
            code="regimen_unknown",
        )
    if persona is not None and not regimen.applies_to(persona):
        raise ValidationError(
            _("Régimen fiscal: %(regimen)s no aplica a personas %(persona)s.")
            % {
                "regimen": regimen.label,
                "persona": _("físicas") if persona is PersonaType.FISICA else _("morales"),
            },
            code="regimen_persona_mismatch",
        )
    return regimen
