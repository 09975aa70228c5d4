"""The SAT connection's download path: one package of N CFDIs (10,000 by default) fetched
from a fake SAT on 127.0.0.1 and ingested, seal verification on.

The documents are EKU9003173C9's two real samples whose seals verify, each copy with a new
TimbreFiscalDigital UUID (``bench/ingest.py``'s generator), zipped as SAT zips a package.
The run goes the whole way: authentication and every request signed with the company's
e.firma through ``seal_sign`` (audited), SolicitaDescarga for the plan's three requests,
verification, download of the package (base64 in SOAP, ~N × 3 KB) and ingestion through
``cfdi_ingest_files``. Printed: the whole run and the ingestion alone, in CFDIs per second,
the ingestion's CPU time in this process, and the machine's load average (the development
machine is shared).

    python bench/satsync_ingest.py [N]                       # temp SQLite
    DATABASE_URL=postgres://… python bench/satsync_ingest.py # PostgreSQL
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.ingest import SAMPLES, SEALED_SAMPLES, generate, setup  # noqa: E402


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    os.environ.setdefault("DESPACHO_SEALS_SANDBOX", "1")  # SAT's test e.firma expired in 2023
    setup()
    from django.conf import settings
    from django.db import connection
    from tests.satsync.fake_sat import fake_sat, package_zip

    from despacho.cfdi.models import Cfdi
    from despacho.members.services.accounts import account_create, company_create, user_create
    from despacho.samples import CSD_SAMPLES_DIR
    from despacho.satsync.models import RunKind, SyncRun
    from despacho.satsync.services import sync_request
    from despacho.seals.models import SealKind
    from despacho.seals.services import certificate_upload

    assert settings.CFDI_VERIFY_SEALS, "seal verification must be on"
    rfc = "EKU9003173C9"
    owner = user_create(
        email=f"bench-{uuid.uuid4().hex[:8]}@example.mx",
        full_name="Banco Pruebas Uno",
        password="x" * 12,
    )
    account = account_create(name="Bench SAT", owner=owner)
    stem = CSD_SAMPLES_DIR / "eku9003173c9_fiel"

    def company_with_fiel(name: str):  # type: ignore[no-untyped-def]
        # One company per RFC in Despacho: the bench measures one run.
        company = company_create(
            account=account,
            actor=owner,
            rfc=rfc,
            razon_social=name,
            regimen_fiscal="601",
            codigo_postal="06000",
        )
        certificate_upload(
            company=company,
            actor=owner,
            kind=SealKind.FIEL,
            cer=stem.with_suffix(".cer").read_bytes(),
            key=stem.with_suffix(".key").read_bytes(),
            password=stem.with_suffix(".txt").read_text().strip(),
        )
        return company

    samples = [(SAMPLES / name).read_bytes() for name in SEALED_SAMPLES[rfc]]
    started = time.perf_counter()
    package = package_zip({f"{i:05d}.xml": doc for i, doc in enumerate(generate(samples, n))})
    print(
        f"database: {connection.vendor}; {n} CFDIs, package {len(package) / 1e6:.1f} MB "
        f"(built in {time.perf_counter() - started:.1f} s)"
    )
    print(f"load average before: {_uptime()}")

    # The ingestion's share of the run, timed where the run calls it.
    from despacho.satsync import services

    ingesting = [0.0, 0.0]
    ingest = services.package_ingest

    def timed_ingest(**kwargs):  # type: ignore[no-untyped-def]
        began, cpu = time.perf_counter(), time.process_time()
        try:
            return ingest(**kwargs)
        finally:
            ingesting[0] += time.perf_counter() - began
            ingesting[1] += time.process_time() - cpu

    services.package_ingest = timed_ingest  # type: ignore[assignment]
    company = company_with_fiel("BENCH SAT UNO")
    with fake_sat(rfc) as fake:
        settings.DESPACHO_SAT_DESCARGA_SOLICITUD_URL = f"{fake.base_url}/solicitud"
        settings.DESPACHO_SAT_DESCARGA_URL = f"{fake.base_url}/descarga"
        fake.packages[("emitidos", "CFDI")] = [package]
        started = time.perf_counter()
        run = sync_request(company=company, actor=owner, kind=RunKind.MANUAL)
        elapsed = time.perf_counter() - started
    run = SyncRun.objects.get(pk=run.pk)
    seconds = ingesting[0]
    accepted = run.counts.get("emitidos", {}).get("accepted", 0)
    assert run.state == "done" and accepted == n, (run.state, run.error, run.counts)
    print(f"of which the package's ingestion: {seconds:.2f} s = {accepted / seconds:,.0f} CFDIs/s")
    # On a shared machine the wall clock depends on the others' load; this process's own
    # CPU time does not (PostgreSQL's share runs in its own processes, not counted here).
    print(
        f"  this process's CPU time for it: {ingesting[1]:.2f} s "
        f"= {accepted / ingesting[1]:,.0f} CFDIs per CPU-second"
    )
    print(
        f"whole run (authenticate, 3 requests, verify, download, ingest): {accepted} CFDIs "
        f"in {elapsed:.2f} s = {accepted / elapsed:,.0f} CFDIs/s"
    )

    print(f"load average after: {_uptime()}")
    print(f"rows now: {Cfdi.objects.count()}")


if __name__ == "__main__":
    main()
