"""Every read of accounting, scoped by the viewer: who holds Pólizas on the company.

The informes aggregate movements in the database (one grouped query by account over the
``(company, account, fecha)`` index) and roll the sums up the chart in Python: a chart has
hundreds of accounts, a ledger millions of movements.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm
from despacho.access.decisions import can
from despacho.accounting.models import (
    Account,
    ClosedPeriod,
    Movement,
    Nature,
    Poliza,
    PostingRules,
    Source,
)
from despacho.cfdi.models import Cfdi
from despacho.errors import NotFound
from despacho.people.models import Viewer
from despacho.tenancy.models import Company

ZERO = Decimal(0)


class AccountingNotFound(NotFound):
    """Not there, or the viewer holds no Pólizas on its company."""


def accounting_allowed(*, viewer: Viewer, company: Company | None) -> bool:
    return company is not None and can(viewer, company, Perm.POLIZAS)


def _company_checked(viewer: Viewer, company: Company | None) -> Company:
    if company is None or not accounting_allowed(viewer=viewer, company=company):
        raise AccountingNotFound()
    return company


def rules_of(*, viewer: Viewer, company: Company | None) -> PostingRules | None:
    """The company's posting rules; None while it has no chart."""
    company = _company_checked(viewer, company)
    return PostingRules.objects.filter(company=company).first()


def chart_of(*, viewer: Viewer, company: Company | None) -> list[Account]:
    """The company's accounts in number order."""
    company = _company_checked(viewer, company)
    return list(Account.objects.filter(company=company).order_by("code"))


def account_for(*, viewer: Viewer, company: Company | None, pk: int | str) -> Account:
    company = _company_checked(viewer, company)
    try:
        return Account.objects.get(company=company, pk=int(pk))
    except (Account.DoesNotExist, ValueError, TypeError):
        raise AccountingNotFound() from None


def detail_accounts(*, viewer: Viewer, company: Company | None) -> QuerySet[Account]:
    """Accounts a movement may go to: active, without sub-accounts."""
    company = _company_checked(viewer, company)
    return Account.objects.filter(company=company, is_active=True, children__isnull=True).order_by(
        "code"
    )


def polizas_of(
    *,
    viewer: Viewer,
    company: Company | None,
    start: date,
    end: date,
    tipo: str = "",
) -> QuerySet[Poliza]:
    """The company's pólizas dated in [start, end], with their totals."""
    company = _company_checked(viewer, company)
    found = Poliza.objects.filter(company=company, fecha__gte=start, fecha__lte=end)
    if tipo:
        found = found.filter(tipo=tipo)
    return found.annotate(total=Sum("movements__debe")).order_by("fecha", "tipo", "number")


def _with_movements(polizas: QuerySet[Poliza]) -> QuerySet[Poliza]:
    return polizas.prefetch_related(
        Prefetch(
            "movements",
            queryset=Movement.objects.select_related("account")
            .prefetch_related("cfdis")
            .order_by("line"),
        )
    )


def poliza_for(*, viewer: Viewer, company: Company | None, pk: int | str) -> Poliza:
    company = _company_checked(viewer, company)
    try:
        return _with_movements(Poliza.objects.filter(company=company)).get(pk=int(pk))
    except (Poliza.DoesNotExist, ValueError, TypeError):
        raise AccountingNotFound() from None


def cfdi_polizas(*, viewer: Viewer, cfdi: Cfdi) -> list[Poliza] | None:
    """The CFDI's póliza and reversal for the detail page; None to whom Pólizas is hidden."""
    if not accounting_allowed(viewer=viewer, company=cfdi.company):
        return None
    return list(
        _with_movements(Poliza.objects.filter(company_id=cfdi.company_id, cfdi=cfdi)).order_by(
            "source"
        )
    )


def closed_months(*, viewer: Viewer, company: Company | None) -> list[ClosedPeriod]:
    company = _company_checked(viewer, company)
    return list(ClosedPeriod.objects.filter(company=company).select_related("closed_by"))


# --- informes --------------------------------------------------------------------------------


@dataclass
class BalanzaRow:
    account: Account
    inicial: Decimal = ZERO  # balance by the account's nature before the period
    debe: Decimal = ZERO
    haber: Decimal = ZERO
    before_debe: Decimal = ZERO
    before_haber: Decimal = ZERO

    @property
    def final(self) -> Decimal:
        return self.inicial + self.signed(self.debe - self.haber)

    def signed(self, debit_minus_credit: Decimal) -> Decimal:
        if self.account.nature == Nature.DEUDORA:
            return debit_minus_credit
        return -debit_minus_credit

    @property
    def net_credit(self) -> Decimal:
        """Haber − debe up to the period's end (what results and liabilities read)."""
        return self.before_haber + self.haber - self.before_debe - self.debe


