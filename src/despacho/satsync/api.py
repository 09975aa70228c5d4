"""REST API of the SAT synchronisation: a company's runs (list, detail with progress and
what failed) and asking for one, with the page's rules (``selectors``, ``services``).

Whoever opens the company (Ventas or Egresos) sees its runs, each direction's counts and
requests only with that direction's permission; owners and admins (the page's rule,
``services.may_start``) ask for a run with a key that is not narrowed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from despacho.api.auth import caller, company_param
from despacho.api.errors import ApiError, responses
from despacho.api.idempotency import idempotent
from despacho.api.pagination import Page, paginate
from despacho.api.schemas import CURSOR, LIMIT, local, object_id, query_text, text
from despacho.satsync.models import RunKind, RunState, SatRequest, SyncRun
from despacho.satsync.selectors import (
    RunView,
    sync_run_for,
    sync_run_requests,
    sync_run_view,
    sync_runs,
)
from despacho.satsync.services import sync_request

syncs_router = Router(tags=["sat-syncs"])

COMPANY = query_text(max_length=20, description="The company's id (GET /companies).")
DIRECTION_COUNTS = (
    "`{accepted, duplicate, refused}` of the CFDIs it brought; null without the direction's "
    "permission (emitidos: Ventas, recibidos: Egresos)."
)


class SyncRunOut(Schema):
    id: str
    company: str
    kind: str = Field(description="`daily`, `manual` (asked for) or `backfill` (up to 5 years).")
    state: str = Field(description="`pending`, `running`, `done` or `failed`.")
    state_label: str
    period_start: datetime
    period_end: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    emitidos: dict[str, int] | None = Field(description=DIRECTION_COUNTS)
    recibidos: dict[str, int] | None = Field(description=DIRECTION_COUNTS)
    metadata: int | None = Field(
        description="Rows of received CFDIs' metadata it stored; null without Egresos."
    )
    error: str = Field(description="What failed and why, in Spanish (empty when nothing).")

    @staticmethod
    def of(view: RunView) -> SyncRunOut:
        run = view.run
        return SyncRunOut(
            id=str(run.pk),
            company=str(run.company_id),
            kind=run.kind,
            state=run.state,
            state_label=str(RunState(run.state).label),
            period_start=local(run.period_start),  # type: ignore[arg-type]
            period_end=local(run.period_end),  # type: ignore[arg-type]
            created_at=local(run.created_at),  # type: ignore[arg-type]
            started_at=local(run.started_at),
            finished_at=local(run.finished_at),
            emitidos=_counts(view.emitidos),
            recibidos=_counts(view.recibidos),
            metadata=view.metadata,
            error=run.error,
        )


def _counts(counts: dict[str, Any] | None) -> dict[str, int] | None:
    if counts is None:
        return None
    return {key: int(value) for key, value in counts.items() if isinstance(value, int)}


class ProgressOut(Schema):
    requests_total: int = Field(description="Requests to SAT the run makes (so far).")
    requests_done: int = Field(description="Of those, finished (downloaded, empty or refused).")
    percent: int


class SatRequestOut(Schema):
    direction: str = Field(description="`emitidos` or `recibidos`.")
    request_type: str = Field(description="`CFDI` or `Metadata`.")
    fecha_inicial: datetime
    fecha_final: datetime
    state: str = Field(
        description="`new`, `waiting` (SAT prepares it), `ready`, `done`, `empty` (SAT had "
        "nothing: not an error) or `failed`."
    )
    state_label: str
    sat_code: str = Field(description="SAT's CodEstatus or EstadoSolicitud code, if any.")
    message: str = Field(description="Why it failed, in Spanish (empty otherwise).")
    number_cfdis: int | None

    @staticmethod
    def of(request: SatRequest) -> SatRequestOut:
        return SatRequestOut(
            direction=request.direction,
            request_type=request.request_type,
            fecha_inicial=local(request.fecha_inicial),  # type: ignore[arg-type]
            fecha_final=local(request.fecha_final),  # type: ignore[arg-type]
            state=request.state,
            state_label=str(request.get_state_display()),
            sat_code=request.sat_code,
            message=request.message,
            number_cfdis=request.number_cfdis,
        )


class RefusalOut(Schema):
    name: str = Field(description="The file inside SAT's package.")
    message: str


class SyncRunDetailOut(SyncRunOut):
    progress: ProgressOut
    requests: list[SatRequestOut] = Field(description="Those of the directions the key sees.")
    refusals: list[RefusalOut] = Field(
        description="Up to 20 documents the repository refused, with why (only with both "
        "Ventas and Egresos)."
    )


class SyncIn(Schema):
    company: str = text(max_length=20, description="The company id (GET /companies).")
    kind: Literal["manual", "backfill"] = Field(
        "manual",
        description="`manual`: the last days (the company's schedule); `backfill`: up to five "
        "years back.",
    )


@syncs_router.get("/syncs", response=responses({200: Page[SyncRunOut]}))
def syncs_list(
    request: HttpRequest, company: str = COMPANY, limit: int = LIMIT, cursor: str | None = CURSOR
) -> Any:
    """The company's SAT synchronisations, newest first (Ventas or Egresos on the company)."""
    principal = caller(request)
    runs = sync_runs(viewer=principal.user, company=company_param(principal, company))
    page, next_cursor = paginate(
        runs.select_related("company"), ordering=("-id",), limit=limit, cursor=cursor
    )
    items = [SyncRunOut.of(sync_run_view(viewer=principal.user, run=run)) for run in page]
    return {"items": items, "next_cursor": next_cursor}


@syncs_router.get("/syncs/{run_id}", response=responses({200: SyncRunDetailOut}))
def syncs_get(request: HttpRequest, run_id: str, company: str = COMPANY) -> Any:
    """One synchronisation: what it brought, its progress, each request and what failed."""
    principal = caller(request)
    run = sync_run_for(
        viewer=principal.user,
        company=company_param(principal, company),
        run_id=object_id(run_id),
    )
    return _detail(principal.user, run)


def _detail(viewer: Any, run: SyncRun) -> SyncRunDetailOut:
    view = sync_run_view(viewer=viewer, run=run, progress=True)
    return SyncRunDetailOut(
        **SyncRunOut.of(view).model_dump(),
        progress=ProgressOut(
            requests_total=view.requests_total,
            requests_done=view.requests_done,
            percent=view.percent,
        ),
        requests=[SatRequestOut.of(r) for r in sync_run_requests(viewer=viewer, run=run)],
        refusals=[RefusalOut(**refusal) for refusal in view.refusals],
    )


@syncs_router.post("/syncs", response=responses({201: SyncRunDetailOut}))
@idempotent
def syncs_create(request: HttpRequest, payload: SyncIn) -> Any:
    """Ask for a synchronisation now (owners and admins, as on the page; a key not narrowed).

    It runs in the background: poll `GET /sat/syncs/{id}`. 409 `sync_running` while another
    runs; 422 `no_fiel` without a current e.firma.
    """
    principal = caller(request)
    company = company_param(principal, payload.company)
    sync_runs(viewer=principal.user, company=company)  # 404 for who does not open it
    if principal.restricted:
        raise ApiError(
            403,
            "key_scope",
            _(
                "Esta clave está limitada a algunas empresas o permisos; no inicia descargas "
                "del SAT."
            ),
        )
    try:
        run = sync_request(company=company, actor=principal.user, kind=RunKind(payload.kind))
    except PermissionDenied as refusal:
        raise ApiError(403, "not_company_manager", str(refusal)) from None
    return Status(201, _detail(principal.user, run))
