"""Re-reading stored originals to fill index fields added after they were stored.

Used by migrations 0003 and 0005 (with the historical model) and by ``despacho
cfdi_reindex`` (with the current one); the original XML is only read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from despacho.cfdi.parsing import (
    CFDI3,
    CFDI4,
    FREE_TEXT_MAX,
    currency,
    paid_amount,
    parse_xml,
    payroll_amounts,
    relations_of,
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
# CFDI 3.2's free-text fields, once cut or mis-read (issue 12).
FREE_TEXT_FIELDS = ("moneda", "moneda_original", "forma_pago", "metodo_pago")
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


def free_text_fields(data: bytes) -> dict[str, Any]:
    """Moneda (as a c_Moneda code and as written) and forma/método de pago of one original."""
    root = parse_xml(data)
    legacy = root.get("version") == "3.2" and root.get("Version") is None

    def attr(name: str, legacy_name: str) -> str:
        value = root.get(legacy_name if legacy else name)
        if value is None and legacy:
            value = root.get(name)
        return " ".join((value or "").split())[:FREE_TEXT_MAX]

    moneda, moneda_original = currency(attr("Moneda", "moneda"))
    return {
        "moneda": moneda,
        "moneda_original": moneda_original,
        "forma_pago": attr("FormaPago", "formaDePago"),
        "metodo_pago": attr("MetodoPago", "metodoDePago"),
    }


def fill_report_amounts(model: Any, *, queryset: Any = None) -> tuple[int, int]:
    """Set the report amounts of every row from its stored XML; (updated, unreadable)."""
    return _refill(model, queryset, report_amounts, REPORT_FIELDS)


def fill_free_text_fields(model: Any, *, queryset: Any = None) -> tuple[int, int]:
    """Set moneda and forma/método de pago of every row from its stored XML."""
    return _refill(model, queryset, free_text_fields, FREE_TEXT_FIELDS)


def _refill(
    model: Any, queryset: Any, read: Callable[[bytes], dict[str, Any]], fields: tuple[str, ...]
) -> tuple[int, int]:
    rows = queryset if queryset is not None else model.objects.all()
    batch: list[Any] = []
    updated = unreadable = 0
    for row in rows.only("id", "xml_path").iterator(chunk_size=BATCH):
        try:
            with default_storage.open(row.xml_path, "rb") as handle:
                amounts = read(handle.read())
        except (OSError, Refusal) as exc:
            logger.warning("CFDI %s: cannot re-read %s (%s)", row.pk, row.xml_path, exc)
            unreadable += 1
            continue
        for name, value in amounts.items():
            setattr(row, name, value)
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_update(batch, fields)
            updated += len(batch)
            batch.clear()
    if batch:
        model.objects.bulk_update(batch, fields)
        updated += len(batch)
    return updated, unreadable


def fill_relations(*, queryset: Any = None) -> tuple[int, int]:
    """Rebuild the relations index (``CfdiRelation``) of the rows from their stored XML.

    For CFDIs stored before the index existed (``despacho cfdi_reindex``): each batch's
    old relations are replaced in one delete and one insert. (indexed rows, unreadable).
    """
    from despacho.cfdi.models import Cfdi, CfdiRelation, relation_row

    rows = queryset if queryset is not None else Cfdi.objects.all()
    batch: list[Any] = []
    done = unreadable = 0

    def flush() -> None:
        with transaction.atomic():
            CfdiRelation.objects.filter(cfdi__in=[row for row, _found in batch]).delete()
            CfdiRelation.objects.bulk_create(
                [relation_row(cfdi=row, relation=rel) for row, found in batch for rel in found]
            )
        batch.clear()

    for row in rows.only("id", "company_id", "xml_path").iterator(chunk_size=BATCH):
        try:
            with default_storage.open(row.xml_path, "rb") as handle:
                root = parse_xml(handle.read())
        except (OSError, Refusal) as exc:
            logger.warning("CFDI %s: cannot re-read %s (%s)", row.pk, row.xml_path, exc)
            unreadable += 1
            continue
        ns = CFDI4 if root.tag == f"{{{CFDI4}}}Comprobante" else CFDI3
        batch.append((row, relations_of(root, ns)))
        done += 1
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return done, unreadable
