"""Informes: a year of one category, month by month, from the index fields (no XML read).

Ventas (issued income) and egresos (received) total subtotal, IVA, IEPS, ISR and
IVA retenidos and total; nómina totals percepciones, deducciones, otros pagos,
neto and the employees paid (distinct receptor RFC). Rules, also printed on
the page and in the exports:

- only vigente CFDIs count;
- amounts in another currency are converted to MXN with each CFDI's TipoCambio;
- ventas and egresos count comprobantes of tipo I and E, and an E (nota de
  crédito) subtracts; pagos and traslados carry no amounts of their own.

Every report is scoped like the lists: the viewer's grant must open the
category on the company (``CategoryForbidden`` otherwise).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import xlsxwriter
from django.db.models import Case, Count, DecimalField, F, Max, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from despacho.access.decisions import can
from despacho.cfdi.models import CATEGORY_PERM, RISKY_LISTINGS, Category, Cfdi, Status, Tipo
from despacho.cfdi.parsing import CFDI_ZONE
from despacho.cfdi.selectors import CategoryForbidden
from despacho.csvexport import csv_rows
from despacho.people.models import Viewer
from despacho.tenancy.models import Company

CENT = Decimal("0.01")
MONTHS = [
    gettext_lazy("Enero"),
    gettext_lazy("Febrero"),
    gettext_lazy("Marzo"),
    gettext_lazy("Abril"),
    gettext_lazy("Mayo"),
    gettext_lazy("Junio"),
    gettext_lazy("Julio"),
    gettext_lazy("Agosto"),
    gettext_lazy("Septiembre"),
    gettext_lazy("Octubre"),
    gettext_lazy("Noviembre"),
    gettext_lazy("Diciembre"),
]
LOCAL_CURRENCIES = ("MXN", "", "XXX")

_AMOUNT: Any = DecimalField(max_digits=30, decimal_places=6)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    money: bool = True


@dataclass
class Report:
    """One category's year: a row per month (all twelve), a totals row, and the rules applied."""

    category: Category
    year: int
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def cells(self, row: dict[str, Any]) -> list[tuple[Any, bool]]:
        """A row's values in column order, each with whether it is money."""
        return [(row[column.key], column.money) for column in self.columns]

    @property
    def lines(self) -> list[dict[str, Any]]:
        """The month rows as the page shows them: month number, label and cells."""
        return [
            {"month": row["month"], "label": row["label"], "cells": self.cells(row)}
            for row in self.rows
        ]

    @property
    def total_cells(self) -> list[tuple[Any, bool]]:
        return self.cells(self.totals)

    @property
    def title(self) -> str:
        return _("Informe de %(category)s %(year)d") % {
            "category": self.category.label,
            "year": self.year,
        }


def _columns(category: str) -> list[Column]:
    if category == Category.NOMINA:
        return [
            Column("count", _("CFDI"), money=False),
            Column("employees", _("Empleados pagados"), money=False),
            Column("percepciones", _("Percepciones")),
            Column("otros_pagos", _("Otros pagos")),
            Column("deducciones", _("Deducciones")),
            Column("neto", _("Neto pagado")),
        ]
    iva = _("IVA acreditable") if category == Category.EGRESOS else _("IVA trasladado")
    return [
        Column("count", _("CFDI"), money=False),
        Column("subtotal", _("Subtotal")),
        Column("iva", iva),
        Column("ieps", _("IEPS")),
        Column("isr_retenido", _("ISR retenido")),
        Column("iva_retenido", _("IVA retenido")),
        Column("total", _("Total")),
    ]


def _in_mxn(name: str, *, signed: bool) -> Any:
    """Sum of a field converted to MXN (TipoCambio, 1 if missing), notas de crédito negative."""
    rate = Case(
        When(moneda__in=LOCAL_CURRENCIES, then=Value(Decimal(1))),
        default=Coalesce(F("tipo_cambio"), Value(Decimal(1))),
        output_field=_AMOUNT,
    )
    sign = Case(
        When(tipo=Tipo.EGRESO, then=Value(Decimal(-1) if signed else Decimal(1))),
        default=Value(Decimal(1)),
        output_field=_AMOUNT,
    )
    return Sum(F(name) * rate * sign, output_field=_AMOUNT)


