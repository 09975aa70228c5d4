"""Treasury's writes: bank accounts and statement imports. Every one needs Tesorería on
the company, runs in one transaction and writes its audit event. Reconciliation's writes
are in ``reconciliation.py``."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm
from despacho.access.decisions import can, explain
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.people.models import User
from despacho.satcatalogs import Catalog, exists
from despacho.tenancy.models import Company
from despacho.treasury.clabe import clabe_is_valid
from despacho.treasury.models import BankAccount, ColumnMapping, Movement, Statement
from despacho.treasury.statements import BankLayout, ParsedLine, ParsedStatement, parse_statement


def require_tesoreria(actor: User, company: Company) -> None:
    """PermissionDenied naming why, unless the actor holds Tesorería on the company."""
    if not can(actor, company, Perm.TESORERIA):
        explanation = explain(actor, company, Perm.TESORERIA)
        raise PermissionDenied(" ".join(str(r.message) for r in explanation.reasons))


def bank_account_create(
    *,
    company: Company,
    actor: User,
    bank_code: str,
    number: str,
    clabe: str = "",
    currency: str = "MXN",
    opening_balance: Decimal,
    opening_date: date,
    name: str = "",
) -> BankAccount:
    """Register a bank account; every broken rule is a ValidationError on its field."""
    require_tesoreria(actor, company)
    bank_code, number, clabe = bank_code.strip(), number.strip(), clabe.strip()
    currency = currency.strip().upper()
    errors: dict[str, ValidationError] = {}
    if not exists(Catalog.BANCO, bank_code):
        errors["bank_code"] = ValidationError(
            _("El banco no está en el catálogo del SAT (c_Banco)."), code="unknown_bank"
        )
    if not (number.isascii() and number.isdigit() and 4 <= len(number) <= 20):
        errors["number"] = ValidationError(
            _("El número de cuenta lleva de 4 a 20 dígitos."), code="number_format"
        )
    if clabe:
        if not (len(clabe) == 18 and clabe.isascii() and clabe.isdigit()):
            errors["clabe"] = ValidationError(_("La CLABE lleva 18 dígitos."), code="clabe_format")
        elif not clabe_is_valid(clabe):
            errors["clabe"] = ValidationError(
                _("El dígito verificador de la CLABE no corresponde."), code="clabe_check_digit"
            )
        elif clabe[:3] != bank_code:
            errors["clabe"] = ValidationError(
                _("La CLABE empieza con %(prefix)s, que no es el banco elegido (%(bank)s).")
                % {"prefix": clabe[:3], "bank": bank_code},
                code="clabe_bank_mismatch",
            )
    if not exists(Catalog.MONEDA, currency):
        errors["currency"] = ValidationError(
            _("La moneda no está en el catálogo del SAT."), code="unknown_currency"
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if BankAccount.objects.filter(company=company, bank_code=bank_code, number=number).exists():
            raise ValidationError(
                {"number": _("La empresa ya tiene esta cuenta en ese banco.")}, code="duplicate"
            )
        if clabe and BankAccount.objects.filter(company=company, clabe=clabe).exists():
            raise ValidationError({"clabe": _("La empresa ya tiene una cuenta con esta CLABE.")})
        account = BankAccount.objects.create(
            company=company,
            bank_code=bank_code,
            name=name.strip()[:80],
            number=number,
            clabe=clabe,
            currency=currency,
            opening_balance=opening_balance.quantize(Decimal("0.01")),
            opening_date=opening_date,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=Action.BANK_ACCOUNT_CREATED,
            account=company.account,
            company=company,
            target=account,
            after={
                "bank": account.bank_name,
                "account_number": number,
                "clabe": clabe,
                "currency": currency,
                "opening_balance": str(account.opening_balance),
                "opening_date": opening_date.isoformat(),
            },
        )
    return account


def column_mapping_save(
    *,
    company: Company,
    actor: User,
    name: str,
    date_column: str,
    description_column: str,
    reference_column: str = "",
    amount_column: str = "",
    debit_column: str = "",
    credit_column: str = "",
    balance_column: str = "",
) -> ColumnMapping:
    """Save (or replace, by name) the company's own column mapping for bank files."""
    require_tesoreria(actor, company)
    values = {
        "date_column": date_column.strip(),
        "description_column": description_column.strip(),
        "reference_column": reference_column.strip(),
        "amount_column": amount_column.strip(),
        "debit_column": debit_column.strip(),
        "credit_column": credit_column.strip(),
        "balance_column": balance_column.strip(),
    }
    if not name.strip():
        raise ValidationError({"name": _("Ponle un nombre al formato.")}, code="required")
    if not values["date_column"] or not values["description_column"]:
        raise ValidationError(
            {"date_column": _("Indica las columnas de fecha y de concepto.")}, code="required"
        )
    signed = bool(values["amount_column"])
    debit, credit = bool(values["debit_column"]), bool(values["credit_column"])
    if not ((signed and not debit and not credit) or (not signed and debit and credit)):
        raise ValidationError(
            {
                "amount_column": _(
                    "Indica una columna de importe con signo, o las dos de cargos y abonos."
                )
            },
            code="amount_or_debit_credit",
        )
    with transaction.atomic():
        mapping, _created = ColumnMapping.objects.update_or_create(
            company=company, name=name.strip()[:60], defaults=values
        )
    return mapping


