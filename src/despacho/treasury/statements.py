"""Reading bank statement files into lines: OFX (ofxtools), MT940 (mt-940), and the CSV or
XLSX files Mexican banks export (through the onboarding readers: encodings, separators and
hardened workbooks are theirs), with a preset layout per bank or a saved column mapping.

Nothing here writes. A file that cannot be read raises ``UnreadableFile`` (the whole file);
lines that can be read but break a rule come back in ``ParsedStatement.errors`` with their
line number, so the service refuses the file naming every one.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.onboarding.csvfile import Layout, UnreadableFile, header_key
from despacho.onboarding.sheets import read_upload
from despacho.treasury.models import ColumnMapping, StatementFormat

CENT = Decimal("0.01")
MAX_LINES = 50_000


@dataclass(frozen=True)
class ParsedLine:
    line: int
    date: date
    amount: Decimal
    description: str
    reference: str
    balance: Decimal | None = None


@dataclass
class ParsedStatement:
    format: str
    layout: str = ""
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    period_start: date | None = None
    period_end: date | None = None
    currency: str = ""
    lines: list[ParsedLine] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, line: int, column: str, code: str, message: str) -> None:
        self.errors.append({"line": line, "field": column, "code": code, "message": message})


# --- values as banks write them ---------------------------------------------------------

_MONTHS = {
    "ene": 1, "feb": 2, "mar": 3, "abr": 4, "may": 5, "jun": 6,
    "jul": 7, "ago": 8, "sep": 9, "set": 9, "oct": 10, "nov": 11, "dic": 12,
}  # fmt: skip


def parse_date(text: str) -> date:
    """dd/mm/yyyy (or with '-' or '.', two-digit years), dd/MMM/yyyy in Spanish, or ISO
    (what a workbook's date cell reads as); ValueError otherwise."""
    text = text.strip()
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?", text)
    if iso:
        return date(int(iso[1]), int(iso[2]), int(iso[3]))
    parts = re.fullmatch(r"(\d{1,2})[/.\-\s]([A-Za-z]{3}|\d{1,2})[/.\-\s](\d{2}|\d{4})", text)
    if not parts:
        raise ValueError(text)
    day, month_text, year_text = parts[1], parts[2], parts[3]
    month = _MONTHS.get(month_text.lower()) if month_text.isalpha() else int(month_text)
    if month is None:
        raise ValueError(text)
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    return date(year, month, int(day))


def parse_amount(text: str) -> Decimal | None:
    """«1,234.56», «$ 1,234.56», «-1,234.56», «(1,234.56)», «1234.5 MXN»; None when empty;
    InvalidOperation when it is not an amount."""
    raw = text.strip().replace("$", "").replace("MXN", "").replace(" ", "").replace("\xa0", "")
    if raw in ("", "-"):
        return None
    negative = raw.startswith("(") and raw.endswith(")")
    raw = raw.strip("()")
    if not re.fullmatch(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?", raw):
        raise InvalidOperation(text)
    value = Decimal(raw.replace(",", ""))
    return (-value if negative else value).quantize(CENT)


# --- CSV / XLSX layouts -----------------------------------------------------------------


@dataclass(frozen=True)
class BankLayout:
    """Which headers hold what in one bank's export."""

    key: str
    label: str
    date: tuple[str, ...]
    description: tuple[str, ...]
    reference: tuple[str, ...] = ()
    amount: tuple[str, ...] = ()  # signed
    debit: tuple[str, ...] = ()  # cargos / retiros
    credit: tuple[str, ...] = ()  # abonos / depósitos
    balance: tuple[str, ...] = ()

    def layout(self) -> Layout:
        columns = {
            name: tuple(header_key(h) for h in headers)
            for name, headers in (
                ("fecha", self.date),
                ("concepto", self.description),
                ("referencia", self.reference),
                ("importe", self.amount),
                ("cargo", self.debit),
                ("abono", self.credit),
                ("saldo", self.balance),
            )
            if headers
        }
        required = (
            ("fecha", "concepto", "importe")
            if self.amount
            else ("fecha", "concepto", "cargo", "abono")
        )
        return Layout(
            columns=columns,
            required=required,
            template=tuple(h[0] for h in (self.date, self.description, self.amount or self.debit)),
            one_per_row=gettext_lazy("un movimiento por fila"),
        )


# The headers each bank's "Exportar movimientos" writes (web banking, 2025-2026 layouts).
PRESETS: dict[str, BankLayout] = {
    layout.key: layout
    for layout in (
        BankLayout(
            key="bbva",
            label="BBVA",
            date=("Fecha", "Día", "Fecha de operación"),
            description=("Concepto / Referencia", "Concepto", "Descripción"),
            reference=("Referencia",),
            debit=("Cargo", "Cargos"),
            credit=("Abono", "Abonos"),
            balance=("Saldo",),
        ),
        BankLayout(
            key="banorte",
            label="Banorte",
            date=("Fecha", "Fecha de operación"),
            description=("Descripción", "Descripción detallada"),
            reference=("Referencia",),
            debit=("Retiros", "Cargos"),
            credit=("Depósitos", "Abonos"),
            balance=("Saldo",),
        ),
        BankLayout(
            key="santander",
            label="Santander",
            date=("Fecha",),
            description=("Descripción", "Concepto"),
            reference=("Referencia",),
            debit=("Cargo", "Retiro"),
            credit=("Abono", "Depósito"),
            balance=("Saldo",),
        ),
        BankLayout(
            key="banamex",
            label="Banamex",
            date=("Fecha",),
            description=("Descripción", "Concepto"),
            reference=("Referencia", "Número de referencia"),
            debit=("Retiros", "Cargos"),
            credit=("Depósitos", "Abonos"),
            balance=("Saldo",),
        ),
        BankLayout(
            key="hsbc",
            label="HSBC",
            date=("Fecha", "Fecha de transacción"),
            description=("Descripción", "Detalle"),
            reference=("Referencia",),
            amount=("Importe", "Monto"),
            balance=("Saldo", "Saldo disponible"),
        ),
    )
}


def mapping_layout(mapping: ColumnMapping) -> BankLayout:
    """A saved column mapping as a layout."""

    def one(header: str) -> tuple[str, ...]:
        return (header,) if header else ()

    return BankLayout(
        key=f"mapping:{mapping.pk}",
        label=mapping.name,
        date=one(mapping.date_column),
        description=one(mapping.description_column),
        reference=one(mapping.reference_column),
        amount=one(mapping.amount_column),
        debit=one(mapping.debit_column),
        credit=one(mapping.credit_column),
        balance=one(mapping.balance_column),
    )


def parse_table(data: bytes, bank: BankLayout) -> ParsedStatement:
    """A CSV or XLSX export read with the bank's layout."""
    parsed_file = read_upload(data, max_rows=MAX_LINES, layout=bank.layout())
    statement = ParsedStatement(format=StatementFormat.CSV, layout=bank.key)
    for number, values in parsed_file.rows:
        try:
            when = parse_date(values.get("fecha", ""))
        except ValueError:
            statement.error(
                number,
                "fecha",
                "invalid_date",
                _("La fecha «%(value)s» no es dd/mm/aaaa.") % {"value": values.get("fecha", "")},
            )
            continue
        try:
            amounts = {
                name: parse_amount(values.get(name, ""))
                for name in ("importe", "cargo", "abono", "saldo")
            }
        except InvalidOperation as bad:
            statement.error(
                number,
                "importe",
                "invalid_amount",
                _("«%(value)s» no es un importe.") % {"value": bad.args[0] if bad.args else ""},
            )
            continue
        if bank.amount:
            amount = amounts["importe"]
        else:
            debit, credit = amounts["cargo"], amounts["abono"]
            if debit and credit:
                statement.error(
                    number,
                    "cargo",
                    "debit_and_credit",
                    _("La fila tiene cargo y abono a la vez."),
                )
                continue
            amount = credit if credit else (-abs(debit) if debit else None)
        if not amount:
            statement.error(number, "importe", "no_amount", _("La fila no tiene importe."))
            continue
        statement.lines.append(
            ParsedLine(
                line=number,
                date=when,
                amount=amount,
                description=values.get("concepto", "")[:500],
                reference=values.get("referencia", "")[:200],
                balance=amounts["saldo"],
            )
        )
    _balances_from_running(statement)
    return statement


def _balances_from_running(statement: ParsedStatement) -> None:
    """A running balance column gives the opening and closing balances, and each row's
    balance is checked against the one before (banks list newest first or oldest first)."""
    lines = statement.lines
    if len(lines) > 1 and lines[0].date > lines[-1].date:
        lines.reverse()
    if not lines or any(line.balance is None for line in lines):
        return
    previous = lines[0].balance - lines[0].amount  # type: ignore[operator]
    statement.opening_balance = previous
    for line in lines:
        if previous + line.amount != line.balance:
            statement.error(
                line.line,
                "saldo",
                "balance_chain",
                _("El saldo %(balance)s no es el anterior (%(previous)s) más el importe.")
                % {"balance": f"{line.balance:,.2f}", "previous": f"{previous:,.2f}"},
            )
        previous = line.balance  # type: ignore[assignment]
    statement.closing_balance = lines[-1].balance


# --- OFX and MT940 ----------------------------------------------------------------------


def _unreadable(kind: str) -> UnreadableFile:
    return UnreadableFile(
        _("No pudimos leer el archivo como %(kind)s. Descárgalo de nuevo de tu banca.")
        % {"kind": kind},
        code="statement_unreadable",
    )


def parse_ofx(data: bytes) -> ParsedStatement:
    """An OFX (1.x SGML or 2.x XML) bank statement: its transactions and ledger balance."""
    from ofxtools.Parser import OFXTree

    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise _unreadable("OFX")  # no entity or DTD ever reaches a parser
    try:
        tree = OFXTree()
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
        statement_rs = ofx.statements[0]
        transactions = list(statement_rs.banktranlist)
    except Exception:  # ofxtools raises many kinds for a damaged file: all mean the same
        raise _unreadable("OFX") from None
    statement = ParsedStatement(format=StatementFormat.OFX, currency=statement_rs.curdef or "")
    for number, txn in enumerate(transactions, start=1):
        text = " ".join(str(x) for x in (txn.name, txn.memo) if x)
        reference = " ".join(str(x) for x in (txn.refnum, txn.checknum, txn.fitid) if x)
        amount = Decimal(txn.trnamt).quantize(CENT)
        if not amount:
            statement.error(number, "TRNAMT", "no_amount", _("El movimiento no tiene importe."))
            continue
        statement.lines.append(
            ParsedLine(
                line=number,
                date=txn.dtposted.date(),
                amount=amount,
                description=text[:500],
                reference=reference[:200],
            )
        )
    tranlist = statement_rs.banktranlist
    statement.period_start = tranlist.dtstart.date() if tranlist.dtstart else None
    statement.period_end = tranlist.dtend.date() if tranlist.dtend else None
    if statement_rs.ledgerbal is not None:
        statement.closing_balance = Decimal(statement_rs.ledgerbal.balamt).quantize(CENT)
    return statement


def parse_mt940(data: bytes) -> ParsedStatement:
    """A SWIFT MT940 statement: :60F:/:62F: balances and each :61: line with its :86:."""
    import mt940

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    try:
        transactions = mt940.models.Transactions()
        transactions.parse(text)
        items = list(transactions)
    except Exception:  # mt-940 raises many kinds for a damaged file: all mean the same
        raise _unreadable("MT940") from None
    if "final_opening_balance" not in transactions.data and not items:
        raise _unreadable("MT940")
    statement = ParsedStatement(format=StatementFormat.MT940)
    opening = transactions.data.get("final_opening_balance")
    closing = transactions.data.get("final_closing_balance")
    if opening is not None:
        statement.opening_balance = Decimal(opening.amount.amount).quantize(CENT)
        statement.currency = opening.amount.currency or ""
    if closing is not None:
        statement.closing_balance = Decimal(closing.amount.amount).quantize(CENT)
        statement.period_end = date(closing.date.year, closing.date.month, closing.date.day)
    for number, txn in enumerate(items, start=1):
        data_ = txn.data
        when = data_["date"]
        amount = Decimal(data_["amount"].amount).quantize(CENT)
        reference = " ".join(
            str(data_.get(k) or "") for k in ("customer_reference", "bank_reference")
        ).strip()
        if not amount:
            statement.error(number, ":61:", "no_amount", _("El movimiento no tiene importe."))
            continue
        statement.lines.append(
            ParsedLine(
                line=number,
                date=date(when.year, when.month, when.day),
                amount=amount,
                description=str(data_.get("transaction_details") or "").replace("\n", " ")[:500],
                reference=reference[:200],
            )
        )
    return statement


def sniff_format(data: bytes) -> str:
    """OFX, MT940 or a table, from the content."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"OFXHEADER") or b"<OFX>" in head.upper() or head.startswith(b"<?xml"):
        return StatementFormat.OFX
    if head.startswith((b":20:", b"{1:")) or re.search(rb"^:20:", head, re.M):
        return StatementFormat.MT940
    return StatementFormat.CSV


def parse_statement(data: bytes, *, bank: BankLayout | None) -> ParsedStatement:
    """The file read by its format; a table needs the layout (preset or mapping)."""
    kind = sniff_format(data)
    if kind == StatementFormat.OFX:
        parsed = parse_ofx(data)
    elif kind == StatementFormat.MT940:
        parsed = parse_mt940(data)
    else:
        if bank is None:
            raise UnreadableFile(
                _("Elige el banco o el formato de columnas del archivo."), code="layout_required"
            )
        parsed = parse_table(data, bank)
    if parsed.lines:
        parsed.period_start = parsed.period_start or min(line.date for line in parsed.lines)
        parsed.period_end = parsed.period_end or max(line.date for line in parsed.lines)
    return parsed
