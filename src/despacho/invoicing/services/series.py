"""Series and folios: ``series_create`` and ``folio_take``, the one place a folio is given.

``folio_take`` increments the series' ``next_folio`` with one UPDATE that returns the new
value (``UPDATE … RETURNING``). The UPDATE locks the series row until the
transaction ends (PostgreSQL's row lock; SQLite's one writer), so concurrent takers
queue and each gets the next number; a transaction that rolls back gives its number back
with the rest of its writes. The caller writes the folio on its document in that same
transaction (``Draft`` has ``(series, folio)`` unique), so folios never repeat and never
skip.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.invoicing.models import SERIE_PATTERN, DraftTipo, Series
from despacho.invoicing.selectors import invoicing_company
from despacho.people.models import User
from despacho.products.services import field_error
from despacho.tenancy.models import Company

_SERIE_RE = re.compile(SERIE_PATTERN)
FOLIO_MAX = 2_147_483_647  # the column's range (SAT allows up to 40 characters)


def folio_take(*, series: Series) -> int:
    """The series' next folio, taken inside the caller's transaction (given back only if
    that transaction rolls back); ValidationError if the series is inactive."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("folio_take must run inside the transaction that records the folio")
    # UPDATE … RETURNING (PostgreSQL; SQLite since 3.35): the increment and its read back
    # in one round trip. The table's name is the model's, never input.
    table = connection.ops.quote_name(Series._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_folio = next_folio + 1 "  # noqa: S608
            "WHERE id = %s AND is_active AND next_folio < %s RETURNING next_folio",
            [series.pk, FOLIO_MAX],
        )
        row = cursor.fetchone()
    if row is None:
        raise field_error(
            "series",
            _("Serie: la serie %(code)s está desactivada o agotó sus folios.")
            % {"code": series.code},
            "series_unavailable",
        )
    series.next_folio = row[0]
    return int(row[0]) - 1


def series_create(
    *,
    company: Company,
    actor: User,
    code: str,
    tipo: str = "",
    next_folio: int = 1,
    is_default: bool = False,
) -> Series:
    """A new series of the company; as default, it replaces the tipo's previous default."""
    invoicing_company(viewer=actor, company=company)
    code = (code or "").strip()
    if not _SERIE_RE.match(code):
        raise field_error(
            "code",
            _("Serie: de 1 a 25 letras o dígitos, sin espacios ni símbolos."),
            "invalid_serie",
        )
    if tipo not in ("", *DraftTipo.values):
        raise field_error(
            "tipo", _("Tipo de comprobante: debe ser I, E, P, T o cualquiera."), "invalid_tipo"
        )
    if not 1 <= next_folio < FOLIO_MAX:
        raise field_error(
            "next_folio", _("Siguiente folio: debe ser un entero positivo."), "invalid_folio"
        )
    try:
        with transaction.atomic():
            if is_default:
                Series.objects.filter(company=company, tipo=tipo, is_default=True).update(
                    is_default=False
                )
            series = Series.objects.create(
                company=company, code=code, tipo=tipo, next_folio=next_folio, is_default=is_default
            )
            audit_record(
                actor=actor,
                action=Action.SERIES_CREATED,
                account=company.account,
                company=company,
                target=series,
                after={
                    "code": code,
                    "tipo": tipo,
                    "next_folio": next_folio,
                    "is_default": is_default,
                },
            )
    except IntegrityError:
        raise field_error(
            "code",
            _("Serie: la empresa ya tiene la serie %(code)s.") % {"code": code},
            "duplicate_serie",
        ) from None
    return series
