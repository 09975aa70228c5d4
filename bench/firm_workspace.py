"""How the Empresas page behaves for a firm that manages thousands of companies.

Run: DESPACHO_DATA_DIR=$(mktemp -d) .venv/bin/python bench/firm_workspace.py [companies]
     (add DATABASE_URL=postgres://… for PostgreSQL)

Generates N (default 5,000) client companies linked to one firm (through the bulk
writer the CSV import uses), a few pending invitations, then requests the page as the
firm's owner through Django's test client: the first page, a search, a status filter,
a sort and the last page. Prints the median time of the whole response (which includes
the header switcher) and the queries of each. Figures are printed, never asserted.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
os.environ.setdefault("DESPACHO_TESTING", "1")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from tests.factories import make_account, make_company, owner_of  # noqa: E402

from bench.csv_import import rfcs  # noqa: E402
from despacho.onboarding.rows import ClientRow  # noqa: E402
from despacho.onboarding.services import clients_write  # noqa: E402


def main(size: int) -> None:
    call_command("migrate", verbosity=0)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.ALLOWED_HOSTS = ["*"]
    seed = int(time.time())
    with transaction.atomic():
        firm = make_account(name=f"Despacho bench {seed}")
        make_company(firm)
        rows = [
            ClientRow(
                razon_social=f"EMPRESA {'PÉREZ' if i % 50 == 0 else 'GÓMEZ'} {i} SA DE CV",
                rfc=rfc,
                regimen_fiscal="601",
                codigo_postal="06000",
            )
            for i, rfc in enumerate(rfcs(size, seed))
        ]
        start = time.perf_counter()
        clients_write(firm=firm, actor=owner_of(firm), rows=rows)
        print(f"generated {size} linked companies in {time.perf_counter() - start:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as autovacuum keeps them in production
    client = Client()
    client.force_login(owner_of(firm))
    url = reverse("firm:list")
    last_page = (size + 1 + 24) // 25
    cases = {
        "first page": {},
        "search 'perez'": {"q": "perez"},
        "status accepted": {"status": "accepted"},
        "sort by estado": {"sort": "estado"},
        f"page {last_page}": {"page": last_page},
        "htmx fragment": {"q": "gomez 4"},
    }
    print(f"database: {connection.vendor}")
    print(f"{'request':<18} {'queries':>8} {'median ms':>10}")
    for name, params in cases.items():
        headers = (
            {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "companies"} if "htmx" in name else {}
        )
        timings = []
        for _ in range(7):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url, params, **headers)
                timings.append(time.perf_counter() - start)
            assert response.status_code == 200
        print(f"{name:<18} {len(captured):>8} {statistics.median(timings) * 1000:>10.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
