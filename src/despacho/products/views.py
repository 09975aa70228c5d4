"""The products pages at /productos/ (Perm.DATOS_MAESTROS on the active company).

Every view is guarded by ``require_perm(Perm.DATOS_MAESTROS)``; the selectors check the
same permission again and scope every object to the active company.
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
from despacho.forms import form_errors_from
from despacho.onboarding.pages import ImportPages
from despacho.products.catalogs import product_key_search, unit_key_search
from despacho.products.forms import (
    ProductFilterForm,
    ProductForm,
    TaxSchemeForm,
    line_formset,
    lines_from,
)
from despacho.products.models import Product
from despacho.products.selectors import (
    product_for,
    product_list,
    products_company,
    tax_scheme_for,
    tax_scheme_list,
)
from despacho.products.services import (
    LineSpec,
    product_create,
    product_set_active,
    product_update,
    tax_scheme_create,
    tax_scheme_presets_ensure,
    tax_scheme_update,
)
from despacho.tenancy.models import Company
from despacho.workspace.request import AppRequest

PAGE_SIZE = 50
SUGGESTIONS = 20


def _company(request: AppRequest) -> Company:
    """The active company, with its preset tax schemes the first time it gets here."""
    company = products_company(viewer=request.user, company=request.workspace.company)
    tax_scheme_presets_ensure(company=company)
    return company


@require_perm(Perm.DATOS_MAESTROS)
@require_GET
def product_list_view(request: AppRequest) -> HttpResponse:
    form = ProductFilterForm(request.GET or None)
    valid = form.is_valid()
    query = form.cleaned_data.get("q", "") if valid else ""
    archived = bool(form.cleaned_data.get("archived")) if valid else False
    products = product_list(
        viewer=request.user, company=_company(request), query=query, archived=archived
    )
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    template = "products/_rows.html" if request.htmx else "products/list.html"
    return render(
        request,
        template,
        {"form": form, "page": page, "query": params.urlencode(), "archived": archived},
    )


def _product_form(
    request: AppRequest, form: ProductForm, product: Product | None, status: int = 200
) -> HttpResponse:
    return render(request, "products/form.html", {"form": form, "product": product}, status=status)


@require_perm(Perm.DATOS_MAESTROS)
@require_http_methods(["GET", "POST"])
@never_cache
def product_create_view(request: AppRequest) -> HttpResponse:
    company = _company(request)
    form = ProductForm(request.POST or None, company=company)
    if request.method == "POST":
        if form.is_valid():
            try:
                product = product_create(
                    company=company, actor=request.user, data=form.data_for_service()
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("Producto dado de alta."))
                return redirect("products:edit", product_id=product.pk)
        return _product_form(request, form, None, status=400)
    return _product_form(request, form, None)


@require_perm(Perm.DATOS_MAESTROS)
@require_http_methods(["GET", "POST"])
@never_cache
def product_edit_view(request: AppRequest, product_id: int) -> HttpResponse:
    company = _company(request)
    product = product_for(viewer=request.user, company=company, product_id=product_id)
    initial = {
        "clave_prod_serv": product.clave_prod_serv_id,
        "clave_unidad": product.clave_unidad_id,
        "description": product.description,
        "unit": product.unit,
        "unit_price": product.unit_price,
        "objeto_imp": product.objeto_imp,
        "tax_scheme": product.tax_scheme_id,
    }
    form = ProductForm(request.POST or None, initial=initial, company=company)
    if request.method == "POST":
        if form.is_valid():
            try:
                product_update(product=product, actor=request.user, data=form.data_for_service())
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("Producto guardado."))
                return redirect("products:edit", product_id=product.pk)
        return _product_form(request, form, product, status=400)
    return _product_form(request, form, product)


@require_perm(Perm.DATOS_MAESTROS)
@require_POST
def product_active_view(request: AppRequest, product_id: int) -> HttpResponse:
    product = product_for(
        viewer=request.user, company=request.workspace.company, product_id=product_id
    )
    active = request.POST.get("active") == "1"
    product_set_active(product=product, actor=request.user, active=active)
    messages.success(request, _("Producto reactivado.") if active else _("Producto archivado."))
    return redirect("products:edit", product_id=product.pk)


@require_perm(Perm.DATOS_MAESTROS)
@require_GET
def scheme_list_view(request: AppRequest) -> HttpResponse:
    company = _company(request)
    schemes = tax_scheme_list(viewer=request.user, company=company)
    return render(request, "products/schemes.html", {"schemes": schemes})


def _scheme_form(
    request: AppRequest, form: TaxSchemeForm, formset: object, scheme: object, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "products/scheme_form.html",
        {"form": form, "formset": formset, "scheme": scheme},
        status=status,
    )


@require_perm(Perm.DATOS_MAESTROS)
@require_http_methods(["GET", "POST"])
@never_cache
def scheme_create_view(request: AppRequest) -> HttpResponse:
    company = _company(request)
    form = TaxSchemeForm(request.POST or None)
    formset = line_formset(request.POST or None)
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                scheme = tax_scheme_create(
                    company=company,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    lines=lines_from(formset),
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("Esquema de impuestos creado."))
                return redirect("products:scheme_edit", scheme_id=scheme.pk)
        return _scheme_form(request, form, formset, None, status=400)
    return _scheme_form(request, form, formset, None)


@require_perm(Perm.DATOS_MAESTROS)
@require_http_methods(["GET", "POST"])
@never_cache
def scheme_edit_view(request: AppRequest, scheme_id: int) -> HttpResponse:
    company = _company(request)
    scheme = tax_scheme_for(viewer=request.user, company=company, scheme_id=scheme_id)
    lines = [
        LineSpec(line.kind, line.impuesto, line.tipo_factor, line.rate)
        for line in scheme.lines.all()
    ]
    form = TaxSchemeForm(request.POST or None, initial={"name": scheme.name})
    formset = line_formset(request.POST or None, lines=lines)
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                tax_scheme_update(
                    scheme=scheme,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    lines=lines_from(formset),
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("Esquema de impuestos guardado."))
                return redirect("products:scheme_edit", scheme_id=scheme.pk)
        return _scheme_form(request, form, formset, scheme, status=400)
    return _scheme_form(request, form, formset, scheme)


def _query(request: AppRequest, field: str) -> str:
    """What the person typed: ``q``, or the completed field's own value (htmx sends it)."""
    return (request.GET.get("q") or request.GET.get(field) or "")[:100]


@require_perm(Perm.DATOS_MAESTROS)
@require_GET
def product_keys_view(request: AppRequest) -> HttpResponse:
    """The <option>s of the clave de producto o servicio's datalist (htmx fragment)."""
    keys = product_key_search(_query(request, "clave_prod_serv"))[:SUGGESTIONS]
    return render(request, "products/_key_options.html", {"keys": keys})


@require_perm(Perm.DATOS_MAESTROS)
@require_GET
def unit_keys_view(request: AppRequest) -> HttpResponse:
    keys = unit_key_search(_query(request, "clave_unidad"))[:SUGGESTIONS]
    return render(request, "products/_key_options.html", {"keys": keys})


# --- imports from a CSV or XLSX file (the import engine's "products" kind) ----------------

IMPORT_PAGES = ImportPages(
    kind_name="products",
    namespace="products",
    company_of=_company,
    title=gettext_lazy("Importar productos y servicios"),
    back_url="products:list",
    back_label=gettext_lazy("Volver a Productos"),
    help_template="products/_import_help.html",
    confirm_label=gettext_lazy("Importar productos"),
)