@dataclass
class Balanza:
    company: Company
    start: date
    end: date
    level: int | None
    rows: list[BalanzaRow]
    debe: Decimal = ZERO
    haber: Decimal = ZERO
    max_level: int = 1
    leaves: list[BalanzaRow] = field(default_factory=list)  # rows no deeper row splits


def balanza_sums(company: Company, start: date, end: date) -> QuerySet[Movement, dict[str, Any]]:
    """The balanza's one aggregate: per account with movements up to ``end``, debe and haber
    before ``start`` and within the period."""
    before, during = Q(fecha__lt=start), Q(fecha__gte=start)
    return (
        Movement.objects.filter(company=company, fecha__lte=end)
        .values("account_id")
        .annotate(
            before_debe=Sum("debe", filter=before),
            before_haber=Sum("haber", filter=before),
            debe=Sum("debe", filter=during),
            haber=Sum("haber", filter=during),
        )
        .order_by()
    )


def _sums(company: Company, start: date, end: date) -> dict[int, dict[str, Any]]:
    return {row["account_id"]: row for row in balanza_sums(company, start, end)}


def balanza(
    *, viewer: Viewer, company: Company | None, start: date, end: date, level: int | None = None
) -> Balanza:
    """The balanza de comprobación of [start, end] down to ``level`` (None: every level)."""
    company = _company_checked(viewer, company)
    accounts = list(Account.objects.filter(company=company).order_by("code"))
    by_id = {a.pk: a for a in accounts}
    rows = {a.pk: BalanzaRow(a) for a in accounts}
    for account_id, sums in _sums(company, start, end).items():
        node: Account | None = by_id[account_id]
        while node is not None:
            row = rows[node.pk]
            row.before_debe += sums["before_debe"] or ZERO
            row.before_haber += sums["before_haber"] or ZERO
            row.debe += sums["debe"] or ZERO
            row.haber += sums["haber"] or ZERO
            node = by_id.get(node.parent_id) if node.parent_id else None
    for row in rows.values():
        row.inicial = row.signed(row.before_debe - row.before_haber)
    has_children = {a.parent_id for a in accounts if a.parent_id}
    shown = [
        rows[a.pk] for a in accounts if (level is None or a.level <= level) and _moved(rows[a.pk])
    ]
    result = Balanza(
        company=company,
        start=start,
        end=end,
        level=level,
        rows=shown,
        max_level=max((a.level for a in accounts), default=1),
    )
    top = [r for r in shown if r.account.level == 1]
    result.debe = sum((r.debe for r in top), ZERO)
    result.haber = sum((r.haber for r in top), ZERO)
    result.leaves = [
        r
        for r in shown
        if r.account.level == level or r.account.pk not in has_children or level == 0
    ]
    return result


def _moved(row: BalanzaRow) -> bool:
    return any((row.before_debe, row.before_haber, row.debe, row.haber))


@dataclass
class AuxiliarLine:
    movement: Movement
    saldo: Decimal


@dataclass
class Auxiliar:
    account: Account
    start: date
    end: date
    inicial: Decimal
    lines: list[AuxiliarLine]
    debe: Decimal
    haber: Decimal
    final: Decimal


def _descendants(account: Account) -> list[int]:
    """The account and every account below it."""
    children: dict[int, list[int]] = defaultdict(list)
    for pk, parent in Account.objects.filter(company_id=account.company_id).values_list(
        "pk", "parent_id"
    ):
        if parent:
            children[parent].append(pk)
    found, stack = [], [account.pk]
    while stack:
        pk = stack.pop()
        found.append(pk)
        stack.extend(children[pk])
    return found


def auxiliar(
    *, viewer: Viewer, company: Company | None, account: Account, start: date, end: date
) -> Auxiliar:
    """An account's (and its sub-accounts') movements of [start, end], with running balance."""
    company = _company_checked(viewer, company)
    if account.company_id != company.pk:
        raise AccountingNotFound()
    ids = _descendants(account)
    scope = Movement.objects.filter(company=company, account_id__in=ids)
    before = scope.filter(fecha__lt=start).aggregate(d=Sum("debe"), h=Sum("haber"))
    sign = Decimal(1) if account.nature == Nature.DEUDORA else Decimal(-1)
    saldo = inicial = sign * ((before["d"] or ZERO) - (before["h"] or ZERO))
    lines, debe, haber = [], ZERO, ZERO
    for movement in (
        scope.filter(fecha__gte=start, fecha__lte=end)
        .select_related("poliza", "account")
        .order_by("fecha", "poliza__tipo", "poliza__number", "line")
    ):
        saldo += sign * (movement.debe - movement.haber)
        debe += movement.debe
        haber += movement.haber
        lines.append(AuxiliarLine(movement, saldo))
    return Auxiliar(account, start, end, inicial, lines, debe, haber, saldo)


