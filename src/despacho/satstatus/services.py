"""Every write of the SAT connection's public side: statuses, lists, timbre checks.

The flags the repository's lists and reports read are written on the CFDI rows here:
``Cfdi.status``/``sat_cancelled_at`` for a received CFDI its emisor cancelled, and
``Cfdi.emisor_listed`` for one whose emisor is in SAT's lists.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from satcfdi.pacs import TaxpayerStatusList69
from satcfdi.pacs.sat import LISTADO_69_SOURCES

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cfdi.models import Cfdi, Direction, Listed, Status
from despacho.cfdi.selectors import cfdi_xml
from despacho.satstatus.consulta import ConsultaError, ConsultaResult, consulta
from despacho.satstatus.listings import SITUACION_69, Listing, parse_69, parse_69b
from despacho.satstatus.models import (
    Estado,
    Lista,
    ListedTaxpayer,
    ListLoad,
    SatStatus,
    Situacion,
    TimbreCheck,
)
from despacho.satstatus.timbre import timbre_verdict

logger = logging.getLogger(__name__)

# SAT's Estado → ours.
_ESTADOS = {"VIGENTE": Estado.VIGENTE, "CANCELADO": Estado.CANCELADO}


# --- status at SAT ---------------------------------------------------------------------------


def status_apply(*, cfdi: Cfdi, result: ConsultaResult, at: datetime) -> SatStatus:
    """Keep SAT's answer; a received CFDI answered Cancelado becomes cancelado, with the
    moment it was first seen so (audited once)."""
    estado = _ESTADOS.get(result.estado.strip().upper(), Estado.NO_ENCONTRADO)
    with transaction.atomic():
        previous = SatStatus.objects.select_for_update().filter(cfdi=cfdi).first()
        seen = previous.cancelled_seen_at if previous is not None else None
        if estado == Estado.CANCELADO and seen is None:
            seen = at
        if estado != Estado.CANCELADO:
            seen = None
        values = {
            "company_id": cfdi.company_id,
            "estado": estado,
            "codigo_estatus": result.codigo_estatus[:200],
            "es_cancelable": result.es_cancelable[:100],
            "estatus_cancelacion": result.estatus_cancelacion[:100],
            "validacion_efos": result.validacion_efos[:10],
            "checked_at": at,
            "cancelled_seen_at": seen,
        }
        status, _created = SatStatus.objects.update_or_create(cfdi=cfdi, defaults=values)
        if estado == Estado.CANCELADO and cfdi.direction == Direction.RECIBIDO:
            _received_cancelled(cfdi=cfdi, at=seen or at)
    return status


def _received_cancelled(*, cfdi: Cfdi, at: datetime) -> bool:
    """Mark a received CFDI cancelled by its emisor (idempotent); whether it changed."""
    changed = Cfdi.objects.filter(pk=cfdi.pk, sat_cancelled_at__isnull=True).update(
        status=Status.CANCELADO, sat_cancelled_at=at
    )
    if changed:
        before = cfdi.status
        cfdi.status = Status.CANCELADO
        cfdi.sat_cancelled_at = at
        audit_record(
            actor=None,
            action=Action.CFDI_SAT_CANCELLED,
            account=cfdi.company.account,
            company=cfdi.company,
            target=cfdi,
            before={"status": before},
            after={"status": Status.CANCELADO},
        )
    return bool(changed)


def cfdi_status_refresh(*, cfdi: Cfdi, session: requests.Session | None = None) -> SatStatus:
    """Ask SAT the CFDI's status now and keep it; ConsultaError when SAT gives no answer."""
    result = consulta(
        emisor_rfc=cfdi.emisor_rfc,
        receptor_rfc=cfdi.receptor_rfc,
        total=cfdi.total,
        uuid=cfdi.uuid_text,
        session=session or requests.Session(),
    )
    return status_apply(cfdi=cfdi, result=result, at=timezone.now())


def statuses_due(*, now: datetime | None = None) -> QuerySet[Cfdi]:
    """Received CFDIs of the last SATSTATUS_MONTHS months not yet seen cancelled whose status
    was never asked or is older than SATSTATUS_STALE_HOURS, never asked first."""
    moment = now or timezone.now()
    since = moment - timedelta(days=31 * settings.SATSTATUS_MONTHS)
    stale = moment - timedelta(hours=settings.SATSTATUS_STALE_HOURS)
    return (
        Cfdi.objects.filter(direction=Direction.RECIBIDO, fecha__gte=since)
        .exclude(status=Status.CANCELADO)
        .filter(Q(sat_status__isnull=True) | Q(sat_status__checked_at__lt=stale))
        .select_related("company__account")
        .order_by(F("sat_status__checked_at").asc(nulls_first=True), "pk")
    )


