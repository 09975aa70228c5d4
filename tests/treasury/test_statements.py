"""Statements in: OFX, MT940 and the banks' CSV/XLSX; balances chain, no double count,
the same file twice adds nothing, a bad row is reported by line and nothing is imported."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.onboarding.csvfile import UnreadableFile
from despacho.treasury.models import Movement, Statement
from despacho.treasury.services import StatementRefused, column_mapping_save, statement_import
from despacho.treasury.statements import PRESETS, mapping_layout, parse_amount, parse_date
from tests.treasury.conftest import make_bank_account, sample

pytestmark = pytest.mark.django_db


def _import(account, actor, name, data=None, layout=None):
    return statement_import(
        account=account,
        actor=actor,
        file_name=name,
        data=data if data is not None else sample(name),
        layout=layout,
    )


def test_an_ofx_statement_brings_its_movements_and_checks_the_closing_balance(company, owner):
    account = make_bank_account(company, owner)
    result = _import(account, owner, "bbva-enero-2026.ofx")
    assert result.added == 2
    statement = result.statement
    assert (statement.format, statement.period_start, statement.period_end) == (
        "ofx",
        date(2026, 1, 1),
        date(2026, 1, 31),
    )
    assert statement.closing_balance == Decimal("109279.50")
    amounts = sorted(Movement.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("-2320.50"), Decimal("11600.00")]
    deposit = Movement.objects.get(amount__gt=0)
    assert "RFC AAA010101AAA" in deposit.description
    assert AuditEvent.objects.filter(action=Action.STATEMENT_IMPORTED).count() == 1


def test_an_mt940_statement_chains_its_opening_and_closing_balances(company, owner):
    account = make_bank_account(company, owner)
    result = _import(account, owner, "banorte-enero-2026.sta")
    assert result.added == 2
    assert result.statement.opening_balance == Decimal("100000.00")
    assert result.statement.closing_balance == Decimal("109279.50")
    withdrawal = Movement.objects.get(amount__lt=0)
    assert withdrawal.reference == "REF002 BANK002"


def test_an_mt940_whose_balances_do_not_chain_is_refused_whole(company, owner):
    account = make_bank_account(company, owner)
    broken = sample("banorte-enero-2026.sta").replace(b"109279,50", b"109279,00")
    with pytest.raises(StatementRefused) as refused:
        _import(account, owner, "roto.sta", broken)
    assert refused.value.code == "balance_chain"
    assert "109,279.00" in refused.value.messages[0]
    assert not Movement.objects.exists() and not Statement.objects.exists()


def test_a_bbva_csv_reads_dates_thousands_and_cargo_abono_columns(company, owner):
    account = make_bank_account(company, owner, opening="101001.00")
    result = _import(account, owner, "bbva-enero-2026.csv", layout=PRESETS["bbva"])
    assert result.added == 4
    assert result.statement.opening_balance == Decimal("101001.00")
    assert result.statement.closing_balance == Decimal("133479.50")
    assert Movement.objects.get(line=3).amount == Decimal("-2320.50")  # file line 3
    assert Movement.objects.get(line=2).date == date(2026, 1, 31)


def test_the_same_file_twice_adds_nothing(company, owner):
    account = make_bank_account(company, owner)
    _import(account, owner, "bbva-enero-2026.ofx")
    again = _import(account, owner, "bbva-enero-2026.ofx")
    assert again.added == 0
    assert Movement.objects.count() == 2 and Statement.objects.count() == 1


def test_the_same_movements_in_another_file_add_nothing(company, owner):
    account = make_bank_account(company, owner)
    _import(account, owner, "bbva-enero-2026.ofx")
    redownloaded = sample("bbva-enero-2026.ofx").replace(b"20260201120000", b"20260202090000")
    again = _import(account, owner, "otra-descarga.ofx", redownloaded)
    assert (again.added, again.skipped, again.statement) == (0, 2, None)
    assert Movement.objects.count() == 2


def test_an_overlap_with_other_movements_is_refused_so_nothing_counts_twice(company, owner):
    account = make_bank_account(company, owner)
    _import(account, owner, "bbva-enero-2026.ofx")
    # The same period from MT940: the same money described otherwise.
    with pytest.raises(StatementRefused) as refused:
        _import(account, owner, "banorte-enero-2026.sta")
    assert refused.value.code == "overlap"
    assert "05/01/2026" in refused.value.messages[0]
    assert Movement.objects.count() == 2


def test_a_statement_that_does_not_start_where_the_account_stands_is_refused(company, owner):
    account = make_bank_account(company, owner, opening="90000.00")
    with pytest.raises(StatementRefused) as refused:
        _import(account, owner, "banorte-enero-2026.sta")
    assert refused.value.code == "balance_gap"


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(company, owner):
    account = make_bank_account(company, owner, opening="101001.00")
    data = (
        b"Fecha,Concepto,Cargo,Abono,Saldo\r\n"
        b'02/01/2026,COMISION,1.00,,"101,000.00"\r\n'
        b"32/01/2026,MAL FECHA,,5.00,\r\n"
        b"05/01/2026,MAL IMPORTE,,cinco,\r\n"
        b"06/01/2026,AMBOS,1.00,1.00,\r\n"
    )
    with pytest.raises(StatementRefused) as refused:
        _import(account, owner, "malo.csv", data, PRESETS["bbva"])
    by_line = {e["line"]: e["code"] for e in refused.value.errors}
    assert by_line == {3: "invalid_date", 4: "invalid_amount", 5: "debit_and_credit"}
    assert refused.value.code == "invalid_rows"
    assert not Movement.objects.exists()


def test_a_running_balance_that_breaks_names_its_line(company, owner):
    account = make_bank_account(company, owner, opening="1000.00")
    data = (
        "Fecha,Descripción,Importe,Saldo\r\n"
        '02/01/2026,DEPOSITO,"1,000.00","2,000.00"\r\n'
        '03/01/2026,RETIRO,-500.00,"1,400.00"\r\n'
    ).encode()
    with pytest.raises(StatementRefused) as refused:
        _import(account, owner, "hsbc.csv", data, PRESETS["hsbc"])
    assert [(e["line"], e["code"]) for e in refused.value.errors] == [(3, "balance_chain")]


def test_an_xlsx_export_with_a_saved_mapping_and_signed_amounts(company, owner):
    import openpyxl

    account = make_bank_account(company, owner, opening="0")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Fecha Op", "Detalle del movimiento", "Monto", "Folio"])
    sheet.append([date(2026, 1, 3), "DEPOSITO CLIENTE", 1250.5, "F-9"])
    sheet.append(["04/01/2026", "CARGO TARJETA", "-1,000.00", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    mapping = column_mapping_save(
        company=company,
        actor=owner,
        name="Banco regional",
        date_column="Fecha Op",
        description_column="Detalle del movimiento",
        amount_column="Monto",
        reference_column="Folio",
    )
    result = _import(account, owner, "regional.xlsx", buffer.getvalue(), mapping_layout(mapping))
    assert result.added == 2
    assert sorted(Movement.objects.values_list("amount", "reference")) == [
        (Decimal("-1000.00"), ""),
        (Decimal("1250.50"), "F-9"),
    ]


@pytest.mark.parametrize("preset", ["bbva", "banorte", "santander", "banamex", "hsbc"])
def test_each_bank_preset_reads_its_own_headers(company, owner, preset):
    headers = {
        "bbva": "Día,Concepto,Cargos,Abonos,Saldo",
        "banorte": "Fecha de operación,Descripción detallada,Retiros,Depósitos,Saldo",
        "santander": "Fecha,Descripción,Cargo,Abono,Saldo",
        "banamex": "Fecha,Descripción,Retiros,Depósitos,Saldo",
        "hsbc": "Fecha de transacción,Detalle,Importe,Saldo",
    }[preset]
    row = (
        '15/01/2026,PAGO CLIENTE,"1,160.00","1,160.00"'
        if preset == "hsbc"
        else '15/01/2026,PAGO CLIENTE,,"1,160.00","1,160.00"'
    )
    account = make_bank_account(company, owner, opening="0")
    result = _import(
        account, owner, f"{preset}.csv", f"{headers}\r\n{row}\r\n".encode(), PRESETS[preset]
    )
    assert result.added == 1
    assert Movement.objects.get().amount == Decimal("1160.00")


def test_a_table_without_a_layout_asks_for_the_bank(company, owner):
    account = make_bank_account(company, owner)
    with pytest.raises(UnreadableFile) as refused:
        _import(account, owner, "bbva-enero-2026.csv")
    assert refused.value.code == "layout_required"


def test_an_ofx_with_entities_is_never_parsed(company, owner):
    account = make_bank_account(company, owner)
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><OFX>&a;</OFX>'
    with pytest.raises(UnreadableFile):
        _import(account, owner, "x.ofx", hostile)


def test_without_tesoreria_nothing_is_imported(company, owner, seller):
    account = make_bank_account(company, owner)
    with pytest.raises(PermissionDenied):
        _import(account, seller, "bbva-enero-2026.ofx")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,234.56", "1234.56"), ("$ 12,000", "12000.00"), ("(500.00)", "-500.00"), ("-3.5", "-3.50")],
)
def test_amounts_as_banks_write_them(text, value):
    assert parse_amount(text) == Decimal(value)


def test_dates_as_banks_write_them():
    assert parse_date("05/01/2026") == date(2026, 1, 5)
    assert parse_date("5-ENE-26") == date(2026, 1, 5)
    assert parse_date("2026-01-05") == date(2026, 1, 5)
    with pytest.raises(ValueError):
        parse_date("01/13/2026")
