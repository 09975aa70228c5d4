"""Accounting at scale: automatic pólizas for many CFDIs, and the balanza over many movements.

Run: DESPACHO_DATA_DIR=$(mktemp -d) .venv/bin/python bench/accounting.py
     [--cfdis 100000] [--movements 1000000]
(add DATABASE_URL=postgres://… for PostgreSQL). Generates one company with its default chart
and N CFDIs (rows only, issued and received, PUE and PPD, with IVA; 2,000 counterpart RFCs),
posts their pólizas with ``posting.cfdis_post`` (each movement goes through the database's
balance triggers), then adds captured pólizas until the ledger holds M movements and asks
the balanza of one month at every level. Prints the figures and, on PostgreSQL, the plan of
the balanza's aggregate. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
os.environ.setdefault("DESPACHO_TESTING", "1")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from tests.cfdi.cfdi_samples import any_rfc, company_with_rfc  # noqa: E402
from tests.factories import make_account, owner_of  # noqa: E402

from despacho.accounting.models import Account, Movement, Poliza  # noqa: E402
from despacho.accounting.posting import cfdis_post  # noqa: E402
from despacho.accounting.selectors import balanza, balanza_sums  # noqa: E402
from despacho.accounting.services import chart_create_default, ledger_lock  # noqa: E402
from despacho.cfdi.models import Category, Cfdi, Direction  # noqa: E402
from despacho.cfdi.parsing import CFDI_ZONE  # noqa: E402


def build_cfdis(company, n: int) -> list[int]:
    rng = random.Random(18)
    rfcs = [any_rfc() for _ in range(2000)]
    start = datetime(2026, 1, 1, tzinfo=CFDI_ZONE)
    rows = []
    for i in range(n):
        issued = i % 2 == 0
        subtotal = Decimal(rng.randint(100, 100000)) / 100
        iva = (subtotal * Decimal("0.16")).quantize(Decimal("0.01"))
        counterpart = rfcs[i % len(rfcs)]
        value = uuid.uuid4()
        rows.append(
            Cfdi(
                company=company,
                uuid=value,
                direction=Direction.EMITIDO if issued else Direction.RECIBIDO,
                category=Category.VENTAS if issued else Category.EGRESOS,
                tipo="I",
                version="4.0",
                fecha=start + timedelta(minutes=i * 5),
                fecha_timbrado=start + timedelta(minutes=i * 5),
                emisor_rfc=company.rfc if issued else counterpart,
                receptor_rfc=counterpart if issued else company.rfc,
                subtotal=subtotal,
                total=subtotal + iva,
                iva_trasladado=iva,
                moneda="MXN",
                metodo_pago="PPD" if i % 5 == 0 else "PUE",
                xml_path=f"cfdi/{company.pk}/{value}.xml",
                size=1,
                sha256="0" * 64,
            )
        )
    return [c.pk for c in Cfdi.objects.bulk_create(rows, batch_size=2000)]


def fill_movements(company, target: int) -> None:
    """Captured two-line pólizas spread over 2026 until the ledger has ``target`` movements."""
    accounts = list(
        Account.objects.filter(company=company, children__isnull=True).values_list("pk", flat=True)
    )
    rng = random.Random(24)
    missing = target - Movement.objects.filter(company=company).count()
    batch = 5000
    number = Poliza.objects.filter(company=company).count() + 1_000_000
    while missing > 0:
        size = min(batch, missing // 2 + 1)
        with transaction.atomic():
            ledger_lock(company)
            polizas = []
            for _ in range(size):
                day = date(2026, 1, 1) + timedelta(days=rng.randint(0, 364))
                poliza = Poliza(
                    company=company, tipo="3", number=number, fecha=day, concepto="Bench"
                )
                poliza.balance_id = poliza.key
                number += 1
                polizas.append(poliza)
            Poliza.objects.bulk_create(polizas)
            movements = []
            for poliza in polizas:
                amount = Decimal(rng.randint(1, 10_000_000)) / 100
                debit, credit = rng.sample(accounts, 2)
                movements += [
                    Movement(
                        poliza=poliza,
                        company=company,
                        fecha=poliza.fecha,
                        line=1,
                        account_id=debit,
                        concepto="x",
                        debe=amount,
                    ),
                    Movement(
                        poliza=poliza,
                        company=company,
                        fecha=poliza.fecha,
                        line=2,
                        account_id=credit,
                        concepto="x",
                        haber=amount,
                    ),
                ]
            Movement.objects.bulk_create(movements, batch_size=5000)
        missing -= 2 * size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cfdis", type=int, default=100_000)
    parser.add_argument("--movements", type=int, default=1_000_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    account = make_account()
    company = company_with_rfc(any_rfc(), account)
    chart_create_default(company=company, actor=owner_of(account))
    print(f"database: {connection.vendor}")

    began = time.perf_counter()
    ids = build_cfdis(company, args.cfdis)
    print(f"{args.cfdis:,} CFDI rows generated in {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    summary = cfdis_post(company=company, cfdi_ids=ids)
    took = time.perf_counter() - began
    movements = Movement.objects.filter(company=company).count()
    print(
        f"pólizas for {args.cfdis:,} CFDIs: {summary.posted:,} pólizas, {movements:,} movements "
        f"in {took:.1f} s ({summary.posted / took:,.0f} pólizas/s)"
    )
    again = time.perf_counter()
    cfdis_post(company=company, cfdi_ids=ids)
    print(f"re-running (idempotent, nothing written): {time.perf_counter() - again:.1f} s")

    began = time.perf_counter()
    fill_movements(company, args.movements)
    total = Movement.objects.filter(company=company).count()
    print(f"ledger filled to {total:,} movements in {time.perf_counter() - began:.1f} s")
    viewer = owner_of(account)
    for level in (1, 2, None):
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            report = balanza(
                viewer=viewer,
                company=company,
                start=date(2026, 6, 1),
                end=date(2026, 6, 30),
                level=level,
            )
            timings.append(time.perf_counter() - began)
        print(
            f"balanza of June over {total:,} movements, level {level or 'all'}: "
            f"best {min(timings) * 1000:.0f} ms, median {sorted(timings)[2] * 1000:.0f} ms "
            f"({len(report.rows)} rows, debe {report.debe:,.2f} = haber {report.haber:,.2f})"
        )
    if connection.vendor == "postgresql":
        sums = balanza_sums(company, date(2026, 6, 1), date(2026, 6, 30))
        print(sums.explain(analyze=True))


if __name__ == "__main__":
    main()
