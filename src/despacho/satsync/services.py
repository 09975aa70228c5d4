"""Every write of the SAT connection: asking for a synchronisation, and advancing one.

A run is a plan of SolicitaDescarga requests (per period, direction and type) that
``sync_advance`` moves forward one pass at a time, each step written before the next is
taken: SAT's request id as soon as SAT gives it, each package id as soon as verification
lists it, each package marked ingested in the transaction that adds what it brought. A
worker that dies mid-run leaves a lease that expires; the next pass (``despacho satsync``,
or the task it enqueues) resumes from the last written step, never asking SAT twice for
the same period and never storing a package twice (ingestion is idempotent on UUID).
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.access.decisions import role_on
from despacho.after_response import enqueue_after_response
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cfdi.services import cfdi_ingest_files
from despacho.people.models import User
from despacho.satsync.client import DescargaMasiva, FielSigner, SatError
from despacho.satsync.metadata import MEXICO, metadata_rows
from despacho.satsync.models import (
    FINAL_REQUEST_STATES,
    OPEN_STATES,
    Direction,
    RequestState,
    RequestType,
    RunKind,
    RunState,
    SatMetadata,
    SatPackage,
    SatRequest,
    SyncRun,
    SyncSchedule,
)
from despacho.seals.models import Certificate, SealKind
from despacho.seals.services import signing_certificate
from despacho.tenancy.models import Company, Role

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
# SAT's caps per request (Descarga Masiva 1.5): more documents than this split the period.
CAPS = {RequestType.CFDI: 200_000, RequestType.METADATA: 1_000_000}
# A period this short that still holds too many documents is reported, not split again.
SHORTEST_PERIOD = timedelta(hours=1)
REFUSALS_KEPT = 20

# What each run asks for: the XML of both directions and the metadata of received CFDIs
# (SAT lists there the cancelled ones whose XML it no longer gives).
PLAN = (
    (Direction.EMITIDOS, RequestType.CFDI),
    (Direction.RECIBIDOS, RequestType.CFDI),
    (Direction.RECIBIDOS, RequestType.METADATA),
)

# CodEstatus / CodigoEstadoSolicitud of the service, in the words the page shows.
SAT_MESSAGES = {
    "300": "Usuario no válido: el SAT no reconoce a quien solicita.",
    "301": "El SAT recibió una solicitud mal formada.",
    "302": "El SAT recibió un sello mal formado.",
    "303": "El sello no corresponde al RFC que solicita: revisa la e.firma de la empresa.",
    "304": "La e.firma de la empresa está revocada o caducada: sube una vigente.",
    "305": "El SAT no reconoce el certificado de la e.firma.",
    "404": "El SAT tuvo un error no controlado; se reintentará.",
    "5002": (
        "Se agotaron las solicitudes que el SAT permite para este periodo (las mismas "
        "fechas y RFC solo se pueden pedir dos veces)."
    ),
    "5005": (
        "El SAT ya tiene una solicitud vigente con los mismos datos; no permite otra igual "
        "hasta que venza."
    ),
    "5007": "El SAT dice que el paquete no existe.",
    "5008": "Se alcanzó el máximo de descargas que el SAT permite para este paquete.",
    "5011": "Se alcanzó el límite de descargas que el SAT permite por día.",
}
ESTADO_MESSAGES = {
    4: "El SAT reportó un error al procesar la solicitud.",
    5: "El SAT rechazó la solicitud.",
    6: "La solicitud venció en el SAT antes de descargar sus paquetes (72 horas).",
}


def _sat_message(code: str, fallback: str = "") -> str:
    known = SAT_MESSAGES.get(code)
    if known:
        return _(known)
    return _("El SAT respondió con el código %(code)s: %(message)s") % {
        "code": code or "—",
        "message": fallback or _("sin mensaje"),
    }


# --- asking for a synchronisation ------------------------------------------------------------


def may_start(user: User, company: Company) -> bool:
    """Owners and admins who reach the company (its own, or a linked firm's) start a sync:
    it spends the company's e.firma and SAT's request limits."""
    return role_on(user, company) in (Role.OWNER, Role.ADMIN)


def _schedule(company: Company) -> SyncSchedule:
    schedule, _created = SyncSchedule.objects.get_or_create(company=company)
    return schedule


def _years_later(moment: datetime, years: int) -> datetime:
    """The same day ``years`` later (29 February falls back to the 28th)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def _period(company: Company, kind: RunKind, now: datetime) -> tuple[datetime, datetime]:
    if kind == RunKind.BACKFILL:
        years = settings.DESPACHO_SAT_BACKFILL_YEARS
        return _years_later(now, -years), now
    return now - timedelta(days=_schedule(company).effective_days), now


def _run_create(*, company: Company, kind: RunKind, actor: User | None) -> SyncRun:
    now = timezone.now().replace(microsecond=0)
    start, end = _period(company, kind, now)
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                company=company, kind=kind, period_start=start, period_end=end, requested_by=actor
            )
            audit_record(
                actor=actor,
                action=Action.SAT_SYNC_REQUESTED,
                account=company.account,
                company=company,
                target=run,
                after={
                    "kind": kind,
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                },
            )
    except IntegrityError:
        raise ValidationError(
            _("Ya hay una descarga del SAT en curso para esta empresa: espera a que termine."),
            code="sync_running",
        ) from None
    run_id = run.pk
    transaction.on_commit(lambda: sync_enqueue(run_id))
    return run


