"""Issuing end to end: draft (10 concepts) → sealed → stamped (sandbox) → stored → PDF.

Part 1 issues N drafts one by one through ``draft_issue`` (default 200) and prints p50/p99
per invoice and per phase: reading the draft (locked, with its rows), the PAC's checks
(``issue_checks``), reserving the folio (``draft_stamping_sealed``), amounts, XML build,
cadena original, signature (``seal_sign`` with the vault and its audit row), stamp (the
sandbox: XSD, certificate, seal check, TFD), storage (``cfdi_ingest``: parse, seal check,
file, rows, draft issued, audit) and the PDF (``cfdi_pdf``, rendered once and cached).
Part 2 issues a batch of M drafts (default 1,000) with ``drafts_issue_many`` (what the
background task runs) and prints invoices per second.

    DATABASE_URL=postgres://… python bench/issue_invoices.py [--documents 200] [--batch 1000]

The customer has no email address: the delivery email (its own PDF render) is not timed.
Goals (issue #16, item 9): p99 < 150 ms per invoice on PostgreSQL; ≥ 50 invoices/s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def setup() -> None:
    data_dir = tempfile.mkdtemp(prefix="despacho-bench-")
    os.environ.setdefault("DESPACHO_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
    os.environ["DESPACHO_PAC"] = "sandbox"
    os.environ["DESPACHO_SEALS_SANDBOX"] = "1"
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO))
    import django
    from cryptography.fernet import Fernet

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DESPACHO_VAULT_KEYS = [Fernet.generate_key().decode()]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)


TIMINGS: dict[str, list[float]] = defaultdict(list)
PHASES = ["draft read", "checks", "folio", "amounts", "xml", "cadena original", "signature"]
PHASES += ["stamp", "storage", "  of which SelloSAT"]


def timed(owner: Any, name: str, phase: str) -> None:
    """Replace ``owner.name`` by a wrapper that adds its time to ``phase``."""
    original: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMINGS[phase].append((time.perf_counter() - start) * 1000)

    setattr(owner, name, wrapper)


def instrument() -> None:
    from despacho.invoicing import xmlbuild
    from despacho.invoicing.services import drafts, issue
    from despacho.pac.sandbox import SandboxPac
    from despacho.satstatus import tasks as satstatus_tasks

    timed(drafts, "_editable_locked", "draft read")
    timed(issue, "_checked", "checks")
    timed(drafts, "_stamping_prepared", "folio")
    timed(xmlbuild, "document_amounts", "amounts")
    timed(xmlbuild, "build_comprobante", "xml")
    timed(xmlbuild, "cadena_original", "cadena original")
    timed(issue, "seal_sign", "signature")
    timed(SandboxPac, "stamp", "stamp")
    timed(issue, "_store", "storage")
    # After storage's commit, inside its time: satstatus verifies the new CFDI's SelloSAT
    # (the immediate task backend runs it in the issuing process).
    timed(satstatus_tasks, "timbres_verify", "  of which SelloSAT")


def drafts(company: Any, customer: Any, n: int) -> list[Any]:
    from tests.invoicing.helpers import IVA16, concept, make_draft

    from despacho.products.models import Factor, LineKind, Tax
    from despacho.products.services import LineSpec

    ret_iva = LineSpec(LineKind.RETENCION, Tax.IVA, Factor.TASA, Decimal("0.106667"))
    return [
        make_draft(
            company,
            customer=customer,
            concepts=tuple(
                concept(
                    descripcion=f"Artículo {i} de la factura {k}",
                    cantidad=Decimal(1 + (k + i) % 7) + Decimal("0.125"),
                    valor_unitario=Decimal(100 + (k * 7 + i * 13) % 900) + Decimal("0.33"),
                    taxes=(IVA16, ret_iva) if i % 4 == 0 else (IVA16,),
                )
                for i in range(10)
            ),
        )
        for k in range(n)
    ]


def _issue_chunk(draft_ids: list[int], actor_id: int) -> dict[int, str]:
    from despacho.invoicing.models import Draft
    from despacho.invoicing.services.issue import drafts_issue_many
    from despacho.people.models import User

    chunk = list(
        Draft.objects.select_related("company__account", "customer", "series")
        .filter(pk__in=draft_ids)
        .order_by("pk")
    )
    return drafts_issue_many(drafts=chunk, actor=User.objects.get(pk=actor_id))


def issue_batch(many: list[Any], actor_id: int, workers: int) -> dict[int, str]:
    """``drafts_issue_many`` over the drafts, in ``workers`` forked processes (each its own
    database connection), as that many task workers would run chunks of one batch."""
    ids = [draft.pk for draft in many]
    if workers == 1:
        return _issue_chunk(ids, actor_id)
    from django.db import connections

    connections.close_all()  # children open their own connections
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        parts = pool.starmap(_issue_chunk, [(ids[i::workers], actor_id) for i in range(workers)])
    return {key: value for part in parts for key, value in part.items()}


def percentile(values: list[float], q: float) -> float:
    sys.path.insert(0, str(REPO))
    from bench.pdf import percentile as bench_percentile

    return float(bench_percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument(
        "--workers", type=int, default=1, help="processes sharing the batch (PostgreSQL)"
    )
    args = parser.parse_args()
    setup()
    from tests.customers.helpers import register
    from tests.factories import make_account, owner_of
    from tests.invoicing.helpers import make_series
    from tests.seals.samples import EKU, company_of, upload_sample

    from despacho.cfdi.pdf import cfdi_pdf
    from despacho.invoicing.services import issue

    company = company_of(make_account(), EKU)
    upload_sample(company, EKU)
    make_series(company, "A", is_default=True)
    customer = register(company, emails=[])
    owner = owner_of(company.account)
    print(f"database: {os.environ['DATABASE_URL'].split('@')[-1]}")

    batch = drafts(company, customer, args.documents)
    issue.draft_issue(draft=batch.pop(), actor=owner)  # warm up: XSLT, XSD, fonts
    instrument()
    TIMINGS.clear()
    for draft in batch:
        start = time.perf_counter()
        cfdi = issue.draft_issue(draft=draft, actor=owner)
        issued = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        cfdi_pdf(cfdi)
        pdf = (time.perf_counter() - start) * 1000
        TIMINGS["PDF"].append(pdf)
        TIMINGS["issue (all above)"].append(issued)
        TIMINGS["total with PDF"].append(issued + pdf)
    print(f"\n{len(batch)} invoices of 10 concepts, one at a time, ms p50 / p99:")
    order = [*PHASES, "PDF", "issue (all above)", "total with PDF"]
    for phase, values in sorted(TIMINGS.items(), key=lambda item: order.index(item[0])):
        print(f"  {phase:<20} {percentile(values, 50):7.1f} / {percentile(values, 99):7.1f}")

    TIMINGS.clear()
    many = drafts(company, customer, args.batch)
    start = time.perf_counter()
    results = issue_batch(many, owner.pk, args.workers)
    seconds = time.perf_counter() - start
    failed = sum(1 for value in results.values() if " " in value)
    print(
        f"\nbatch: {len(many)} invoices in {seconds:.1f} s = {len(many) / seconds:.1f} invoices/s"
        f" with {args.workers} process(es) ({failed} refused; no PDFs in the batch)"
    )


if __name__ == "__main__":
    main()
