"""A póliza that does not balance cannot be stored, whoever writes it: the database refuses
it at COMMIT (a deferred foreign key to the balance row its triggers keep), on SQLite and on
PostgreSQL alike; the service refuses it first with a message naming the totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from despacho.accounting.models import Movement, Poliza, PolizaBalance
from tests.accounting.helpers import acct, chart_company, credit, debit, simple_poliza

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_balanced_poliza_is_stored_with_its_balance_row():
    company = chart_company()
    poliza = simple_poliza(company)
    assert PolizaBalance.objects.filter(key=poliza.key).exists()
    assert sum(m.debe for m in poliza.movements.all()) == Decimal("100.00")


def test_the_service_refuses_an_unbalanced_poliza_naming_both_totals():
    from despacho.accounting.services import poliza_create

    company = chart_company()
    with pytest.raises(ValidationError) as refusal:
        poliza_create(
            company=company,
            actor=None,
            tipo="3",
            fecha=date(2026, 1, 15),
            concepto="Descuadrada",
            lines=[debit(acct(company, "102.01"), "100"), credit(acct(company, "401.01"), "90")],
        )
    assert refusal.value.code == "unbalanced"
    assert "debe 100.00, haber 90.00" in refusal.value.messages[0]
    assert not Poliza.objects.filter(company=company).exists()


def test_an_extra_movement_written_behind_the_services_back_cannot_commit():
    company = chart_company()
    poliza = simple_poliza(company)
    with pytest.raises(IntegrityError), transaction.atomic():
        Movement.objects.create(
            poliza=poliza,
            company=company,
            fecha=poliza.fecha,
            line=3,
            account=acct(company, "101.01"),
            concepto="de más",
            debe=Decimal("5.00"),
        )
    assert poliza.movements.count() == 2


def test_changing_an_amount_so_the_poliza_no_longer_balances_cannot_commit():
    company = chart_company()
    poliza = simple_poliza(company)
    with pytest.raises(IntegrityError), transaction.atomic():
        Movement.objects.filter(poliza=poliza, line=1).update(debe=Decimal("99.99"))
    assert poliza.movements.get(line=1).debe == Decimal("100.00")


def test_deleting_one_side_of_a_poliza_cannot_commit():
    company = chart_company()
    poliza = simple_poliza(company)
    with pytest.raises(IntegrityError), transaction.atomic():
        Movement.objects.filter(poliza=poliza, line=2).delete()
    assert poliza.movements.count() == 2


def test_a_poliza_unbalanced_in_the_middle_of_its_transaction_commits_once_it_balances():
    company = chart_company()
    poliza = simple_poliza(company)
    with transaction.atomic():
        Movement.objects.filter(poliza=poliza, line=1).update(debe=Decimal("150.00"))
        Movement.objects.filter(poliza=poliza, line=2).update(haber=Decimal("150.00"))
    assert PolizaBalance.objects.filter(key=poliza.key).exists()


def test_a_movement_with_another_date_than_its_poliza_is_refused():
    company = chart_company()
    poliza = simple_poliza(company)
    with pytest.raises(IntegrityError), transaction.atomic():
        Movement.objects.filter(poliza=poliza).update(fecha=date(2026, 2, 1))


@pytest.mark.postgres
def test_on_postgresql_an_unbalanced_poliza_cannot_commit_either():
    company = chart_company()
    poliza = simple_poliza(company)
    with pytest.raises(IntegrityError), transaction.atomic():
        Movement.objects.filter(poliza=poliza, line=1).update(debe=Decimal("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Movement.objects.filter(poliza=poliza, line=2).delete()
    assert sorted(m.debe + m.haber for m in poliza.movements.all()) == [
        Decimal("100.00"),
        Decimal("100.00"),
    ]
