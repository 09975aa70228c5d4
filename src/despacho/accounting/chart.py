"""SAT's código agrupador (Anexo 24) and the default chart of accounts built on it.

The codes and their names come from satcfdi's copy of SAT's catalog (``c_CodAgrup``, read
through ``despacho.satcatalogs``); nothing here invents a code. Each default account takes
the código agrupador as its number, so a new chart maps to SAT's catalog one to one.
"""

from __future__ import annotations

from dataclasses import dataclass

from despacho.accounting.models import Nature
from despacho.satcatalogs import Catalog, description, exists
from despacho.tenancy.rfc import PersonaType

# Rubros whose balance runs against their group's: contra-accounts of assets (estimations,
# depreciation, amortisation), returns on sales, on purchases.
_CONTRA = {
    "108": Nature.ACREEDORA,
    "116": Nature.ACREEDORA,
    "171": Nature.ACREEDORA,
    "172": Nature.ACREEDORA,
    "183": Nature.ACREEDORA,
    "189": Nature.ACREEDORA,
    "402": Nature.DEUDORA,
    "503": Nature.ACREEDORA,
    "702": Nature.ACREEDORA,
    "704": Nature.ACREEDORA,
}


def nature_for(codigo_agrupador: str) -> Nature:
    """The usual nature of an account under this código agrupador (the chart may change it):
    assets, costs and expenses deudora; liabilities, equity and income acreedora."""
    rubro = codigo_agrupador.split(".")[0]
    if rubro in _CONTRA:
        return _CONTRA[rubro]
    return Nature.DEUDORA if rubro[:1] in ("1", "5", "6", "7") else Nature.ACREEDORA


def agrupador_exists(code: str) -> bool:
    return exists(Catalog.CODIGO_AGRUPADOR, code)


def agrupador_name(code: str) -> str:
    return description(Catalog.CODIGO_AGRUPADOR, code)


@dataclass(frozen=True)
class DefaultAccount:
    code: str  # the código agrupador, used as the account's number too
    parent: str  # "" for level 1

    @property
    def name(self) -> str:
        return agrupador_name(self.code)


# The detail accounts of the default chart (level 2); their rubros (level 1) come along.
_COMMON = (
    "101.01",
    "102.01",
    "105.01",
    "107.05",
    "113.01",
    "113.02",
    "113.08",
    "114.01",
    "118.01",
    "119.01",
    "120.01",
    "155.01",
    "156.01",
    "171.04",
    "171.05",
    "201.01",
    "205.02",
    "206.01",
    "208.01",
    "208.02",
    "209.01",
    "209.02",
    "210.01",
    "213.01",
    "213.03",
    "216.01",
    "216.04",
    "216.10",
    "216.11",
    "304.01",
    "304.02",
    "305.01",
    "305.02",
    "401.01",
    "401.04",
    "401.07",
    "402.01",
    "403.01",
    "501.01",
    "502.01",
    "503.01",
    "601.01",
    "601.26",
    "601.34",
    "601.45",
    "601.48",
    "601.50",
    "601.52",
    "601.55",
    "601.84",
    "701.01",
    "701.10",
    "702.01",
    "702.04",
)
# A persona moral holds capital social; a persona física, patrimonio.
_EQUITY = {PersonaType.MORAL: ("301.01", "301.02"), PersonaType.FISICA: ("302.01",)}


def default_chart(persona: PersonaType) -> list[DefaultAccount]:
    """The default chart for a persona moral or física, parents before children."""
    details = sorted((*_COMMON, *_EQUITY[persona]), key=_order)
    chart: list[DefaultAccount] = []
    seen: set[str] = set()
    for code in details:
        rubro = code.split(".")[0]
        if rubro not in seen:
            seen.add(rubro)
            chart.append(DefaultAccount(rubro, ""))
        chart.append(DefaultAccount(code, rubro))
    return chart


def _order(code: str) -> list[int]:
    return [int(part) for part in code.split(".")]


# Which default account each posting rule starts on (PostingRules' fields).
DEFAULT_RULES = {
    "clientes": "105.01",
    "proveedores": "201.01",
    "ventas": "401.01",
    "devoluciones_ventas": "402.01",
    "gastos": "601.84",
    "devoluciones_compras": "503.01",
    "bancos": "102.01",
    "iva_trasladado_cobrado": "208.01",
    "iva_trasladado_pendiente": "209.01",
    "iva_acreditable_pagado": "118.01",
    "iva_acreditable_pendiente": "119.01",
    "ieps_trasladado": "208.02",
    "impuestos_retenidos_a_favor": "113.08",
    "isr_retenido": "216.04",
    "iva_retenido": "216.10",
    "sueldos": "601.01",
    "deducciones_nomina": "216.01",
    "ingresos_nomina": "403.01",
}
