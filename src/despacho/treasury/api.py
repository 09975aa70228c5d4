"""REST API of Tesorería (Perm.TESORERIA on the company): bank accounts, statement uploads,
movements and matches. Thin: each operation calls the selectors and services the pages
call. A matched CFDI of a category the key's person does not open is one line with its
sum (``uuid`` null), as on the page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status, UploadedFile
from pydantic import Field

from despacho.access.catalog import Perm
from despacho.access.decisions import can
from despacho.api.auth import Principal, caller, company_param, refused
from despacho.api.errors import ApiError, responses
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import CURSOR, LIMIT, money, object_id, query_text, text
from despacho.onboarding.csvfile import UnreadableFile
from despacho.tenancy.models import Company
from despacho.treasury.models import BankAccount, Match, MatchStatus, Movement
from despacho.treasury.reconciliation import (
    match_confirm,
    match_reject,
    match_undo,
    suggestions_refresh,
)
from despacho.treasury.selectors import (
    account_balance_now,
    account_for,
    accounts_of,
    mapping_for,
    match_for,
    match_views,
    matches_of,
    movements_of,
    pending_movements,
)
from despacho.treasury.services import StatementRefused, bank_account_create, statement_import
from despacho.treasury.statements import PRESETS, BankLayout, mapping_layout

bank_accounts_router = Router(tags=["treasury"])
bank_movements_router = Router(tags=["treasury"])
bank_matches_router = Router(tags=["treasury"])

COMPANY = query_text(max_length=20, description="The company's id (GET /companies).")
LAYOUT = Form(
    "",
    max_length=40,
    pattern=r"^[^\x00]*$",
    description="For CSV/XLSX: bbva, banorte, santander, banamex, hsbc or mapping:<id>.",
)


def _company(principal: Principal, company_id: str) -> Company:
    """The company, if the key may open it (404) and holds Tesorería there (403)."""
    company = company_param(principal, company_id)
    if not can(principal.user, company, Perm.TESORERIA):
        raise refused(principal, company, Perm.TESORERIA)
    return company


class BankAccountIn(Schema):
    company: str = text(max_length=20)
    bank: str = text(max_length=3, description="SAT's c_Banco code (`012` BBVA).")
    number: str = text(max_length=20)
    clabe: str = text("", max_length=18, description="18 digits; its check digit is verified.")
    currency: str = text("MXN", max_length=3)
    name: str = text("", max_length=80)
    opening_balance: Decimal = Field(max_digits=18, decimal_places=2)
    opening_date: date


class BankAccountOut(Schema):
    id: str
    company: str
    bank: str
    bank_name: str
    name: str
    number: str
    clabe: str
    currency: str
    opening_balance: str
    opening_date: date
    balance: str = Field(description="Opening balance plus every imported movement.")

    @staticmethod
    def of(account: BankAccount) -> BankAccountOut:
        return BankAccountOut(
            id=str(account.pk),
            company=str(account.company_id),
            bank=account.bank_code,
            bank_name=account.bank_name,
            name=account.name,
            number=account.number,
            clabe=account.clabe,
            currency=account.currency,
            opening_balance=money(account.opening_balance) or "0.00",
            opening_date=account.opening_date,
            balance=money(account_balance_now(account)) or "0.00",
        )


class StatementOut(Schema):
    statement: str | None = Field(description="The statement created; null when nothing new.")
    added: int
    skipped: int


class MovementOut(Schema):
    id: str
    account: str
    date: date
    amount: str = Field(description="Deposits positive, withdrawals negative.")
    description: str
    reference: str
    reconciled: bool

    @staticmethod
    def of(movement: Movement) -> MovementOut:
        return MovementOut(
            id=str(movement.pk),
            account=str(movement.account_id),
            date=movement.date,
            amount=money(movement.amount) or "0.00",
            description=movement.description,
            reference=movement.reference,
            reconciled=movement.reconciled,
        )


class MatchedCfdiOut(Schema):
    uuid: str | None = Field(description="Null for a category the person does not open.")
    label: str
    amount: str


class MatchOut(Schema):
    id: str
    status: MatchStatus
    manual: bool
    score: str
    reasons: list[str]
    movements: list[MovementOut]
    cfdis: list[MatchedCfdiOut]
    difference: str = Field(description="Bank amount minus the CFDIs' amount.")


def _match_out(principal: Principal, company: Company, matches: list[Match]) -> list[MatchOut]:
    return [
        MatchOut(
            id=str(view.match.pk),
            status=MatchStatus(view.match.status),
            manual=view.match.manual,
            score=str(view.match.score),
            reasons=[str(r) for r in view.match.reasons],
            movements=[MovementOut.of(m) for m in view.movements],
            cfdis=[
                MatchedCfdiOut(
                    uuid=str(c.cfdi.uuid) if c.cfdi else None,
                    label=c.label,
                    amount=money(c.amount) or "0.00",
                )
                for c in view.cfdis
            ],
            difference=money(view.match.difference) or "0.00",
        )
        for view in match_views(viewer=principal.user, company=company, matches=matches)
    ]


@bank_accounts_router.get("", response=responses({200: Page[BankAccountOut]}))
def bank_accounts_list(
    request: HttpRequest, company: str = COMPANY, limit: int = LIMIT, cursor: str | None = CURSOR
) -> Any:
    """The company's bank accounts."""
    principal = caller(request)
    rows = accounts_of(viewer=principal.user, company=_company(principal, company))
    page, next_cursor = paginate(rows, ordering=("id",), limit=limit, cursor=cursor)
    return {"items": [BankAccountOut.of(a) for a in page], "next_cursor": next_cursor}


