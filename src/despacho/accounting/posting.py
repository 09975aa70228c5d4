"""Automatic pólizas: each stored CFDI becomes its póliza by the company's posting rules.

What each kind of CFDI posts (amounts in MXN at the CFDI's TipoCambio, to the cent; the
line that carries the base — sales, expenses, payroll — takes the cents so every póliza
balances exactly):

- issued I: customer's sub-account (total) and withholdings the customer made, against
  sales, IVA transferred (collected if PUE, pending if PPD) and IEPS;
- issued E: the same, reversed, on returns on sales;
- received I: expenses and IVA creditable (paid if PUE, pending if PPD) against the
  supplier's sub-account and the withholdings we owe;
- received E: the same, reversed, on returns on purchases;
- P (issued or received): the bank against the customer's (or supplier's) sub-account, and
  for each PPD invoice it pays, the proportional IVA moves from pending to collected (paid);
- issued N: payroll expense against deductions withheld and the bank; received N: the bank
  and the deductions against payroll income;
- T: nothing (a traslado moves goods, not money).

A cancelled CFDI keeps its póliza and gets a reversing one dated when it was cancelled.
Re-running never doubles anything: one póliza and one reversal per CFDI (a unique
constraint), and a CFDI of a closed month is reported, not touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.accounting.models import (
    CENTS,
    Account,
    Movement,
    MovementCfdi,
    Poliza,
    PolizaTipo,
    PostingRules,
    Source,
    month_start,
)
from despacho.accounting.services import (
    CfdiRef,
    Line,
    counterpart_account,
    ledger_lock,
    next_number,
)
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cfdi.models import Cfdi, CfdiRelation, Direction, RelationKind, Status, Tipo
from despacho.cfdi.parsing import CFDI_ZONE
from despacho.people.models import User
from despacho.tenancy.models import Company

ZERO = Decimal(0)
BATCH = 500


def _mxn(amount: Decimal | None, rate: Decimal) -> Decimal:
    return ((amount or ZERO) * rate).quantize(CENTS, rounding=ROUND_HALF_UP)


def _rate(cfdi: Cfdi) -> Decimal:
    if cfdi.moneda in ("", "MXN", "XXX") or not cfdi.tipo_cambio:
        return Decimal(1)
    return cfdi.tipo_cambio


def local_date(moment: datetime) -> date:
    return moment.astimezone(CFDI_ZONE).date()


@dataclass
class Draft:
    """A póliza computed from a CFDI, before it is numbered and written."""

    cfdi: Cfdi
    tipo: str
    fecha: date
    concepto: str
    source: str
    lines: list[Line]


class Accounts:
    """The rules' accounts and the counterparts' sub-accounts, looked up once per batch."""

    def __init__(self, rules: PostingRules) -> None:
        self.rules = rules
        ids = {getattr(rules, f"{f.name}_id") for f in PostingRules._meta.fields if f.is_relation}
        ids.discard(rules.company_id)
        self.by_id = {a.pk: a for a in Account.objects.filter(pk__in=ids)}
        self._subs: dict[tuple[int, str], Account] = {}

    def rule(self, name: str) -> Account:
        return self.by_id[getattr(self.rules, f"{name}_id")]

    def preload(self, cfdis: Iterable[Cfdi]) -> None:
        """Load the batch's counterparts' sub-accounts, creating the missing ones in bulk
        (numbered after their siblings; the caller holds the ledger lock)."""
        wanted: dict[tuple[str, str], str] = {}
        for cfdi in cfdis:
            if cfdi.tipo == Tipo.TRASLADO:
                continue
            if cfdi.direction == Direction.EMITIDO and cfdi.tipo != Tipo.NOMINA:
                wanted.setdefault(("clientes", cfdi.receptor_rfc.upper()), cfdi.receptor_nombre)
            elif cfdi.direction == Direction.RECIBIDO and cfdi.tipo != Tipo.NOMINA:
                wanted.setdefault(("proveedores", cfdi.emisor_rfc.upper()), cfdi.emisor_nombre)
        parents = {rule: self.rule(rule) for rule in ("clientes", "proveedores")}
        for account in Account.objects.filter(
            company_id=self.rules.company_id,
            parent_id__in=[p.pk for p in parents.values()],
            counterpart_rfc__in={key[1] for key in wanted},
        ):
            self._subs[(account.parent_id or 0, account.counterpart_rfc)] = account
        missing = [
            (rule, rfc, name)
            for (rule, rfc), name in wanted.items()
            if (parents[rule].pk, rfc) not in self._subs
        ]
        if not missing:
            return
        used = set(
            Account.objects.filter(company_id=self.rules.company_id).values_list("code", flat=True)
        )
        counters = dict.fromkeys(parents, 0)
        created = []
        for rule, rfc, name in missing:
            parent = parents[rule]
            while True:
                counters[rule] += 1
                code = f"{parent.code}.{counters[rule]:04d}"
                if code not in used:
                    used.add(code)
                    break
            created.append(
                Account(
                    company_id=parent.company_id,
                    code=code,
                    name=(name or rfc)[:400],
                    codigo_agrupador=parent.codigo_agrupador,
                    nature=parent.nature,
                    level=parent.level + 1,
                    parent=parent,
                    counterpart_rfc=rfc,
                )
            )
        for account in Account.objects.bulk_create(created):
            self._subs[(account.parent_id or 0, account.counterpart_rfc)] = account

    def counterpart(self, rule: str, rfc: str, name: str) -> Account:
        parent = self.rule(rule)
        key = (parent.pk, rfc.strip().upper())
        if key not in self._subs:
            self._subs[key] = counterpart_account(parent=parent, rfc=rfc, name=name)
        return self._subs[key]


def _line(account: Account, amount: Decimal, *, debit: bool, refs: tuple[CfdiRef, ...]) -> Line:
    if amount < 0:  # a negative amount is the other column's
        debit, amount = not debit, -amount
    return Line(
        account=account,
        debe=amount if debit else ZERO,
        haber=ZERO if debit else amount,
        cfdis=refs,
    )


def _lines(
    entries: Sequence[tuple[Account, Decimal, bool]], refs: tuple[CfdiRef, ...]
) -> list[Line]:
    return [_line(a, amount, debit=d, refs=refs) for a, amount, d in entries if amount != 0]


def _invoice_lines(cfdi: Cfdi, accounts: Accounts, refs: tuple[CfdiRef, ...]) -> list[Line]:
    """Issued or received I/E: sales or expenses, taxes, the counterpart's sub-account."""
    rate = _rate(cfdi)
    total, iva, ieps = (
        _mxn(cfdi.total, rate),
        _mxn(cfdi.iva_trasladado, rate),
        _mxn(cfdi.ieps_trasladado, rate),
    )
    isr_ret, iva_ret = _mxn(cfdi.isr_retenido, rate), _mxn(cfdi.iva_retenido, rate)
    ppd = cfdi.metodo_pago.upper() == "PPD"
    # The forward entry (an I); an E is the same with every side swapped.
    forward = cfdi.tipo == Tipo.INGRESO
    if cfdi.direction == Direction.EMITIDO:
        customer = accounts.counterpart("clientes", cfdi.receptor_rfc, cfdi.receptor_nombre)
        base = total + isr_ret + iva_ret - iva - ieps
        iva_account = accounts.rule("iva_trasladado_pendiente" if ppd else "iva_trasladado_cobrado")
        entries = [
            (customer, total, forward),
            (accounts.rule("impuestos_retenidos_a_favor"), isr_ret + iva_ret, forward),
            (accounts.rule("ventas" if forward else "devoluciones_ventas"), base, not forward),
            (iva_account, iva, not forward),
            (accounts.rule("ieps_trasladado"), ieps, not forward),
        ]
    else:
        supplier = accounts.counterpart("proveedores", cfdi.emisor_rfc, cfdi.emisor_nombre)
        base = total + isr_ret + iva_ret - iva
        iva_account = accounts.rule(
            "iva_acreditable_pendiente" if ppd else "iva_acreditable_pagado"
        )
        entries = [
            (accounts.rule("gastos" if forward else "devoluciones_compras"), base, forward),
            (iva_account, iva, forward),
            (accounts.rule("isr_retenido"), isr_ret, not forward),
            (accounts.rule("iva_retenido"), iva_ret, not forward),
            (supplier, total, not forward),
        ]
    return _lines(entries, refs)


