"""The Carta Porte section at /carta-porte/ (Perm.DATOS_MAESTROS on the active company):
a list, a form and an archive button for each kind of item.

Every view is guarded by ``require_perm(Perm.DATOS_MAESTROS)``; the selectors check it
again and scope every item to the active company. The views of the four kinds are the
same functions over a ``Section`` (model, form, names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from despacho.access.catalog import Perm
from despacho.access.guards import require_perm
from despacho.cartaporte.forms import (
    AddressForm,
    FigureForm,
    LocationForm,
    TrailerForm,
    VehicleForm,
)
from despacho.cartaporte.models import Figure, Item, Location, Trailer, Vehicle
from despacho.cartaporte.selectors import cartaporte_company, item_for, item_list
from despacho.cartaporte.services import KINDS, item_archive, item_create, item_update
from despacho.forms import form_errors_from
from despacho.workspace.request import AppRequest

PAGE_SIZE = 50


@dataclass(frozen=True)
class Section:
    slug: str  # the URL's part and the names' prefix
    model: type[Item]
    form: type[forms.Form]
    title: Promise
    new: Promise
    empty: Promise
    columns: tuple[tuple[str, Promise], ...]


SECTIONS = (
    Section(
        "location",
        Location,
        LocationForm,
        gettext_lazy("Ubicaciones"),
        gettext_lazy("Nueva ubicación"),
        gettext_lazy("No hay ubicaciones. Registra los orígenes y destinos de tus envíos."),
        (
            ("name", gettext_lazy("Nombre")),
            ("get_location_type_display", gettext_lazy("Tipo")),
            ("rfc", gettext_lazy("RFC")),
            ("postal_code", gettext_lazy("CP")),
            ("state", gettext_lazy("Estado")),
        ),
    ),
    Section(
        "vehicle",
        Vehicle,
        VehicleForm,
        gettext_lazy("Vehículos"),
        gettext_lazy("Nuevo vehículo"),
        gettext_lazy("No hay vehículos registrados."),
        (
            ("plate", gettext_lazy("Placa")),
            ("configuration", gettext_lazy("Configuración")),
            ("model_year", gettext_lazy("Año")),
            ("permit_type", gettext_lazy("Permiso SCT")),
            ("insurer", gettext_lazy("Aseguradora")),
        ),
    ),
    Section(
        "trailer",
        Trailer,
        TrailerForm,
        gettext_lazy("Remolques"),
        gettext_lazy("Nuevo remolque"),
        gettext_lazy("No hay remolques registrados."),
        (
            ("plate", gettext_lazy("Placa")),
            ("subtype", gettext_lazy("Subtipo")),
            ("name", gettext_lazy("Nombre")),
        ),
    ),
    Section(
        "figure",
        Figure,
        FigureForm,
        gettext_lazy("Figuras de transporte"),
        gettext_lazy("Nueva figura"),
        gettext_lazy("No hay figuras de transporte. Registra a tus operadores."),
        (
            ("name", gettext_lazy("Nombre")),
            ("get_figure_type_display", gettext_lazy("Tipo")),
            ("rfc", gettext_lazy("RFC")),
            ("license", gettext_lazy("Licencia")),
        ),
    ),
)
BY_SLUG = {section.slug: section for section in SECTIONS}


def _rows(section: Section, items: Any) -> list[tuple[Item, list[Any]]]:
    rows = []
    for item in items:
        cells = []
        for attr, _label in section.columns:
            value = getattr(item, attr)
            cells.append(value() if callable(value) else value)
        rows.append((item, cells))
    return rows


def _form(section: Section, *args: Any, **kwargs: Any) -> forms.Form:
    form_class: Any = section.form  # every section's form takes ``codes_url``
    return form_class(*args, codes_url=reverse("cartaporte:address_codes"), **kwargs)


def _values(section: Section, form: forms.Form) -> dict[str, Any]:
    return {f: form.cleaned_data.get(f) for f in KINDS[section.model].fields if f in form.fields}


@require_perm(Perm.DATOS_MAESTROS)
@require_GET
def overview(request: AppRequest) -> HttpResponse:
    """The section's home: how many active items of each kind, and links to each list."""
    company = request.workspace.company
    counts = [
        (s, item_list(model=s.model, viewer=request.user, company=company).count())
        for s in SECTIONS
    ]
    return render(request, "cartaporte/overview.html", {"counts": counts})