@bank_accounts_router.post("", response=responses({201: BankAccountOut}))
def bank_accounts_create(request: HttpRequest, payload: BankAccountIn) -> Any:
    """Register a bank account (422 naming the field: `unknown_bank`, `clabe_check_digit`,
    `clabe_bank_mismatch`, …)."""
    principal = caller(request)
    account = bank_account_create(
        company=_company(principal, payload.company),
        actor=principal.user,
        bank_code=payload.bank,
        number=payload.number,
        clabe=payload.clabe,
        currency=payload.currency,
        name=payload.name,
        opening_balance=payload.opening_balance,
        opening_date=payload.opening_date,
    )
    return Status(201, BankAccountOut.of(account))


@bank_accounts_router.get("/{account_id}", response=responses({200: BankAccountOut}))
def bank_accounts_get(request: HttpRequest, account_id: str, company: str = COMPANY) -> Any:
    principal = caller(request)
    return BankAccountOut.of(
        account_for(
            viewer=principal.user,
            company=_company(principal, company),
            account_id=object_id(account_id),
        )
    )


def _layout(principal: Principal, company: Company, key: str) -> BankLayout | None:
    if not key:
        return None
    if key.startswith("mapping:"):
        mapping_id = object_id(key.split(":", 1)[1])
        return mapping_layout(
            mapping_for(viewer=principal.user, company=company, mapping_id=mapping_id)
        )
    if key not in PRESETS:
        message = "Formato desconocido: usa bbva, banorte, santander, banamex, hsbc o mapping:<id>."
        raise ApiError(
            422,
            "unknown_layout",
            message,
            fields=[{"field": "layout", "code": "unknown_layout", "message": message}],
        )
    return PRESETS[key]


@bank_accounts_router.post("/{account_id}/statements", response=responses({201: StatementOut}))
def bank_statements_upload(
    request: HttpRequest,
    account_id: str,
    file: File[UploadedFile],
    company: str = COMPANY,
    layout: str = LAYOUT,
) -> Any:
    """Import a statement (OFX, MT940, or a bank's CSV/XLSX with `layout`) whole or not at
    all; 422 `invalid_rows` lists each bad line in `fields`, `balance_chain`, `overlap`,
    `balance_gap`; the same movements again add nothing (`added: 0`)."""
    principal = caller(request)
    target = _company(principal, company)
    account = account_for(viewer=principal.user, company=target, account_id=object_id(account_id))
    limit: int = settings.IMPORT_MAX_BYTES
    if (file.size or 0) > limit:
        message = "El archivo es demasiado grande."
        raise ApiError(
            422,
            "too_large",
            message,
            fields=[{"field": "file", "code": "too_large", "message": message}],
        )
    try:
        result = statement_import(
            account=account,
            actor=principal.user,
            file_name=file.name or "estado.csv",
            data=file.read(),
            layout=_layout(principal, target, layout),
        )
    except UnreadableFile as exc:
        raise ApiError(
            422,
            exc.code,
            exc.message,
            fields=[{"field": "file", "code": exc.code, "message": exc.message}],
        ) from None
    except StatementRefused as exc:
        fields = [
            {
                "field": f"line {e['line']}: {e['field']}",
                "code": str(e["code"]),
                "message": str(e["message"]),
            }
            for e in exc.errors
        ] or [{"field": "file", "code": exc.code or "invalid", "message": exc.messages[0]}]
        raise ApiError(422, exc.code or "invalid", exc.messages[0], fields=fields) from None
    return Status(
        201,
        StatementOut(
            statement=str(result.statement.pk) if result.statement and result.added else None,
            added=result.added,
            skipped=result.skipped,
        ),
    )


