"""The informes reconcile: the balanza's debits equal its credits at every level, each
account's final balance follows from its nature, the estado de resultados and the balance
general tie to the balanza, and the aggregates run in the database."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from despacho.accounting.selectors import (
    auxiliar,
    balance_general,
    balanza,
    balanza_xlsx,
    estado_de_resultados,
)
from despacho.accounting.services import poliza_create
from despacho.cfdi.models import Cfdi
from tests.accounting.helpers import acct, chart_company, credit, debit
from tests.cfdi.cfdi_samples import cfdi_xml, impuestos_xml
from tests.factories import owner_of

pytestmark = pytest.mark.django_db
D = Decimal
JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)


@pytest.fixture
def ledger(store):
    """Capital, a sale, a purchase with IVA, payroll and a bank fee over January and
    February, plus two customers' and one supplier's sub-accounts (level 3)."""
    company = chart_company()
    poliza_create(
        company=company,
        actor=None,
        tipo="3",
        fecha=date(2026, 1, 2),
        concepto="Aportación de capital",
        lines=[debit(acct(company, "102.01"), "50000"), credit(acct(company, "301.01"), "50000")],
    )
    for folio, receptor, day in (("1", "KIJ0906199R1", "05"), ("2", "H&E951128469", "20")):
        store(
            company,
            cfdi_xml(
                emisor=company.rfc,
                receptor=receptor,
                folio=folio,
                total="11600.00",
                subtotal="10000.00",
                fecha=f"2026-01-{day}T10:00:00",
                impuestos=impuestos_xml(iva="1600.00"),
            ),
        )
    store(
        company,
        cfdi_xml(
            emisor="EKU9003173C9",
            receptor=company.rfc,
            total="2320.00",
            subtotal="2000.00",
            fecha="2026-02-03T10:00:00",
            impuestos=impuestos_xml(iva="320.00"),
        ),
    )
    poliza_create(
        company=company,
        actor=None,
        tipo="2",
        fecha=date(2026, 2, 28),
        concepto="Comisión bancaria",
        lines=[debit(acct(company, "701.10"), "150.50"), credit(acct(company, "102.01"), "150.50")],
    )
    assert Cfdi.objects.filter(company=company).count() == 3
    return company


def _viewer(company):
    return owner_of(company.account)


def test_debits_equal_credits_at_every_level_and_each_level_adds_up_to_the_same(ledger):
    viewer = _viewer(ledger)
    full = balanza(viewer=viewer, company=ledger, start=JAN, end=date(2026, 2, 28))
    assert full.debe == full.haber == D("50000") + 2 * D("11600") + D("2320") + D("150.50")
    assert full.max_level == 3
    for level in (1, 2, 3, None):
        report = balanza(
            viewer=viewer, company=ledger, start=JAN, end=date(2026, 2, 28), level=level
        )
        assert report.debe == report.haber == full.debe
        # The rows nothing deeper splits (at this level) hold every movement once.
        assert (
            sum(r.debe for r in report.leaves) == sum(r.haber for r in report.leaves) == full.debe
        )
        assert all(level is None or r.account.level <= level for r in report.rows)


def test_each_balance_runs_by_the_accounts_nature_from_one_period_into_the_next(ledger):
    viewer = _viewer(ledger)
    january = {
        r.account.code: r
        for r in balanza(viewer=viewer, company=ledger, start=JAN, end=date(2026, 1, 31)).rows
    }
    february = {
        r.account.code: r
        for r in balanza(viewer=viewer, company=ledger, start=FEB, end=date(2026, 2, 28)).rows
    }
    assert january["105.01"].final == D("23200.00")  # deudora: debits raise it
    assert january["401.01"].final == D("20000.00")  # acreedora: credits raise it
    assert january["105.01.0001"].final == D("11600.00")
    for code, row in january.items():
        assert february[code].inicial == row.final, code
    assert february["102.01"].final == D("50000") - D("150.50")


def test_the_estado_de_resultados_is_the_balanzas_result_accounts(ledger):
    viewer = _viewer(ledger)
    statement = estado_de_resultados(
        viewer=viewer, company=ledger, start=JAN, end=date(2026, 2, 28)
    )
    ingresos, costos, gastos, financiero = (s.total for s in statement.sections)
    assert (ingresos, costos, gastos, financiero) == (
        D("20000.00"),
        D(0),
        D("2000.00"),
        D("-150.50"),
    )
    level_one = balanza(
        viewer=viewer, company=ledger, start=JAN, end=date(2026, 2, 28), level=1
    ).rows
    from_balanza = sum(
        (r.haber - r.debe for r in level_one if r.account.codigo_agrupador[:1] in "4567"), D(0)
    )
    assert statement.result == from_balanza == D("17849.50")


def test_the_balance_general_balances_and_its_result_is_the_estado_de_resultados(ledger):
    viewer = _viewer(ledger)
    sheet = balance_general(viewer=viewer, company=ledger, end=date(2026, 2, 28))
    activo, pasivo, capital, resultado = (s.total for s in sheet.sections)
    assert sheet.result == 0
    assert activo == pasivo + capital + resultado
    assert capital == D("50000.00")
    result = estado_de_resultados(
        viewer=viewer, company=ledger, start=JAN, end=date(2026, 2, 28)
    ).result
    assert resultado == result


def test_the_auxiliar_runs_the_balance_line_by_line_over_the_sub_accounts(ledger):
    viewer = _viewer(ledger)
    report = auxiliar(
        viewer=viewer,
        company=ledger,
        account=acct(ledger, "105.01"),
        start=JAN,
        end=date(2026, 1, 31),
    )
    assert [line.saldo for line in report.lines] == [D("11600.00"), D("23200.00")]
    assert (report.inicial, report.debe, report.haber, report.final) == (
        D(0),
        D("23200.00"),
        D(0),
        D("23200.00"),
    )


def test_the_balanza_aggregates_in_the_database_whatever_the_number_of_movements(
    ledger, django_assert_max_num_queries
):
    viewer = _viewer(ledger)
    with django_assert_max_num_queries(6):
        balanza(viewer=viewer, company=ledger, start=JAN, end=date(2026, 2, 28))


def test_the_balanza_xlsx_carries_the_same_rows_and_totals(ledger):
    report = balanza(
        viewer=_viewer(ledger), company=ledger, start=JAN, end=date(2026, 2, 28), level=2
    )
    book = openpyxl.load_workbook(io.BytesIO(balanza_xlsx(report)))
    rows = list(book.active.iter_rows(min_row=4, values_only=True))
    assert [r[0] for r in rows[:-1]] == [r.account.code for r in report.rows]
    assert rows[-1][0] == "Totales"
    assert D(str(rows[-1][6])) == D(str(rows[-1][7])) == report.debe