def sync_enqueue(run_id: int, at: datetime | None = None) -> None:
    """Queue the run's next pass: at ``at`` when the backend can defer; a pass asked for
    during a web request by the in-process backend runs once the answer has gone out (the
    page answers at once, the first pass talks to SAT for seconds or minutes)."""
    from despacho.satsync.tasks import sync_advance_task

    if at is not None and sync_advance_task.get_backend().supports_defer:
        sync_advance_task.using(run_after=at).enqueue(run_id)
        return
    enqueue_after_response(sync_advance_task, run_id=run_id)


def sync_request(*, company: Company, actor: User, kind: RunKind | str) -> SyncRun:
    """Start a synchronisation now (the last days) or the backfill (up to five years), in the
    background; refused in Spanish without an e.firma or while another one runs."""
    kind = RunKind(kind)
    if kind == RunKind.DAILY:
        raise ValueError("the daily sync is started by the schedule")
    if not may_start(actor, company):
        raise PermissionDenied(
            _("Solo el propietario y los administradores inician la descarga del SAT.")
        )
    try:
        signing_certificate(company=company, kind=SealKind.FIEL)
    except ValidationError:
        raise ValidationError(
            _(
                "La empresa no tiene una e.firma vigente: súbela en Sellos y e.firma para "
                "descargar sus CFDI del SAT."
            ),
            code="no_fiel",
        ) from None
    return _run_create(company=company, kind=kind, actor=actor)


def schedule_update(
    *, company: Company, actor: User, daily: bool, days: int | None
) -> SyncSchedule:
    """Turn the daily synchronisation on or off and set how many days it asks for."""
    if not may_start(actor, company):
        raise PermissionDenied(
            _("Solo el propietario y los administradores cambian la descarga diaria.")
        )
    if days is not None and not 1 <= days <= 90:
        raise ValidationError(_("Los días deben estar entre 1 y 90."), code="days_range")
    schedule = _schedule(company)
    schedule.daily = daily
    schedule.days = days
    schedule.save(update_fields=["daily", "days"])
    return schedule


def syncs_due(*, now: datetime | None = None) -> int:
    """Start each company's daily synchronisation when its last one is a day old, and resume
    every open run whose worker let its lease expire; how many runs were enqueued."""
    now = now or timezone.now()
    enqueued = 0
    with_fiel = Certificate.objects.filter(kind=SealKind.FIEL).values("company_id")
    companies = Company.objects.filter(pk__in=with_fiel).exclude(sat_schedule__daily=False)
    busy = set(SyncRun.objects.filter(state__in=OPEN_STATES).values_list("company_id", flat=True))
    recent = set(
        SyncRun.objects.filter(
            kind=RunKind.DAILY, created_at__gt=now - timedelta(hours=23)
        ).values_list("company_id", flat=True)
    )
    for company in companies.select_related("account"):
        if company.pk in busy or company.pk in recent:
            continue
        try:
            _run_create(company=company, kind=RunKind.DAILY, actor=None)
        except ValidationError:
            continue
        enqueued += 1
    # Open runs nobody holds whose next check is due; a run just asked for has its task.
    stale = (
        SyncRun.objects.filter(state__in=OPEN_STATES)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
        .exclude(state=RunState.PENDING, created_at__gt=now - timedelta(minutes=5))
    )
    for run_id in stale.values_list("pk", flat=True):
        sync_enqueue(run_id)
        enqueued += 1
    return enqueued


