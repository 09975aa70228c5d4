"""Reads of the SAT connection's public side, scoped like the CFDIs they describe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count

from despacho.access.catalog import Perm
from despacho.access.decisions import can
from despacho.cfdi.models import RISKY_LISTINGS, Cfdi, Direction
from despacho.people.models import Viewer
from despacho.satstatus.models import ListedTaxpayer, ListLoad, SatStatus, TimbreCheck
from despacho.tenancy.models import Company


@dataclass(frozen=True)
class SatView:
    """What the CFDI page shows of SAT: its status, the timbre's verdict, the emisor's lists."""

    status: SatStatus | None
    timbre: TimbreCheck | None
    listings: list[ListedTaxpayer]


def sat_view_of(cfdi: Cfdi) -> SatView:
    """SAT's view of a CFDI the caller already showed (``cfdi_for`` checked the viewer)."""
    listings: list[ListedTaxpayer] = []
    if cfdi.direction == Direction.RECIBIDO:
        listings = list(ListedTaxpayer.objects.filter(rfc=cfdi.emisor_rfc).order_by("lista"))
    return SatView(
        status=SatStatus.objects.filter(cfdi=cfdi).first(),
        timbre=TimbreCheck.objects.filter(cfdi=cfdi).first(),
        listings=listings,
    )


def risky_counts(*, viewer: Viewer, companies: Sequence[Company]) -> dict[int, int]:
    """Received CFDIs whose emisor is risky, per company whose Egresos the viewer opens."""
    open_ids = [c.pk for c in companies if can(viewer, c, Perm.EGRESOS)]
    if not open_ids:
        return {}
    rows = (
        Cfdi.objects.filter(
            company_id__in=open_ids, direction=Direction.RECIBIDO, emisor_listed__in=RISKY_LISTINGS
        )
        .values("company_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["company_id"]: row["n"] for row in rows}


def last_list_loads() -> list[ListLoad]:
    """The newest load of each list file (operations: is the data fresh)."""
    newest: dict[str, ListLoad] = {}
    for load in ListLoad.objects.order_by("source", "-loaded_at"):
        newest.setdefault(load.source, load)
    return list(newest.values())
