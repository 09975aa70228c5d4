"""Tesorería's pages, under /tesoreria/: thin views over the selectors and services. Every
page needs Tesorería on the active company (the 403 page says why otherwise); an object of
another company is a 404 like a missing one."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from despacho.access.catalog import Perm
from despacho.access.guards import require_perm
from despacho.forms import form_errors_from
from despacho.onboarding.csvfile import UnreadableFile
from despacho.tenancy.models import Company
from despacho.treasury import charts
from despacho.treasury.forms import BankAccountForm, ManualMatchForm, MappingForm, StatementForm
from despacho.treasury.models import Match, MatchStatus
from despacho.treasury.reconciliation import (
    match_confirm,
    match_manual,
    match_reject,
    match_undo,
    suggestions_refresh,
)
from despacho.treasury.selectors import (
    account_balance_now,
    account_for,
    accounts_of,
    balance_series,
    differences,
    mapping_for,
    mappings_of,
    match_for,
    match_views,
    matches_of,
    movement_for,
    movements_of,
    paid_not_seen,
    pending_movements,
    reconciled_by_month,
    statements_of,
)
from despacho.treasury.services import (
    StatementRefused,
    bank_account_create,
    column_mapping_save,
    statement_import,
)
from despacho.treasury.statements import PRESETS, BankLayout, mapping_layout
from despacho.workspace.request import AppRequest

SHOWN = 100


def _company(request: AppRequest) -> Company:
    company = request.workspace.company
    assert company is not None  # require_perm refused a session without one
    return company


def _home(
    request: AppRequest, form: BankAccountForm | None = None, status: int = 200
) -> HttpResponse:
    company = _company(request)
    accounts = list(accounts_of(viewer=request.user, company=company))
    context = {
        "accounts": [(a, account_balance_now(a)) for a in accounts],
        "form": form or BankAccountForm(),
        "mapping_form": MappingForm(),
        "mappings": mappings_of(viewer=request.user, company=company),
        "month_chart": charts.reconciled_chart(
            reconciled_by_month(viewer=request.user, company=company)
        ),
    }
    return render(request, "treasury/home.html", context, status=status)


@require_perm(Perm.TESORERIA)
@require_GET
def home(request: AppRequest) -> HttpResponse:
    """The company's bank accounts, their balances, and the reconciled/pending chart."""
    return _home(request)


@require_perm(Perm.TESORERIA)
@require_POST
def account_create(request: AppRequest) -> HttpResponse:
    form = BankAccountForm(request.POST)
    if form.is_valid():
        try:
            account = bank_account_create(
                company=_company(request), actor=request.user, **form.cleaned_data
            )
        except ValidationError as refusal:
            form_errors_from(form, refusal)
        else:
            messages.success(request, _("Cuenta bancaria registrada."))
            return redirect("treasury:account", account_id=account.pk)
    return _home(request, form, status=422)


@require_perm(Perm.TESORERIA)
@require_POST
def mapping_save(request: AppRequest) -> HttpResponse:
    form = MappingForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("treasury:home")
    try:
        column_mapping_save(company=_company(request), actor=request.user, **form.cleaned_data)
    except ValidationError as refusal:
        for message in refusal.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Formato de columnas guardado."))
    return redirect("treasury:home")


def _account_page(
    request: AppRequest,
    account_id: int,
    form: StatementForm | None = None,
    refusal: StatementRefused | None = None,
    status: int = 200,
) -> HttpResponse:
    company = _company(request)
    account = account_for(viewer=request.user, company=company, account_id=account_id)
    context = {
        "account": account,
        "balance": account_balance_now(account),
        "statements": statements_of(viewer=request.user, account=account)[:24],
        "movements": movements_of(viewer=request.user, account=account)[:SHOWN],
        "form": form or StatementForm(mappings=mappings_of(viewer=request.user, company=company)),
        "refusal": refusal,
        "balance_chart": charts.balance_chart(balance_series(viewer=request.user, account=account)),
    }
    return render(request, "treasury/account.html", context, status=status)


@require_perm(Perm.TESORERIA)
@require_GET
def account_page(request: AppRequest, account_id: int) -> HttpResponse:
    """One account: its balance over time, statements and latest movements."""
    return _account_page(request, account_id)


def _layout(request: AppRequest, key: str) -> BankLayout | None:
    if key.startswith("mapping:"):
        mapping = mapping_for(
            viewer=request.user, company=_company(request), mapping_id=key.split(":", 1)[1]
        )
        return mapping_layout(mapping)
    return PRESETS.get(key)


