"""The issuing pages at /facturar/ (Perm.FACTURAR on the active company).

Every view is guarded by ``require_perm(Perm.FACTURAR)`` (a 403 that names the reason);
the selectors and services check the same permission again and scope every draft to the
active company (another company's draft is a 404). The editor is one page per draft with
htmx fragments for its rows, its product picker and its live totals (computed by the
engine on the server).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from despacho.access.catalog import Perm
from despacho.access.guards import require_perm
from despacho.forms import form_errors_from
from despacho.invoicing.forms import (
    FORMSETS,
    GLOBAL_FIELDS,
    DraftEditor,
    SeriesForm,
    row_form,
    taxes_to_json,
)
from despacho.invoicing.models import Draft, DraftStatus, DraftTipo
from despacho.invoicing.selectors import (
    customer_invoices,
    draft_for,
    draft_list,
    draft_product,
    draft_products,
    invoicing_company,
    issued_recent,
    series_list,
    stamping_stuck,
)
from despacho.invoicing.services.drafts import (
    draft_clone,
    draft_create,
    draft_data_of,
    draft_delete,
    draft_update,
)
from despacho.invoicing.services.issue import draft_issue, draft_preview_pdf
from despacho.invoicing.services.series import series_create
from despacho.invoicing.specs import DraftData
from despacho.invoicing.totals import draft_amounts
from despacho.products.catalogs import product_key_search
from despacho.workspace.request import AppRequest

PICKER_SIZE = 20
# What a new draft starts with: SAT's Guía asks a Pago for CP01 (and XXX), a traslado for
# XXX; a traslado of one's own goods is usually S01.
NEW_MONEDA = {"I": "MXN", "E": "MXN", "P": "XXX", "T": "XXX"}
NEW_USO = {"P": "CP01", "T": "S01"}
# The customer's defaults the header takes when the customer is chosen (I and E only: a
# Pago states its forms per payment and its uso is CP01).
CUSTOMER_DEFAULTS = ("forma_pago", "metodo_pago", "uso_cfdi")
MAX_ROWS = 500
TIPO_TITLES = {
    "I": _("Factura"),
    "E": _("Nota de crédito"),
    "P": _("Complemento de pago"),
    "T": _("Traslado con Carta Porte"),
}


def _refused(request: AppRequest, exc: ValidationError) -> None:
    """A service's refusal as error messages on the next page, one per reason."""
    for message in exc.messages:
        messages.error(request, message)


def _draft(request: AppRequest, draft_id: int) -> Draft:
    return draft_for(viewer=request.user, company=request.workspace.company, draft_id=draft_id)


@require_perm(Perm.FACTURAR)
@require_GET
def invoicing_home_view(request: AppRequest) -> HttpResponse:
    """The company's drafts and its latest issued documents, and the buttons to start one."""
    company = request.workspace.company
    return render(
        request,
        "invoicing/home.html",
        {
            "drafts": draft_list(viewer=request.user, company=company)[:100],
            "issued": issued_recent(viewer=request.user, company=company),
            "tipos": DraftTipo.choices,
        },
    )


@require_perm(Perm.FACTURAR)
@require_http_methods(["GET", "POST"])
@never_cache
def series_view(request: AppRequest) -> HttpResponse:
    """The company's series, and the form that adds one."""
    company = invoicing_company(viewer=request.user, company=request.workspace.company)
    form = SeriesForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                series = series_create(company=company, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("Serie %(code)s creada.") % {"code": series.code})
                return redirect("invoicing:series")
        status = 400
    listed = series_list(viewer=request.user, company=company)
    return render(request, "invoicing/series.html", {"form": form, "series": listed}, status=status)


@require_perm(Perm.FACTURAR)
@require_POST
def draft_new_view(request: AppRequest) -> HttpResponse:
    """A new, empty draft of the asked tipo (its default series), opened in the editor."""
    tipo = request.POST.get("tipo", "")
    if tipo not in DraftTipo.values:
        messages.error(request, _("Tipo de comprobante: elige factura, nota, pago o traslado."))
        return redirect("invoicing:home")
    company = invoicing_company(viewer=request.user, company=request.workspace.company)
    data = DraftData(tipo=tipo, moneda=NEW_MONEDA[tipo], uso_cfdi=NEW_USO.get(tipo, ""))
    draft = draft_create(company=company, actor=request.user, data=data)
    return redirect("invoicing:edit", draft_id=draft.pk)


def _editor_page(
    request: AppRequest, editor: DraftEditor, *, status: int = 200, amounts: Any = None
) -> HttpResponse:
    draft = editor.draft
    customer = editor.header["customer"].value()
    chosen = editor.header.fields["customer"].queryset.filter(pk=customer or 0).first()  # type: ignore[attr-defined]
    invoices = []
    if draft.tipo in ("E", "P"):
        invoices = customer_invoices(
            viewer=request.user,
            company=draft.company,
            customer=chosen,
            ppd=draft.tipo == "P",
        )
    return render(
        request,
        "invoicing/editor.html",
        {
            "draft": draft,
            "editor": editor,
            "title": TIPO_TITLES[draft.tipo],
            "customer": chosen,
            "invoices": invoices,
            "amounts": amounts,
            "global_fields": GLOBAL_FIELDS,
            "stamping": draft.status == DraftStatus.STAMPING,
            "stuck": stamping_stuck(draft),
            "retry_minutes": settings.DESPACHO_STAMPING_RETRY_MINUTES,
        },
        status=status,
    )


