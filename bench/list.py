"""The CFDI list page's query at 10,000 and at 1,000,000 rows (PostgreSQL).

Fills the database in DATABASE_URL (use a scratch database: the bench's own
rows are replaced on every run) with CFDI index rows spread evenly over 1,000
companies, written with COPY (no XML: the list reads only index fields). Then,
for one company, it runs what the list page runs through the real selector
``cfdi_list``: the first page of 50 rows, the count and the totals per
currency, with several filter sets, and prints p50/p99 per page and the
EXPLAIN (ANALYZE, BUFFERS) plans of the main filter set. It measures at the
first size, grows the table to the second and measures again.

    DATABASE_URL=postgres://…/scratch python bench/list.py [--rows 10000 1000000] [--runs 200]

Target (issue 5): p99 under 50 ms, the same order of time at both sizes.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMPANIES = 1_000
BENCH_PREFIX = "BEN"
NAMES = [
    "ACME COMERCIAL",
    "DISTRIBUIDORA DEL NORTE",
    "SERVICIOS INTEGRALES DEL BAJIO",
    "FERRETERIA LA PALMA",
    "TRANSPORTES RAPIDOS",
    "CONSULTORES ASOCIADOS",
    "ALIMENTOS FINOS",
    "PAPELERIA CENTRAL",
    "CONSTRUCTORA MONTERREY",
    "FARMACIAS DEL SUR",
]
COLUMNS = (
    "company_id, uuid, direction, category, tipo, version, serie, folio, fecha, fecha_timbrado, "
    "emisor_rfc, emisor_nombre, receptor_rfc, receptor_nombre, subtotal, total, moneda, "
    "forma_pago, metodo_pago, uso_cfdi, iva_trasladado, ieps_trasladado, isr_retenido, "
    "iva_retenido, total_percepciones, total_deducciones, total_otros_pagos, status, xml_path, "
    "size, sha256, created_at"
)


def setup() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/list.py needs DATABASE_URL=postgres://… (a scratch database)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(sorted(values), n=100, method="inclusive")[q - 1]


def bench_companies() -> tuple[list[int], object]:
    """1,000 companies of one bench account (created once), and the account's owner."""
    from despacho.members.services.accounts import account_create, user_create
    from despacho.people.models import User
    from despacho.tenancy.models import Account, Company

    owner = User.objects.filter(email="bench-list@example.mx").first() or user_create(
        email="bench-list@example.mx", full_name="Banco Pruebas Listas", password="x" * 12
    )
    account = Account.objects.filter(name="Bench list").first() or account_create(
        name="Bench list", owner=owner
    )
    existing = set(
        Company.objects.filter(rfc__startswith=BENCH_PREFIX).values_list("rfc", flat=True)
    )
    Company.objects.bulk_create(
        [
            Company(
                account=account,
                rfc=f"{BENCH_PREFIX}{n:06d}AA{n % 10}",
                razon_social=f"EMPRESA BENCH {n}",
                regimen_fiscal="601",
                codigo_postal="06000",
                slug=f"bench-list-{n}",
            )
            for n in range(COMPANIES)
            if f"{BENCH_PREFIX}{n:06d}AA{n % 10}" not in existing
        ]
    )
    ids = list(
        Company.objects.filter(rfc__startswith=BENCH_PREFIX)
        .order_by("rfc")
        .values_list("id", flat=True)
    )
    return ids, owner


