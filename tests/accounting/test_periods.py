"""A closed month refuses every change to its pólizas, in the services (a Spanish message
naming the month) and in the database (triggers); reopening it needs a reason and is
written to the audit trail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from despacho.accounting.models import Movement, Poliza
from despacho.accounting.services import (
    period_close,
    period_reopen,
    poliza_create,
    poliza_delete,
    poliza_update,
)
from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from tests.accounting.helpers import acct, chart_company, credit, debit, simple_poliza
from tests.factories import owner_of

JAN = date(2026, 1, 1)


def _closed_code(refusal: pytest.ExceptionInfo[ValidationError]) -> str:
    return refusal.value.error_dict["fecha"][0].code


@pytest.mark.django_db
def test_no_poliza_of_a_closed_month_may_be_created_changed_or_deleted():
    company = chart_company()
    poliza = simple_poliza(company)
    period_close(company=company, actor=None, month=date(2026, 1, 20))
    lines = [debit(acct(company, "101.01"), "5"), credit(acct(company, "401.01"), "5")]
    with pytest.raises(ValidationError) as refusal:
        poliza_create(
            company=company,
            actor=None,
            tipo="3",
            fecha=date(2026, 1, 31),
            concepto="x",
            lines=lines,
        )
    assert _closed_code(refusal) == "period_closed"
    assert "2026-01 está cerrado" in refusal.value.messages[0]
    with pytest.raises(ValidationError) as refusal:
        poliza_update(
            poliza=poliza, actor=None, tipo="3", fecha=date(2026, 2, 1), concepto="x", lines=lines
        )
    assert _closed_code(refusal) == "period_closed"
    with pytest.raises(ValidationError) as refusal:
        poliza_delete(poliza=poliza, actor=None)
    assert _closed_code(refusal) == "period_closed"
    # The month next door is open.
    assert poliza_create(
        company=company, actor=None, tipo="3", fecha=date(2026, 2, 1), concepto="x", lines=lines
    )


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_writes_to_a_closed_month_behind_the_services_back():
    company = chart_company()
    poliza = simple_poliza(company)
    closed = period_close(company=company, actor=None, month=JAN)
    try:
        with pytest.raises(IntegrityError), transaction.atomic():
            Poliza.objects.filter(pk=poliza.pk).update(concepto="cambiada")
        with pytest.raises(IntegrityError), transaction.atomic():
            Movement.objects.filter(poliza=poliza, line=1).update(debe=Decimal("1.00"))
        with pytest.raises(IntegrityError), transaction.atomic():
            Movement.objects.filter(poliza=poliza).delete()
        assert Poliza.objects.get(pk=poliza.pk).concepto == "Venta de mostrador"
    finally:
        closed.delete()  # the test database is emptied row by row after this test


@pytest.mark.django_db
def test_reopening_needs_a_reason_and_is_audited():
    company = chart_company()
    owner = owner_of(company.account)
    period_close(company=company, actor=owner, month=JAN)
    with pytest.raises(ValidationError) as refusal:
        period_reopen(company=company, actor=owner, month=JAN, reason=" ")
    assert refusal.value.error_dict["reason"][0].code == "required"
    period_reopen(company=company, actor=owner, month=JAN, reason="Faltó una factura de enero")
    event = AuditEvent.objects.get(action=Action.ACCOUNTING_PERIOD_REOPENED)
    assert event.actor == owner and event.company == company
    assert event.after == {"reason": "Faltó una factura de enero"}
    assert event.before["month"] == "2026-01"
    simple_poliza(company)  # open again
    with pytest.raises(ValidationError) as refusal:
        period_reopen(company=company, actor=owner, month=JAN, reason="otra vez")
    assert refusal.value.error_dict["month"][0].code == "not_closed"


@pytest.mark.django_db
def test_closing_twice_is_refused():
    company = chart_company()
    period_close(company=company, actor=None, month=JAN)
    with pytest.raises(ValidationError) as refusal:
        period_close(company=company, actor=None, month=date(2026, 1, 31))
    assert refusal.value.error_dict["month"][0].code == "already_closed"
