"""How the header switcher scales with the companies a firm manages.

Run: DESPACHO_DATA_DIR=$(mktemp -d) .venv/bin/python bench/switcher.py [clients ...]
Builds a throw-away embedded database in that directory, then prints, per size,
the queries and the median time of building the workspace for the firm's owner
and for a member granted every client. Figures are printed, never asserted.
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
from despacho.tenancy.selectors import switcher_entries  # noqa: E402


def measure(user, rounds: int = 20) -> tuple[int, float]:
    timings = []
    queries = 0
    for _ in range(rounds):
        forget(user)
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            switcher_entries(viewer=user)
            timings.append(time.perf_counter() - start)
        queries = len(captured)
    return queries, statistics.median(timings) * 1000


def main(sizes: list[int]) -> None:
    call_command("migrate", verbosity=0)
    print(f"{'clients':>8} {'who':>7} {'queries':>8} {'median ms':>10}")
    for size in sizes:
        with transaction.atomic():
            firm = make_account()
            staff = make_membership(firm)
            for _ in range(size):
                make_grant(staff, make_client_of(firm))
        for who, user in (("owner", owner_of(firm)), ("member", staff.user)):
            queries, ms = measure(user)
            print(f"{size:>8} {who:>7} {queries:>8} {ms:>10.2f}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [10, 100, 500])
