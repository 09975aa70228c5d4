"""The status refresh of received CFDIs at SAT (satstatus), against the fake SAT on 127.0.0.1.

Run: DESPACHO_DATA_DIR=$(mktemp -d) .venv/bin/python bench/sat_status.py [--cfdis 10000]
     [--rate 10] [--paced 300]
(add DATABASE_URL=postgres://… for PostgreSQL). Generates N received CFDIs of one company
(rows only: the question needs no XML), starts the fake ConsultaCFDIService
(tests/satstatus/fake_sat.py, real SOAP over HTTP on 127.0.0.1; one in ten answers
Cancelado), then prints:

- unpaced: how fast one worker can ask and record (HTTP round trip, parse, writes), for all N;
- paced at ``--rate`` (SATSTATUS_RATE) over ``--paced`` CFDIs: the rate reached, which must
  not exceed the configured one, and what N would take at that rate and at the default.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
os.environ.setdefault("DESPACHO_TESTING", "1")  # fast password hashing for the generated users
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from tests.cfdi.cfdi_samples import any_rfc, company_with_rfc  # noqa: E402
from tests.factories import make_account  # noqa: E402
from tests.satstatus.fake_sat import Answer, fake_sat  # noqa: E402

from despacho.cfdi.models import Category, Cfdi, Direction  # noqa: E402
from despacho.satstatus.models import SatStatus  # noqa: E402
from despacho.satstatus.services import statuses_due, statuses_refresh  # noqa: E402


def build(n: int) -> list[Cfdi]:
    company = company_with_rfc(any_rfc(), make_account())
    now = timezone.now()
    rows = []
    for i in range(n):
        value = uuid.uuid4()
        rows.append(
            Cfdi(
                company=company,
                uuid=value,
                direction=Direction.RECIBIDO,
                category=Category.EGRESOS,
                tipo="I",
                version="4.0",
                fecha=now - timedelta(days=1 + i % 150),
                fecha_timbrado=now - timedelta(days=1 + i % 150),
                emisor_rfc=any_rfc(),
                receptor_rfc=company.rfc,
                subtotal=Decimal("100.00"),
                total=Decimal("116.00"),
                moneda="MXN",
                xml_path=f"cfdi/{company.pk}/{value}.xml",
                size=1,
                sha256="0" * 64,
            )
        )
    return Cfdi.objects.bulk_create(rows, batch_size=1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cfdis", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--paced", type=int, default=300)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    from django.db import connection

    print(f"database: {connection.vendor}; CFDIs: {args.cfdis}")
    rows = build(args.cfdis)
    with fake_sat() as sat:
        settings.SATSTATUS_CONSULTA_URL = sat.consulta_url
        for row in rows[::10]:
            sat.statuses[str(row.uuid).upper()] = Answer(estado="Cancelado")
        for row in rows:
            sat.statuses.setdefault(str(row.uuid).upper(), Answer())
        start = time.perf_counter()
        summary = statuses_refresh(limit=args.cfdis, rate=0)
        seconds = time.perf_counter() - start
        print(
            f"unpaced: {summary.asked} asked ({summary.cancelled} cancelled, "
            f"{summary.failed} failed) in {seconds:.1f} s = {summary.asked / seconds:.0f} CFDI/s"
        )
        assert SatStatus.objects.count() == summary.asked
        # Paced: everything is due again (as after SATSTATUS_STALE_HOURS).
        SatStatus.objects.update(checked_at=timezone.now() - timedelta(days=30))
        assert statuses_due().count() >= args.paced
        start = time.perf_counter()
        summary = statuses_refresh(limit=args.paced, rate=args.rate)
        seconds = time.perf_counter() - start
        reached = summary.asked / seconds
        print(
            f"paced at SATSTATUS_RATE={args.rate:g}/s: {summary.asked} asked in {seconds:.1f} s "
            f"= {reached:.1f} CFDI/s (bound {'kept' if reached <= args.rate else 'EXCEEDED'})"
        )
        for rate in (args.rate, float(os.environ.get("SATSTATUS_RATE", 2))):
            minutes = args.cfdis / rate / 60
            print(f"{args.cfdis} CFDIs at {rate:g}/s: {minutes:.0f} min in the worker")


if __name__ == "__main__":
    main()
