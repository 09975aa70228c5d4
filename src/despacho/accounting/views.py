"""The accounting pages at /contabilidad/ (Perm.POLIZAS on the active company).

Every view is guarded by ``require_perm(Perm.POLIZAS)``; the selectors check the same
permission again and scope everything to the active company. The CFDI detail page's
póliza panel (``poliza_panel``) shows only to who holds Pólizas.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from despacho.access.catalog import Perm
from despacho.access.guards import require_perm
from despacho.accounting import selectors
from despacho.accounting.forms import (
    AccountCreateForm,
    AccountUpdateForm,
    LineFormSet,
    PeriodForm,
    PolizaForm,
    RangeForm,
    RulesForm,
    month_of,
)
from despacho.accounting.models import Poliza, PolizaTipo
from despacho.accounting.posting import local_date, period_regenerate
from despacho.accounting.services import (
    RULE_FIELDS,
    account_create,
    account_update,
    chart_create_default,
    period_close,
    period_reopen,
    poliza_create,
    poliza_delete,
    poliza_update,
    rules_update,
)
from despacho.cfdi.models import Cfdi
from despacho.forms import form_errors_from
from despacho.tenancy.models import Company
from despacho.workspace.request import AppRequest


def poliza_panel(request: HttpRequest, cfdi: Cfdi) -> Mapping[str, Any] | None:
    """The CFDI page's póliza panel; None (hidden) to whoever lacks Pólizas."""
    polizas = selectors.cfdi_polizas(viewer=request.user, cfdi=cfdi)
    if polizas is None:
        return None
    return {"polizas": polizas}


def _company(request: AppRequest) -> Company:
    company = request.workspace.company
    assert company is not None  # require_perm let the view run
    return company


def _this_month() -> date:
    return local_date(timezone.now()).replace(day=1)


def _month_bounds(month: date) -> tuple[date, date]:
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return month, date.fromordinal(following.toordinal() - 1)


def _range(request: AppRequest) -> tuple[RangeForm, date, date, int | None]:
    """The report's period from the query (this month by default) and its level."""
    start, end = _month_bounds(_this_month())
    form = RangeForm(request.GET or None, initial={"desde": start, "hasta": end})
    level = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["desde"], form.cleaned_data["hasta"]
        level = form.cleaned_data.get("nivel")
    return form, start, end, level


@require_perm(Perm.POLIZAS)
@require_GET
def home(request: AppRequest) -> HttpResponse:
    company = _company(request)
    rules = selectors.rules_of(viewer=request.user, company=company)
    return render(request, "accounting/home.html", {"company": company, "rules": rules})