@require_perm(Perm.TESORERIA)
@require_POST
def statement_upload(request: AppRequest, account_id: int) -> HttpResponse:
    """Import a statement whole, or say line by line why nothing was imported."""
    company = _company(request)
    account = account_for(viewer=request.user, company=company, account_id=account_id)
    form = StatementForm(
        request.POST, request.FILES, mappings=mappings_of(viewer=request.user, company=company)
    )
    if not form.is_valid():
        return _account_page(request, account_id, form, status=422)
    upload = form.cleaned_data["file"]
    if upload.size > settings.IMPORT_MAX_BYTES:
        form.add_error("file", _("El archivo es demasiado grande."))
        return _account_page(request, account_id, form, status=422)
    try:
        result = statement_import(
            account=account,
            actor=request.user,
            file_name=upload.name,
            data=upload.read(),
            layout=_layout(request, form.cleaned_data["layout"]),
        )
    except UnreadableFile as unreadable:
        form.add_error("file", unreadable.message)
        return _account_page(request, account_id, form, status=422)
    except StatementRefused as refusal:
        return _account_page(request, account_id, form, refusal=refusal, status=422)
    if result.added:
        messages.success(
            request,
            _("Estado de cuenta importado: %(added)d movimientos nuevos, %(skipped)d ya estaban.")
            % {"added": result.added, "skipped": result.skipped},
        )
    else:
        messages.info(request, _("Estos movimientos ya estaban importados; no se agregó nada."))
    return redirect("treasury:account", account_id=account.pk)


@require_perm(Perm.TESORERIA)
@require_GET
def reconcile_page(request: AppRequest) -> HttpResponse:
    """Suggestions to decide, pending movements, paid CFDIs not seen, differences."""
    company = _company(request)
    viewer = request.user
    suggested = list(
        matches_of(viewer=viewer, company=company, status=MatchStatus.SUGGESTED)[:SHOWN]
    )
    confirmed = list(
        matches_of(viewer=viewer, company=company, status=MatchStatus.CONFIRMED)[:SHOWN]
    )
    context = {
        "suggested": match_views(viewer=viewer, company=company, matches=suggested),
        "confirmed": match_views(viewer=viewer, company=company, matches=confirmed),
        "differences": match_views(
            viewer=viewer,
            company=company,
            matches=list(differences(viewer=viewer, company=company)[:SHOWN]),
        ),
        "pending": pending_movements(viewer=viewer, company=company)[:SHOWN],
        "paid_not_seen": paid_not_seen(viewer=viewer, company=company),
        "manual_form": ManualMatchForm(),
    }
    return render(request, "treasury/reconcile.html", context)


@require_perm(Perm.TESORERIA)
@require_POST
def suggest(request: AppRequest) -> HttpResponse:
    count = suggestions_refresh(company=_company(request), actor=request.user)
    messages.success(request, _("%(count)d sugerencias de conciliación.") % {"count": count})
    return redirect("treasury:reconcile")


def _decide(
    request: AppRequest, match_id: int, action: Callable[..., Match], done: str
) -> HttpResponse:
    match = match_for(viewer=request.user, company=_company(request), match_id=match_id)
    try:
        action(match=match, actor=request.user)
    except ValidationError as refusal:
        for message in refusal.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("treasury:reconcile")


@require_perm(Perm.TESORERIA)
@require_POST
def confirm(request: AppRequest, match_id: int) -> HttpResponse:
    return _decide(request, match_id, match_confirm, _("Conciliación confirmada."))


@require_perm(Perm.TESORERIA)
@require_POST
def reject(request: AppRequest, match_id: int) -> HttpResponse:
    return _decide(request, match_id, match_reject, _("Sugerencia rechazada."))


@require_perm(Perm.TESORERIA)
@require_POST
def undo(request: AppRequest, match_id: int) -> HttpResponse:
    return _decide(request, match_id, match_undo, _("Conciliación deshecha."))


@require_perm(Perm.TESORERIA)
@require_POST
def manual(request: AppRequest, movement_id: int) -> HttpResponse:
    """Match one movement by hand with the CFDIs whose UUIDs are given."""
    company = _company(request)
    movement = movement_for(viewer=request.user, company=company, movement_id=movement_id)
    form = ManualMatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indica al menos un UUID."))
        return redirect("treasury:reconcile")
    uuids = [line for line in form.cleaned_data["uuids"].split() if line.strip()]
    try:
        match_manual(company=company, actor=request.user, movements=[movement], uuids=uuids)
    except ValidationError as refusal:
        for message in refusal.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Movimiento conciliado a mano."))
    return redirect("treasury:reconcile")