# --- statements -------------------------------------------------------------------------


class StatementRefused(ValidationError):
    """The file was read but breaks rules; ``errors`` lists each with its line."""

    def __init__(self, message: str, code: str, errors: list[dict[str, object]] | None = None):
        super().__init__(message, code=code)
        self.errors = errors or []


@dataclass(frozen=True)
class ImportResult:
    statement: Statement | None
    added: int
    skipped: int


def _fingerprints(lines: list[ParsedLine]) -> list[str]:
    seen: Counter[tuple[str, ...]] = Counter()
    prints = []
    for line in lines:
        key = (line.date.isoformat(), str(line.amount), line.description, line.reference)
        seen[key] += 1
        raw = "\x1f".join((*key, str(seen[key])))
        prints.append(hashlib.sha256(raw.encode()).hexdigest())
    return prints


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def statement_import(
    *,
    account: BankAccount,
    actor: User,
    file_name: str,
    data: bytes,
    layout: BankLayout | None = None,
) -> ImportResult:
    """Import a statement whole or not at all: every line valid, balances chained, no
    overlap that would count a movement twice. The same file again adds nothing."""
    company = account.company
    require_tesoreria(actor, company)
    sha = hashlib.sha256(data).hexdigest()
    already = Statement.objects.filter(account=account, file_sha256=sha).first()
    if already is not None:
        return ImportResult(statement=already, added=0, skipped=already.movements_added)
    parsed = parse_statement(data, bank=layout)
    _check(account, parsed)
    prints = _fingerprints(parsed.lines)
    with transaction.atomic():
        # Concurrent imports into one account wait for each other here.
        BankAccount.objects.select_for_update().filter(pk=account.pk).first()
        new_lines = _new_lines(account, parsed, prints)
        if not new_lines:
            return ImportResult(statement=None, added=0, skipped=len(parsed.lines))
        _check_continuity(account, parsed, len(new_lines) == len(parsed.lines))
        assert parsed.period_start is not None and parsed.period_end is not None
        try:
            statement = Statement.objects.create(
                company=company,
                account=account,
                format=parsed.format,
                layout=parsed.layout,
                file_name=file_name[:255],
                file_sha256=sha,
                period_start=parsed.period_start,
                period_end=parsed.period_end,
                opening_balance=parsed.opening_balance,
                closing_balance=parsed.closing_balance,
                movements_added=len(new_lines),
                movements_skipped=len(parsed.lines) - len(new_lines),
                imported_by=actor,
            )
            Movement.objects.bulk_create(
                Movement(
                    company=company,
                    account=account,
                    statement=statement,
                    line=line.line,
                    date=line.date,
                    amount=line.amount,
                    description=line.description,
                    reference=line.reference,
                    fingerprint=fingerprint,
                )
                for line, fingerprint in new_lines
            )
        except IntegrityError:
            raise StatementRefused(
                _("Otra importación de esta cuenta acaba de guardar estos movimientos."),
                code="overlap",
            ) from None
        audit_record(
            actor=actor,
            action=Action.STATEMENT_IMPORTED,
            account=company.account,
            company=company,
            target=statement,
            after={
                "file": statement.file_name,
                "period_start": statement.period_start.isoformat(),
                "period_end": statement.period_end.isoformat(),
                "created": statement.movements_added,
                "skipped": statement.movements_skipped,
            },
        )
    return ImportResult(
        statement=statement,
        added=statement.movements_added,
        skipped=statement.movements_skipped,
    )


