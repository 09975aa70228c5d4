"""Every write of accounting: the chart, its accounts, pólizas, posting rules, closed months.

Each service validates with Spanish messages that name the field and the rule, writes in
one transaction with its audit event, and leaves to the database (migration 0002) the last
word on balance and closed months.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.accounting.chart import (
    DEFAULT_RULES,
    agrupador_exists,
    default_chart,
    nature_for,
)
from despacho.accounting.models import (
    CENTS,
    Account,
    ClosedPeriod,
    Movement,
    MovementCfdi,
    Nature,
    Poliza,
    PolizaTipo,
    PostingRules,
    Source,
    month_start,
)
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cfdi.models import Cfdi
from despacho.people.models import User
from despacho.tenancy.models import Company

RULE_FIELDS = tuple(DEFAULT_RULES)


@dataclass(frozen=True)
class CfdiRef:
    """A CFDI a movement is backed by (SAT's CompNal)."""

    uuid: str
    rfc: str
    monto_total: Decimal
    moneda: str = "MXN"
    tipo_cambio: Decimal | None = None

    @classmethod
    def of(cls, cfdi: Cfdi) -> CfdiRef:
        return cls(
            uuid=str(cfdi.uuid),
            rfc=cfdi.counterpart_rfc,
            monto_total=cfdi.amount.quantize(CENTS),
            moneda=cfdi.amount_moneda or "MXN",
            tipo_cambio=cfdi.tipo_cambio if cfdi.pagos_monto is None else None,
        )


@dataclass(frozen=True)
class Line:
    """One movement to write: an account charged (debe) or credited (haber)."""

    account: Account
    debe: Decimal = Decimal(0)
    haber: Decimal = Decimal(0)
    concepto: str = ""
    cfdis: tuple[CfdiRef, ...] = field(default_factory=tuple)


def field_error(name: str, message: str, code: str) -> ValidationError:
    """A refusal of one field, with its code (what forms and the API show by field)."""
    return ValidationError({name: ValidationError(message, code=code)})


# --- the chart -------------------------------------------------------------------------------


def chart_exists(company: Company) -> bool:
    return PostingRules.objects.filter(company=company).exists()


def chart_create_default(*, company: Company, actor: User | None) -> PostingRules:
    """Create the company's default chart (persona moral or física) and its posting rules.

    Refused when the company already has a chart.
    """
    with transaction.atomic():
        Company.objects.select_for_update().filter(pk=company.pk).first()
        if chart_exists(company) or Account.objects.filter(company=company).exists():
            raise ValidationError(
                _("La empresa ya tiene su catálogo de cuentas."), code="chart_exists"
            )
        by_code: dict[str, Account] = {}
        for entry in default_chart(company.persona):
            parent = by_code.get(entry.parent)
            by_code[entry.code] = Account.objects.create(
                company=company,
                code=entry.code,
                name=entry.name,
                codigo_agrupador=entry.code,
                nature=nature_for(entry.code),
                level=1 if parent is None else parent.level + 1,
                parent=parent,
            )
        rules = PostingRules.objects.create(
            company=company,
            **{name: by_code[code] for name, code in DEFAULT_RULES.items()},
        )
        audit_record(
            actor=actor,
            action=Action.ACCOUNTING_CHART_CREATED,
            account=company.account,
            company=company,
            target=rules,
            after={"count": len(by_code), "persona": str(company.persona)},
        )
    return rules


def _require_chart(company: Company) -> PostingRules:
    rules = PostingRules.objects.filter(company=company).first()
    if rules is None:
        raise ValidationError(
            _("Primero crea el catálogo de cuentas de la empresa."), code="no_chart"
        )
    return rules


def _account_fields_checked(
    *, code: str, name: str, codigo_agrupador: str, nature: str
) -> dict[str, list[ValidationError]]:
    errors: dict[str, list[ValidationError]] = {}
    if not code.strip():
        errors["code"] = [ValidationError(_("Número de cuenta: es obligatorio."), code="required")]
    if not name.strip():
        errors["name"] = [ValidationError(_("Nombre: es obligatorio."), code="required")]
    if not agrupador_exists(codigo_agrupador):
        errors["codigo_agrupador"] = [
            ValidationError(
                _("Código agrupador: «%(code)s» no está en el catálogo del SAT (Anexo 24).")
                % {"code": codigo_agrupador},
                code="agrupador_unknown",
            )
        ]
    if nature not in Nature.values:
        errors["nature"] = [
            ValidationError(_("Naturaleza: debe ser deudora o acreedora."), code="nature")
        ]
    return errors


def account_create(
    *,
    company: Company,
    actor: User | None,
    code: str,
    name: str,
    codigo_agrupador: str,
    nature: str,
    parent: Account | None,
) -> Account:
    """Add an account to the company's chart; its level follows from its parent."""
    code, name, codigo_agrupador = code.strip(), name.strip(), codigo_agrupador.strip()
    errors = _account_fields_checked(
        code=code, name=name, codigo_agrupador=codigo_agrupador, nature=nature
    )
    if parent is not None and parent.company_id != company.pk:
        errors["parent"] = [ValidationError(_("Cuenta padre: no existe."), code="not_found")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _require_chart(company)
        if parent is not None and parent.movements.exists():
            raise field_error(
                "parent",
                _(
                    "Cuenta padre: ya tiene movimientos; una cuenta con movimientos no "
                    "puede tener subcuentas."
                ),
                "parent_has_movements",
            )
        if Account.objects.filter(company=company, code=code).exists():
            raise field_error(
                "code", _("Número de cuenta: ya existe %(code)s.") % {"code": code}, "duplicate"
            )
        account = Account.objects.create(
            company=company,
            code=code,
            name=name,
            codigo_agrupador=codigo_agrupador,
            nature=nature,
            level=1 if parent is None else parent.level + 1,
            parent=parent,
        )
        audit_record(
            actor=actor,
            action=Action.ACCOUNTING_ACCOUNT_CREATED,
            account=company.account,
            company=company,
            target=account,
            after=_account_snapshot(account),
        )
    return account


def _account_snapshot(account: Account) -> dict[str, Any]:
    return {
        "account_code": account.code,
        "name": account.name,
        "codigo_agrupador": account.codigo_agrupador,
        "nature": account.nature,
        "is_active": account.is_active,
    }


def account_update(
    *,
    account: Account,
    actor: User | None,
    name: str,
    codigo_agrupador: str,
    nature: str,
    is_active: bool,
) -> Account:
    """Rename an account, change its código agrupador, nature or whether it takes movements."""
    name, codigo_agrupador = name.strip(), codigo_agrupador.strip()
    errors = _account_fields_checked(
        code=account.code, name=name, codigo_agrupador=codigo_agrupador, nature=nature
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = _account_snapshot(account)
        account.name, account.codigo_agrupador = name, codigo_agrupador
        account.nature, account.is_active = nature, is_active
        account.save(update_fields=["name", "codigo_agrupador", "nature", "is_active"])
        after = _account_snapshot(account)
        changed = {k for k in after if after[k] != before[k]}
        if changed:
            audit_record(
                actor=actor,
                action=Action.ACCOUNTING_ACCOUNT_UPDATED,
                account=account.company.account,
                company=account.company,
                target=account,
                before={k: before[k] for k in changed},
                after={k: after[k] for k in changed},
            )
    return account


def counterpart_account(*, parent: Account, rfc: str, name: str) -> Account:
    """The sub-account of ``parent`` for a customer's or supplier's RFC, created when first
    needed (numbered after its siblings). Runs inside the caller's transaction."""
    rfc = rfc.strip().upper()
    found = Account.objects.filter(
        company_id=parent.company_id, parent=parent, counterpart_rfc=rfc
    ).first()
    if found is not None:
        return found
    siblings = Account.objects.filter(company_id=parent.company_id, parent=parent).count()
    for attempt in range(1, 50):
        code = f"{parent.code}.{siblings + attempt:04d}"
        try:
            with transaction.atomic():
                return Account.objects.create(
                    company_id=parent.company_id,
                    code=code,
                    name=(name or rfc)[:400],
                    codigo_agrupador=parent.codigo_agrupador,
                    nature=parent.nature,
                    level=parent.level + 1,
                    parent=parent,
                    counterpart_rfc=rfc,
                )
        except IntegrityError:
            found = Account.objects.filter(
                company_id=parent.company_id, parent=parent, counterpart_rfc=rfc
            ).first()
            if found is not None:
                return found
    raise ValidationError(_("No se pudo numerar la subcuenta de %(rfc)s.") % {"rfc": rfc})


def rules_update(*, company: Company, actor: User | None, accounts: dict[str, Account]) -> None:
    """Point the posting rules at other accounts of the company's chart."""
    errors: dict[str, list[ValidationError]] = {}
    for name, account in accounts.items():
        if name not in RULE_FIELDS:
            raise ValueError(name)
        if account.company_id != company.pk:
            errors[name] = [ValidationError(_("La cuenta no existe."), code="not_found")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rules = PostingRules.objects.select_for_update().filter(company=company).first()
        if rules is None:
            raise ValidationError(
                _("Primero crea el catálogo de cuentas de la empresa."), code="no_chart"
            )
        before = {name: getattr(rules, f"{name}_id") for name in accounts}
        for name, account in accounts.items():
            setattr(rules, name, account)
        rules.save()
        changed = {n for n, a in accounts.items() if before[n] != a.pk}
        if changed:
            labels = {a.pk: a.code for a in Account.objects.filter(pk__in=before.values())}
            audit_record(
                actor=actor,
                action=Action.ACCOUNTING_RULES_UPDATED,
                account=company.account,
                company=company,
                target=rules,
                before={"rules": _rules_text({n: labels.get(before[n], "") for n in changed})},
                after={"rules": _rules_text({n: accounts[n].code for n in changed})},
            )


def _rules_text(codes: dict[str, str]) -> str:
    """«ventas: 401.01; bancos: 102.01», each rule by its Spanish label."""
    labels = {f.name: str(f.verbose_name) for f in PostingRules._meta.fields}
    return "; ".join(f"{labels[name]}: {code}" for name, code in sorted(codes.items()))


# --- pólizas ---------------------------------------------------------------------------------


def period_is_closed(company: Company | int, day: date) -> bool:
    company_id = company if isinstance(company, int) else company.pk
    return ClosedPeriod.objects.filter(company_id=company_id, month=month_start(day)).exists()


def _closed_error(day: date) -> ValidationError:
    return field_error(
        "fecha",
        _("Fecha: el periodo %(month)s está cerrado; no admite cambios en pólizas.")
        % {"month": day.strftime("%Y-%m")},
        "period_closed",
    )


def lines_checked(*, company: Company, lines: Sequence[Line]) -> None:
    """The rules every póliza's movements follow, with the line that breaks one."""
    if len(lines) < 2:
        raise ValidationError(
            _("Movimientos: una póliza necesita al menos dos movimientos."), code="too_few"
        )
    parents = set(
        Account.objects.filter(company=company, children__isnull=False).values_list("pk", flat=True)
    )
    for number, line in enumerate(lines, 1):
        where = _("Movimiento %(n)s") % {"n": number}
        for amount in (line.debe, line.haber):
            if amount < 0 or amount != amount.quantize(CENTS):
                raise ValidationError(
                    _("%(where)s: los importes son positivos y con dos decimales como máximo.")
                    % {"where": where},
                    code="amount",
                )
        if (line.debe > 0) == (line.haber > 0):
            raise ValidationError(
                _(
                    "%(where)s: lleva un importe en el debe o en el haber, "
                    "no en ambos ni en ninguno."
                )
                % {"where": where},
                code="debe_xor_haber",
            )
        if line.account.company_id != company.pk:
            raise ValidationError(
                _("%(where)s: la cuenta no existe.") % {"where": where}, code="not_found"
            )
        if not line.account.is_active:
            raise ValidationError(
                _("%(where)s: la cuenta %(code)s está inactiva.")
                % {"where": where, "code": line.account.code},
                code="inactive",
            )
        if line.account.pk in parents:
            raise ValidationError(
                _("%(where)s: la cuenta %(code)s tiene subcuentas; usa una de ellas.")
                % {"where": where, "code": line.account.code},
                code="not_detail",
            )
    debe = sum((line.debe for line in lines), Decimal(0))
    haber = sum((line.haber for line in lines), Decimal(0))
    if debe != haber:
        raise ValidationError(
            _("La póliza no cuadra: debe %(debe)s, haber %(haber)s.")
            % {"debe": f"{debe:,.2f}", "haber": f"{haber:,.2f}"},
            code="unbalanced",
        )


def next_number(company: Company | int, tipo: str, day: date) -> int:
    """The next póliza number of that tipo in the month (caller holds the ledger lock)."""
    company_id = company if isinstance(company, int) else company.pk
    start = month_start(day)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    last = Poliza.objects.filter(
        company_id=company_id, tipo=tipo, fecha__gte=start, fecha__lt=end
    ).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def ledger_lock(company: Company | int) -> PostingRules:
    """Serialise the writers of one company's pólizas (numbering, sub-accounts)."""
    company_id = company if isinstance(company, int) else company.pk
    rules = PostingRules.objects.select_for_update().filter(company_id=company_id).first()
    if rules is None:
        raise ValidationError(
            _("Primero crea el catálogo de cuentas de la empresa."), code="no_chart"
        )
    return rules


def movements_write(poliza: Poliza, lines: Iterable[Line]) -> None:
    """Insert the lines as the póliza's movements with their CFDIs (in bulk)."""
    lines = list(lines)
    rows = Movement.objects.bulk_create(
        [
            Movement(
                poliza=poliza,
                company_id=poliza.company_id,
                fecha=poliza.fecha,
                line=number,
                account=line.account,
                concepto=(line.concepto or poliza.concepto)[:300],
                debe=line.debe,
                haber=line.haber,
            )
            for number, line in enumerate(lines, 1)
        ]
    )
    MovementCfdi.objects.bulk_create(
        [
            MovementCfdi(
                movement=row,
                uuid=ref.uuid,
                rfc=ref.rfc,
                monto_total=ref.monto_total,
                moneda=ref.moneda,
                tipo_cambio=ref.tipo_cambio,
            )
            for row, line in zip(rows, lines, strict=True)
            for ref in dict.fromkeys(line.cfdis)
        ]
    )


def _poliza_snapshot(poliza: Poliza, lines: Sequence[Line]) -> dict[str, Any]:
    return {
        "poliza_tipo": poliza.tipo,
        "fecha": poliza.fecha.isoformat(),
        "concepto": poliza.concepto,
        "total": str(sum((line.debe for line in lines), Decimal(0))),
    }


def _header_checked(*, tipo: str, concepto: str) -> None:
    if tipo not in PolizaTipo.values:
        raise field_error("tipo", _("Tipo: debe ser ingreso, egreso o diario."), "tipo")
    if not concepto.strip():
        raise field_error("concepto", _("Concepto: es obligatorio."), "required")


def poliza_create(
    *,
    company: Company,
    actor: User | None,
    tipo: str,
    fecha: date,
    concepto: str,
    lines: Sequence[Line],
) -> Poliza:
    """Capture a póliza by hand: balanced, on detail accounts, in an open month."""
    _header_checked(tipo=tipo, concepto=concepto)
    lines_checked(company=company, lines=lines)
    with transaction.atomic():
        ledger_lock(company)
        if period_is_closed(company, fecha):
            raise _closed_error(fecha)
        poliza = Poliza(
            company=company,
            tipo=tipo,
            number=next_number(company, tipo, fecha),
            fecha=fecha,
            concepto=concepto.strip()[:300],
            created_by=actor,
        )
        poliza.balance_id = poliza.key
        poliza.save()
        movements_write(poliza, lines)
        audit_record(
            actor=actor,
            action=Action.ACCOUNTING_POLIZA_CREATED,
            account=company.account,
            company=company,
            target=poliza,
            after=_poliza_snapshot(poliza, lines),
        )
    return poliza


def _manual_only(poliza: Poliza) -> None:
    if poliza.source != Source.MANUAL:
        raise ValidationError(
            _(
                "Esta póliza se generó de un CFDI: cambia las reglas y vuelve a generar el "
                "periodo en lugar de editarla."
            ),
            code="automatic",
        )


def poliza_update(
    *,
    poliza: Poliza,
    actor: User | None,
    tipo: str,
    fecha: date,
    concepto: str,
    lines: Sequence[Line],
) -> Poliza:
    """Replace a captured póliza's header and movements (both months must be open)."""
    _manual_only(poliza)
    _header_checked(tipo=tipo, concepto=concepto)
    lines_checked(company=poliza.company, lines=lines)
    with transaction.atomic():
        ledger_lock(poliza.company_id)
        for day in (poliza.fecha, fecha):
            if period_is_closed(poliza.company_id, day):
                raise _closed_error(day)
        before = {
            "poliza_tipo": poliza.tipo,
            "fecha": poliza.fecha.isoformat(),
            "concepto": poliza.concepto,
        }
        poliza.movements.all().delete()
        if (poliza.tipo, month_start(poliza.fecha)) != (tipo, month_start(fecha)):
            poliza.number = next_number(poliza.company_id, tipo, fecha)
        poliza.tipo, poliza.fecha, poliza.concepto = tipo, fecha, concepto.strip()[:300]
        poliza.save(update_fields=["tipo", "fecha", "concepto", "number"])
        movements_write(poliza, lines)
        audit_record(
            actor=actor,
            action=Action.ACCOUNTING_POLIZA_UPDATED,
            account=poliza.company.account,
            company=poliza.company,
            target=poliza,
            before=before,
            after=_poliza_snapshot(poliza, lines),
        )
    return poliza


def poliza_delete(*, poliza: Poliza, actor: User | None) -> None:
    """Delete a captured póliza of an open month."""
    _manual_only(poliza)
    with transaction.atomic():
        ledger_lock(poliza.company_id)
        if period_is_closed(poliza.company_id, poliza.fecha):
            raise _closed_error(poliza.fecha)
        audit_record(
            actor=actor,
            action=Action.ACCOUNTING_POLIZA_DELETED,
            account=poliza.company.account,
            company=poliza.company,
            target=poliza,
            before={"poliza_tipo": poliza.tipo, "fecha": poliza.fecha.isoformat()},
        )
        poliza.delete()


# --- periods ---------------------------------------------------------------------------------


def period_close(*, company: Company, actor: User | None, month: date) -> ClosedPeriod:
    """Close a month: from now on no póliza dated in it may be written, changed or deleted."""
    month = month_start(month)
    with transaction.atomic():
        _require_chart(company)
        if period_is_closed(company, month):
            raise field_error(
                "month",
                _("Mes: %(month)s ya está cerrado.") % {"month": month.strftime("%Y-%m")},
                "already_closed",
            )
        closed = ClosedPeriod.objects.create(
            company=company, month=month, closed_by=actor, closed_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action=Action.ACCOUNTING_PERIOD_CLOSED,
            account=company.account,
            company=company,
            target=closed,
            after={"month": month.strftime("%Y-%m")},
        )
    return closed


def period_reopen(*, company: Company, actor: User | None, month: date, reason: str) -> None:
    """Reopen a closed month, with the reason in the audit trail."""
    month = month_start(month)
    if not reason.strip():
        raise field_error(
            "reason", _("Motivo: es obligatorio para reabrir un periodo."), "required"
        )
    with transaction.atomic():
        closed = ClosedPeriod.objects.select_for_update().filter(company=company, month=month)
        period = closed.first()
        if period is None:
            raise field_error(
                "month",
                _("Mes: %(month)s no está cerrado.") % {"month": month.strftime("%Y-%m")},
                "not_closed",
            )
        audit_record(
            actor=actor,
            action=Action.ACCOUNTING_PERIOD_REOPENED,
            account=company.account,
            company=company,
            target=period,
            before={"month": month.strftime("%Y-%m"), "closed_at": period.closed_at.isoformat()},
            after={"reason": reason.strip()[:500]},
        )
        period.delete()
