"""How fast SAT's product and unit keys are found in the database, as the form's datalist
and /api/v1/sat/… ask for them.

Run: DESPACHO_DATA_DIR=$(mktemp -d) .venv/bin/python bench/catalog_search.py [--rounds 50]
(add DATABASE_URL=postgres://… for PostgreSQL, where the trigram indexes of migration
products 0002 serve the word searches). Migrates (which loads c_ClaveProdServ and
c_ClaveUnidad), times a second load (the idempotent no-op every migrate pays), then prints
per query the median and p95 of fetching the first 20 suggestions, as the datalist does.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from despacho.products.catalogs import (  # noqa: E402
    catalogs_load,
    product_key_search,
    unit_key_search,
)
from despacho.products.models import ProductKey, UnitKey  # noqa: E402

QUERIES = [
    ("product", "5020"),  # a code prefix
    ("product", "50201706"),  # a whole code
    ("product", "cafe"),  # one common word
    ("product", "servicios de consultoria"),  # several words
    ("product", "TORNILLO acero inoxidable"),
    ("product", "zzqxw"),  # nothing matches: the whole scan
    ("unit", "pieza"),
    ("unit", "h87"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    start = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"{connection.vendor}: migrate (first load included) {time.perf_counter() - start:.2f} s")
    print(f"rows: {ProductKey.objects.count()} product keys, {UnitKey.objects.count()} unit keys")
    start = time.perf_counter()
    changed = catalogs_load()
    print(f"loading again: {time.perf_counter() - start:.2f} s, {changed} rows changed")
    print(f"{'catalog':8} {'query':28} {'found':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for catalog, query in QUERIES:
        search = product_key_search if catalog == "product" else unit_key_search
        timings = []
        found = 0
        for _ in range(args.rounds):
            begin = time.perf_counter()
            found = len(list(search(query)[:20]))
            timings.append((time.perf_counter() - begin) * 1000)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"{catalog:8} {query:28} {found:>6} {statistics.median(timings):8.2f} {p95:8.2f}")


if __name__ == "__main__":
    main()