def _check(account: BankAccount, parsed: ParsedStatement) -> None:
    """Every line-level rule, all reported at once by line."""
    errors = list(parsed.errors)
    for line in parsed.lines:
        if line.date < account.opening_date:
            errors.append(
                {
                    "line": line.line,
                    "field": "fecha",
                    "code": "before_opening",
                    "message": _(
                        "El movimiento del %(date)s es anterior al saldo inicial de la cuenta "
                        "(%(opening)s)."
                    )
                    % {
                        "date": line.date.strftime("%d/%m/%Y"),
                        "opening": account.opening_date.strftime("%d/%m/%Y"),
                    },
                }
            )
    if errors:
        raise StatementRefused(
            _("El archivo tiene %(count)d filas con errores; no se importó nada.")
            % {"count": len({e["line"] for e in errors})},
            code="invalid_rows",
            errors=sorted(errors, key=lambda e: int(str(e["line"]))),
        )
    if not parsed.lines:
        raise StatementRefused(_("El archivo no tiene movimientos."), code="no_rows")
    if parsed.currency and parsed.currency.upper() != account.currency:
        raise StatementRefused(
            _("El estado de cuenta está en %(file)s y la cuenta en %(account)s.")
            % {"file": parsed.currency.upper(), "account": account.currency},
            code="currency_mismatch",
        )
    total = sum((line.amount for line in parsed.lines), Decimal("0"))
    if parsed.opening_balance is not None and parsed.closing_balance is not None:
        if parsed.opening_balance + total != parsed.closing_balance:
            raise StatementRefused(
                _(
                    "Los saldos no cuadran: saldo inicial %(opening)s más movimientos "
                    "%(total)s da %(expected)s, y el archivo dice %(closing)s."
                )
                % {
                    "opening": _money(parsed.opening_balance),
                    "total": _money(total),
                    "expected": _money(parsed.opening_balance + total),
                    "closing": _money(parsed.closing_balance),
                },
                code="balance_chain",
            )
    elif parsed.closing_balance is not None:
        parsed.opening_balance = parsed.closing_balance - total


def _new_lines(
    account: BankAccount, parsed: ParsedStatement, prints: list[str]
) -> list[tuple[ParsedLine, str]]:
    """The lines not stored yet. Days the file shares with stored movements must hold
    exactly the same movements (then they are skipped); anything else would double-count."""
    assert parsed.period_start is not None and parsed.period_end is not None
    stored: dict[date, set[str]] = defaultdict(set)
    for day, fingerprint in Movement.objects.filter(
        account=account, date__gte=parsed.period_start, date__lte=parsed.period_end
    ).values_list("date", "fingerprint"):
        stored[day].add(fingerprint)
    in_file: dict[date, set[str]] = defaultdict(set)
    for line, fingerprint in zip(parsed.lines, prints, strict=True):
        in_file[line.date].add(fingerprint)
    clashes = sorted(day for day in stored if stored[day] != in_file.get(day, set()))
    if clashes:
        raise StatementRefused(
            _(
                "El archivo se encima con movimientos ya importados que no coinciden "
                "(%(days)s); importarlo contaría movimientos dos veces. Revisa el periodo."
            )
            % {"days": ", ".join(d.strftime("%d/%m/%Y") for d in clashes[:10])},
            code="overlap",
        )
    return [
        (line, fingerprint)
        for line, fingerprint in zip(parsed.lines, prints, strict=True)
        if line.date not in stored
    ]


def account_balance_before(account: BankAccount, day: date) -> Decimal:
    """The account's balance at the start of ``day``: opening balance plus what moved."""
    moved = Movement.objects.filter(account=account, date__lt=day).aggregate(s=Sum("amount"))["s"]
    return account.opening_balance + (moved or Decimal("0"))


def _check_continuity(account: BankAccount, parsed: ParsedStatement, whole: bool) -> None:
    """A statement that continues the account must start where the account stands."""
    assert parsed.period_start is not None
    if not whole or parsed.opening_balance is None:
        return
    if Movement.objects.filter(account=account, date__gte=parsed.period_start).exists():
        return
    expected = account_balance_before(account, min(line.date for line in parsed.lines))
    if expected != parsed.opening_balance:
        raise StatementRefused(
            _(
                "El saldo inicial del archivo (%(opening)s) no es el saldo de la cuenta a esa "
                "fecha (%(expected)s): falta un estado de cuenta anterior o el saldo inicial "
                "de la cuenta no es correcto."
            )
            % {"opening": _money(parsed.opening_balance), "expected": _money(expected)},
            code="balance_gap",
        )
