"""Reads of the SAT connection, always scoped by the viewer.

What a run brought is shown per direction only to whoever holds that direction's
permission: emitidos with Ventas, recibidos and their metadata with Egresos. A viewer who
opens neither (no Ventas and no Egresos on the company) gets nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from despacho.access.catalog import Perm
from despacho.access.decisions import can, can_open
from despacho.cfdi.models import Cfdi
from despacho.errors import NotFound
from despacho.people.models import User
from despacho.satsync.models import (
    FINAL_REQUEST_STATES,
    Direction,
    RequestState,
    RunState,
    SatMetadata,
    SatRequest,
    SyncRun,
    SyncSchedule,
)
from despacho.satsync.services import may_start
from despacho.tenancy.models import Company

RUNS_SHOWN = 10
METADATA_SHOWN = 50


@dataclass(frozen=True)
class RunView:
    """One run as the viewer may see it."""

    run: SyncRun
    emitidos: dict[str, int] | None  # None: the viewer does not hold Ventas
    recibidos: dict[str, int] | None  # None: the viewer does not hold Egresos
    metadata: int | None
    refusals: list[dict[str, str]]
    requests_total: int = 0
    requests_done: int = 0

    @property
    def percent(self) -> int:
        return int(100 * self.requests_done / self.requests_total) if self.requests_total else 0


@dataclass(frozen=True)
class SyncOverview:
    company: Company
    schedule: SyncSchedule
    last_success_at: datetime | None
    current: RunView | None
    runs: list[RunView]
    missing_xml: list[SatMetadata] = field(default_factory=list)
    may_start: bool = False
    sees_ventas: bool = False
    sees_egresos: bool = False


def _view(run: SyncRun, ventas: bool, egresos: bool, progress: tuple[int, int] = (0, 0)) -> RunView:
    counts: dict[str, Any] = run.counts or {}
    refusals = list(counts.get("refusals", [])) if (ventas and egresos) else []
    return RunView(
        run=run,
        emitidos=dict(counts.get(Direction.EMITIDOS, {})) if ventas else None,
        recibidos=dict(counts.get(Direction.RECIBIDOS, {})) if egresos else None,
        metadata=int((counts.get("metadata") or {}).get("rows", 0)) if egresos else None,
        refusals=refusals,
        requests_total=progress[0],
        requests_done=progress[1],
    )


def _progress(run: SyncRun) -> tuple[int, int]:
    """(requests, requests finished): a split request counts through its parts."""
    requests = SatRequest.objects.filter(run=run).exclude(state=RequestState.SPLIT)
    return requests.count(), requests.filter(state__in=FINAL_REQUEST_STATES).count()


def sync_overview(*, viewer: User, company: Company) -> SyncOverview:
    """The company's synchronisations for the page; NotFound for a viewer who opens neither
    Ventas nor Egresos on it."""
    if not can_open(viewer, company):
        raise NotFound()
    ventas = can(viewer, company, Perm.VENTAS)
    egresos = can(viewer, company, Perm.EGRESOS)
    schedule = SyncSchedule.objects.filter(company=company).first() or SyncSchedule(company=company)
    runs = list(SyncRun.objects.filter(company=company).order_by("-created_at", "-pk")[:RUNS_SHOWN])
    current = None
    open_run = next((r for r in runs if r.is_open), None)
    if open_run is not None:
        current = _view(open_run, ventas, egresos, _progress(open_run))
    missing: list[SatMetadata] = []
    if egresos:
        stored = Cfdi.objects.filter(company=company, uuid=OuterRef("uuid"))
        missing = list(
            SatMetadata.objects.filter(company=company, direction=Direction.RECIBIDOS)
            .exclude(Exists(stored))
            .order_by("-fecha_emision")[:METADATA_SHOWN]
        )
    return SyncOverview(
        company=company,
        schedule=schedule,
        last_success_at=schedule.last_success_at,
        current=current,
        runs=[_view(r, ventas, egresos) for r in runs if r is not open_run],
        missing_xml=missing,
        may_start=may_start(viewer, company),
        sees_ventas=ventas,
        sees_egresos=egresos,
    )


class RunNotFound(NotFound):
    """No such run of this company, or not within the viewer's reach."""


def sync_runs(*, viewer: User, company: Company) -> QuerySet[SyncRun]:
    """The company's runs (newest last by id); NotFound for a viewer who opens neither Ventas
    nor Egresos on it. Show each through ``sync_run_view``: it hides closed directions."""
    if not can_open(viewer, company):
        raise NotFound()
    return SyncRun.objects.filter(company=company)


def sync_run_view(*, viewer: User, run: SyncRun, progress: bool = False) -> RunView:
    """One run as the viewer may see it (a direction's counts only with its permission);
    ``progress`` counts its requests (two queries)."""
    company = run.company
    ventas = can(viewer, company, Perm.VENTAS)
    egresos = can(viewer, company, Perm.EGRESOS)
    return _view(run, ventas, egresos, _progress(run) if progress else (0, 0))


def sync_run_requests(*, viewer: User, run: SyncRun) -> list[SatRequest]:
    """The run's requests to SAT the viewer may see: emitidos with Ventas, recibidos (CFDI
    and metadata) with Egresos; in the order they were made."""
    directions = [
        direction
        for direction, perm in (
            (Direction.EMITIDOS, Perm.VENTAS),
            (Direction.RECIBIDOS, Perm.EGRESOS),
        )
        if can(viewer, run.company, perm)
    ]
    return list(
        SatRequest.objects.filter(run=run, direction__in=directions)
        .exclude(state=RequestState.SPLIT)
        .order_by("pk")
    )


def sync_run_for(*, viewer: User, company: Company, run_id: int) -> SyncRun:
    """The company's run with that id; RunNotFound whether it is missing or another's."""
    run = sync_runs(viewer=viewer, company=company).filter(pk=run_id).first()
    if run is None:
        raise RunNotFound()
    return run


def sync_cells(viewer: User, companies: list[Company]) -> dict[int, dict[str, Any]]:
    """For the Empresas page: each company's last run (state, what failed) and last
    success, for the companies the viewer opens — one query per page, whatever its size."""
    ids = [c.pk for c in companies if can_open(viewer, c)]
    if not ids:
        return {}
    latest = SyncRun.objects.filter(company=OuterRef("pk")).order_by("-created_at", "-pk")
    rows = (
        Company.objects.filter(pk__in=ids)
        .annotate(
            run_state=Subquery(latest.values("state")[:1]),
            run_error=Subquery(latest.values("error")[:1]),
            last_success=Subquery(
                SyncSchedule.objects.filter(company=OuterRef("pk")).values("last_success_at")[:1]
            ),
        )
        .values("pk", "run_state", "run_error", "last_success")
    )
    labels = dict(RunState.choices)
    return {
        row["pk"]: {
            "state": row["run_state"] or "",
            "state_label": labels.get(row["run_state"], ""),
            "error": row["run_error"] or "",
            "last_success_at": row["last_success"],
        }
        for row in rows
    }