def _aggregates(category: str) -> dict[str, Any]:
    if category == Category.NOMINA:
        return {
            "count": Count("id"),
            "employees": Count("receptor_rfc", distinct=True),
            "percepciones": _in_mxn("total_percepciones", signed=False),
            "otros_pagos": _in_mxn("total_otros_pagos", signed=False),
            "deducciones": _in_mxn("total_deducciones", signed=False),
        }
    return {
        "count": Count("id"),
        "subtotal": _in_mxn("subtotal", signed=True),
        "iva": _in_mxn("iva_trasladado", signed=True),
        "ieps": _in_mxn("ieps_trasladado", signed=True),
        "isr_retenido": _in_mxn("isr_retenido", signed=True),
        "iva_retenido": _in_mxn("iva_retenido", signed=True),
        "total": _in_mxn("total", signed=True),
    }


def _finish(values: dict[str, Any], category: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("count", "employees", "month"):
            row[key] = value or 0
        else:
            row[key] = Decimal(value or 0).quantize(CENT, ROUND_HALF_UP)
    if category == Category.NOMINA:
        row["neto"] = row["percepciones"] + row["otros_pagos"] - row["deducciones"]
    return row


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return (
        datetime.combine(date(year, 1, 1), time.min, tzinfo=CFDI_ZONE),
        datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=CFDI_ZONE),
    )


def _documents(company: Company, category: str, year: int) -> QuerySet[Cfdi]:
    start, end = _year_bounds(year)
    tipos = [Tipo.NOMINA] if category == Category.NOMINA else [Tipo.INGRESO, Tipo.EGRESO]
    return Cfdi.objects.filter(
        company=company,
        category=category,
        status=Status.VIGENTE,
        tipo__in=tipos,
        fecha__gte=start,
        fecha__lt=end,
    )


def _sat_notes(company: Company, year: int) -> list[str]:
    """What SAT's connection flagged in the year's received I and E, in one query: those
    their emisor cancelled (left out above) and those from emisores in SAT's lists."""
    start, end = _year_bounds(year)
    flags = Cfdi.objects.filter(
        company=company,
        category=Category.EGRESOS,
        tipo__in=[Tipo.INGRESO, Tipo.EGRESO],
        fecha__gte=start,
        fecha__lt=end,
    ).aggregate(
        cancelled=Count("pk", filter=Q(sat_cancelled_at__isnull=False)),
        listed=Count("pk", filter=Q(status=Status.VIGENTE, emisor_listed__in=RISKY_LISTINGS)),
    )
    notes = []
    if flags["cancelled"]:
        notes.append(
            ngettext(
                "%(n)d CFDI recibido fue cancelado por su emisor (visto en el SAT): no es "
                "deducible y no se sumó.",
                "%(n)d CFDI recibidos fueron cancelados por su emisor (vistos en el SAT): no son "
                "deducibles y no se sumaron.",
                flags["cancelled"],
            )
            % {"n": flags["cancelled"]}
        )
    if flags["listed"]:
        notes.append(
            ngettext(
                "%(n)d CFDI sumado es de un emisor en las listas del SAT (69-B definitivo o "
                "presunto, 69): revisa si es deducible.",
                "%(n)d CFDI sumados son de emisores en las listas del SAT (69-B definitivo o "
                "presunto, 69): revisa si son deducibles.",
                flags["listed"],
            )
            % {"n": flags["listed"]}
        )
    return notes