# --- advancing a run -------------------------------------------------------------------------


def _claim(run_id: int) -> bool:
    now = timezone.now()
    return bool(
        SyncRun.objects.filter(pk=run_id, state__in=OPEN_STATES)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(
            lease_until=now + LEASE,
            state=RunState.RUNNING,
            started_at=Coalesce("started_at", now),
        )
    )


def _renew(run: SyncRun) -> None:
    SyncRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() + LEASE)


def _plan(run: SyncRun) -> None:
    periods = []
    start = run.period_start
    while start < run.period_end:
        # A backfill asks a year at a time (SAT splits nothing for us: see _split).
        end = _years_later(start, 1) if run.kind == RunKind.BACKFILL else run.period_end
        end = min(end, run.period_end)
        periods.append((start, end))
        start = end
    SatRequest.objects.bulk_create(
        [
            SatRequest(
                run=run,
                direction=direction,
                request_type=request_type,
                fecha_inicial=start,
                fecha_final=end,
            )
            for start, end in periods
            for direction, request_type in PLAN
        ],
        ignore_conflicts=True,
    )


def _local(moment: datetime) -> datetime:
    """SAT reads the request's dates as Mexico City's time, written without an offset."""
    return timezone.localtime(moment, MEXICO).replace(tzinfo=None)