@dataclass
class RefreshSummary:
    asked: int = 0
    cancelled: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class Pacer:
    """At most ``rate`` calls a second: ``wait()`` before each call sleeps until its turn."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self.next_at: float | None = None

    def wait(self) -> None:
        now = self.clock()
        if self.next_at is not None and self.next_at > now:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


def statuses_refresh(
    *,
    limit: int | None = None,
    rate: float | None = None,
    pacer: Pacer | None = None,
    session: requests.Session | None = None,
) -> RefreshSummary:
    """Ask SAT about up to ``limit`` due CFDIs (SATSTATUS_BATCH), at most ``rate`` a second
    (SATSTATUS_RATE). One CFDI SAT does not answer about is counted and skipped."""
    pacer = pacer or Pacer(rate if rate is not None else settings.SATSTATUS_RATE)
    session = session or requests.Session()
    summary = RefreshSummary()
    due = list(statuses_due()[: limit or settings.SATSTATUS_BATCH])
    for cfdi in due:
        pacer.wait()
        try:
            status = cfdi_status_refresh(cfdi=cfdi, session=session)
        except ConsultaError as exc:
            summary.failed += 1
            summary.errors.append(f"{cfdi.uuid_text}: {exc}")
            continue
        summary.asked += 1
        if status.estado == Estado.CANCELADO:
            summary.cancelled += 1
    return summary


def received_copies_cancelled(*, cfdi: Cfdi, at: datetime) -> int:
    """When the issuer's copy of a CFDI is cancelled in Despacho, the receivers' copies held by
    other companies learn it as if SAT had answered; how many changed."""
    if cfdi.direction != Direction.EMITIDO or cfdi.status != Status.CANCELADO:
        return 0
    copies = Cfdi.objects.filter(
        uuid=cfdi.uuid, direction=Direction.RECIBIDO, sat_cancelled_at__isnull=True
    ).select_related("company__account")
    changed = 0
    with transaction.atomic():
        for copy in copies:
            SatStatus.objects.update_or_create(
                cfdi=copy,
                defaults={
                    "company_id": copy.company_id,
                    "estado": Estado.CANCELADO,
                    "codigo_estatus": "",
                    "checked_at": at,
                    "cancelled_seen_at": at,
                },
            )
            changed += _received_cancelled(cfdi=copy, at=at)
    return changed


# --- SAT's lists -----------------------------------------------------------------------------

# Gravest first: a row takes the first flag whose listings name its emisor.
_FLAG_ORDER: list[tuple[str, Q]] = [
    (Listed.DEFINITIVO, Q(lista=Lista.ART_69B, situacion=Situacion.DEFINITIVO)),
    (Listed.PRESUNTO, Q(lista=Lista.ART_69B, situacion=Situacion.PRESUNTO)),
    (Listed.ART_69, Q(lista=Lista.ART_69)),
    (Listed.SENTENCIA_FAVORABLE, Q(lista=Lista.ART_69B, situacion=Situacion.SENTENCIA_FAVORABLE)),
    (Listed.DESVIRTUADO, Q(lista=Lista.ART_69B, situacion=Situacion.DESVIRTUADO)),
]


_SITUACION_OF_FLAG: dict[str, str] = {
    Listed.DEFINITIVO: Situacion.DEFINITIVO,
    Listed.PRESUNTO: Situacion.PRESUNTO,
    Listed.SENTENCIA_FAVORABLE: Situacion.SENTENCIA_FAVORABLE,
    Listed.DESVIRTUADO: Situacion.DESVIRTUADO,
}


def flag_of(listings: Iterable[ListedTaxpayer]) -> str:
    """The gravest flag among one RFC's listings ("" for none)."""
    keys = {(item.lista, item.situacion) for item in listings}
    for flag, _condition in _FLAG_ORDER:
        for lista, situacion in keys:
            if _matches(flag, lista, situacion):
                return flag
    return ""


def _matches(flag: str, lista: str, situacion: str) -> bool:
    if flag == Listed.ART_69:
        return lista == Lista.ART_69
    return lista == Lista.ART_69B and situacion == _SITUACION_OF_FLAG.get(flag)


def listed_flags_apply() -> int:
    """Write on every received CFDI its emisor's gravest listing (or none); rows changed.

    A few UPDATEs with subqueries, whatever the number of companies or CFDIs."""
    received = Cfdi.objects.filter(direction=Direction.RECIBIDO)
    changed = 0
    taken = Q(pk__in=[])
    with transaction.atomic():
        for flag, condition in _FLAG_ORDER:
            named = Q(emisor_rfc__in=ListedTaxpayer.objects.filter(condition).values("rfc"))
            changed += (received.filter(named).exclude(taken).exclude(emisor_listed=flag)).update(
                emisor_listed=flag
            )
            taken |= named
        changed += received.exclude(taken).exclude(emisor_listed="").update(emisor_listed="")
    return changed


def stored_rows_flag(rows: list[Cfdi]) -> int:
    """Flag newly stored received rows whose emisor is listed: one query, plus one UPDATE per
    listed emisor found (rare)."""
    received = [row for row in rows if row.direction == Direction.RECIBIDO]
    if not received:
        return 0
    by_rfc: dict[str, list[ListedTaxpayer]] = {}
    for item in ListedTaxpayer.objects.filter(rfc__in={row.emisor_rfc for row in received}).only(
        "rfc", "lista", "situacion"
    ):
        by_rfc.setdefault(item.rfc, []).append(item)
    changed = 0
    for rfc, listings in by_rfc.items():
        flag = flag_of(listings)
        ids = [row.pk for row in received if row.emisor_rfc == rfc]
        changed += Cfdi.objects.filter(pk__in=ids).update(emisor_listed=flag)
        for row in received:
            if row.emisor_rfc == rfc:
                row.emisor_listed = flag
    return changed