def cfdi_report(*, viewer: Viewer, company: Company, category: str, year: int) -> Report:
    """A year of the category, month by month, in MXN; CategoryForbidden if the grant is closed."""
    if category not in CATEGORY_PERM:
        raise CategoryForbidden
    if not can(viewer, company, CATEGORY_PERM[category]):
        raise CategoryForbidden
    documents = _documents(company, category, year)
    aggregates = _aggregates(category)
    by_month = {
        values["month"].month: _finish(values, category)
        for values in documents.annotate(month=TruncMonth("fecha", tzinfo=CFDI_ZONE))
        .values("month")
        .annotate(**aggregates)
        .order_by("month")
    }
    empty = _finish(dict.fromkeys(aggregates, 0), category)
    rows = [
        {"month": number, "label": str(MONTHS[number - 1]), **by_month.get(number, empty)}
        for number in range(1, 13)
    ]
    # The year's figures come from one query: employees paid are distinct over the year.
    totals = _finish(documents.aggregate(**aggregates), category)
    totals["label"] = _("Total %(year)d") % {"year": year}
    # One query for both notes: foreign without TipoCambio, and 3.2 free text naming no
    # currency we know (stored without a code, so summed as MXN).
    flags = documents.aggregate(
        unconverted=Count(
            "pk", filter=~Q(moneda__in=LOCAL_CURRENCIES) & Q(tipo_cambio__isnull=True)
        ),
        unknown=Count("pk", filter=Q(moneda="") & ~Q(moneda_original="")),
    )
    unconverted = flags["unconverted"]
    notes = [_("Solo se suman los CFDI vigentes; los cancelados y en cancelación no cuentan.")]
    if category == Category.NOMINA:
        notes.append(_("Neto pagado = percepciones + otros pagos − deducciones."))
    else:
        notes.append(
            _(
                "Se suman los CFDI de ingreso (I) y de egreso (E); las notas de crédito (E) "
                "restan. Pagos y traslados no llevan importes propios."
            )
        )
    notes.append(
        _("Los importes en otra moneda se convierten a MXN con el tipo de cambio de cada CFDI.")
    )
    if unconverted:
        notes.append(
            ngettext(
                "%(n)d CFDI en otra moneda no trae tipo de cambio: se sumó sin convertir.",
                "%(n)d CFDI en otra moneda no traen tipo de cambio: se sumaron sin convertir.",
                unconverted,
            )
            % {"n": unconverted}
        )
    if flags["unknown"]:
        notes.append(
            _(
                "%(n)d CFDI escriben su moneda con un texto que no corresponde a ninguna "
                "moneda del catálogo del SAT: se sumaron como MXN (el texto se ve en su detalle)."
            )
            % {"n": flags["unknown"]}
        )
    if category == Category.EGRESOS:
        notes.extend(_sat_notes(company, year))
    return Report(
        category=Category(category),
        year=year,
        columns=_columns(category),
        rows=rows,
        totals=totals,
        notes=notes,
    )


# --- exports --------------------------------------------------------------------------------


def _table(report: Report) -> tuple[list[str], list[list[Any]]]:
    header = [_("Mes"), *[column.label for column in report.columns]]
    body = [
        [row["label"], *[row[column.key] for column in report.columns]]
        for row in [*report.rows, report.totals]
    ]
    return header, body


def report_csv(report: Report) -> Iterator[str]:
    """The report as CSV lines (formula cells neutralised), the rules as trailing lines."""
    header, body = _table(report)
    notes = [[note] for note in report.notes]
    return csv_rows(header, [*body, [], *notes])


def report_xlsx(report: Report) -> bytes:
    """The report as an XLSX workbook (numbers as numbers, text always as text)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(str(report.category.label)[:31])
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0.00"})
    money_bold = workbook.add_format({"num_format": "#,##0.00", "bold": True})
    header, body = _table(report)
    sheet.write_string(0, 0, report.title, bold)
    for col, label in enumerate(header):
        sheet.write_string(2, col, label, bold)
    last = len(body) - 1
    for offset, values in enumerate(body):
        row = 3 + offset
        sheet.write_string(row, 0, str(values[0]), bold if offset == last else None)
        for col, (column, value) in enumerate(zip(report.columns, values[1:], strict=True), 1):
            if column.money:
                sheet.write_number(row, col, float(value), money_bold if offset == last else money)
            else:
                sheet.write_number(row, col, int(value), bold if offset == last else None)
    for index, note in enumerate(report.notes):
        sheet.write_string(4 + len(body) + index, 0, note)
    sheet.set_column(0, 0, 14)
    sheet.set_column(1, len(header), 16)
    workbook.close()
    return buffer.getvalue()


def default_year(company: Company | None = None) -> int:
    """The year of the company's latest CFDI, or the current year in Mexico City."""
    if company is not None:
        latest = Cfdi.objects.filter(company=company).aggregate(latest=Max("fecha"))["latest"]
        if latest is not None:
            return int(latest.astimezone(CFDI_ZONE).year)
    return datetime.now(tz=CFDI_ZONE).year


def report_filename(report: Report, company: Company, extension: str) -> str:
    rfc = "".join(ch for ch in company.rfc if ch.isalnum())
    return f"informe-{report.category.value}-{report.year}-{rfc}.{extension}"