def rows(companies: list[int], rfcs: dict[int, str], count: int, seed: int):
    """``count`` index rows, round-robin over the companies, dates over 2024-2026."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, 6, tzinfo=UTC)
    now = datetime.now(tz=UTC)
    counterparts = [
        (f"CLI{n:06d}AB{n % 10}", f"{NAMES[n % len(NAMES)]} {n} SA DE CV") for n in range(5000)
    ]
    for i in range(count):
        company = companies[i % len(companies)]
        own = rfcs[company]
        other_rfc, other_name = counterparts[rng.randrange(len(counterparts))]
        kind = rng.random()
        if kind < 0.6:
            direction, category, tipo = "emitido", "ventas", ("I" if kind < 0.5 else "E")
            emisor, receptor = (own, "EMPRESA"), (other_rfc, other_name)
        elif kind < 0.9:
            direction, category, tipo = "recibido", "egresos", "I"
            emisor, receptor = (other_rfc, other_name), (own, "EMPRESA")
        else:
            direction, category, tipo = "emitido", "nomina", "N"
            emisor, receptor = (own, "EMPRESA"), (other_rfc, other_name)
        fecha = start + timedelta(seconds=rng.randrange(3 * 365 * 86400))
        subtotal = Decimal(rng.randrange(100, 10_000_000)) / 100
        iva = (subtotal * Decimal("0.16")).quantize(Decimal("0.01"))
        status = "cancelado" if rng.random() < 0.03 else "vigente"
        uid = uuid.UUID(int=rng.getrandbits(128), version=4)
        yield (
            company, uid, direction, category, tipo, "4.0", "A", str(i), fecha, fecha,
            emisor[0], emisor[1], receptor[0], receptor[1], subtotal, subtotal + iva, "MXN",
            "03", "PUE", "G03", iva, 0, 0, 0, 0, 0, 0, status,
            f"cfdi/{company}/{uid}.xml", 4000, "0" * 64, now,
        )  # fmt: skip


def fill(companies: list[int], rfcs: dict[int, str], count: int, seed: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor: COPY … FROM STDIN
        with raw.copy(f"COPY cfdi_cfdi ({COLUMNS}) FROM STDIN") as copy:
            for row in rows(companies, rfcs, count, seed):
                copy.write_row(row)
        cursor.execute("ANALYZE cfdi_cfdi")
    return time.perf_counter() - started


def measure(company, owner, runs: int) -> dict[str, list[float]]:
    """Per filter set: the seconds of the list page's three queries (page, count, totals)."""
    from despacho.cfdi.selectors import CfdiFilters, cfdi_list, cfdi_totals

    filter_sets = {
        "fechas + nombre": CfdiFilters(
            since=date(2025, 1, 1), until=date(2025, 3, 31), counterpart="acme"
        ),
        "sin filtros": CfdiFilters(),
        "RFC exacto": CfdiFilters(counterpart="CLI000010AB0"),
        "monto, orden total": CfdiFilters(
            total_min=Decimal(1000), total_max=Decimal(20000), sort="-total"
        ),
        "estado + tipo": CfdiFilters(status="vigente", tipo="E"),
    }
    timings: dict[str, list[float]] = {}
    for label, filters in filter_sets.items():
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            cfdis = cfdi_list(viewer=owner, company=company, category="ventas", filters=filters)
            list(cfdis[:50])
            cfdis.count()
            cfdi_totals(cfdis)
            samples.append(time.perf_counter() - start)
        timings[label] = samples
    return timings


def explain(company, owner) -> None:
    from django.db import connection

    from despacho.cfdi.selectors import CfdiFilters, cfdi_list, cfdi_totals

    captured: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    filters = CfdiFilters(since=date(2025, 1, 1), until=date(2025, 3, 31), counterpart="acme")
    with connection.execute_wrapper(capture):
        cfdis = cfdi_list(viewer=owner, company=company, category="ventas", filters=filters)
        list(cfdis[:50])
        cfdis.count()
        cfdi_totals(cfdis)
    with connection.cursor() as cursor:
        for sql, params in captured:
            if "cfdi_cfdi" not in sql:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print("   ", sql[:110].replace("\n", " "), "…")
            for (line,) in cursor.fetchall():
                print("      ", line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    setup()
    from django.db import connection

    from despacho.cfdi.models import Cfdi
    from despacho.tenancy.models import Company

    companies, owner = bench_companies()
    rfcs = dict(Company.objects.filter(id__in=companies).values_list("id", "rfc"))
    deleted, _ = Cfdi.objects.filter(company_id__in=companies).delete()
    other = Cfdi.objects.exclude(company_id__in=companies).count()
    print(
        f"PostgreSQL {connection.pg_version}; {len(companies)} companies; removed {deleted} "
        f"previous bench rows; {other} other rows in the table"
    )
    measured = Company.objects.get(id=companies[7])
    total = 0
    for seed, target in enumerate(sorted(args.rows)):
        added = target - total
        seconds = fill(companies, rfcs, added, seed)
        total = target
        print(
            f"\n== {total:,} rows (+{added:,} by COPY in {seconds:.1f} s, "
            f"{added / seconds:,.0f} rows/s); company {measured.rfc} has "
            f"{Cfdi.objects.filter(company=measured).count():,} rows =="
        )
        measure(measured, owner, 5)  # warm the cache and the access map
        timings = measure(measured, owner, args.runs)
        print(f"{'filters (page + count + totals)':34} {'p50 ms':>8} {'p99 ms':>8}")
        for label, samples in timings.items():
            ms = [s * 1000 for s in samples]
            print(f"{label:34} {percentile(ms, 50):8.2f} {percentile(ms, 99):8.2f}")
        print("EXPLAIN (ANALYZE, BUFFERS), filters «fechas + nombre»:")
        explain(measured, owner)


if __name__ == "__main__":
    main()
