"""Filters that show a CFDI's codes, amounts and dates the way a person reads them.

``{{ code|sat:"uso_cfdi" }}`` → «CP01 · Pagos» (a ``satcatalogs.Catalog`` member's name,
lower case); ``{{ amount|money:"MXN" }}`` → «$17,852.75 MXN»; ``{{ amount|money }}`` →
«$17,852.75»; ``{{ fecha|cfdi_date }}`` → «2 de enero de 2020, 22:40», ``|cfdi_short_date`` → «2 ene
2020, 22:40» (the XML's text is
never converted: see ``cfdi/presentation.py``); ``{{ tasa|rate }}`` → «16 %»;
``{{ cantidad|quantity }}`` → «1».
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template

from despacho.cfdi import presentation
from despacho.satcatalogs import Catalog, labelled

register = template.Library()


@register.filter
def sat(code: str | None, catalog: str) -> str:
    return labelled(Catalog[catalog.upper()], code or "")


@register.filter
def money(amount: str | Decimal | None, moneda: str = "") -> str:
    return presentation.money_text(amount, moneda)


@register.filter
def cfdi_date(value: str | dt.datetime | dt.date | None) -> str:
    return presentation.date_text(value)


@register.filter
def rate(value: str) -> str:
    return presentation.rate_text(value)


@register.filter
def quantity(value: str) -> str:
    return presentation.quantity_text(value)


@register.filter
def cfdi_short_date(value: dt.datetime) -> str:
    return presentation.short_date_text(value)