def _payment_lines(
    cfdi: Cfdi,
    accounts: Accounts,
    refs: tuple[CfdiRef, ...],
    paid: Sequence[tuple[CfdiRelation, Cfdi | None]],
) -> list[Line]:
    """A Pago: the bank and the counterpart, then each PPD invoice's IVA, pending → paid."""
    amount = _mxn(cfdi.pagos_monto, Decimal(1))
    issued = cfdi.direction == Direction.EMITIDO
    if issued:
        counterpart = accounts.counterpart("clientes", cfdi.receptor_rfc, cfdi.receptor_nombre)
    else:
        counterpart = accounts.counterpart("proveedores", cfdi.emisor_rfc, cfdi.emisor_nombre)
    lines = _lines(
        [(accounts.rule("bancos"), amount, issued), (counterpart, amount, not issued)], refs
    )
    pending = accounts.rule("iva_trasladado_pendiente" if issued else "iva_acreditable_pendiente")
    settled = accounts.rule("iva_trasladado_cobrado" if issued else "iva_acreditable_pagado")
    for relation, invoice in paid:
        if invoice is None or invoice.metodo_pago.upper() != "PPD" or not invoice.total:
            continue
        share = (relation.imp_pagado or ZERO) / invoice.total
        moved = _mxn(invoice.iva_trasladado * share, _rate(invoice))
        both = (*refs, CfdiRef.of(invoice))
        lines += _lines([(pending, moved, issued), (settled, moved, not issued)], both)
    return lines


