"""Ingestion throughput: N distinct CFDIs generated from the project's samples, ingested twice.

Each generated document is a real sample with a new TimbreFiscalDigital UUID
(the comprobante's own seal does not cover the timbre, so it still verifies;
the timbre's SelloSAT, checked after the commit by satstatus, does not: with the
immediate backend that check runs inline, set SATSTATUS_VERIFY_SELLO_SAT=0 to leave it
out as the database worker does for the web). Measured: parsing, seal check
(on / off), storage write and the database row, through the same service the
web and the command use.

    python bench/ingest.py [N]            # temp SQLite and temp media folder
    DATABASE_URL=postgres://… python bench/ingest.py 5000

Prints documents per second for each mode; the process uses one core.
"""

from __future__ import annotations

import io
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "src" / "despacho" / "samples" / "cfdi"  # despacho.samples.CFDI_SAMPLES_DIR
UUID_RE = re.compile(rb'(<tfd:TimbreFiscalDigital[^>]*?\sUUID=")([^"]+)(")', re.DOTALL)
# The samples of the three issuers whose seal verifies (the H&E Pago's does not), by issuer.
SEALED_SAMPLES = {
    "EKU9003173C9": ["nomina12_swsapien_nomina12_40.xml", "pago20_swsapien_pago_stamped.xml"],
    "H&E951128469": ["ingreso_satcfdi_he951128469_iva16_stamped.xml"],
    "ISD950921HE5": ["ingreso_cfdiutils_cfdi40-real.xml"],
}


def setup() -> None:
    data_dir = tempfile.mkdtemp(prefix="despacho-bench-")
    os.environ.setdefault("DESPACHO_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
    # The SelloSAT check (satstatus) runs after each chunk's commit; in this bench's
    # immediate task backend that is inline. SAT's certificates repository is never asked
    # from here: a closed local port (the renumbered timbres would not verify anyway).
    os.environ.setdefault("SATSTATUS_CERTIFICATE_URL", "http://127.0.0.1:9/")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(samples: list[bytes], n: int) -> list[bytes]:
    """N documents with fresh timbre UUIDs, round-robin over the samples."""
    out = []
    for i in range(n):
        new = str(uuid.uuid4()).encode()
        doc, count = UUID_RE.subn(
            lambda m, new=new: m.group(1) + new + m.group(3), samples[i % len(samples)]
        )
        assert count == 1
        out.append(doc)
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    if not SAMPLES.is_dir():
        sys.exit(f"samples not found at {SAMPLES}")
    setup()
    from django.db import connection

    from despacho.cfdi.models import Cfdi
    from despacho.cfdi.services import Outcome, cfdi_ingest_files
    from despacho.members.services.accounts import account_create, company_create, user_create
    from despacho.tenancy.models import Company

    by_rfc = SEALED_SAMPLES
    owner = user_create(
        email=f"bench-{uuid.uuid4().hex[:8]}@example.mx",
        full_name="Banco Pruebas Uno",
        password="x" * 12,
    )
    account = account_create(name="Bench", owner=owner)
    companies = {}
    for rfc in by_rfc:
        companies[rfc] = Company.objects.filter(rfc=rfc).first() or company_create(
            account=account,
            actor=owner,
            rfc=rfc,
            razon_social=f"BENCH {rfc}",
            regimen_fiscal="601",
            codigo_postal="06000",
        )
    print(f"database: {connection.vendor}; documents per mode: {n}")
    for verify in (False, True):
        elapsed = 0.0
        stored = 0
        for rfc, names in by_rfc.items():
            samples = [(SAMPLES / name).read_bytes() for name in names]
            docs = generate(samples, n // len(by_rfc))
            files = [(f"{i}.xml", io.BytesIO(d)) for i, d in enumerate(docs)]
            start = time.perf_counter()
            report = cfdi_ingest_files(company=companies[rfc], files=files, verify_seals=verify)
            elapsed += time.perf_counter() - start
            stored += report.counts[Outcome.ACCEPTED]
            bad = [o for o in report.outcomes if o.status != Outcome.ACCEPTED][:3]
            assert not bad, bad
        label = "on " if verify else "off"
        print(
            f"seal verification {label}: {stored} documents in {elapsed:.2f} s"
            f" = {stored / elapsed:,.0f} docs/s"
        )
    print(f"rows now: {Cfdi.objects.count()}")


if __name__ == "__main__":
    main()
