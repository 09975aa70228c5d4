"""Reading a draft with every row issuing reads, in a fixed number of queries.

Issuing checks a draft (``services.drafts.draft_checked`` over ``draft_data_of``) and then
builds its document (``assemble.document_of``): both walk the same rows. ``with_rows``
loads them once (the draft with its company, customer and series in one query; concepts,
relations, payments and the Carta Porte one query each; the Carta Porte's stops, figures
and goods only when the draft has a Carta Porte), and ``rows_of`` / ``carta_porte_of`` read
them from there. A draft loaded without them is read as before, one query per kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from despacho.invoicing.models import (
    Draft,
    DraftCartaPorte,
    DraftConcept,
    DraftFigure,
    DraftPayment,
    DraftStop,
)

_CARTA_PORTE_ROWS = (
    Prefetch("stops", queryset=DraftStop.objects.select_related("location")),
    Prefetch("figures", queryset=DraftFigure.objects.select_related("figure")),
    "goods",
)


def with_rows(drafts: QuerySet[Draft]) -> QuerySet[Draft]:
    """``drafts`` with what issuing reads joined or prefetched (see the module's docstring);
    ``carta_porte_rows`` must follow for the Carta Porte's own rows."""
    return drafts.select_related("company__account", "customer", "series").prefetch_related(
        Prefetch("concepts", queryset=DraftConcept.objects.select_related("product")),
        "relations",
        Prefetch("payments", queryset=DraftPayment.objects.prefetch_related("documents")),
        # A query of its own: joined to the locking SELECT, the Carta Porte's three outer
        # joins made that query slower than this one.
        Prefetch(
            "carta_porte", queryset=DraftCartaPorte.objects.select_related("vehicle", "trailer")
        ),
    )


def carta_porte_rows(drafts: Iterable[Draft]) -> None:
    """Prefetch the stops, figures and goods of those of ``drafts`` that carry a Carta Porte
    (loaded by ``with_rows``): no query when none does."""
    carrying = [draft for draft in drafts if carta_porte_of(draft) is not None]
    if carrying:
        prefetch_related_objects(carrying, *_CARTA_PORTE_ROWS)


def rows_of(draft: Draft, name: str, *related: str, prefetch: tuple[str, ...] = ()) -> Any:
    """The draft's child rows ``name`` (in their model's order): the prefetched ones if
    ``with_rows`` loaded them, else a query joining ``related`` (and prefetching
    ``prefetch``)."""
    manager = getattr(draft, name)
    if name in getattr(draft, "_prefetched_objects_cache", {}):
        return manager.all()
    rows = manager.select_related(*related) if related else manager.all()
    return rows.prefetch_related(*prefetch) if prefetch else rows


def carta_porte_of(draft: Draft) -> DraftCartaPorte | None:
    """The draft's Carta Porte (with its vehicle and trailer), or None."""
    if Draft.carta_porte.is_cached(draft):
        return getattr(draft, "carta_porte", None)
    return DraftCartaPorte.objects.filter(draft=draft).select_related("vehicle", "trailer").first()