def _payroll_lines(cfdi: Cfdi, accounts: Accounts, refs: tuple[CfdiRef, ...]) -> list[Line]:
    """Nómina: issued, the expense against deductions and the bank; received, the reverse."""
    rate = _rate(cfdi)
    net, deductions = _mxn(cfdi.total, rate), _mxn(cfdi.total_deducciones, rate)
    if cfdi.direction == Direction.EMITIDO:
        entries = [
            (accounts.rule("sueldos"), net + deductions, True),
            (accounts.rule("deducciones_nomina"), deductions, False),
            (accounts.rule("bancos"), net, False),
        ]
    else:
        entries = [
            (accounts.rule("bancos"), net, True),
            (accounts.rule("impuestos_retenidos_a_favor"), deductions, True),
            (accounts.rule("ingresos_nomina"), net + deductions, False),
        ]
    return _lines(entries, refs)


_TIPO_POLIZA: dict[tuple[str, str], str] = {
    (Direction.EMITIDO, Tipo.PAGO): PolizaTipo.INGRESO,
    (Direction.RECIBIDO, Tipo.PAGO): PolizaTipo.EGRESO,
    (Direction.EMITIDO, Tipo.NOMINA): PolizaTipo.EGRESO,
}


def cfdi_draft(
    cfdi: Cfdi, accounts: Accounts, paid: Sequence[tuple[CfdiRelation, Cfdi | None]] = ()
) -> Draft | None:
    """The póliza of one CFDI by the rules; None when it posts nothing (T, zero amounts)."""
    refs = (CfdiRef.of(cfdi),)
    if cfdi.tipo in (Tipo.INGRESO, Tipo.EGRESO):
        lines = _invoice_lines(cfdi, accounts, refs)
    elif cfdi.tipo == Tipo.PAGO:
        lines = _payment_lines(cfdi, accounts, refs, paid)
    elif cfdi.tipo == Tipo.NOMINA:
        lines = _payroll_lines(cfdi, accounts, refs)
    else:
        return None
    if len(lines) < 2:
        return None
    who = cfdi.counterpart_nombre or cfdi.counterpart_rfc
    concepto = f"{cfdi.tipo_label} {cfdi.serie}{cfdi.folio} {who}".replace("  ", " ").strip()
    return Draft(
        cfdi=cfdi,
        tipo=_TIPO_POLIZA.get((cfdi.direction, cfdi.tipo), PolizaTipo.DIARIO),
        fecha=local_date(cfdi.fecha),
        concepto=concepto[:300],
        source=Source.CFDI,
        lines=lines,
    )


