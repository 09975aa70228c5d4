"""Treasury's reads, always scoped: the viewer must hold Tesorería on the company, and a
matched CFDI is shown only to whoever holds its category's permission (a treasurer without
Nómina sees the period's payroll as one amount, never the documents)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from despacho.access.catalog import Perm
from despacho.access.decisions import can
from despacho.cfdi.models import Category, Cfdi, Direction, Status, Tipo
from despacho.cfdi.parsing import CFDI_ZONE
from despacho.cfdi.selectors import (
    AMOUNT,
    AMOUNT_MONEDA,
    CfdiFilters,
    categories_visible,
    cfdi_list,
)
from despacho.errors import NotFound
from despacho.people.models import Viewer
from despacho.tenancy.models import Company
from despacho.treasury.matching import WINDOW_AFTER, WINDOW_BEFORE, CfdiRow, MovementRow
from despacho.treasury.models import (
    BankAccount,
    ColumnMapping,
    Match,
    MatchCfdi,
    MatchMovement,
    MatchStatus,
    Movement,
    Statement,
)


def _opens(viewer: Viewer, company: Company | None) -> Company:
    if company is None or not can(viewer, company, Perm.TESORERIA):
        raise NotFound()
    return company


def accounts_of(*, viewer: Viewer, company: Company | None) -> QuerySet[BankAccount]:
    """The company's bank accounts; NotFound without Tesorería."""
    return BankAccount.objects.filter(company=_opens(viewer, company)).order_by("bank_code", "pk")


