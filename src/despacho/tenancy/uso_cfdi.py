"""SAT catalog c_UsoCFDI with the regímenes fiscales of the receptor each uso allows.

The codes and names come from satcfdi's copy of the catalog (``despacho.satcatalogs``);
the column "Régimen Fiscal Receptor" (which satcfdi does not carry) comes from SAT's
published catalog (catCFDI 4.0, c_UsoCFDI), as ``tenancy/regimen.py`` does for the
física/moral marks. A uso missing here (P01 "Por definir", gone in CFDI 4.0) allows no
régimen.
"""

from __future__ import annotations

from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from despacho.satcatalogs import Catalog, descriptions
from despacho.tenancy.regimen import regimenes

_BUSINESS = ("601", "603", "606", "612", "620", "621", "622", "623", "624", "625", "626")
_DEDUCTIONS = ("605", "606", "607", "608", "611", "612", "614", "615", "625")
_EVERYONE = (
    "601", "603", "605", "606", "607", "608", "610", "611", "612", "614", "615", "616",
    "620", "621", "622", "623", "624", "625", "626",
)  # fmt: skip

# uso: the regímenes fiscales of the receptor that may use it (catCFDI, c_UsoCFDI).
_ALLOWED: dict[str, tuple[str, ...]] = {
    "G01": _BUSINESS,
    "G02": (*_BUSINESS, "616"),
    "G03": _BUSINESS,
    **{f"I0{n}": _BUSINESS for n in range(1, 9)},
    **{f"D{n:02d}": _DEDUCTIONS for n in range(1, 11)},
    "S01": _EVERYONE,
    "CP01": _EVERYONE,
    "CN01": ("605",),
}


@cache
def usos() -> dict[str, str]:
    """Every uso CFDI of SAT's catalog, by code, with its name."""
    return descriptions(Catalog.USO_CFDI)


def uso_regimenes(uso: str) -> frozenset[str]:
    """The regímenes fiscales a receptor may have to use ``uso``."""
    return frozenset(_ALLOWED.get(uso, ()))


def uso_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {name}") for code, name in sorted(usos().items())]


def validate_uso_cfdi(code: str, *, regimen: str) -> str:
    """The uso exists in c_UsoCFDI and the receptor's régimen may use it."""
    code = (code or "").strip().upper()
    if code not in usos():
        raise ValidationError(
            _("Uso CFDI: %(code)s no está en el catálogo c_UsoCFDI del SAT.") % {"code": code},
            code="uso_unknown",
        )
    if regimen not in uso_regimenes(code):
        known = regimenes().get(regimen)
        raise ValidationError(
            _(
                "Uso CFDI: %(uso)s no se permite a un receptor del régimen %(regimen)s "
                "(columna «Régimen Fiscal Receptor» de c_UsoCFDI)."
            )
            % {
                "uso": f"{code} — {usos()[code]}",
                "regimen": known.label if known else regimen,
            },
            code="uso_regimen_mismatch",
        )
    return code
