"""The customers' pages at /clientes/ (Perm.DATOS_MAESTROS on the active company).

Every view is guarded by ``require_perm(Perm.DATOS_MAESTROS)``; the selectors check the
same permission again and scope every customer to the active company.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from despacho.access.catalog import Perm
from despacho.access.guards import require_perm
from despacho.customers.forms import CustomerFilterForm, CustomerForm
from despacho.customers.models import Customer
from despacho.customers.selectors import (
    Status,
    customer_cfdis,
    customer_for,
    customer_list,
    customer_portal_access,
    customers_company,
)
from despacho.customers.services import (
    EDITABLE,
    customer_create,
    customer_set_active,
    customer_update,
)
from despacho.onboarding.pages import ImportPages
from despacho.portal.selectors import portal_manage_allowed
from despacho.satcatalogs import Catalog, labelled
from despacho.tenancy.models import Company
from despacho.workspace.request import AppRequest

PAGE_SIZE = 50


def _customer(request: AppRequest, customer_id: int) -> Customer:
    return customer_for(
        viewer=request.user, company=request.workspace.company, customer_id=customer_id
    )


@require_perm(Perm.DATOS_MAESTROS)
@require_GET
def customer_list_view(request: AppRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None)
    cleaned = form.cleaned_data if form.is_valid() else {}
    customers = customer_list(
        viewer=request.user,
        company=request.workspace.company,
        query=cleaned.get("q", ""),
        status=cleaned.get("status") or Status.ACTIVE,
    )
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    template = "customers/_rows.html" if request.htmx else "customers/list.html"
    return render(request, template, {"form": form, "page": page, "query": params.urlencode()})


@require_perm(Perm.DATOS_MAESTROS)
@require_http_methods(["GET", "POST"])
@never_cache
def customer_create_view(request: AppRequest) -> HttpResponse:
    company = customers_company(viewer=request.user, company=request.workspace.company)
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_create(company=company, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Cliente %(rfc)s registrado.") % {"rfc": customer.rfc})
            return redirect("customers:detail", customer_id=customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": None})


@require_perm(Perm.DATOS_MAESTROS)
@require_GET
def customer_detail_view(request: AppRequest, customer_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    company = request.workspace.company
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "labels": {
                "regimen": labelled(Catalog.REGIMEN_FISCAL, customer.regimen_fiscal, " — "),
                "uso": labelled(Catalog.USO_CFDI, customer.uso_cfdi, " — "),
                "forma": labelled(Catalog.FORMA_PAGO, customer.forma_pago, " — "),
                "metodo": labelled(Catalog.METODO_PAGO, customer.metodo_pago, " — "),
                "pais": labelled(Catalog.PAIS, customer.pais, " — "),
            },
            "access": customer_portal_access(customer),
            "may_manage_portal": portal_manage_allowed(viewer=request.user, company=company),
            "cfdi_blocks": customer_cfdis(viewer=request.user, customer=customer),
        },
    )


@require_perm(Perm.DATOS_MAESTROS)
@require_http_methods(["GET", "POST"])
@never_cache
def customer_edit_view(request: AppRequest, customer_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    initial = {name: getattr(customer, name) for name in EDITABLE}
    initial["emails"] = "\n".join(customer.emails)
    form = CustomerForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            customer_update(customer=customer, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Cliente %(rfc)s modificado.") % {"rfc": customer.rfc})
            return redirect("customers:detail", customer_id=customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": customer})


@require_perm(Perm.DATOS_MAESTROS)
@require_POST
def customer_active_view(request: AppRequest, customer_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    active = request.POST.get("active") == "1"
    customer_set_active(customer=customer, actor=request.user, active=active)
    messages.success(
        request,
        (_("Cliente %(rfc)s restaurado.") if active else _("Cliente %(rfc)s archivado."))
        % {"rfc": customer.rfc},
    )
    return redirect("customers:detail", customer_id=customer.pk)


# --- imports from a CSV or XLSX file (the import engine's "customers" kind) ---------------


def _import_company(request: AppRequest) -> Company:
    return customers_company(viewer=request.user, company=request.workspace.company)


IMPORT_PAGES = ImportPages(
    kind_name="customers",
    namespace="customers",
    company_of=_import_company,
    title=gettext_lazy("Importar clientes"),
    back_url="customers:list",
    back_label=gettext_lazy("Volver a Clientes"),
    help_template="customers/_import_help.html",
    confirm_label=gettext_lazy("Importar clientes"),
)