def _replace(*, lista: str, situaciones: list[str] | None, listings: list[Listing]) -> int:
    """Replace one list's (or one of its situations') rows by the file's, in one transaction."""
    seen: set[tuple[str, str]] = set()
    rows = []
    moment = timezone.now()
    for listing in listings:
        key = (listing.situacion, listing.rfc)
        if key in seen or len(listing.rfc) > 13:
            continue
        seen.add(key)
        rows.append(
            ListedTaxpayer(
                lista=lista,
                rfc=listing.rfc,
                nombre=listing.nombre[:300],
                situacion=listing.situacion,
                supuesto=listing.supuesto[:300],
                publicado=listing.publicado,
                loaded_at=moment,
            )
        )
    with transaction.atomic():
        old = ListedTaxpayer.objects.filter(lista=lista)
        if situaciones is not None:
            old = old.filter(situacion__in=situaciones)
        old.delete()
        ListedTaxpayer.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _fetch(url: str) -> bytes:
    response = requests.get(url, timeout=max(settings.SATSTATUS_TIMEOUT, 60))
    if response.status_code != 200:
        raise ValueError(f"HTTP {response.status_code}")
    return response.content


def _load(source: str, url: str, load: Callable[[bytes], int]) -> ListLoad:
    """Fetch and load one list file; a failure keeps the previous rows and is recorded."""
    try:
        content = _fetch(url)
        rows = load(content)
        if rows == 0:
            raise ValueError("la lista llegó vacía; se conservan los datos anteriores")
    except (requests.RequestException, ValueError, UnicodeError) as exc:
        logger.warning("SAT list %s not loaded from %s: %s", source, url, exc)
        message = str(exc) or exc.__class__.__name__
        return ListLoad.objects.create(source=source, url=url, ok=False, error=message[:500])
    digest = hashlib.sha256(content).hexdigest()[:12]
    logger.info("SAT list %s loaded: %d rows (%s)", source, rows, digest)
    return ListLoad.objects.create(source=source, url=url, ok=True, rows=rows)


def lists_refresh() -> list[ListLoad]:
    """Load 69-B's complete list and each of article 69's lists from their configured URLs,
    then flag the received CFDIs; one ``ListLoad`` per file saying how it went."""
    loads = [
        _load(
            "69b",
            settings.SATSTATUS_LIST_69B_URL,
            lambda content: _replace(
                lista=Lista.ART_69B, situaciones=None, listings=list(parse_69b(content))
            ),
        )
    ]
    base = settings.SATSTATUS_LIST_69_BASE_URL.rstrip("/") + "/"
    for lista, (path, rfc_col, supuesto_col) in LISTADO_69_SOURCES.items():
        loads.append(
            _load(f"69:{lista.value}", base + path, _loader_69(lista, rfc_col, supuesto_col))
        )
    listed_flags_apply()
    return loads


def _loader_69(
    lista: TaxpayerStatusList69, rfc_col: str, supuesto_col: str | None
) -> Callable[[bytes], int]:
    def load(content: bytes) -> int:
        listings = list(parse_69(content, lista, rfc_col, supuesto_col))
        return _replace(lista=Lista.ART_69, situaciones=[SITUACION_69[lista]], listings=listings)

    return load


# --- SelloSAT --------------------------------------------------------------------------------


def timbres_verify(*, cfdi_ids: Iterable[int]) -> dict[str, int]:
    """Verify the SelloSAT of these CFDIs and keep each verdict; counts per verdict."""
    counts: dict[str, int] = {}
    for cfdi in Cfdi.objects.filter(pk__in=list(cfdi_ids)).only("pk", "xml_path", "uuid"):
        try:
            xml = cfdi_xml(cfdi)
        except OSError:
            logger.warning("CFDI %s: original missing, SelloSAT not verified", cfdi.uuid)
            continue
        verdict, number = timbre_verdict(xml)
        # One upsert (INSERT … ON CONFLICT): update_or_create took six round trips.
        TimbreCheck.objects.bulk_create(
            [
                TimbreCheck(
                    cfdi=cfdi,
                    verdict=verdict,
                    no_certificado_sat=number[:20],
                    checked_at=timezone.now(),
                )
            ],
            update_conflicts=True,
            unique_fields=["cfdi"],
            update_fields=["verdict", "no_certificado_sat", "checked_at"],
        )
        counts[verdict] = counts.get(verdict, 0) + 1
    return counts


def timbres_pending() -> QuerySet[Cfdi]:
    """CFDIs whose SelloSAT was never verified, or whose certificate was unavailable."""
    return Cfdi.objects.filter(
        Q(timbre_check__isnull=True) | Q(timbre_check__verdict="unavailable")
    ).order_by("pk")
