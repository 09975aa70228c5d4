"""Cursor pagination: keyset over a stable ordering that always ends in the primary key.

The cursor is opaque to clients: URL-safe base64 of the JSON list of the last
row's ordering values. Keyset (``WHERE (a, id) > (x, 42)``) rather than offsets,
so rows inserted while a client pages never shift what it sees.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from despacho.api.errors import ApiError

T = TypeVar("T")
M = TypeVar("M", bound=Model)

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
_MAX_INT = 2**63 - 1


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page."
    )


def _bad_cursor() -> ApiError:
    return ApiError(
        422,
        "invalid_cursor",
        _("Cursor: no es válido; usa el valor de «next_cursor» tal como llegó."),
        fields=[{"field": "cursor", "code": "invalid_cursor", "message": _("Cursor no válido.")}],
    )


def _plain(value: Any) -> Any:
    # Full precision: DjangoJSONEncoder would cut microseconds to milliseconds.
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(type(value).__name__)


def _encode(values: list[Any]) -> str:
    raw = json.dumps(values, default=_plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(model: type[Model], ordering: tuple[str, ...], cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None
    if not isinstance(values, list) or len(values) != len(ordering):
        raise _bad_cursor()
    parsed = []
    for name, value in zip(ordering, values, strict=True):
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise _bad_cursor()
        if isinstance(value, int) and abs(value) > _MAX_INT:
            raise _bad_cursor()
        field: Any = model._meta.get_field(name.lstrip("-"))
        try:
            parsed.append(field.to_python(value))
        except (ValidationError, ValueError, TypeError, OverflowError):
            raise _bad_cursor() from None
    return parsed


def _after_q(ordering: tuple[str, ...], values: list[Any]) -> Q:
    """(a > x) OR (a = x AND b > y) OR (a = x AND b = y AND id > z), per column direction."""
    result = Q()
    for index, term in enumerate(ordering):
        name = term.lstrip("-")
        op = "lt" if term.startswith("-") else "gt"
        clause = Q(**{f"{name}__{op}": values[index]})
        for prior in range(index):
            clause &= Q(**{ordering[prior].lstrip("-"): values[prior]})
        result |= clause
    return result


def paginate(
    qs: QuerySet[M], *, ordering: tuple[str, ...], limit: int, cursor: str | None
) -> tuple[list[M], str | None]:
    """One page of ``qs`` in ``ordering`` (which must end in ``id``/``-id``) and the next cursor."""
    assert ordering[-1].lstrip("-") in ("id", "pk")
    qs = qs.order_by(*ordering)
    if cursor:
        qs = qs.filter(_after_q(ordering, _decode(qs.model, ordering, cursor)))
    rows = list(qs[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, _encode([getattr(last, term.lstrip("-")) for term in ordering])