def libro_diario(
    *, viewer: Viewer, company: Company | None, start: date, end: date
) -> list[Poliza]:
    """Every póliza of [start, end] with its movements, in date order."""
    return list(_with_movements(polizas_of(viewer=viewer, company=company, start=start, end=end)))


@dataclass
class Section:
    label: str
    rows: list[tuple[Account, Decimal]]
    total: Decimal


@dataclass
class Statement:
    sections: list[Section]
    result: Decimal  # utilidad (pérdida if negative), or activo − (pasivo + capital + resultado)


def _group(code: str) -> str:
    return code[:1]


def estado_de_resultados(
    *, viewer: Viewer, company: Company | None, start: date, end: date
) -> Statement:
    """Income minus costs, expenses and financing of [start, end], from the balanza."""
    level_one = balanza(viewer=viewer, company=company, start=start, end=end, level=1).rows

    def section(label: str, group: str, credit: bool) -> Section:
        rows = [
            (r.account, (r.haber - r.debe) if credit else (r.debe - r.haber))
            for r in level_one
            if _group(r.account.codigo_agrupador) == group and (r.debe or r.haber)
        ]
        return Section(label, rows, sum((amount for _, amount in rows), ZERO))

    ingresos = section(_("Ingresos"), "4", credit=True)
    costos = section(_("Costos"), "5", credit=False)
    gastos = section(_("Gastos"), "6", credit=False)
    financiero = section(_("Resultado integral de financiamiento y otros"), "7", credit=True)
    result = ingresos.total - costos.total - gastos.total + financiero.total
    return Statement([ingresos, costos, gastos, financiero], result)


def balance_general(*, viewer: Viewer, company: Company | None, end: date) -> Statement:
    """Assets, liabilities, equity and the unclosed result at ``end``, from the balanza."""
    rows = balanza(viewer=viewer, company=company, start=end, end=end, level=1).rows

    def section(label: str, groups: Iterable[str], credit: bool) -> Section:
        found = [
            (r.account, r.net_credit if credit else -r.net_credit)
            for r in rows
            if _group(r.account.codigo_agrupador) in groups and r.net_credit
        ]
        return Section(label, found, sum((amount for _, amount in found), ZERO))

    activo = section(_("Activo"), "1", credit=False)
    pasivo = section(_("Pasivo"), "2", credit=True)
    capital = section(_("Capital contable"), "3", credit=True)
    resultado = section(_("Resultado del ejercicio"), "4567", credit=True)
    difference = activo.total - pasivo.total - capital.total - resultado.total
    return Statement([activo, pasivo, capital, resultado], difference)


def balanza_xlsx(report: Balanza) -> bytes:
    """The balanza as an XLSX workbook (numbers as numbers, text always as text)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(_("Balanza")[:31])
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0.00"})
    money_bold = workbook.add_format({"num_format": "#,##0.00", "bold": True})
    title = _("Balanza de comprobación de %(company)s, %(start)s a %(end)s") % {
        "company": report.company.razon_social,
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
    }
    sheet.write_string(0, 0, title, bold)
    header = [
        _("Cuenta"),
        _("Nombre"),
        _("Código agrupador"),
        _("Nivel"),
        _("Naturaleza"),
        _("Saldo inicial"),
        _("Debe"),
        _("Haber"),
        _("Saldo final"),
    ]
    for col, label in enumerate(header):
        sheet.write_string(2, col, label, bold)
    row_number = 3
    for row in report.rows:
        account = row.account
        for col, text in enumerate(
            (account.code, account.name, account.codigo_agrupador, str(account.level))
        ):
            sheet.write_string(row_number, col, text)
        sheet.write_string(row_number, 4, account.nature_label)
        for col, amount in enumerate((row.inicial, row.debe, row.haber, row.final), 5):
            sheet.write_number(row_number, col, float(amount), money)
        row_number += 1
    sheet.write_string(row_number, 0, _("Totales"), bold)
    sheet.write_number(row_number, 6, float(report.debe), money_bold)
    sheet.write_number(row_number, 7, float(report.haber), money_bold)
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, 8, 16)
    workbook.close()
    return buffer.getvalue()


def automatic_count(*, viewer: Viewer, company: Company | None) -> int:
    company = _company_checked(viewer, company)
    return Poliza.objects.filter(company=company).exclude(source=Source.MANUAL).count()
