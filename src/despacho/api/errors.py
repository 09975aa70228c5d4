"""Every API error is one JSON envelope, with the HTTP status decided in one place.

``{"error": {"code": "...", "message": "...", "fields": [{"field", "code", "message"}]}}``

Services raise Django ``ValidationError`` with codes; ``STATUS_BY_CODE`` maps the
codes that are not plain "unprocessable" (422) to their status: conflicts with the
current state (409), refusals of who may act (403) and limits per hour (429). Objects
of another tenant are never 403: the selectors raise their not-found errors, mapped to
404.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from despacho.errors import NotFound

CONFLICT = 409
FORBIDDEN = 403
UNPROCESSABLE = 422
TOO_MANY_REQUESTS = 429

# Service codes whose HTTP meaning is not 422. Everything else a service refuses is 422.
STATUS_BY_CODE: dict[str, int] = {
    # The request conflicts with what already exists or with the object's current state.
    "rfc_taken": CONFLICT,
    "email_taken": CONFLICT,
    "already_member": CONFLICT,
    "already_deactivated": CONFLICT,
    "not_deactivated": CONFLICT,
    "already_accepted": CONFLICT,
    "already_revoked": CONFLICT,
    "membership_not_invited": CONFLICT,
    "idempotency_in_progress": CONFLICT,
    "already_linked": CONFLICT,
    "already_invited": CONFLICT,
    "not_pending": CONFLICT,
    "already_reconciled": CONFLICT,  # treasury: a movement already in a confirmed match
    "expired": CONFLICT,
    "not_accepted": CONFLICT,
    "not_ready": CONFLICT,
    # Issuing: a draft being stamped or already issued; a draft holding a folio.
    "not_editable": CONFLICT,
    "stamping_in_progress": CONFLICT,
    "folio_taken": CONFLICT,
    "duplicate_rfc": CONFLICT,
    "duplicate_tax_id": CONFLICT,
    "access_disabled": CONFLICT,
    # Cancelling a CFDI (cancellations.services): its current state or its dependents.
    "cancellation_open": CONFLICT,
    "not_vigente": CONFLICT,
    "live_dependents": CONFLICT,
    # The SAT synchronisation (satsync.services): another run of the company is open.
    "sync_running": CONFLICT,
    # Who may act: authenticated, but this person (or key) may not do it.
    "not_manager": FORBIDDEN,
    "owner_only": FORBIDDEN,
    "owner_protected": FORBIDDEN,
    "self_action": FORBIDDEN,
    "self_raise": FORBIDDEN,
    "own_permissions": FORBIDDEN,
    "cannot_act_as": FORBIDDEN,
    "key_scope": FORBIDDEN,
    "permission_denied": FORBIDDEN,
    "wrong_person": FORBIDDEN,
    "not_company_manager": FORBIDDEN,
    # Too many of something in a window (the service says how many and what to do).
    "too_many_link_invitations": TOO_MANY_REQUESTS,
}

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "rate_limited",
}

# Missing or not the caller's: every app's exception derives from despacho.errors.NotFound,
# which is Django's Http404; a missing row read with .get() is the same answer.
NOT_FOUND_ERRORS: tuple[type[Exception], ...] = (NotFound, Http404, ObjectDoesNotExist)


class ErrorField(Schema):
    field: str
    code: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    fields: list[ErrorField] = []


class ErrorOut(Schema):
    error: ErrorBody


class ApiError(Exception):
    """An error the API answers itself (not from a service): status, code, message, fields."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Iterable[dict[str, str]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = list(fields)
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("No existe, o no está a tu alcance."))


def envelope(code: str, message: str, fields: Iterable[dict[str, str]] = ()) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": list(fields)}}


def _text(error: ValidationError) -> str:
    message = str(error.message)
    return message % error.params if error.params else message


def validation_error_parts(
    exc: ValidationError, *, prefix: str = ""
) -> tuple[str, str, list[dict[str, str]]]:
    """(code, message, fields) of a service's ValidationError; the first error leads."""
    fields: list[dict[str, str]] = []
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            field = "" if name == "__all__" else f"{prefix}{name}"
            for error in errors:
                fields.append(
                    {"field": field, "code": error.code or "invalid", "message": _text(error)}
                )
    else:
        for error in exc.error_list:
            fields.append({"field": "", "code": error.code or "invalid", "message": _text(error)})
    first = fields[0] if fields else {"code": "invalid", "message": _("Datos inválidos.")}
    named = [f for f in fields if f["field"]]
    return first["code"], first["message"], named


