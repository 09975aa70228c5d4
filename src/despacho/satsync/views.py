"""The company's SAT synchronisation page (/sat/sincronizacion/): thin views over
``selectors.sync_overview`` and the services. Whoever opens the company (Ventas or Egresos)
sees the page, each direction's counts only with its permission; owners and admins start a
synchronisation or the backfill and set the daily schedule (anyone else: the 403 page, from
the services' PermissionDenied)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from despacho.errors import NotFound
from despacho.satsync.forms import ScheduleForm
from despacho.satsync.models import RunKind
from despacho.satsync.selectors import sync_overview
from despacho.satsync.services import schedule_update, sync_request
from despacho.tenancy.models import Company
from despacho.workspace.request import AppRequest


def _company(request: AppRequest) -> Company:
    company = request.workspace.company
    if company is None:
        raise NotFound()
    return company


@login_required
@require_GET
def sync_page(request: AppRequest) -> HttpResponse:
    """The last successful sync, what each run brought, what failed and why, the progress."""
    overview = sync_overview(viewer=request.user, company=_company(request))
    context = {
        "overview": overview,
        "form": ScheduleForm(
            initial={"daily": overview.schedule.daily, "days": overview.schedule.days}
        ),
    }
    if request.htmx and request.htmx.target == "sat-sync":
        return render(request, "satsync/_status.html", context)
    return render(request, "satsync/page.html", context)


def _start(request: AppRequest, kind: RunKind) -> HttpResponse:
    company = _company(request)
    sync_overview(viewer=request.user, company=company)  # 404 for who may not see the page
    try:
        sync_request(company=company, actor=request.user, kind=kind)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(
            request,
            _("Descarga histórica iniciada.")
            if kind == RunKind.BACKFILL
            else _("Descarga del SAT iniciada."),
        )
    return redirect("satsync:page")


@login_required
@require_POST
def sync_now(request: AppRequest) -> HttpResponse:
    return _start(request, RunKind.MANUAL)


@login_required
@require_POST
def backfill_start(request: AppRequest) -> HttpResponse:
    return _start(request, RunKind.BACKFILL)


@login_required
@require_POST
def schedule_save(request: AppRequest) -> HttpResponse:
    company = _company(request)
    sync_overview(viewer=request.user, company=company)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("satsync:page")
    try:
        schedule_update(
            company=company,
            actor=request.user,
            daily=form.cleaned_data["daily"],
            days=form.cleaned_data["days"],
        )
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, _("Descarga diaria guardada."))
    return redirect("satsync:page")