@bank_movements_router.get("", response=responses({200: Page[MovementOut]}))
def bank_movements_list(
    request: HttpRequest,
    company: str = COMPANY,
    account: str | None = query_text(None, max_length=20),
    pending: bool = False,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """Movements of the company (or of one `account`); `pending=true`: not reconciled."""
    principal = caller(request)
    target = _company(principal, company)
    if account:
        bank = account_for(viewer=principal.user, company=target, account_id=object_id(account))
        rows = movements_of(viewer=principal.user, account=bank, pending_only=pending)
    else:
        rows = pending_movements(viewer=principal.user, company=target)
        if not pending:
            rows = Movement.objects.filter(company=target)
    page, next_cursor = paginate(rows, ordering=("-date", "-id"), limit=limit, cursor=cursor)
    return {"items": [MovementOut.of(m) for m in page], "next_cursor": next_cursor}


@bank_matches_router.get("", response=responses({200: Page[MatchOut]}))
def bank_matches_list(
    request: HttpRequest,
    company: str = COMPANY,
    status: MatchStatus = MatchStatus.SUGGESTED,
    limit: int = LIMIT,
    cursor: str | None = CURSOR,
) -> Any:
    """Matches of one status (default `suggested`), best score first."""
    principal = caller(request)
    target = _company(principal, company)
    rows = matches_of(viewer=principal.user, company=target, status=status)
    page, next_cursor = paginate(rows, ordering=("-id",), limit=limit, cursor=cursor)
    return {"items": _match_out(principal, target, list(page)), "next_cursor": next_cursor}


class RefreshOut(Schema):
    suggestions: int


@bank_matches_router.post("/refresh", response=responses({200: RefreshOut}))
def bank_matches_refresh(request: HttpRequest, company: str = COMPANY) -> Any:
    """Run the engine on every pending movement (replaces open suggestions)."""
    principal = caller(request)
    count = suggestions_refresh(company=_company(principal, company), actor=principal.user)
    return RefreshOut(suggestions=count)


def _decide(request: HttpRequest, match_id: str, company: str, action: Any) -> Any:
    principal = caller(request)
    target = _company(principal, company)
    match = match_for(viewer=principal.user, company=target, match_id=object_id(match_id))
    done = action(match=match, actor=principal.user)
    return _match_out(principal, target, [done])[0]


@bank_matches_router.post("/{match_id}/confirm", response=responses({200: MatchOut}))
def bank_matches_confirm(request: HttpRequest, match_id: str, company: str = COMPANY) -> Any:
    """Confirm a suggestion (409 `not_pending` if decided, `already_reconciled`)."""
    return _decide(request, match_id, company, match_confirm)


@bank_matches_router.post("/{match_id}/reject", response=responses({200: MatchOut}))
def bank_matches_reject(request: HttpRequest, match_id: str, company: str = COMPANY) -> Any:
    """Reject a suggestion: not proposed again."""
    return _decide(request, match_id, company, match_reject)


@bank_matches_router.post("/{match_id}/undo", response=responses({200: MatchOut}))
def bank_matches_undo(request: HttpRequest, match_id: str, company: str = COMPANY) -> Any:
    """Undo a confirmed match (audited): its movements are pending again."""
    return _decide(request, match_id, company, match_undo)