def _set(request: SatRequest, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(request, name, value)
    request.save(update_fields=list(fields))


def _split(request: SatRequest, code: str) -> None:
    """Too many documents for one request: ask for each half of the period instead."""
    length = request.fecha_final - request.fecha_inicial
    if length <= SHORTEST_PERIOD:
        _set(
            request,
            state=RequestState.FAILED,
            sat_code=code,
            message=_(
                "El SAT tiene más CFDI de los que entrega en una solicitud aun en una hora: "
                "pide la descarga en su portal."
            ),
        )
        return
    middle = (request.fecha_inicial + length / 2).replace(microsecond=0)
    with transaction.atomic():
        for start, end in ((request.fecha_inicial, middle), (middle, request.fecha_final)):
            SatRequest.objects.get_or_create(
                run=request.run,
                direction=request.direction,
                request_type=request.request_type,
                fecha_inicial=start,
                fecha_final=end,
            )
        _set(
            request,
            state=RequestState.SPLIT,
            sat_code=code,
            message=_("Demasiados CFDI para una solicitud: se pidió el periodo en dos partes."),
        )


def _solicit(client: DescargaMasiva, company: Company, request: SatRequest) -> None:
    estado = "Vigente" if request.request_type == RequestType.CFDI else "Todos"
    arguments = {
        "fecha_inicial": _local(request.fecha_inicial),
        "fecha_final": _local(request.fecha_final),
        "tipo_solicitud": request.request_type,
        "estado_comprobante": estado,
    }
    if request.direction == Direction.EMITIDOS:
        answer = client.recover_comprobante_emitted_request(rfc_emisor=company.rfc, **arguments)
    else:
        answer = client.recover_comprobante_received_request(rfc_receptor=company.rfc, **arguments)
    code = str(answer.get("CodEstatus", ""))
    if code == "5000" and answer.get("IdSolicitud"):
        _set(request, state=RequestState.WAITING, id_solicitud=answer["IdSolicitud"], sat_code=code)
    elif code == "5004":
        _set(request, state=RequestState.EMPTY, sat_code=code, message="")
    elif code == "5003":
        _split(request, code)
    else:
        _set(
            request,
            state=RequestState.FAILED,
            sat_code=code,
            message=_sat_message(code, str(answer.get("Mensaje", ""))),
        )


def _verify(client: DescargaMasiva, request: SatRequest) -> None:
    answer = client.recover_comprobante_status(request.id_solicitud)
    code = str(answer.get("CodEstatus", ""))
    state_code = str(answer.get("CodigoEstadoSolicitud", ""))
    estado = int(answer.get("EstadoSolicitud", 0))
    number = int(answer.get("NumeroCFDIs", 0) or 0)
    request.verifications += 1
    request.save(update_fields=["verifications"])
    if code != "5000":
        _set(request, state=RequestState.FAILED, sat_code=code, message=_sat_message(code))
        return
    if state_code == "5003" or number > CAPS[RequestType(request.request_type)]:
        _split(request, state_code or "5003")
        return
    if state_code == "5004":
        _set(request, state=RequestState.EMPTY, sat_code=state_code, number_cfdis=0, message="")
        return
    if estado in (1, 2):
        if request.verifications >= settings.DESPACHO_SAT_VERIFY_MAX:
            _set(
                request,
                state=RequestState.FAILED,
                message=_(
                    "El SAT no terminó la solicitud a tiempo; se pedirá en la próxima descarga."
                ),
            )
        return
    if estado == 3:
        packages = list(answer.get("IdsPaquetes") or [])
        with transaction.atomic():
            SatPackage.objects.bulk_create(
                [SatPackage(request=request, package_id=p) for p in packages],
                ignore_conflicts=True,
            )
            _set(
                request,
                state=RequestState.READY if packages else RequestState.EMPTY,
                sat_code=state_code,
                number_cfdis=number,
            )
        return
    message = (
        _sat_message(state_code)
        if state_code in SAT_MESSAGES
        else _(ESTADO_MESSAGES.get(estado, "El SAT respondió un estado desconocido."))
    )
    _set(request, state=RequestState.FAILED, sat_code=state_code or code, message=message)


def _add_counts(run: SyncRun, key: str, counts: dict[str, int]) -> None:
    run.refresh_from_db(fields=["counts"])
    merged = dict(run.counts)
    bucket = dict(merged.get(key) or {})
    for name, value in counts.items():
        bucket[name] = bucket.get(name, 0) + value
    merged[key] = bucket
    run.counts = merged
    run.save(update_fields=["counts"])


def _store_metadata(company: Company, data: bytes) -> int:
    rfc = company.rfc.upper()
    rows = [
        SatMetadata(
            company=company,
            direction=Direction.RECIBIDOS if row.receptor_rfc == rfc else Direction.EMITIDOS,
            uuid=row.uuid,
            emisor_rfc=row.emisor_rfc,
            emisor_nombre=row.emisor_nombre,
            receptor_rfc=row.receptor_rfc,
            receptor_nombre=row.receptor_nombre,
            pac_rfc=row.pac_rfc,
            fecha_emision=row.fecha_emision,
            fecha_certificacion=row.fecha_certificacion,
            monto=row.monto,
            efecto=row.efecto,
            vigente=row.vigente,
            fecha_cancelacion=row.fecha_cancelacion,
            seen_at=timezone.now(),
        )
        for row in metadata_rows(data)
        if rfc in (row.receptor_rfc, row.emisor_rfc)
    ]
    SatMetadata.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["company", "uuid"],
        update_fields=["vigente", "fecha_cancelacion", "seen_at"],
    )
    return len(rows)


def package_ingest(*, company: Company, package: bytes, name: str) -> dict[str, Any]:
    """Store a CFDI package through the repository's ingestion (same limits, refusals,
    duplicates and audit, as the system); what it brought, with up to 20 refusals."""
    report = cfdi_ingest_files(company=company, files=[(name, io.BytesIO(package))])
    refused = [
        {"name": o.name, "message": o.message} for o in report.outcomes if o.status == "refused"
    ]
    return {**report.counts, "refusals": refused[:REFUSALS_KEPT]}


def _download(client: DescargaMasiva, run: SyncRun, request: SatRequest) -> None:
    company = run.company
    for package in request.packages.filter(ingested=False).order_by("pk"):
        _renew(run)  # a big package takes minutes: keep other workers off this run
        header, content = client.recover_comprobante_download(package.package_id)
        code = str(header.get("CodEstatus", ""))
        if code != "5000" or not content:
            _set(request, state=RequestState.FAILED, sat_code=code, message=_sat_message(code))
            return
        try:
            data = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError):
            _set(request, state=RequestState.FAILED, message=_("El SAT entregó un paquete dañado."))
            return
        if request.request_type == RequestType.METADATA:
            counts: dict[str, Any] = {"metadata": _store_metadata(company, data)}
        else:
            counts = package_ingest(company=company, package=data, name=f"{package.package_id}.zip")
        with transaction.atomic():
            SatPackage.objects.filter(pk=package.pk).update(ingested=True, counts=counts)
            if request.request_type == RequestType.METADATA:
                _add_counts(run, "metadata", {"rows": counts["metadata"]})
            else:
                numbers = {k: v for k, v in counts.items() if isinstance(v, int)}
                _add_counts(run, request.direction, numbers)
                if counts["refusals"]:
                    _add_refusals(run, counts["refusals"])
    _set(request, state=RequestState.DONE)


