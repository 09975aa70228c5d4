"""Writes of the CFDI repository: ingesting documents.

Each document is its own unit: the original XML is written to storage first,
then its row inside a transaction; if the row cannot be written the file is
deleted. So a batch may store some documents and refuse others, but never
leaves a document half-stored (a file without a row is cleaned up, a row
without its file cannot happen). The batch writes one audit event with its
counts, instead of one per document, so that ingesting a ZIP of thousands
does not double the writes. The rows are announced (``cfdi.signals.cfdi_stored``)
inside the transaction that writes them, so what the apps above do with them
(the portal's accesses) is stored or rolled back with them.
"""

from __future__ import annotations

import enum
import hashlib
import io
import logging
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import IO, Any
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.access.decisions import can
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cfdi.archives import Incoming, incoming_documents
from despacho.cfdi.models import (
    CATEGORY_PERM,
    Cfdi,
    CfdiRelation,
    Direction,
    classify,
    relation_row,
    storage_key,
)
from despacho.cfdi.parsing import CfdiIndex, parse_xml, read_index
from despacho.cfdi.refusals import Refusal, RefusalCode, unreadable
from despacho.cfdi.seals import SealCheck, seal_check
from despacho.cfdi.signals import cfdi_stored
from despacho.people.models import User
from despacho.tenancy.models import Company

logger = logging.getLogger(__name__)

# Documents stored per transaction: big enough to amortise the commit, small
# enough that a chunk's files and rows stay few in memory.
CHUNK_SIZE = 200


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return str(_OUTCOME_LABELS[self])


