"""Pieces every resource's schemas share: opaque ids, money, bounded text, list parameters."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query
from pydantic import Field

from despacho.access.catalog import Perm
from despacho.api.errors import ApiError, not_found
from despacho.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from despacho.datefields import EARLIEST_DATE, LATEST_DATE

CENTS = Decimal("0.01")
_MAX_ID = 2**63 - 1
# Text never carries NUL: PostgreSQL cannot store it (Django's forms refuse it the same way).
NO_NUL = r"^[^\x00]*$"


def text(default: Any = ..., *, max_length: int, **kwargs: Any) -> Any:
    """A string field: bounded, without NUL characters."""
    return Field(default, max_length=max_length, pattern=NO_NUL, **kwargs)


def money(value: Decimal | None) -> str | None:
    """An amount as the API shows it: a string with two decimals, rounded half up."""
    if value is None:
        return None
    return str(Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP))


def local(moment: datetime | None) -> datetime | None:
    """A stored (UTC) datetime shown in America/Mexico_City, with its offset."""
    return timezone.localtime(moment) if moment is not None else None


def object_id(value: object) -> int:
    """The primary key behind an opaque id; 404 for anything that cannot be one."""
    text_value = str(value)
    if not text_value.isascii() or not text_value.isdigit() or len(text_value) > 19:
        raise not_found()
    number = int(text_value)
    if not 0 < number <= _MAX_ID:
        raise not_found()
    return number


def filter_id(value: str | None, *, field: str) -> int | None:
    """An id given as a filter: None when absent, 422 naming the field when malformed."""
    if value in (None, ""):
        return None
    try:
        return object_id(value)
    except ApiError:
        raise ApiError(
            422,
            "invalid_id",
            _("%(field)s: no es un identificador válido.") % {"field": field},
            fields=[
                {"field": field, "code": "invalid_id", "message": _("Identificador no válido.")}
            ],
        ) from None


def query_text(default: Any = ..., *, max_length: int, **kwargs: Any) -> Any:
    """A string query parameter of an operation: bounded, without NUL characters."""
    return Query(default, max_length=max_length, pattern=NO_NUL, **kwargs)


LIMIT = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Page size (1–{MAX_LIMIT}).")
CURSOR = query_text(None, max_length=1000, description="`next_cursor` of the previous page.")


def day(description: str) -> Any:
    return Field(None, ge=EARLIEST_DATE, le=LATEST_DATE, description=description)


# The permission codes as a string enum, so JSON carries "ventas" (Perm itself is a plain
# Enum whose members would serialise by name). Built from the catalog: never spelled here.
PermCode = enum.StrEnum("PermCode", {perm.name: perm.value for perm in Perm})  # type: ignore[misc]


def perm_codes(perms: Iterable[Perm]) -> list[Any]:
    """Codes in the catalog's order."""
    return [PermCode(perm.value) for perm in sorted(perms, key=lambda p: p.bit)]


def perms_of(codes: Iterable[Any]) -> list[Perm]:
    return [Perm(str(code.value if isinstance(code, enum.Enum) else code)) for code in codes]
