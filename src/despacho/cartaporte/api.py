"""REST API of the Carta Porte data (Perm.DATOS_MAESTROS on the company):
/api/v1/cartaporte/locations, /vehicles, /trailers and /figures.

The same services and selectors as the pages; the company is an explicit parameter, as
in the CFDI and portal routes. Each kind has the same five operations (list with a
cursor, get, create with Idempotency-Key, update, archive), mounted by ``_mount`` from
its schemas. (No postponed annotations here: ninja reads the closures' schemas.)
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from despacho.access.catalog import Perm
from despacho.api.auth import Principal, caller, company_param, refused
from despacho.api.errors import responses
from despacho.api.idempotency import idempotent
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import CURSOR, LIMIT, local, object_id, query_text, text
from despacho.cartaporte.models import (
    Figure,
    FigureType,
    Item,
    Location,
    LocationRole,
    Trailer,
    Vehicle,
)
from despacho.cartaporte.selectors import (
    CartaPorteForbidden,
    cartaporte_company,
    item_for,
    item_list,
)
from despacho.cartaporte.services import KINDS, item_archive, item_create, item_update
from despacho.tenancy.models import Company

cartaporte_router = Router(tags=["cartaporte"])

COMPANY = query_text(max_length=20, description="The company's id (GET /companies).")
ARCHIVED = Query(False, description="List the archived items instead of the active ones.")


def _code(max_length: int, description: str, default: Any = "") -> Any:
    return text(default, max_length=max_length, description=description)


class AddressIn(Schema):
    state: str = _code(3, "c_Estado (e.g. `JAL`).")
    municipality: str = _code(3, "c_Municipio of that estado (e.g. `039`).")
    locality: str = _code(2, "c_Localidad of that estado.")
    neighborhood: str = _code(4, "c_Colonia of the código postal.")
    postal_code: str = _code(5, "c_CodigoPostal, consistent with the estado and municipio.")
    street: str = text("", max_length=100)
    exterior_number: str = text("", max_length=55)
    interior_number: str = text("", max_length=55)
    reference: str = text("", max_length=250)


class AddressPatch(Schema):
    state: str | None = _code(3, "c_Estado.", None)
    municipality: str | None = _code(3, "c_Municipio.", None)
    locality: str | None = _code(2, "c_Localidad.", None)
    neighborhood: str | None = _code(4, "c_Colonia.", None)
    postal_code: str | None = _code(5, "c_CodigoPostal.", None)
    street: str | None = text(None, max_length=100)
    exterior_number: str | None = text(None, max_length=55)
    interior_number: str | None = text(None, max_length=55)
    reference: str | None = text(None, max_length=250)


class AddressOut(Schema):
    state: str
    municipality: str
    locality: str
    neighborhood: str
    postal_code: str
    street: str
    exterior_number: str
    interior_number: str
    reference: str
    country: str = Field(description="`MEX` when there is an address, else empty.")


class ItemOut(Schema):
    id: str
    company: str
    archived: bool
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class LocationIn(AddressIn):
    company: str = text(max_length=20, description="The company's id.")
    name: str = text(max_length=120, description="A name for the list (unique among active).")
    location_type: LocationRole = Field(description="`origin`, `destination` or `both`.")
    rfc: str = _code(13, "RFC of the remitente or destinatario (generic ones allowed).", ...)


class LocationPatch(AddressPatch):
    name: str | None = text(None, max_length=120)
    location_type: LocationRole | None = None
    rfc: str | None = _code(13, "RFC of the remitente or destinatario.", None)


class LocationOut(ItemOut, AddressOut):
    name: str
    location_type: LocationRole
    rfc: str


class VehicleIn(Schema):
    company: str = text(max_length=20, description="The company's id.")
    name: str = text("", max_length=120)
    configuration: str = _code(8, "c_ConfigAutotransporte (e.g. `C2`, `T3S2`).", ...)
    plate: str = _code(7, "5 to 7 letters or digits, no spaces or dashes.", ...)
    model_year: int = Field(ge=0, le=9999, description="4 digits, at most next year.")
    permit_type: str = _code(6, "c_TipoPermiso (e.g. `TPAF01`).", ...)
    permit_number: str = text(max_length=50)
    insurer: str = text(max_length=50, description="Aseguradora de responsabilidad civil.")
    policy: str = text(max_length=30, description="Póliza de responsabilidad civil.")


class VehiclePatch(Schema):
    name: str | None = text(None, max_length=120)
    configuration: str | None = _code(8, "c_ConfigAutotransporte.", None)
    plate: str | None = _code(7, "5 to 7 letters or digits.", None)
    model_year: int | None = Field(None, ge=0, le=9999)
    permit_type: str | None = _code(6, "c_TipoPermiso.", None)
    permit_number: str | None = text(None, max_length=50)
    insurer: str | None = text(None, max_length=50)
    policy: str | None = text(None, max_length=30)


class VehicleOut(ItemOut):
    name: str
    configuration: str
    plate: str
    model_year: int
    permit_type: str
    permit_number: str
    insurer: str
    policy: str


class TrailerIn(Schema):
    company: str = text(max_length=20, description="The company's id.")
    name: str = text("", max_length=120)
    subtype: str = _code(6, "c_SubTipoRem (e.g. `CTR004`).", ...)
    plate: str = _code(7, "5 to 7 letters or digits, no spaces or dashes.", ...)


class TrailerPatch(Schema):
    name: str | None = text(None, max_length=120)
    subtype: str | None = _code(6, "c_SubTipoRem.", None)
    plate: str | None = _code(7, "5 to 7 letters or digits.", None)


class TrailerOut(ItemOut):
    name: str
    subtype: str
    plate: str


class FigureIn(AddressIn):
    company: str = text(max_length=20, description="The company's id.")
    figure_type: FigureType = Field(description="c_FiguraTransporte: `01` operador, …")
    rfc: str = _code(13, "The person's RFC (check digit verified).", ...)
    name: str = text(max_length=254)
    license: str = _code(16, "Licencia federal; required for an operador (`01`).")


class FigurePatch(AddressPatch):
    figure_type: FigureType | None = None
    rfc: str | None = _code(13, "The person's RFC.", None)
    name: str | None = text(None, max_length=254)
    license: str | None = _code(16, "Licencia federal.", None)


class FigureOut(ItemOut, AddressOut):
    figure_type: FigureType
    rfc: str
    name: str
    license: str


def _out(schema: type[Schema], item: Item) -> Any:
    fields = {name: getattr(item, name) for name in schema.model_fields if hasattr(item, name)}
    fields.update(
        id=str(item.pk),
        company=str(item.company_id),
        archived=item.archived_at is not None,
        archived_at=local(item.archived_at),
        created_at=local(item.created_at),
        updated_at=local(item.updated_at),
    )
    return schema(**fields)


def _company(principal: Principal, company_id: str) -> Company:
    """The company, if the key may open it (404) and keep its master data (403, saying why)."""
    company = company_param(principal, company_id)
    try:
        return cartaporte_company(viewer=principal.user, company=company)
    except CartaPorteForbidden:
        raise refused(principal, company, Perm.DATOS_MAESTROS) from None


def _mount(
    path: str,
    slug: str,
    model: type[Item],
    schema_in: type[Schema],
    schema_patch: type[Schema],
    schema_out: type[Schema],
) -> None:
    """The five operations of one kind, under ``/cartaporte/<path>``."""
    id_name = f"{slug}_id"
    fields = KINDS[model].fields

    def _item(request: HttpRequest, item_id: str, company: str) -> tuple[Principal, Item]:
        principal = caller(request)
        item = item_for(
            model=model,
            viewer=principal.user,
            company=_company(principal, company),
            item_id=object_id(item_id),
        )
        return principal, item

    def list_items(
        request: HttpRequest,
        company: str = COMPANY,
        archived: bool = ARCHIVED,
        limit: int = LIMIT,
        cursor: str | None = CURSOR,
    ) -> Any:
        principal = caller(request)
        qs = item_list(
            model=model,
            viewer=principal.user,
            company=_company(principal, company),
            archived=archived,
        )
        rows, next_cursor = paginate(qs, ordering=("id",), limit=limit, cursor=cursor)
        return {"items": [_out(schema_out, i) for i in rows], "next_cursor": next_cursor}

    def create_item(request: HttpRequest, response: HttpResponse, payload: schema_in) -> Any:  # type: ignore[valid-type]
        principal = caller(request)
        values = payload.dict()  # type: ignore[attr-defined]
        item = item_create(
            model=model,
            company=_company(principal, values.pop("company")),
            actor=principal.user,
            values=values,
        )
        return Status(201, _out(schema_out, item))

    def get_item(request: HttpRequest, company: str = COMPANY, **kwargs: str) -> Any:
        _principal, item = _item(request, kwargs[id_name], company)
        return _out(schema_out, item)

    def update_item(
        request: HttpRequest,
        payload: schema_patch,  # type: ignore[valid-type]
        company: str = COMPANY,
        **kwargs: str,
    ) -> Any:
        principal, item = _item(request, kwargs[id_name], company)
        given = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}  # type: ignore[attr-defined]
        values = {**{f: getattr(item, f) for f in fields}, **given}
        return _out(schema_out, item_update(item=item, actor=principal.user, values=values))

    def archive_item(request: HttpRequest, company: str = COMPANY, **kwargs: str) -> Any:
        principal, item = _item(request, kwargs[id_name], company)
        return _out(schema_out, item_archive(item=item, actor=principal.user))

    # ninja reads the path parameter from the signature: give the closures their name.
    for view in (get_item, update_item, archive_item):
        _with_path_param(view, id_name)
    cartaporte_router.get(
        f"/{path}",
        response=responses({200: Page[schema_out]}),  # type: ignore[valid-type]
        operation_id=f"cartaporte_{path}_list",
        url_name=f"cartaporte_{path}",
        summary=f"List the company's {path}",
    )(list_items)
    cartaporte_router.post(
        f"/{path}",
        response=responses({201: schema_out}),
        operation_id=f"cartaporte_{path}_create",
        url_name=f"cartaporte_{path}",
        summary=f"Create one of the company's {path}",
    )(idempotent(create_item))
    cartaporte_router.get(
        f"/{path}/{{{id_name}}}",
        response=responses({200: schema_out}),
        operation_id=f"cartaporte_{path}_get",
        url_name=f"cartaporte_{slug}",
    )(get_item)
    cartaporte_router.patch(
        f"/{path}/{{{id_name}}}",
        response=responses({200: schema_out}),
        operation_id=f"cartaporte_{path}_update",
        url_name=f"cartaporte_{slug}",
        summary="Change some fields (what is omitted stays; every rule is checked again)",
    )(update_item)
    cartaporte_router.post(
        f"/{path}/{{{id_name}}}/archive",
        response=responses({200: schema_out}),
        operation_id=f"cartaporte_{path}_archive",
        url_name=f"cartaporte_{slug}_archive",
        summary="Archive (hide from the lists; idempotent)",
    )(archive_item)


def _with_path_param(view: Any, name: str) -> None:
    """Replace the view's ``**kwargs`` with one string parameter ``name`` (the path's id)."""
    import inspect

    signature = inspect.signature(view)
    params = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    position = 1 if len(params) < 2 or params[1].name != "payload" else 2
    params.insert(
        position, inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str)
    )
    view.__signature__ = signature.replace(parameters=params)


_mount("locations", "location", Location, LocationIn, LocationPatch, LocationOut)
_mount("vehicles", "vehicle", Vehicle, VehicleIn, VehiclePatch, VehicleOut)
_mount("trailers", "trailer", Trailer, TrailerIn, TrailerPatch, TrailerOut)
_mount("figures", "figure", Figure, FigureIn, FigurePatch, FigureOut)