def account_for(*, viewer: Viewer, company: Company | None, account_id: int | str) -> BankAccount:
    """One of the company's accounts; another's (or none) is NotFound alike."""
    try:
        return accounts_of(viewer=viewer, company=company).get(pk=int(account_id))
    except (BankAccount.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def mappings_of(*, viewer: Viewer, company: Company | None) -> QuerySet[ColumnMapping]:
    return ColumnMapping.objects.filter(company=_opens(viewer, company)).order_by("name")


def mapping_for(*, viewer: Viewer, company: Company | None, mapping_id: int | str) -> ColumnMapping:
    try:
        return mappings_of(viewer=viewer, company=company).get(pk=int(mapping_id))
    except (ColumnMapping.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def statements_of(*, viewer: Viewer, account: BankAccount) -> QuerySet[Statement]:
    _opens(viewer, account.company)
    return Statement.objects.filter(account=account).order_by("-period_end", "-pk")


def movements_of(
    *, viewer: Viewer, account: BankAccount, pending_only: bool = False
) -> QuerySet[Movement]:
    _opens(viewer, account.company)
    qs = Movement.objects.filter(account=account)
    if pending_only:
        qs = qs.filter(reconciled=False)
    return qs.order_by("-date", "-pk")


def pending_movements(*, viewer: Viewer, company: Company | None) -> QuerySet[Movement]:
    """Movements of every account of the company that no confirmed match explains."""
    company = _opens(viewer, company)
    return (
        Movement.objects.filter(company=company, reconciled=False)
        .select_related("account")
        .order_by("-date", "-pk")
    )


def movement_for(*, viewer: Viewer, company: Company | None, movement_id: int | str) -> Movement:
    try:
        return (
            Movement.objects.select_related("account")
            .filter(company=_opens(viewer, company))
            .get(pk=int(movement_id))
        )
    except (Movement.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def match_for(*, viewer: Viewer, company: Company | None, match_id: int | str) -> Match:
    try:
        return Match.objects.filter(company=_opens(viewer, company)).get(pk=int(match_id))
    except (Match.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


# --- what the engine reads --------------------------------------------------------------

_KINDS: dict[tuple[str, str], tuple[int, str]] = {
    (Direction.EMITIDO, Tipo.INGRESO): (1, "invoice"),
    (Direction.EMITIDO, Tipo.PAGO): (1, "payment"),
    (Direction.RECIBIDO, Tipo.EGRESO): (1, "credit_note"),
    (Direction.RECIBIDO, Tipo.INGRESO): (-1, "invoice"),
    (Direction.RECIBIDO, Tipo.PAGO): (-1, "payment"),
    (Direction.EMITIDO, Tipo.EGRESO): (-1, "credit_note"),
    (Direction.EMITIDO, Tipo.NOMINA): (-1, "payroll"),
}
_FIELDS = (
    "pk", "uuid", "direction", "tipo", "fecha", "amount_", "amount_moneda_", "metodo_pago",
    "emisor_rfc", "emisor_nombre", "receptor_rfc", "receptor_nombre", "serie", "folio",
)  # fmt: skip


def reconcilable_cfdis(
    *, viewer: Viewer, company: Company, currency: str, since: date, until: date
) -> list[CfdiRow]:
    """The CFDIs a bank movement may pay, as the engine's rows: PUE invoices, payment
    complements and credit notes the viewer may see (through the repository's scoped
    list), and the payroll the company issued. Cancelled and already-reconciled CFDIs
    and PPD invoices (paid through their complements) are left out."""
    first, last = since - timedelta(days=WINDOW_AFTER), until + timedelta(days=WINDOW_BEFORE)
    filters = CfdiFilters(since=first, until=last)
    reconciled = MatchCfdi.objects.filter(cfdi=OuterRef("pk"), confirmed=True)
    rows: list[CfdiRow] = []
    for category in categories_visible(viewer=viewer, company=company):
        qs = cfdi_list(viewer=viewer, company=company, category=category, filters=filters)
        rows.extend(_rows(qs, reconciled, currency))
    if not can(viewer, company, Perm.NOMINA):
        # A treasurer without Nómina still reconciles the payroll's total: the engine
        # reads its documents' amounts, the pages show only the period's sum.
        qs = Cfdi.objects.filter(
            company=company,
            category=Category.NOMINA,
            fecha__gte=datetime.combine(first, time.min, tzinfo=CFDI_ZONE),
            fecha__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=CFDI_ZONE),
        )
        rows.extend(_rows(qs, reconciled, currency))
    return rows


def _rows(qs: QuerySet[Cfdi], reconciled: Any, currency: str) -> list[CfdiRow]:
    values = (
        qs.order_by()
        .exclude(status=Status.CANCELADO)
        .exclude(tipo=Tipo.TRASLADO)
        .exclude(Q(tipo=Tipo.INGRESO) & Q(metodo_pago="PPD"))
        .exclude(Exists(reconciled))
        .annotate(amount_=AMOUNT, amount_moneda_=AMOUNT_MONEDA)
        .values_list(*_FIELDS)
    )
    out = []
    for (pk, uuid, direction, tipo, fecha, amount, moneda, _metodo, e_rfc, e_name, r_rfc,
         r_name, serie, folio) in values:  # fmt: skip
        side_kind = _KINDS.get((direction, tipo))
        if side_kind is None or (moneda or "MXN") != currency or not amount:
            continue
        emitted = direction == Direction.EMITIDO
        out.append(
            CfdiRow(
                id=pk,
                uuid=str(uuid),
                side=side_kind[0],
                kind=side_kind[1],
                fecha=fecha.astimezone(CFDI_ZONE).date(),
                amount=Decimal(amount).quantize(Decimal("0.01")),
                rfc=r_rfc if emitted else e_rfc,
                name=r_name if emitted else e_name,
                serie=serie,
                folio=folio,
            )
        )
    return out


def movement_rows(movements: QuerySet[Movement]) -> list[MovementRow]:
    return [
        MovementRow(id=pk, date=day, amount=amount, text=f"{description} {reference}")
        for pk, day, amount, description, reference in movements.values_list(
            "pk", "date", "amount", "description", "reference"
        )
    ]


# --- what the pages show ----------------------------------------------------------------


@dataclass(frozen=True)
class CfdiShown:
    """A matched CFDI as the viewer may see it: the document, or a closed category's sum."""

    cfdi: Cfdi | None
    label: str
    amount: Decimal


@dataclass(frozen=True)
class MatchView:
    match: Match
    movements: list[Movement]
    cfdis: list[CfdiShown]


def match_views(
    *, viewer: Viewer, company: Company | None, matches: list[Match]
) -> list[MatchView]:
    """Matches with their movements and the CFDIs the viewer may see; the documents of a
    category the viewer does not open become one line with their sum."""
    from django.utils.translation import gettext as _

    company = _opens(viewer, company)
    visible = set(categories_visible(viewer=viewer, company=company))
    ids = [m.pk for m in matches]
    links_m: dict[int, list[Movement]] = defaultdict(list)
    for link in (
        MatchMovement.objects.filter(match_id__in=ids)
        .select_related("movement", "movement__account")
        .order_by("movement__date", "movement_id")
    ):
        links_m[link.match_id].append(link.movement)
    shown: dict[int, list[CfdiShown]] = defaultdict(list)
    hidden: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for cfdi_link in (
        MatchCfdi.objects.filter(match_id__in=ids).select_related("cfdi").order_by("cfdi__fecha")
    ):
        key = (cfdi_link.match_id, cfdi_link.category)
        if cfdi_link.category in visible:
            cfdi = cfdi_link.cfdi
            shown[cfdi_link.match_id].append(CfdiShown(cfdi, cfdi.audit_label, cfdi_link.amount))
        else:
            hidden[key] += cfdi_link.amount
    for (match_id, category), amount in hidden.items():
        label = _("Nómina del periodo") if category == Category.NOMINA else _("Otros CFDI")
        shown[match_id].append(CfdiShown(None, label, amount))
    return [MatchView(m, links_m[m.pk], shown[m.pk]) for m in matches]


def matches_of(*, viewer: Viewer, company: Company | None, status: str) -> QuerySet[Match]:
    company = _opens(viewer, company)
    return Match.objects.filter(company=company, status=status).order_by("-score", "-pk")


def differences(*, viewer: Viewer, company: Company | None) -> QuerySet[Match]:
    """Confirmed matches where the bank moved another amount than the CFDIs say."""
    return matches_of(viewer=viewer, company=company, status=MatchStatus.CONFIRMED).exclude(
        movements_total=F("cfdis_total")
    )


def paid_not_seen(
    *, viewer: Viewer, company: Company | None, older_than_days: int = 5
) -> list[Cfdi]:
    """PUE invoices and payment complements the viewer may see, dated within the period
    the statements cover (and at least some days old), that no confirmed match explains."""
    company = _opens(viewer, company)
    covered = Statement.objects.filter(company=company).aggregate(
        start=Min("period_start"), end=Max("period_end")
    )
    if covered["start"] is None:
        return []
    last = min(covered["end"], date.today() - timedelta(days=older_than_days))
    reconciled = MatchCfdi.objects.filter(cfdi=OuterRef("pk"), confirmed=True)
    found: list[Cfdi] = []
    for category in categories_visible(viewer=viewer, company=company):
        if category == Category.NOMINA:
            continue
        qs = cfdi_list(
            viewer=viewer,
            company=company,
            category=category,
            filters=CfdiFilters(since=covered["start"], until=last),
        )
        found.extend(
            qs.exclude(status=Status.CANCELADO)
            .filter(Q(tipo=Tipo.PAGO) | (Q(tipo=Tipo.INGRESO) & ~Q(metodo_pago="PPD")))
            .exclude(Exists(reconciled))[:200]
        )
    return sorted(found, key=lambda c: c.fecha, reverse=True)


# --- charts -----------------------------------------------------------------------------


def balance_series(*, viewer: Viewer, account: BankAccount) -> list[tuple[date, Decimal]]:
    """The account's balance at the end of each day something moved."""
    _opens(viewer, account.company)
    balance = account.opening_balance
    series = [(account.opening_date, balance)]
    for day, moved in (
        Movement.objects.filter(account=account)
        .values_list("date")
        .annotate(s=Sum("amount"))
        .order_by("date")
    ):
        balance += moved
        series.append((day, balance))
    return series


def reconciled_by_month(*, viewer: Viewer, company: Company | None) -> list[tuple[date, int, int]]:
    """(month, reconciled movements, pending movements), oldest first."""
    company = _opens(viewer, company)
    rows = (
        Movement.objects.filter(company=company)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(done=Count("pk", filter=Q(reconciled=True)), total=Count("pk"))
        .order_by("month")
    )
    return [(row["month"], row["done"], row["total"] - row["done"]) for row in rows]


def account_balance_now(account: BankAccount) -> Decimal:
    """Opening balance plus every movement imported (the caller has opened the account)."""
    moved = Movement.objects.filter(account=account).aggregate(s=Sum("amount"))["s"]
    return account.opening_balance + (moved or Decimal("0"))
