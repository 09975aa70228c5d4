"""Reads of cancellations, scoped like the CFDI they belong to: who sees the CFDI sees them."""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db.models import Prefetch

from despacho.cancellations.models import Cancellation, CancellationStep
from despacho.cfdi.models import Cfdi
from despacho.cfdi.selectors import cfdi_for
from despacho.errors import NotFound
from despacho.people.models import Viewer
from despacho.tenancy.models import Company


class CancellationNotFound(NotFound):
    """The CFDI is out of the viewer's reach, or it was never asked to be cancelled."""


@dataclass(frozen=True)
class CfdiCancellations:
    """A CFDI and its cancellation requests, newest first, each with its steps."""

    cfdi: Cfdi
    requests: list[Cancellation]

    @property
    def latest(self) -> Cancellation | None:
        return self.requests[0] if self.requests else None


def cancellations_of(cfdi: Cfdi) -> list[Cancellation]:
    """Every request to cancel this CFDI, newest first, with their steps (two queries)."""
    return list(
        Cancellation.objects.filter(company_id=cfdi.company_id, cfdi=cfdi)
        .select_related("requested_by")
        .prefetch_related(Prefetch("steps", queryset=CancellationStep.objects.order_by("at", "id")))
        .order_by("-requested_at", "-id")
    )


def cancellation_for(
    *, viewer: Viewer, company: Company | None, uuid: uuid_module.UUID | str
) -> CfdiCancellations:
    """The CFDI (if the viewer's grant shows it; CfdiNotFound otherwise) and its requests."""
    cfdi = cfdi_for(viewer=viewer, company=company, uuid=uuid)
    return CfdiCancellations(cfdi=cfdi, requests=cancellations_of(cfdi))


def cancellation_acuse(
    *, viewer: Viewer, company: Company | None, uuid: uuid_module.UUID | str
) -> tuple[Cancellation, bytes]:
    """The latest acuse of the CFDI's cancellation; CancellationNotFound when there is none."""
    found = cancellation_for(viewer=viewer, company=company, uuid=uuid)
    with_acuse = next((c for c in found.requests if c.acuse_path), None)
    if with_acuse is None:
        raise CancellationNotFound
    with default_storage.open(with_acuse.acuse_path, "rb") as handle:
        return with_acuse, handle.read()