def status_for(codes: Iterable[str]) -> int:
    """The status of a refusal with these codes: a limit, a forbidden or a conflict code wins."""
    statuses = {STATUS_BY_CODE.get(code, UNPROCESSABLE) for code in codes}
    for status in (TOO_MANY_REQUESTS, FORBIDDEN, CONFLICT):
        if status in statuses:
            return status
    return UNPROCESSABLE


logger = logging.getLogger("django.request")

# pydantic's error types, in Spanish: "<field>: <rule>" (``%(field)s`` and the error's
# ``ctx`` values fill them). A type not listed gets SCHEMA_FALLBACK.
SCHEMA_MESSAGES: dict[str, Promise] = {
    "missing": gettext_lazy("%(field)s: es obligatorio."),
    "string_type": gettext_lazy("%(field)s: debe ser texto."),
    "string_too_long": gettext_lazy("%(field)s: máximo %(max_length)s caracteres."),
    "string_too_short": gettext_lazy("%(field)s: mínimo %(min_length)s caracteres."),
    "string_pattern_mismatch": gettext_lazy("%(field)s: tiene caracteres no permitidos."),
    "int_type": gettext_lazy("%(field)s: debe ser un número entero."),
    "int_parsing": gettext_lazy("%(field)s: debe ser un número entero."),
    "int_from_float": gettext_lazy("%(field)s: debe ser un número entero, sin decimales."),
    "float_type": gettext_lazy("%(field)s: debe ser un número."),
    "float_parsing": gettext_lazy("%(field)s: debe ser un número."),
    "decimal_type": gettext_lazy("%(field)s: debe ser un número."),
    "decimal_parsing": gettext_lazy("%(field)s: debe ser un número."),
    "decimal_max_places": gettext_lazy("%(field)s: máximo %(decimal_places)s decimales."),
    "decimal_max_digits": gettext_lazy("%(field)s: máximo %(max_digits)s dígitos."),
    "bool_type": gettext_lazy("%(field)s: debe ser true o false."),
    "bool_parsing": gettext_lazy("%(field)s: debe ser true o false."),
    "greater_than": gettext_lazy("%(field)s: debe ser mayor que %(gt)s."),
    "greater_than_equal": gettext_lazy("%(field)s: debe ser %(ge)s o más."),
    "less_than": gettext_lazy("%(field)s: debe ser menor que %(lt)s."),
    "less_than_equal": gettext_lazy("%(field)s: debe ser %(le)s o menos."),
    "date_type": gettext_lazy("%(field)s: debe ser una fecha AAAA-MM-DD."),
    "date_parsing": gettext_lazy("%(field)s: debe ser una fecha AAAA-MM-DD."),
    "date_from_datetime_parsing": gettext_lazy("%(field)s: debe ser una fecha AAAA-MM-DD."),
    "datetime_type": gettext_lazy("%(field)s: debe ser una fecha y hora ISO 8601."),
    "datetime_parsing": gettext_lazy("%(field)s: debe ser una fecha y hora ISO 8601."),
    "datetime_from_date_parsing": gettext_lazy("%(field)s: debe ser una fecha y hora ISO 8601."),
    "uuid_type": gettext_lazy("%(field)s: debe ser un UUID."),
    "uuid_parsing": gettext_lazy("%(field)s: debe ser un UUID."),
    "enum": gettext_lazy("%(field)s: debe ser uno de %(expected)s."),
    "literal_error": gettext_lazy("%(field)s: debe ser uno de %(expected)s."),
    "list_type": gettext_lazy("%(field)s: debe ser una lista."),
    "too_long": gettext_lazy("%(field)s: máximo %(max_length)s elementos."),
    "too_short": gettext_lazy("%(field)s: mínimo %(min_length)s elementos."),
    "dict_type": gettext_lazy("%(field)s: debe ser un objeto JSON."),
    "model_type": gettext_lazy("%(field)s: debe ser un objeto JSON."),
    "model_attributes_type": gettext_lazy("%(field)s: debe ser un objeto JSON."),
    "extra_forbidden": gettext_lazy("%(field)s: este campo no existe."),
    "json_invalid": gettext_lazy("%(field)s: no es JSON válido."),
}
SCHEMA_FALLBACK = gettext_lazy("%(field)s: el valor no es válido.")


def schema_message(error: Mapping[str, Any], field: str) -> str:
    """A pydantic error in Spanish, naming the field and the rule it broke."""
    template = SCHEMA_MESSAGES.get(str(error.get("type", "")), SCHEMA_FALLBACK)
    params = {k: _readable(v) for k, v in (error.get("ctx") or {}).items()}
    params["field"] = field or _("El cuerpo de la solicitud")
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):  # a ctx without the value the template names
        return str(SCHEMA_FALLBACK) % params


