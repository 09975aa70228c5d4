"""Treasury's tests: a company, its owner, a treasurer without Nómina, samples on disk."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from despacho.access.catalog import Perm
from despacho.tenancy.models import Company
from despacho.treasury.models import BankAccount
from despacho.treasury.services import bank_account_create
from tests.factories import make_account, make_company, make_grant, make_membership, owner_of

SAMPLES = Path(__file__).parent / "samples"
# A valid BBVA CLABE (bank 012, plaza 180, account 00123456789, check digit 9).
BBVA_CLABE = "012180001234567899"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def company(db) -> Company:
    return make_company(make_account(), razon_social="TESORERIA DE PRUEBA SA DE CV")


@pytest.fixture
def owner(company):
    return owner_of(company.account)


@pytest.fixture
def treasurer(company):
    """Contador's grant without Nómina: sees ventas and egresos, reconciles payroll totals."""
    membership = make_membership(company.account)
    make_grant(membership, company, "contador", remove=[Perm.NOMINA])
    return membership.user


@pytest.fixture
def seller(company):
    """Ventas only: no Tesorería."""
    membership = make_membership(company.account)
    make_grant(membership, company, "auxiliar_ventas")
    return membership.user


def make_bank_account(
    company: Company, actor, *, opening: str = "100000.00", opened: date = date(2026, 1, 1)
) -> BankAccount:
    return bank_account_create(
        company=company,
        actor=actor,
        bank_code="012",
        number="0123456789",
        clabe=BBVA_CLABE,
        opening_balance=Decimal(opening),
        opening_date=opened,
    )