def _add_refusals(run: SyncRun, refusals: list[dict[str, str]]) -> None:
    run.refresh_from_db(fields=["counts"])
    kept = list(run.counts.get("refusals", []))
    kept.extend(refusals[: max(0, REFUSALS_KEPT - len(kept))])
    run.counts = {**run.counts, "refusals": kept}
    run.save(update_fields=["counts"])


def _step(client: DescargaMasiva, run: SyncRun, request: SatRequest) -> None:
    """One request as far as SAT lets it go now: ask, verify, download."""
    _renew(run)
    if request.state == RequestState.NEW:
        _solicit(client, run.company, request)
    if request.state == RequestState.WAITING:
        _verify(client, request)
    if request.state == RequestState.READY:
        _download(client, run, request)


def _finish(run: SyncRun) -> None:
    failed = list(run.requests.filter(state=RequestState.FAILED).values_list("message", flat=True))
    state = RunState.FAILED if failed else RunState.DONE
    now = timezone.now()
    error = "\n".join(dict.fromkeys(m for m in failed if m))
    with transaction.atomic():
        SyncRun.objects.filter(pk=run.pk).update(
            state=state, finished_at=now, lease_until=None, next_check_at=None, error=error
        )
        if state == RunState.DONE:
            SyncSchedule.objects.update_or_create(
                company=run.company, defaults={"last_success_at": now}
            )
        audit_record(
            actor=None,
            action=Action.SAT_SYNC_FINISHED,
            account=run.company.account,
            company=run.company,
            target=run,
            after={"state": state, **{k: v for k, v in run.counts.items() if k != "refusals"}},
        )


def _fail(run: SyncRun, message: str) -> None:
    SyncRun.objects.filter(pk=run.pk).update(error=message)
    run.requests.exclude(state__in=FINAL_REQUEST_STATES).update(
        state=RequestState.FAILED, message=message
    )
    run.refresh_from_db()
    _finish(run)


def sync_advance(*, run_id: int) -> SyncRun:
    """Move a run as far as SAT lets it now (one pass over its open requests) and say
    where it stands; a run another worker holds is left alone."""
    if not _claim(run_id):
        return SyncRun.objects.get(pk=run_id)
    run = SyncRun.objects.select_related("company__account").get(pk=run_id)
    try:
        certificate = signing_certificate(company=run.company, kind=SealKind.FIEL)
    except ValidationError:
        _fail(run, _("La empresa ya no tiene una e.firma vigente: súbela en Sellos y e.firma."))
        return SyncRun.objects.get(pk=run_id)
    client = DescargaMasiva(
        FielSigner(company=run.company, certificate=certificate, actor=run.requested_by)
    )
    if not run.requests.exists():
        _plan(run)
    try:
        progressed = True
        while progressed:  # a split adds requests that can go in the same pass
            progressed = False
            for request in run.requests.exclude(state__in=FINAL_REQUEST_STATES).order_by("pk"):
                before = request.state
                _step(client, run, request)
                progressed = progressed or (
                    before == RequestState.NEW and request.state == RequestState.SPLIT
                )
    except SatError as error:
        if not error.retryable:
            _fail(run, error.message)
            return SyncRun.objects.get(pk=run_id)
        logger.warning("satsync run %s: %s", run_id, error.message)
        SyncRun.objects.filter(pk=run_id).update(error=error.message)
    open_requests = run.requests.exclude(state__in=FINAL_REQUEST_STATES).exists()
    if not open_requests:
        run.refresh_from_db()
        _finish(run)
    else:
        SyncRun.objects.filter(pk=run_id).update(
            lease_until=None,
            next_check_at=timezone.now() + timedelta(seconds=settings.DESPACHO_SAT_VERIFY_EVERY),
        )
    return SyncRun.objects.get(pk=run_id)