_OUTCOME_LABELS = {
    Outcome.ACCEPTED: gettext_lazy("Guardado"),
    Outcome.DUPLICATE: gettext_lazy("Ya estaba guardado"),
    Outcome.REFUSED: gettext_lazy("Rechazado"),
}


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one file of a batch."""

    name: str
    status: Outcome
    code: str = ""
    message: str = ""
    uuid: str = ""
    category: str = ""
    seal_verified: bool | None = None
    #: The row stored, for a caller that goes on with it: ``cfdi_ingest``'s accepted outcome
    #: only (a batch of files does not keep thousands of rows in memory).
    cfdi: Cfdi | None = field(default=None, compare=False, repr=False)


@dataclass
class IngestReport:
    """Per-file outcomes of a batch, in the order the files came."""

    outcomes: list[IngestOutcome] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(outcome.status.value for outcome in self.outcomes)
        return {status.value: counter.get(status.value, 0) for status in Outcome}

    @property
    def needs_confirmation(self) -> list[IngestOutcome]:
        return [o for o in self.outcomes if o.code in CONFIRMABLE]


# Refusals that the uploader may override (accept_unverified): the document is
# otherwise fine, only its seal does not vouch for it.
CONFIRMABLE = (RefusalCode.SEAL_INVALID, RefusalCode.SEAL_MISSING)

_SEAL_REFUSALS = {
    SealCheck.INVALID: (
        RefusalCode.SEAL_INVALID,
        gettext_lazy(
            "El sello del CFDI no es válido. Se guarda solo si lo confirmas, "
            "y quedará marcado como sello no válido."
        ),
    ),
    SealCheck.MISSING: (
        RefusalCode.SEAL_MISSING,
        gettext_lazy(
            "El CFDI no trae su sello o su certificado (atributos Sello y Certificado), así "
            "que nada garantiza su contenido. Se guarda solo si lo confirmas, y quedará "
            "marcado como sello no válido."
        ),
    ),
}


def _refused(name: str, refusal: Refusal) -> IngestOutcome:
    return IngestOutcome(name, Outcome.REFUSED, code=refusal.code, message=refusal.message)


def _direction(company: Company, index: CfdiIndex) -> str:
    # A comprobante the company issued to itself (a traslado, typically) counts as issued.
    if index.emisor_rfc == company.rfc:
        return Direction.EMITIDO
    if index.receptor_rfc == company.rfc:
        return Direction.RECIBIDO
    raise Refusal(
        RefusalCode.NOT_PARTY,
        _("Ni el emisor (%(emisor)s) ni el receptor (%(receptor)s) es %(company)s (%(rfc)s).")
        % {
            "emisor": index.emisor_rfc,
            "receptor": index.receptor_rfc,
            "company": company.razon_social,
            "rfc": company.rfc,
        },
    )


@dataclass
class _Ready:
    """A document that passed every check but the duplicate and seal ones, waiting to be stored."""

    position: int
    name: str
    data: bytes
    root: Any
    index: CfdiIndex
    direction: str
    category: str


def _prepare(
    *, company: Company, incoming: Incoming, ingested_by: User | None, position: int
) -> _Ready | IngestOutcome:
    name = incoming.name
    if incoming.refusal is not None:
        return _refused(name, incoming.refusal)
    data = incoming.data or b""
    try:
        root = parse_xml(data)
        index = read_index(root)
        direction = _direction(company, index)
    except Refusal as refusal:
        return _refused(name, refusal)
    except Exception:
        # One document must never stop its batch: whatever else breaks is its refusal.
        logger.exception("CFDI %r: unexpected failure while reading it", name)
        return _refused(name, unreadable())
    category = classify(direction=direction, tipo=index.tipo)
    if ingested_by is not None and not can(ingested_by, company, CATEGORY_PERM[category]):
        return _refused(
            name,
            Refusal(
                RefusalCode.NOT_PERMITTED,
                _("No tienes permiso para guardar CFDI de %(category)s.")
                % {"category": category.label},
            ),
        )
    return _Ready(position, name, data, root, index, direction, category.value)


def _row(
    company: Company,
    ready: _Ready,
    *,
    stored_name: str,
    verified: bool | None,
    ingested_by: User | None,
) -> Cfdi:
    index = ready.index
    return Cfdi(
        company=company,
        uuid=index.uuid,
        direction=ready.direction,
        category=ready.category,
        tipo=index.tipo,
        version=index.version,
        serie=index.serie,
        folio=index.folio,
        fecha=index.fecha,
        fecha_timbrado=index.fecha_timbrado,
        emisor_rfc=index.emisor_rfc,
        emisor_nombre=index.emisor_nombre,
        receptor_rfc=index.receptor_rfc,
        receptor_nombre=index.receptor_nombre,
        subtotal=index.subtotal,
        descuento=index.descuento,
        total=index.total,
        moneda=index.moneda,
        moneda_original=index.moneda_original,
        tipo_cambio=index.tipo_cambio,
        forma_pago=index.forma_pago,
        metodo_pago=index.metodo_pago,
        uso_cfdi=index.uso_cfdi,
        iva_trasladado=index.iva_trasladado,
        ieps_trasladado=index.ieps_trasladado,
        isr_retenido=index.isr_retenido,
        iva_retenido=index.iva_retenido,
        total_percepciones=index.total_percepciones,
        total_deducciones=index.total_deducciones,
        total_otros_pagos=index.total_otros_pagos,
        pagos_monto=index.pagos_monto,
        pagos_moneda=index.pagos_moneda,
        seal_verified=verified,
        xml_path=stored_name,
        size=len(ready.data),
        sha256=hashlib.sha256(ready.data).hexdigest(),
        ingested_by=ingested_by,
    )


def _cfdis_insert(rows: list[Cfdi]) -> None:
    """Insert a chunk's new rows and give each its primary key, like ``bulk_create``.

    On PostgreSQL the rows are streamed with COPY into a temporary table and moved over with
    one INSERT … SELECT: Django's per-field preparation of ~45 columns and psycopg's
    client-side quoting of one huge INSERT were most of the insert's cost (bench/README.md,
    ``satsync_ingest.py``). The INSERT is a plain one, so a UUID stored meanwhile by someone
    else raises IntegrityError exactly as ``bulk_create`` does (the caller's per-row retry).
    The values are the model's own attributes, already of their column's type (``_row``).
    """
    if connection.vendor != "postgresql" or len(rows) < 2:
        Cfdi.objects.bulk_create(rows)
        return
    fields = [field for field in Cfdi._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(Cfdi._meta.db_table)
    with connection.cursor() as cursor:
        # The SQL is built from the model's own table and column names, quoted: no input.
        cursor.execute(
            f"CREATE TEMPORARY TABLE cfdi_staged AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
        )
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY cfdi_staged ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([getattr(row, field.attname) for field in fields])
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM cfdi_staged"  # noqa: S608
            " RETURNING id, uuid"
        )
        ids = {uuid: pk for pk, uuid in cursor.fetchall()}
        cursor.execute("DROP TABLE cfdi_staged")
    for row in rows:
        row.pk = ids[UUID(str(row.uuid))]
        row._state.adding = False
        row._state.db = connection.alias


def _index_relations(company: Company, stored: list[tuple[_Ready, Cfdi]]) -> None:
    """One insert for the relations of every CFDI just stored (none when they relate nothing)."""
    rows = [
        relation_row(cfdi=row, relation=relation)
        for ready, row in stored
        for relation in ready.index.relations
    ]
    if rows:
        CfdiRelation.objects.bulk_create(rows)


def _announce_stored(company: Company, rows: list[Cfdi]) -> None:
    """Tell the apps above which rows were stored, inside the transaction that stored them."""
    if rows:
        cfdi_stored.send(sender=Cfdi, company=company, rows=rows)


def _duplicate(ready: _Ready) -> IngestOutcome:
    return IngestOutcome(
        ready.name,
        Outcome.DUPLICATE,
        message=_("Ya estaba guardado."),
        uuid=ready.index.uuid,
        category=ready.category,
    )


def _store_one(company: Company, ready: _Ready, row: Cfdi) -> IngestOutcome:
    """File then row for one document; the file is removed if its row can't be written."""
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            _index_relations(company, [(ready, row)])
            _announce_stored(company, [row])
    except IntegrityError:
        # Someone stored the same UUID between our check and our insert.
        winner = (
            Cfdi.objects.filter(company=company, uuid=row.uuid)
            .values_list("xml_path", flat=True)
            .first()
        )
        if winner != row.xml_path:  # storages that overwrite would share the name: keep it
            default_storage.delete(row.xml_path)
        if winner is None:
            raise
        return _duplicate(ready)
    except BaseException:
        default_storage.delete(row.xml_path)
        raise
    return IngestOutcome(
        ready.name,
        Outcome.ACCEPTED,
        uuid=ready.index.uuid,
        category=ready.category,
        seal_verified=row.seal_verified,
        cfdi=row,
    )


# Threads writing a chunk's originals: the storage's calls wait on the disk or, with object
# storage, on the network; a few in flight overlap that wait (measured in bench/).
FILE_WRITERS = 4


def _files_save(company: Company, documents: list[_Ready]) -> list[str]:
    """Store each document's original (in their order, the names the storage chose); if one
    fails, the others written are removed and the failure raised: all or none."""
    if len(documents) <= 1:  # one document (an issued invoice): no pool to start
        return [_file_save(company, ready) for ready in documents]
    with ThreadPoolExecutor(max_workers=FILE_WRITERS) as pool:
        futures = [pool.submit(_file_save, company, ready) for ready in documents]
    names: list[str] = []
    failure: BaseException | None = None
    for future in futures:
        try:
            names.append(future.result())
        except BaseException as exc:  # re-raised below, after the clean-up
            failure = failure or exc
    if failure is not None:
        for name in names:
            default_storage.delete(name)
        raise failure
    return names


def _file_save(company: Company, ready: _Ready) -> str:
    return default_storage.save(storage_key(company.pk, ready.index.uuid), ContentFile(ready.data))


def _store_chunk(
    *,
    company: Company,
    chunk: list[_Ready],
    ingested_by: User | None,
    accept_unverified: bool,
    verify_seals: bool,
    outcomes: list[IngestOutcome | None],
) -> None:
    """Store a chunk of documents: one duplicate query, the seal checks, the files (written
    together, ``_files_save``), then the rows in one transaction.

    If the chunk's insert fails (a concurrent ingestion of the same UUID), its files
    are removed and each document is stored on its own, so the race is reported per file.
    """
    uuids = [ready.index.uuid for ready in chunk]
    existing = {
        str(u)
        for u in Cfdi.objects.filter(company=company, uuid__in=uuids).values_list("uuid", flat=True)
    }
    passed: list[tuple[_Ready, bool | None]] = []
    for ready in chunk:
        if ready.index.uuid in existing:
            outcomes[ready.position] = _duplicate(ready)
            continue
        try:
            check = seal_check(ready.root, ready.index) if verify_seals else None
        except Exception:
            logger.exception("CFDI %r: unexpected failure while checking its seal", ready.name)
            outcomes[ready.position] = _refused(ready.name, unreadable())
            continue
        verified = None if check is None else check.verified
        if check in _SEAL_REFUSALS and not accept_unverified:
            code, message = _SEAL_REFUSALS[check]
            outcomes[ready.position] = IngestOutcome(
                ready.name,
                Outcome.REFUSED,
                code=code,
                message=str(message),
                uuid=ready.index.uuid,
                category=ready.category,
                seal_verified=False,
            )
            continue
        # Only a stored document makes a later one with its UUID a duplicate: a refused
        # copy (a broken seal) must not shadow the good one that follows it.
        existing.add(ready.index.uuid)
        passed.append((ready, verified))
    names: list[str] = []
    staged: list[tuple[_Ready, Cfdi]] = []
    try:
        names = _files_save(company, [ready for ready, _verified in passed])
        staged = [
            (
                ready,
                _row(company, ready, stored_name=name, verified=verified, ingested_by=ingested_by),
            )
            for (ready, verified), name in zip(passed, names, strict=True)
        ]
        with transaction.atomic():
            _cfdis_insert([row for _ready, row in staged])
            _index_relations(company, staged)
            _announce_stored(company, [row for _ready, row in staged])
    except IntegrityError:
        for _ready, row in staged:
            default_storage.delete(row.xml_path)
        for ready, row in staged:
            row.xml_path = _file_save(company, ready)
            outcomes[ready.position] = _store_one(company, ready, row)
        return
    except BaseException:
        for name in names:
            default_storage.delete(name)
        raise
    for ready, row in staged:
        outcomes[ready.position] = IngestOutcome(
            ready.name,
            Outcome.ACCEPTED,
            uuid=ready.index.uuid,
            category=ready.category,
            seal_verified=row.seal_verified,
            cfdi=row,
        )


def cfdi_ingest_files(
    *,
    company: Company,
    files: Iterable[tuple[str, IO[bytes]]],
    ingested_by: User | None = None,
    accept_unverified: bool = False,
    verify_seals: bool | None = None,
) -> IngestReport:
    """Ingest XML files and ZIPs of them; every document accepted, duplicate or refused.

    ``ingested_by`` None means the system (management command, demo): no
    permission check; a user may only store the categories their grant opens.
    Documents are stored in chunks of CHUNK_SIZE (see ``_store_chunk``).
    """
    return _ingest(
        company=company,
        files=files,
        ingested_by=ingested_by,
        accept_unverified=accept_unverified,
        verify_seals=verify_seals,
        keep_rows=False,
    )


def _ingest(
    *,
    company: Company,
    files: Iterable[tuple[str, IO[bytes]]],
    ingested_by: User | None,
    accept_unverified: bool,
    verify_seals: bool | None,
    keep_rows: bool,
) -> IngestReport:
    verify = settings.CFDI_VERIFY_SEALS if verify_seals is None else verify_seals
    outcomes: list[IngestOutcome | None] = []
    chunk: list[_Ready] = []

    def flush() -> None:
        _store_chunk(
            company=company,
            chunk=chunk,
            ingested_by=ingested_by,
            accept_unverified=accept_unverified,
            verify_seals=verify,
            outcomes=outcomes,
        )
        if not keep_rows:
            for ready in chunk:
                outcome = outcomes[ready.position]
                if outcome is not None and outcome.cfdi is not None:
                    outcomes[ready.position] = replace(outcome, cfdi=None)
        chunk.clear()

    for name, stream in files:
        for incoming in incoming_documents(name, stream):
            prepared = _prepare(
                company=company, incoming=incoming, ingested_by=ingested_by, position=len(outcomes)
            )
            if isinstance(prepared, IngestOutcome):
                outcomes.append(prepared)
                continue
            outcomes.append(None)
            chunk.append(prepared)
            if len(chunk) >= CHUNK_SIZE:
                flush()
    if chunk:
        flush()
    report = IngestReport(outcomes=[o for o in outcomes if o is not None])
    counts = report.counts
    if counts[Outcome.ACCEPTED]:
        with transaction.atomic(savepoint=False):  # one INSERT: no savepoint needed
            audit_record(
                actor=ingested_by,
                action=Action.CFDI_INGESTED,
                account=company.account,
                company=company,
                after={**counts, "unverified_accepted": _unverified(report)},
            )
    return report


def _unverified(report: IngestReport) -> int:
    return sum(
        1 for o in report.outcomes if o.status == Outcome.ACCEPTED and o.seal_verified is False
    )


def cfdi_ingest(
    *,
    company: Company,
    data: bytes,
    name: str = "cfdi.xml",
    ingested_by: User | None = None,
    accept_unverified: bool = False,
    verify_seals: bool | None = None,
) -> IngestOutcome:
    """Ingest one XML document given as bytes (see ``cfdi_ingest_files``); an accepted
    outcome carries the stored row."""
    report = _ingest(
        company=company,
        files=[(name, io.BytesIO(data))],
        ingested_by=ingested_by,
        accept_unverified=accept_unverified,
        verify_seals=verify_seals,
        keep_rows=True,
    )
    return report.outcomes[0]