def reversal_draft(original: Poliza, cfdi: Cfdi, on: date) -> Draft:
    """The póliza that undoes ``original`` (same accounts, sides swapped), dated ``on``."""
    lines = [
        Line(
            account=m.account,
            debe=m.haber,
            haber=m.debe,
            concepto=m.concepto,
            cfdis=tuple(
                CfdiRef(str(c.uuid), c.rfc, c.monto_total, c.moneda, c.tipo_cambio)
                for c in m.cfdis.all()
            ),
        )
        for m in original.movements.select_related("account").prefetch_related("cfdis")
    ]
    return Draft(
        cfdi=cfdi,
        tipo=original.tipo,
        fecha=on,
        concepto=(_("Cancelación: %(concepto)s") % {"concepto": original.concepto})[:300],
        source=Source.REVERSAL,
        lines=lines,
    )


@dataclass
class PostingSummary:
    """What one run did: pólizas written, reversals, CFDIs of closed months left alone."""

    posted: int = 0
    reversed: int = 0
    unchanged: int = 0
    closed: list[str] = field(default_factory=list)  # UUIDs left alone: their month is closed


def _write(company_id: int, drafts: list[Draft]) -> None:
    """Number and insert the drafts, their movements and CFDIs, in bulk."""
    numbers: dict[tuple[str, date], int] = {}
    polizas = []
    for draft in drafts:
        key = (draft.tipo, month_start(draft.fecha))
        if key not in numbers:
            numbers[key] = next_number(company_id, draft.tipo, draft.fecha) - 1
        numbers[key] += 1
        poliza = Poliza(
            company_id=company_id,
            tipo=draft.tipo,
            number=numbers[key],
            fecha=draft.fecha,
            concepto=draft.concepto,
            source=draft.source,
            cfdi=draft.cfdi,
        )
        poliza.balance_id = poliza.key
        polizas.append(poliza)
    Poliza.objects.bulk_create(polizas)
    movements = []
    refs: list[tuple[Movement, CfdiRef]] = []
    for poliza, draft in zip(polizas, drafts, strict=True):
        for number, line in enumerate(draft.lines, 1):
            movement = Movement(
                poliza=poliza,
                company_id=company_id,
                fecha=poliza.fecha,
                line=number,
                account=line.account,
                concepto=(line.concepto or poliza.concepto)[:300],
                debe=line.debe,
                haber=line.haber,
            )
            movements.append(movement)
            refs += [(movement, ref) for ref in dict.fromkeys(line.cfdis)]
    Movement.objects.bulk_create(movements, batch_size=2000)
    MovementCfdi.objects.bulk_create(
        [
            MovementCfdi(
                movement=movement,
                uuid=ref.uuid,
                rfc=ref.rfc,
                monto_total=ref.monto_total,
                moneda=ref.moneda,
                tipo_cambio=ref.tipo_cambio,
            )
            for movement, ref in refs
        ],
        batch_size=2000,
    )


def _cancelled_on(cfdi: Cfdi) -> date:
    return local_date(cfdi.sat_cancelled_at or timezone.now())


def _closed_months(company_id: int) -> set[date]:
    from despacho.accounting.models import ClosedPeriod

    return set(ClosedPeriod.objects.filter(company_id=company_id).values_list("month", flat=True))


def cfdis_post(*, company: Company | int, cfdi_ids: Iterable[int]) -> PostingSummary:
    """Post the pólizas (and reversals of cancelled ones) of these CFDIs of the company.

    Idempotent; a company without a chart posts nothing. Batches of BATCH CFDIs, each in
    its own transaction under the company's ledger lock.
    """
    company_id = company if isinstance(company, int) else company.pk
    summary = PostingSummary()
    ids = sorted(set(cfdi_ids))
    if not PostingRules.objects.filter(company_id=company_id).exists():
        return summary
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            _post_batch(company_id, ids[start : start + BATCH], summary)
    return summary


