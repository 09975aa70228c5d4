"""Re-reading stored originals to fill index fields added after they were stored.

Used by migration 0003 (with the historical model) and by ``despacho
cfdi_reindex`` (with the current one); the original XML is only read.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.files.storage import default_storage

from despacho.cfdi.parsing import (
    CFDI3,
    CFDI4,
    paid_amount,
    parse_xml,
    payroll_amounts,
    tax_amounts,
)
from despacho.cfdi.refusals import Refusal

logger = logging.getLogger(__name__)

REPORT_FIELDS = (
    "iva_trasladado",
    "ieps_trasladado",
    "isr_retenido",
    "iva_retenido",
    "total_percepciones",
    "total_deducciones",
    "total_otros_pagos",
    "pagos_monto",
    "pagos_moneda",
)
BATCH = 500


def report_amounts(data: bytes) -> dict[str, Any]:
    """The report amounts of one original XML (and, for a Pago, what it paid)."""
    root = parse_xml(data)
    ns = CFDI4 if root.tag == f"{{{CFDI4}}}Comprobante" else CFDI3
    paid = paid_amount(root, ns) if root.get("TipoDeComprobante") == "P" else (None, "")
    return {
        **tax_amounts(root, ns),
        **payroll_amounts(root, ns),
        "pagos_monto": paid[0],
        "pagos_moneda": paid[1],
    }


def fill_report_amounts(model: Any, *, queryset: Any = None) -> tuple[int, int]:
    """Set the report amounts of every row from its stored XML; (updated, unreadable)."""
    rows = queryset if queryset is not None else model.objects.all()
    batch: list[Any] = []
    updated = unreadable = 0
    for row in rows.only("id", "xml_path").iterator(chunk_size=BATCH):
        try:
            with default_storage.open(row.xml_path, "rb") as handle:
                amounts = report_amounts(handle.read())
        except (OSError, Refusal) as exc:
            logger.warning("CFDI %s: cannot re-read %s (%s)", row.pk, row.xml_path, exc)
            unreadable += 1
            continue
        for name, value in amounts.items():
            setattr(row, name, value)
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_update(batch, REPORT_FIELDS)
            updated += len(batch)
            batch.clear()
    if batch:
        model.objects.bulk_update(batch, REPORT_FIELDS)
        updated += len(batch)
    return updated, unreadable
