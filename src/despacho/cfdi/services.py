"""Writes of the CFDI repository: ingesting documents.

Each document is its own unit: the original XML is written to storage first,
then its row inside a transaction; if the row cannot be written the file is
deleted. So a batch may store some documents and refuse others, but never
leaves a document half-stored (a file without a row is cleaned up, a row
without its file cannot happen). The batch writes one audit event with its
counts, instead of one per document, so that ingesting a ZIP of thousands
does not double the writes.
"""

from __future__ import annotations

import enum
import hashlib
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.access.decisions import can
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cfdi.archives import Incoming, incoming_documents
from despacho.cfdi.models import CATEGORY_PERM, Cfdi, Direction, classify, storage_key
from despacho.cfdi.parsing import CfdiIndex, parse_xml, read_index
from despacho.cfdi.refusals import Refusal, RefusalCode
from despacho.cfdi.seals import seal_verified
from despacho.people.models import User
from despacho.tenancy.models import Company


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
        return [o for o in self.outcomes if o.code == RefusalCode.SEAL_INVALID]


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


def _ingest_one(
    *,
    company: Company,
    incoming: Incoming,
    ingested_by: User | None,
    accept_unverified: bool,
    verify_seals: bool,
) -> IngestOutcome:
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
    if Cfdi.objects.filter(company=company, uuid=index.uuid).exists():
        return IngestOutcome(
            name,
            Outcome.DUPLICATE,
            message=_("Ya estaba guardado."),
            uuid=index.uuid,
            category=category.value,
        )
    verified = seal_verified(root, index) if verify_seals else None
    if verified is False and not accept_unverified:
        return IngestOutcome(
            name,
            Outcome.REFUSED,
            code=RefusalCode.SEAL_INVALID,
            message=_(
                "El sello del CFDI no es válido. Se guarda solo si lo confirmas, "
                "y quedará marcado como sello no válido."
            ),
            seal_verified=False,
            uuid=index.uuid,
            category=category.value,
        )
    stored_name = default_storage.save(storage_key(company.pk, index.uuid), ContentFile(data))
    try:
        with transaction.atomic():
            Cfdi.objects.create(
                company=company,
                uuid=index.uuid,
                direction=direction,
                category=category,
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
                tipo_cambio=index.tipo_cambio,
                forma_pago=index.forma_pago,
                metodo_pago=index.metodo_pago,
                uso_cfdi=index.uso_cfdi,
                seal_verified=verified,
                xml_path=stored_name,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                ingested_by=ingested_by,
            )
    except IntegrityError:
        # Someone stored the same UUID between our check and our insert.
        winner = (
            Cfdi.objects.filter(company=company, uuid=index.uuid)
            .values_list("xml_path", flat=True)
            .first()
        )
        if winner != stored_name:  # storages that overwrite would share the name: keep it
            default_storage.delete(stored_name)
        if winner is None:
            raise
        return IngestOutcome(
            name,
            Outcome.DUPLICATE,
            message=_("Ya estaba guardado."),
            uuid=index.uuid,
            category=category.value,
        )
    except BaseException:
        default_storage.delete(stored_name)
        raise
    return IngestOutcome(
        name, Outcome.ACCEPTED, seal_verified=verified, uuid=index.uuid, category=category.value
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
    """
    verify = settings.CFDI_VERIFY_SEALS if verify_seals is None else verify_seals
    report = IngestReport()
    for name, stream in files:
        for incoming in incoming_documents(name, stream):
            report.outcomes.append(
                _ingest_one(
                    company=company,
                    incoming=incoming,
                    ingested_by=ingested_by,
                    accept_unverified=accept_unverified,
                    verify_seals=verify,
                )
            )
    counts = report.counts
    if counts[Outcome.ACCEPTED]:
        with transaction.atomic():
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
    """Ingest one XML document given as bytes (see ``cfdi_ingest_files``)."""
    report = cfdi_ingest_files(
        company=company,
        files=[(name, io.BytesIO(data))],
        ingested_by=ingested_by,
        accept_unverified=accept_unverified,
        verify_seals=verify_seals,
    )
    return report.outcomes[0]