def item_list_view(request: AppRequest, section: Section) -> HttpResponse:
    archived = request.GET.get("archivados") == "1"
    items = item_list(
        model=section.model,
        viewer=request.user,
        company=request.workspace.company,
        archived=archived,
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cartaporte/list.html",
        {
            "section": section,
            "sections": SECTIONS,
            "page": page,
            "rows": _rows(section, page.object_list),
            "archived": archived,
        },
    )


def item_create_view(request: AppRequest, section: Section) -> HttpResponse:
    company = cartaporte_company(viewer=request.user, company=request.workspace.company)
    form = _form(section, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item_create(
                model=section.model,
                company=company,
                actor=request.user,
                values=_values(section, form),
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Guardado."))
            return redirect(f"cartaporte:{section.slug}_list")
    return render(
        request,
        "cartaporte/form.html",
        {"section": section, "form": form, "title": section.new, "item": None},
    )


def item_edit_view(request: AppRequest, section: Section, item_id: int) -> HttpResponse:
    item = item_for(
        model=section.model,
        viewer=request.user,
        company=request.workspace.company,
        item_id=item_id,
    )
    fields = KINDS[section.model].fields
    initial = {f: getattr(item, f) for f in fields}
    form = _form(section, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item_update(item=item, actor=request.user, values=_values(section, form))
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Cambios guardados."))
            return redirect(f"cartaporte:{section.slug}_list")
    return render(
        request,
        "cartaporte/form.html",
        {"section": section, "form": form, "title": str(item), "item": item},
    )


def item_archive_view(request: AppRequest, section: Section, item_id: int) -> HttpResponse:
    item = item_for(
        model=section.model,
        viewer=request.user,
        company=request.workspace.company,
        item_id=item_id,
    )
    item_archive(item=item, actor=request.user)
    messages.success(request, _("Archivado: %(item)s.") % {"item": item})
    return redirect(f"cartaporte:{section.slug}_list")


def views_of(section: Section) -> dict[str, Any]:
    """The four guarded views of one section, each taking its URL's own id argument."""
    id_kwarg = f"{section.slug}_id"

    @require_perm(Perm.DATOS_MAESTROS)
    @require_GET
    def list_view(request: AppRequest) -> HttpResponse:
        return item_list_view(request, section)

    @require_perm(Perm.DATOS_MAESTROS)
    @require_http_methods(["GET", "POST"])
    @never_cache
    def create_view(request: AppRequest) -> HttpResponse:
        return item_create_view(request, section)

    @require_perm(Perm.DATOS_MAESTROS)
    @require_http_methods(["GET", "POST"])
    @never_cache
    def edit_view(request: AppRequest, **kwargs: int) -> HttpResponse:
        return item_edit_view(request, section, kwargs[id_kwarg])

    @require_perm(Perm.DATOS_MAESTROS)
    @require_POST
    def archive_view(request: AppRequest, **kwargs: int) -> HttpResponse:
        return item_archive_view(request, section, kwargs[id_kwarg])

    return {"list": list_view, "create": create_view, "edit": edit_view, "archive": archive_view}


@require_perm(Perm.DATOS_MAESTROS)
@require_GET
def address_codes(request: AppRequest) -> HttpResponse:
    """The municipio, localidad and colonia selects for the estado and CP typed so far
    (htmx re-draws them when either changes; the choices are the SAT's catalogs)."""
    form = AddressForm(request.GET)
    return render(request, "cartaporte/_codes.html", {"form": form})
