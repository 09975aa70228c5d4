"""A company's treasury for other test modules (the isolation matrix): an account with a
column mapping, one imported movement and a suggested match with the given CFDI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from despacho.cfdi.models import Cfdi
from despacho.tenancy.models import Company
from despacho.treasury.models import (
    BankAccount,
    ColumnMapping,
    Match,
    MatchCfdi,
    MatchMovement,
    MatchStatus,
    Movement,
)
from despacho.treasury.services import bank_account_create, column_mapping_save, statement_import
from despacho.treasury.statements import PRESETS
from tests.factories import owner_of


@dataclass(frozen=True)
class Treasury:
    account: BankAccount
    mapping: ColumnMapping
    movement: Movement
    match: Match


def treasury_of(company: Company, cfdi: Cfdi, name: str) -> Treasury:
    owner: Any = owner_of(company.account)
    account = bank_account_create(
        company=company,
        actor=owner,
        bank_code="012",
        number="0123456789",
        name=f"CUENTA RESERVADA DE {name}",
        opening_balance=Decimal("0"),
        opening_date=date(2020, 1, 1),
    )
    mapping = column_mapping_save(
        company=company,
        actor=owner,
        name=f"FORMATO RESERVADO DE {name}",
        date_column="Fecha",
        description_column="Concepto",
        amount_column="Importe",
    )
    amount = cfdi.amount.quantize(Decimal("0.01"))
    statement_import(
        account=account,
        actor=owner,
        file_name="movimientos.csv",
        data=(
            "Fecha,Descripción,Importe\r\n"
            f'{cfdi.fecha:%d/%m/%Y},MOVIMIENTO RESERVADO DE {name},"{amount}"\r\n'
        ).encode(),
        layout=PRESETS["hsbc"],
    )
    movement = Movement.objects.get(account=account)
    with transaction.atomic():
        match = Match.objects.create(
            company=company,
            status=MatchStatus.SUGGESTED,
            score=Decimal("0.9"),
            reasons=["amount_exact"],
            movements_total=amount,
            cfdis_total=amount,
        )
        MatchMovement.objects.create(match=match, movement=movement)
        MatchCfdi.objects.create(match=match, cfdi=cfdi, category=cfdi.category, amount=amount)
    return Treasury(account, mapping, movement, match)