def _amounts(request: AppRequest, editor: DraftEditor) -> Any:
    """The engine's amounts of what the editor says; None (and the refusal on the editor)
    when the data is not right yet."""
    if editor.draft.tipo == "P" or not editor.is_valid():
        return None
    try:
        return draft_amounts(
            viewer=request.user, company=editor.draft.company, data=editor.draft_data()
        )
    except ValidationError as exc:
        editor.add_error(exc)
        return None


def _saved_amounts(request: AppRequest, draft: Draft) -> Any:
    """The saved draft's amounts (None for a Pago, or while the engine refuses them)."""
    if draft.tipo == "P":
        return None
    try:
        return draft_amounts(viewer=request.user, company=draft.company, data=draft_data_of(draft))
    except ValidationError:
        return None


@require_perm(Perm.FACTURAR)
@require_http_methods(["GET", "POST"])
@never_cache
def draft_edit_view(request: AppRequest, draft_id: int) -> HttpResponse:
    """The editor: GET shows the saved draft, POST (Guardar) replaces it with the form."""
    draft = _draft(request, draft_id)
    if request.method == "GET":
        editor = DraftEditor(None, draft=draft)
        return _editor_page(request, editor, amounts=_saved_amounts(request, draft))
    editor = DraftEditor(request.POST, draft=draft)
    if editor.is_valid():
        try:
            draft_update(draft=draft, actor=request.user, data=editor.draft_data())
        except ValidationError as exc:
            editor.add_error(exc)
        else:
            messages.success(request, _("Borrador guardado."))
            return redirect("invoicing:edit", draft_id=draft.pk)
    return _editor_page(request, editor, status=400)


@require_perm(Perm.FACTURAR)
@require_POST
def draft_totals_view(request: AppRequest, draft_id: int) -> HttpResponse:
    """The totals fragment for what the editor says now (htmx, on every change)."""
    draft = _draft(request, draft_id)
    editor = DraftEditor(request.POST, draft=draft)
    amounts = _amounts(request, editor)
    return render(
        request,
        "invoicing/_totals.html",
        {"amounts": amounts, "editor": editor, "draft": draft, "fragment": True},
    )


@require_perm(Perm.FACTURAR)
@require_POST
def draft_customer_view(request: AppRequest, draft_id: int) -> HttpResponse:
    """The header again, forma/método de pago and uso CFDI taken from the chosen customer's
    defaults (htmx, when the customer changes)."""
    draft = _draft(request, draft_id)
    data: QueryDict = request.POST.copy()
    probe = DraftEditor(data, draft=draft)
    probe.header.is_valid()
    customer = probe.header.cleaned_data.get("customer")
    if customer is not None and draft.tipo in ("I", "E"):
        for name in CUSTOMER_DEFAULTS:
            if getattr(customer, name):
                data[name] = getattr(customer, name)
    editor = DraftEditor(data, draft=draft)
    editor.header.is_valid()
    return _editor_page(request, editor)


@require_perm(Perm.FACTURAR)
@require_GET
def draft_row_view(request: AppRequest, draft_id: int) -> HttpResponse:
    """One new row of a formset (htmx "Agregar"); a payment document may come prefilled with
    an invoice of the customer's (its UUID, balance and next parcialidad)."""
    draft = _draft(request, draft_id)
    section = request.GET.get("section", "")
    if section not in FORMSETS:
        return HttpResponse(status=400)
    index = _index(request.GET.get(f"{section}-TOTAL_FORMS"))
    initial: dict[str, Any] = {}
    uuid = request.GET.get("uuid", "")[:36]
    if section == "documents" and uuid:
        initial = {
            "related_uuid": uuid,
            "imp_saldo_ant": request.GET.get("saldo", "")[:30],
            "num_parcialidad": request.GET.get("parcialidad", "1")[:5],
        }
    elif section == "relations" and uuid:
        initial = {"uuid": uuid, "tipo_relacion": "01"}
    form = row_form(section, index, company=draft.company, initial=initial)
    return render(
        request,
        "invoicing/_row.html",
        {"form": form, "section": section, "index": index, "draft": draft, "total": index + 1},
    )


def _index(value: str | None) -> int:
    try:
        return min(max(int(value or 0), 0), MAX_ROWS)
    except ValueError:
        return 0


@require_perm(Perm.FACTURAR)
@require_GET
def draft_row_remove_view(request: AppRequest, draft_id: int) -> HttpResponse:
    """What replaces a removed row (htmx "Quitar"): its DELETE mark, so the formset skips it."""
    _draft(request, draft_id)
    section = request.GET.get("section", "")
    if section not in FORMSETS:
        return HttpResponse(status=400)
    index = _index(request.GET.get("index"))
    return render(request, "invoicing/_row_removed.html", {"section": section, "index": index})