def _post_batch(company_id: int, ids: list[int], summary: PostingSummary) -> None:
    rules = ledger_lock(company_id)
    closed = _closed_months(company_id)
    cfdis = list(Cfdi.objects.filter(company_id=company_id, pk__in=ids).order_by("fecha", "pk"))
    existing: dict[tuple[int, str], Poliza] = {
        (p.cfdi_id or 0, p.source): p
        for p in Poliza.objects.filter(company_id=company_id, cfdi_id__in=ids)
    }
    accounts = Accounts(rules)
    accounts.preload(cfdis)
    payments = _payments_of(company_id, [c for c in cfdis if c.tipo == Tipo.PAGO])
    drafts: list[Draft] = []
    for cfdi in cfdis:
        original = existing.get((cfdi.pk, Source.CFDI))
        if original is None:
            draft = cfdi_draft(cfdi, accounts, payments.get(cfdi.pk, ()))
            if draft is not None:
                if month_start(draft.fecha) in closed:
                    summary.closed.append(str(cfdi.uuid))
                    continue
                drafts.append(draft)
                summary.posted += 1
        else:
            summary.unchanged += 1
        if cfdi.status == Status.CANCELADO and (cfdi.pk, Source.REVERSAL) not in existing:
            on = _cancelled_on(cfdi)
            if month_start(on) in closed:
                summary.closed.append(str(cfdi.uuid))
            elif original is not None:
                drafts.append(reversal_draft(original, cfdi, on))
                summary.reversed += 1
            elif drafts and drafts[-1].cfdi is cfdi and drafts[-1].source == Source.CFDI:
                undo = drafts[-1]
                drafts.append(
                    Draft(
                        cfdi=cfdi,
                        tipo=undo.tipo,
                        fecha=on,
                        concepto=(_("Cancelación: %(concepto)s") % {"concepto": undo.concepto})[
                            :300
                        ],
                        source=Source.REVERSAL,
                        lines=[
                            Line(line.account, line.haber, line.debe, line.concepto, line.cfdis)
                            for line in undo.lines
                        ],
                    )
                )
                summary.reversed += 1
    if drafts:
        _write(company_id, drafts)


def _payments_of(
    company_id: int, pagos: list[Cfdi]
) -> dict[int, list[tuple[CfdiRelation, Cfdi | None]]]:
    """For each Pago, the invoices it pays (the company's own copy, when it has it)."""
    if not pagos:
        return {}
    relations = list(
        CfdiRelation.objects.filter(
            company_id=company_id, cfdi__in=pagos, kind=RelationKind.PAGO
        ).order_by("pk")
    )
    invoices = {
        c.uuid: c
        for c in Cfdi.objects.filter(
            company_id=company_id, uuid__in={r.related_uuid for r in relations}
        )
    }
    found: dict[int, list[tuple[CfdiRelation, Cfdi | None]]] = defaultdict(list)
    for relation in relations:
        found[relation.cfdi_id].append((relation, invoices.get(relation.related_uuid)))
    return found


def period_bounds(month: date) -> tuple[datetime, datetime]:
    """The month as aware datetimes in Mexico City: [start, end)."""
    start = month_start(month)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return (
        datetime(start.year, start.month, 1, tzinfo=CFDI_ZONE),
        datetime(end.year, end.month, 1, tzinfo=CFDI_ZONE),
    )


def period_regenerate(*, company: Company, actor: User | None, month: date) -> PostingSummary:
    """Rebuild the automatic pólizas dated in an open month with the current rules, and
    post every CFDI of that month (captured pólizas are left as they are)."""
    from despacho.accounting.services import _closed_error, period_is_closed

    month = month_start(month)
    start, end = period_bounds(month)
    with transaction.atomic():
        ledger_lock(company)
        if period_is_closed(company, month):
            raise _closed_error(month)
        end_day = local_date(end)
        automatic = Poliza.objects.filter(
            company=company,
            fecha__gte=month,
            fecha__lt=end_day,
            source__in=[Source.CFDI, Source.REVERSAL],
        )
        touched = set(automatic.values_list("cfdi_id", flat=True))
        automatic.delete()
        of_month = set(
            Cfdi.objects.filter(company=company, fecha__gte=start, fecha__lt=end).values_list(
                "pk", flat=True
            )
        )
        summary = cfdis_post(company=company, cfdi_ids=of_month | {i for i in touched if i})
        audit_record(
            actor=actor,
            action=Action.ACCOUNTING_POLIZAS_GENERATED,
            account=company.account,
            company=company,
            target=company,
            after={
                "month": month.strftime("%Y-%m"),
                "posted": summary.posted,
                "reversed": summary.reversed,
            },
        )
    return summary
