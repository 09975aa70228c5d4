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


def _reread(
    rows: Any,
    read: Callable[[bytes], Any],
    write: Callable[[list[tuple[Any, Any]]], None],
    columns: tuple[str, ...] = ("id", "xml_path"),
) -> tuple[int, int]:
    """Read each row's stored XML and hand (row, what was read) to ``write`` in batches;
    (rows written, rows whose original could not be read)."""
    batch: list[tuple[Any, Any]] = []
    done = unreadable = 0
    for row in rows.only(*columns).iterator(chunk_size=BATCH):
        try:
            with default_storage.open(row.xml_path, "rb") as handle:
                found = read(handle.read())
        except (OSError, Refusal) as exc:
            logger.warning("CFDI %s: cannot re-read %s (%s)", row.pk, row.xml_path, exc)
            unreadable += 1
            continue
        batch.append((row, found))
        if len(batch) >= BATCH:
            write(batch)
            done += len(batch)
            batch.clear()
    if batch:
        write(batch)
        done += len(batch)
    return done, unreadable


def _refill(
    model: Any, queryset: Any, read: Callable[[bytes], dict[str, Any]], fields: tuple[str, ...]
) -> tuple[int, int]:
    def write(batch: list[tuple[Any, dict[str, Any]]]) -> None:
        for row, amounts in batch:
            for name, value in amounts.items():
                setattr(row, name, value)
        model.objects.bulk_update([row for row, _amounts in batch], fields)

    return _reread(queryset if queryset is not None else model.objects.all(), read, write)


def _relations(data: bytes) -> tuple[Any, ...]:
    root = parse_xml(data)
    return relations_of(root, CFDI4 if root.tag == f"{{{CFDI4}}}Comprobante" else CFDI3)


def fill_relations(*, queryset: Any = None) -> tuple[int, int]:
    """Rebuild the relations index (``CfdiRelation``) of the rows from their stored XML.

    For CFDIs stored before the index existed (``despacho cfdi_reindex``): each batch's
    old relations are replaced in one delete and one insert. (indexed rows, unreadable).
    """
    from despacho.cfdi.models import Cfdi, CfdiRelation, relation_row

    def write(batch: list[tuple[Any, tuple[Any, ...]]]) -> None:
        with transaction.atomic():
            CfdiRelation.objects.filter(cfdi__in=[row for row, _found in batch]).delete()
            CfdiRelation.objects.bulk_create(
                [relation_row(cfdi=row, relation=rel) for row, found in batch for rel in found]
            )

    rows = queryset if queryset is not None else Cfdi.objects.all()
    return _reread(rows, _relations, write, columns=("id", "company_id", "xml_path"))
