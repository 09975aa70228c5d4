"""Bank accounts: a bank of SAT's c_Banco, a CLABE whose check digit and bank agree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.treasury.clabe import clabe_check_digit, clabe_is_valid
from despacho.treasury.models import BankAccount
from despacho.treasury.services import bank_account_create
from tests.treasury.conftest import BBVA_CLABE, make_bank_account

pytestmark = pytest.mark.django_db


def _create(company, actor, **changes):
    values = {
        "bank_code": "012",
        "number": "0123456789",
        "clabe": BBVA_CLABE,
        "currency": "MXN",
        "opening_balance": Decimal("1500.50"),
        "opening_date": date(2026, 1, 1),
    }
    values.update(changes)
    return bank_account_create(company=company, actor=actor, **values)


def test_a_treasurer_registers_an_account_with_its_bank_from_the_sat_catalog(company, treasurer):
    account = _create(company, treasurer)
    assert account.bank_name == "BBVA BANCOMER"
    assert account.label == "BBVA BANCOMER ····6789"
    event = AuditEvent.objects.get(action=Action.BANK_ACCOUNT_CREATED)
    assert event.after["clabe"] == BBVA_CLABE
    assert event.after["opening_balance"] == "1500.50"


def test_the_clabe_check_digit_uses_the_weights_3_7_1():
    # Banxico's published example: 032180000118359719.
    assert clabe_check_digit("03218000011835971") == 9
    assert clabe_is_valid("032180000118359719")
    assert not clabe_is_valid("032180000118359718")


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_every_wrong_last_digit_is_refused(first17):
    right = clabe_check_digit(first17)
    for digit in range(10):
        assert clabe_is_valid(f"{first17}{digit}") == (digit == right)


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"bank_code": "555", "clabe": ""}, "bank_code", "unknown_bank"),
        ({"clabe": "01218000123456789"}, "clabe", "clabe_format"),
        ({"clabe": "012180001234567890"}, "clabe", "clabe_check_digit"),
        ({"bank_code": "002"}, "clabe", "clabe_bank_mismatch"),
        ({"number": "12-34"}, "number", "number_format"),
        ({"currency": "XYZ"}, "currency", "unknown_currency"),
    ],
)
def test_a_broken_rule_is_refused_on_its_field(company, owner, changes, field, code):
    with pytest.raises(ValidationError) as refused:
        _create(company, owner, **changes)
    errors = refused.value.error_dict
    assert list(errors) == [field]
    assert errors[field][0].code == code


def test_the_database_refuses_a_clabe_of_another_bank(company, owner):
    account = make_bank_account(company, owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        BankAccount.objects.filter(pk=account.pk).update(bank_code="002")


def test_the_same_account_twice_is_refused(company, owner):
    make_bank_account(company, owner)
    with pytest.raises(ValidationError) as refused:
        _create(company, owner, clabe="")
    assert "number" in refused.value.error_dict


def test_without_tesoreria_nobody_registers_accounts(company, seller):
    with pytest.raises(PermissionDenied):
        _create(company, seller)
    assert not BankAccount.objects.exists()