def _readable(value: Any) -> str:
    # pydantic writes choices as "'a', 'b' or 'c'"; Spanish says "o".
    return str(value).replace(" or ", " o ")


def _schema_field(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "payload", "grants", 0, "company") → "grants.0.company"; ("query", "limit") → "limit"
    parts = [str(part) for part in loc[1:]]
    if loc and loc[0] in ("body", "form", "file") and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


def install(api: NinjaAPI) -> None:
    """Register the envelope for every error the API can answer."""

    def respond(
        request: HttpRequest,
        status: int,
        code: str,
        message: str,
        fields: Iterable[dict[str, str]] = (),
    ) -> HttpResponse:
        return api.create_response(request, envelope(code, message, fields), status=status)

    def on_api_error(request: HttpRequest, exc: Any) -> HttpResponse:
        response = respond(request, exc.status, exc.code, exc.message, exc.fields)
        for header, value in exc.headers.items():
            response[header] = value
        return response

    def on_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        code, message, fields = validation_error_parts(exc)
        status = status_for([code, *(f["code"] for f in fields)])
        return respond(request, status, code, message, fields)

    def on_schema_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        fields = []
        for error in exc.errors:
            field = _schema_field(error.get("loc", ()))
            fields.append(
                {
                    "field": field,
                    "code": str(error.get("type", "invalid")),
                    "message": schema_message(error, field),
                }
            )
        return respond(
            request,
            UNPROCESSABLE,
            "invalid_request",
            _("La solicitud no cumple el esquema: revisa los campos señalados."),
            fields,
        )

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        error = not_found()
        return respond(request, 404, error.code, error.message)

    def on_forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        message = str(exc) or _("No tienes permiso para hacer esto.")
        return respond(request, FORBIDDEN, "permission_denied", message)

    def on_authentication(request: HttpRequest, exc: Any) -> HttpResponse:
        response = respond(
            request,
            401,
            "unauthenticated",
            _("Falta la clave de API: envía «Authorization: Bearer <clave>»."),
        )
        response["WWW-Authenticate"] = 'Bearer realm="despacho"'
        return response

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        code = _CODE_BY_STATUS.get(exc.status_code, "error")
        message = str(exc)
        if exc.status_code == 400:  # ninja's only 400: a body it cannot parse
            message = _("El cuerpo de la solicitud no se puede leer: envía JSON válido.")
        return respond(request, exc.status_code, code, message)

    def on_server_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if settings.DEBUG:
            raise exc  # Django's debug page, for whoever runs it locally
        # What Django's own handler does for a 500: log it, tell request_finished listeners
        # (the test client re-raises from this signal unless told not to).
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        got_request_exception.send(sender=None, request=request)
        return respond(
            request,
            500,
            "server_error",
            _(
                "Algo falló de nuestro lado y no se completó la solicitud. Inténtalo de nuevo; "
                "si se repite, avísanos."
            ),
        )

    api.add_exception_handler(Exception, on_server_error)
    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(SchemaValidationError, on_schema_validation)
    for error_class in NOT_FOUND_ERRORS:
        api.add_exception_handler(error_class, on_not_found)
    api.add_exception_handler(PermissionDenied, on_forbidden)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)


ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 429)


def responses(ok: dict[int, Any]) -> dict[int, Any]:
    """An operation's responses: its own plus every error envelope (declared for OpenAPI)."""
    return {**ok, **dict.fromkeys(ERROR_STATUSES, ErrorOut)}


def file_response(*, media_type: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` for an operation whose 200 is a file: one 200 with its media type.

    ninja keys an operation's responses by the integer status; the 200 given here must be
    the same integer so it merges into that response (a ``"200"`` string would be a second
    ``200`` key in the JSON document, which Swagger UI refuses to parse).
    """
    content = {media_type: {"schema": schema}}
    return {"responses": {200: {"description": description, "content": content}}}


def json_method_not_allowed(urls: Any) -> Any:
    """The API's URL patterns, answering an unsupported method with the JSON envelope.

    django-ninja answers 405 in plain text before any handler runs; each view here turns
    that answer into the envelope (code ``method_not_allowed``) and keeps its ``Allow``.
    """
    patterns = urls[0]
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _json_405(pattern.callback)
    return urls


def _json_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            message = _("Método no permitido aquí; usa %(allowed)s.") % {"allowed": allowed}
            response = JsonResponse(envelope("method_not_allowed", message), status=405)
            response["Allow"] = allowed
        return response

    return wrapper