@require_perm(Perm.POLIZAS)
@require_POST
def chart_create(request: AppRequest) -> HttpResponse:
    try:
        chart_create_default(company=_company(request), actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Catálogo de cuentas creado."))
    return redirect("accounting:accounts")


@require_perm(Perm.POLIZAS)
@require_http_methods(["GET", "POST"])
def accounts(request: AppRequest) -> HttpResponse:
    company = _company(request)
    chart = selectors.chart_of(viewer=request.user, company=company)
    form = AccountCreateForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            account = account_create(company=company, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Cuenta %(code)s creada.") % {"code": account.code})
            return redirect("accounting:accounts")
    return render(
        request,
        "accounting/accounts.html",
        {"chart": chart, "form": form, "has_chart": bool(chart)},
        status=400 if form.errors else 200,
    )


@require_perm(Perm.POLIZAS)
@require_http_methods(["GET", "POST"])
def account_edit(request: AppRequest, ledger_account_id: int) -> HttpResponse:
    account = selectors.account_for(
        viewer=request.user, company=_company(request), pk=ledger_account_id
    )
    form = AccountUpdateForm(
        request.POST or None,
        initial={
            "name": account.name,
            "codigo_agrupador": account.codigo_agrupador,
            "nature": account.nature,
            "is_active": account.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            account_update(account=account, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Cuenta %(code)s guardada.") % {"code": account.code})
            return redirect("accounting:accounts")
    return render(
        request,
        "accounting/account_edit.html",
        {"account": account, "form": form},
        status=400 if form.errors else 200,
    )


@require_perm(Perm.POLIZAS)
@require_http_methods(["GET", "POST"])
def rules(request: AppRequest) -> HttpResponse:
    company = _company(request)
    current = selectors.rules_of(viewer=request.user, company=company)
    if current is None:
        messages.info(request, _("Primero crea el catálogo de cuentas de la empresa."))
        return redirect("accounting:home")
    form = RulesForm(request.POST or None, company=company, rules=current)
    if request.method == "POST" and form.is_valid():
        try:
            rules_update(
                company=company,
                actor=request.user,
                accounts={name: form.cleaned_data[name] for name in RULE_FIELDS},
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Reglas de pólizas guardadas."))
            return redirect("accounting:rules")
    return render(
        request, "accounting/rules.html", {"form": form}, status=400 if form.errors else 200
    )


@require_perm(Perm.POLIZAS)
@require_GET
def polizas(request: AppRequest) -> HttpResponse:
    month = month_of(request.GET.get("mes", "")) or _this_month()
    tipo = request.GET.get("tipo", "")
    tipo = tipo if tipo in PolizaTipo.values else ""
    start, end = _month_bounds(month)
    found = selectors.polizas_of(
        viewer=request.user, company=_company(request), start=start, end=end, tipo=tipo
    )
    return render(
        request,
        "accounting/polizas.html",
        {"polizas": found, "month": month, "tipo": tipo, "tipos": PolizaTipo.choices},
    )


def _poliza_form(
    request: AppRequest, company: Company, poliza: Poliza | None
) -> tuple[PolizaForm, Any]:
    accounts = selectors.detail_accounts(viewer=request.user, company=company)
    initial_lines: list[dict[str, Any]] = []
    initial: dict[str, Any] = {"tipo": PolizaTipo.DIARIO, "fecha": local_date(timezone.now())}
    if poliza is not None:
        initial = {"tipo": poliza.tipo, "fecha": poliza.fecha, "concepto": poliza.concepto}
        initial_lines = [
            {
                "account": m.account,
                "concepto": m.concepto,
                "debe": m.debe or None,
                "haber": m.haber or None,
                "uuids": ", ".join(str(c.uuid).upper() for c in m.cfdis.all()),
            }
            for m in poliza.movements.all()
        ]
    initial_lines += [{}] * 3
    header = PolizaForm(request.POST or None, initial=initial)
    lines = LineFormSet(
        request.POST or None,
        initial=None if request.method == "POST" else initial_lines,
        form_kwargs={"accounts": accounts, "company": company},
    )
    return header, lines


def _poliza_edit(request: AppRequest, poliza: Poliza | None) -> HttpResponse:
    company = _company(request)
    header, lines = _poliza_form(request, company, poliza)
    if request.method == "POST" and header.is_valid() and lines.is_valid():
        written = [line for form in lines.forms if (line := form.line()) is not None]
        try:
            if poliza is None:
                poliza = poliza_create(
                    company=company, actor=request.user, lines=written, **header.cleaned_data
                )
            else:
                poliza = poliza_update(
                    poliza=poliza, actor=request.user, lines=written, **header.cleaned_data
                )
        except ValidationError as exc:
            form_errors_from(header, exc)
        else:
            messages.success(request, _("Póliza guardada."))
            return redirect("accounting:poliza", poliza_id=poliza.pk)
    invalid = header.is_bound and (bool(header.errors) or not lines.is_valid())
    return render(
        request,
        "accounting/poliza_form.html",
        {"form": header, "lines": lines, "poliza": poliza},
        status=400 if invalid else 200,
    )


@require_perm(Perm.POLIZAS)
@require_http_methods(["GET", "POST"])
def poliza_new(request: AppRequest) -> HttpResponse:
    return _poliza_edit(request, None)


@require_perm(Perm.POLIZAS)
@require_http_methods(["GET", "POST"])
def poliza_edit(request: AppRequest, poliza_id: int) -> HttpResponse:
    poliza = selectors.poliza_for(viewer=request.user, company=_company(request), pk=poliza_id)
    return _poliza_edit(request, poliza)


@require_perm(Perm.POLIZAS)
@require_GET
def poliza_detail(request: AppRequest, poliza_id: int) -> HttpResponse:
    poliza = selectors.poliza_for(viewer=request.user, company=_company(request), pk=poliza_id)
    return render(request, "accounting/poliza.html", {"poliza": poliza})


@require_perm(Perm.POLIZAS)
@require_POST
def poliza_remove(request: AppRequest, poliza_id: int) -> HttpResponse:
    poliza = selectors.poliza_for(viewer=request.user, company=_company(request), pk=poliza_id)
    try:
        poliza_delete(poliza=poliza, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounting:poliza", poliza_id=poliza_id)
    messages.success(request, _("Póliza eliminada."))
    return redirect("accounting:polizas")


@require_perm(Perm.POLIZAS)
@require_http_methods(["GET", "POST"])
def periods(request: AppRequest) -> HttpResponse:
    company = _company(request)
    closed = selectors.closed_months(viewer=request.user, company=company)
    form = PeriodForm(request.POST or None, initial={"month": _this_month().strftime("%Y-%m")})
    if request.method == "POST" and form.is_valid():
        action, month = request.POST.get("action", ""), form.cleaned_data["month"]
        try:
            if action == "close":
                period_close(company=company, actor=request.user, month=month)
                messages.success(request, _("Periodo cerrado."))
            elif action == "reopen":
                period_reopen(
                    company=company,
                    actor=request.user,
                    month=month,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("Periodo reabierto."))
            else:
                summary = period_regenerate(company=company, actor=request.user, month=month)
                messages.success(
                    request,
                    _("Pólizas generadas: %(posted)s; de cancelación: %(reversed)s.")
                    % {"posted": summary.posted, "reversed": summary.reversed},
                )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            return redirect("accounting:periods")
    return render(
        request,
        "accounting/periods.html",
        {"closed": closed, "form": form},
        status=400 if form.errors else 200,
    )


@require_perm(Perm.POLIZAS)
@require_GET
def balanza_view(request: AppRequest) -> HttpResponse:
    company = _company(request)
    form, start, end, level = _range(request)
    report = selectors.balanza(
        viewer=request.user, company=company, start=start, end=end, level=level
    )
    if request.GET.get("formato") == "xlsx":
        response = HttpResponse(
            selectors.balanza_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = f"balanza-{company.rfc}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(
        request,
        "accounting/balanza.html",
        {"form": form, "report": report, "query": request.GET.urlencode()},
    )


@require_perm(Perm.POLIZAS)
@require_GET
def auxiliar_view(request: AppRequest) -> HttpResponse:
    company = _company(request)
    form, start, end, _level = _range(request)
    chart = selectors.chart_of(viewer=request.user, company=company)
    report = None
    if request.GET.get("cuenta"):
        account = selectors.account_for(
            viewer=request.user, company=company, pk=request.GET["cuenta"]
        )
        report = selectors.auxiliar(
            viewer=request.user, company=company, account=account, start=start, end=end
        )
    return render(
        request,
        "accounting/auxiliar.html",
        {"form": form, "chart": chart, "report": report},
    )


@require_perm(Perm.POLIZAS)
@require_GET
def diario_view(request: AppRequest) -> HttpResponse:
    form, start, end, _level = _range(request)
    found = selectors.libro_diario(
        viewer=request.user, company=_company(request), start=start, end=end
    )
    return render(request, "accounting/diario.html", {"form": form, "polizas": found})


@require_perm(Perm.POLIZAS)
@require_GET
def resultados_view(request: AppRequest) -> HttpResponse:
    form, start, end, _level = _range(request)
    statement = selectors.estado_de_resultados(
        viewer=request.user, company=_company(request), start=start, end=end
    )
    return render(request, "accounting/resultados.html", {"form": form, "statement": statement})


@require_perm(Perm.POLIZAS)
@require_GET
def balance_view(request: AppRequest) -> HttpResponse:
    form, _start, end, _level = _range(request)
    statement = selectors.balance_general(viewer=request.user, company=_company(request), end=end)
    return render(
        request, "accounting/balance.html", {"form": form, "statement": statement, "end": end}
    )
