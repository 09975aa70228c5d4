"""How the header switcher scales with the companies a firm manages.

Run: DESPACHO_DATA_DIR=$(mktemp -d) .venv/bin/python bench/switcher.py [clients ...]
(add DATABASE_URL=postgres://… for PostgreSQL). Builds the data in that database,
then prints, per size, the queries and the median time of what every page pays for
the header — the active company and the switcher's first page with its total — and
of a switcher search, for the firm's owner and for a member granted every client.
Figures are printed, never asserted.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
os.environ.setdefault("DESPACHO_TESTING", "1")  # fast password hashing for the generated users
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from tests.factories import (  # noqa: E402
    make_account,
    make_client_of,
    make_grant,
    make_membership,
    owner_of,
)

from despacho.access.decisions import forget  # noqa: E402
from despacho.workspace.selectors import switcher_entry, switcher_page  # noqa: E402


def header(user) -> None:
    switcher_entry(viewer=user)
    switcher_page(viewer=user)


def search(user) -> None:
    switcher_page(viewer=user, query="empresa 4")


def measure(user, work, rounds: int = 20) -> tuple[int, float]:
    timings = []
    queries = 0
    for _ in range(rounds):
        forget(user)
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            work(user)
            timings.append(time.perf_counter() - start)
        queries = len(captured)  # includes the access map (one query)
    return queries, statistics.median(timings) * 1000


def main(sizes: list[int]) -> None:
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    print(f"{'clients':>8} {'who':>7} {'what':>7} {'queries':>8} {'median ms':>10}")
    for size in sizes:
        with transaction.atomic():
            firm = make_account()
            staff = make_membership(firm)
            for _ in range(size):
                make_grant(staff, make_client_of(firm))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics, as autovacuum keeps them in production
        for who, user in (("owner", owner_of(firm)), ("member", staff.user)):
            for what, work in (("header", header), ("search", search)):
                queries, ms = measure(user, work)
                print(f"{size:>8} {who:>7} {what:>7} {queries:>8} {ms:>10.2f}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10, 100, 500])