@require_perm(Perm.FACTURAR)
@require_GET
def draft_products_view(request: AppRequest, draft_id: int) -> HttpResponse:
    """The product picker's matches for a concept row (htmx)."""
    draft = _draft(request, draft_id)
    query = (request.GET.get("q") or "")[:100]
    products = draft_products(viewer=request.user, company=draft.company, query=query)
    return render(
        request,
        "invoicing/_product_matches.html",
        {
            "products": products[:PICKER_SIZE] if query else [],
            "draft": draft,
            "index": _index(request.GET.get("index")),
        },
    )


@require_perm(Perm.FACTURAR)
@require_GET
def draft_product_row_view(request: AppRequest, draft_id: int, product_id: int) -> HttpResponse:
    """A concept row filled from the product: keys, unit, price, objeto and tax scheme."""
    draft = _draft(request, draft_id)
    product = draft_product(viewer=request.user, company=draft.company, product_id=product_id)
    index = _index(request.GET.get("index"))
    initial = {
        "product": product.pk,
        "clave_prod_serv": product.clave_prod_serv_id,
        "clave_unidad": product.clave_unidad_id,
        "unidad": product.unit,
        "descripcion": product.description,
        "cantidad": 1,
        "valor_unitario": product.unit_price,
        "descuento": 0,
        "objeto_imp": product.objeto_imp,
        "scheme": product.tax_scheme_id,
        "taxes": taxes_to_json(None),
    }
    form = row_form("concepts", index, company=draft.company, initial=initial)
    return render(
        request,
        "invoicing/_row.html",
        {"form": form, "section": "concepts", "index": index, "draft": draft},
    )


@require_perm(Perm.FACTURAR)
@require_GET
def sat_product_keys_view(request: AppRequest) -> HttpResponse:
    """SAT's c_ClaveProdServ suggestions for a typed-in concept (the products app's search)."""
    query = (request.GET.get("q") or "")[:100]
    for name in request.GET:
        if name.endswith("clave_prod_serv"):
            query = request.GET[name][:100]
    return render(
        request, "products/_key_options.html", {"keys": product_key_search(query)[:PICKER_SIZE]}
    )


@require_perm(Perm.FACTURAR)
@require_GET
def draft_preview_view(request: AppRequest, draft_id: int) -> HttpResponse:
    """The saved draft printed as it would be issued, watermarked BORRADOR."""
    draft = _draft(request, draft_id)
    try:
        pdf = draft_preview_pdf(draft=draft, viewer=request.user)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect("invoicing:edit", draft_id=draft.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="borrador-{draft.pk}.pdf"'
    return response


@require_perm(Perm.FACTURAR)
@require_POST
def draft_clone_view(request: AppRequest, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    clone = draft_clone(company=draft.company, actor=request.user, source_draft=draft)
    messages.success(request, _("Borrador copiado: es un documento nuevo, sin folio."))
    return redirect("invoicing:edit", draft_id=clone.pk)


@require_perm(Perm.FACTURAR)
@require_http_methods(["GET", "POST"])
def draft_delete_view(request: AppRequest, draft_id: int) -> HttpResponse:
    """GET asks to confirm; POST deletes (refused once the draft holds a folio)."""
    draft = _draft(request, draft_id)
    if request.method == "POST":
        try:
            draft_delete(draft=draft, actor=request.user)
        except ValidationError as exc:
            _refused(request, exc)
            return redirect("invoicing:edit", draft_id=draft.pk)
        messages.success(request, _("Borrador eliminado."))
        return redirect("invoicing:home")
    return render(request, "invoicing/delete.html", {"draft": draft})


@require_perm(Perm.FACTURAR)
@require_POST
def draft_issue_view(request: AppRequest, draft_id: int) -> HttpResponse:
    """Timbrar: the stored CFDI's page on success; the draft with the refusal otherwise
    (the draft keeps the folio it took)."""
    draft = _draft(request, draft_id)
    try:
        cfdi = draft_issue(draft=draft, actor=request.user)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect("invoicing:edit", draft_id=draft.pk)
    messages.success(
        request,
        _("CFDI timbrado: %(uuid)s.") % {"uuid": str(cfdi.uuid).upper()},
    )
    return redirect(reverse("cfdi:detail", kwargs={"uuid": cfdi.uuid}))


@require_perm(Perm.FACTURAR)
@require_POST
def cfdi_clone_view(request: AppRequest, uuid: UUID) -> HttpResponse:
    """Clonar como borrador: a new draft with an issued CFDI's content."""
    company = invoicing_company(viewer=request.user, company=request.workspace.company)
    try:
        clone = draft_clone(company=company, actor=request.user, source_uuid=str(uuid))
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(reverse("cfdi:detail", kwargs={"uuid": uuid}))
    messages.success(request, _("Borrador creado a partir del CFDI."))
    return redirect("invoicing:edit", draft_id=clone.pk)
