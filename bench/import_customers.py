"""How long an import of customers takes (validation and creation), and how many queries.

Run: DESPACHO_DATA_DIR=$(mktemp -d) .venv/bin/python bench/import_customers.py [rows]
     (add DATABASE_URL=postgres://… for PostgreSQL; an empty database is migrated first)

Generates a file of N customers (default 10,000) with valid RFCs of both persona types,
one email each (so each gets a portal access with it), a few generic RFCs among them,
then measures reading, validation and creation through the same engine the Clientes page
uses (``onboarding.engine``, kind ``customers``). Prints seconds and queries per phase, and
the total against the goal (10 s on PostgreSQL). Figures are printed, never asserted.
"""

from __future__ import annotations

import csv
import io
import os
import random
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "despacho.settings")
os.environ.setdefault("DESPACHO_TESTING", "1")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import django

django.setup()

from django.core.exceptions import ValidationError  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from stdnum.mx import rfc as stdnum_rfc  # noqa: E402
from tests.factories import make_account, make_company, owner_of  # noqa: E402

from bench.phases import timed  # noqa: E402
from despacho.customers.models import Customer  # noqa: E402
from despacho.onboarding import engine  # noqa: E402
from despacho.portal.models import PortalAccess  # noqa: E402
from despacho.tenancy.rfc import validate_company_rfc  # noqa: E402

GOAL_SECONDS = 10.0


def rfcs(n: int, seed: int) -> list[str]:
    """N distinct RFCs Despacho accepts, two thirds morales (12) and one third físicas (13)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < n:
        fisica = len(seen) % 3 == 2
        letters = "".join(rng.choice("BCDFGHJKLMNPQRSTVWZ") for _ in range(4 if fisica else 3))
        base = (
            f"{letters}{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            + rng.choice("123456789ABCDEFGHIJKLMNPQRSTUVWXYZ")
            + rng.choice("123456789ABCDEFGHIJKLMNPQRSTUVWXYZ")
        )
        rfc = base + stdnum_rfc.calc_check_digit(base)
        try:
            seen.add(validate_company_rfc(rfc))
        except ValidationError:
            continue
    return sorted(seen)


def make_file(n: int, seed: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["RFC", "Razón social", "Régimen fiscal", "CP", "Uso CFDI", "Correos"])
    writer.writerow(["XAXX010101000", "PUBLICO EN GENERAL", "616", "06600", "S01", ""])
    for i, rfc in enumerate(rfcs(n - 1, seed)):
        moral = len(rfc) == 12
        writer.writerow(
            [
                rfc,
                f"COMERCIALIZADORA {i}" if moral else f"PERSONA FISICA {i}",
                "601" if moral else "612",
                "06600",
                "G03",
                f"facturas{seed}-{i}@example.mx",
            ]
        )
    return out.getvalue().encode("utf-8")


def main(rows: int) -> None:
    call_command("migrate", verbosity=0)
    # Queue, don't run: each phase is called below, so each is timed on its own.
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ):
        run(rows)


def run(rows: int) -> None:
    seed = int(time.time())
    with transaction.atomic():
        account = make_account(name=f"Empresa bench {seed}")
        company = make_company(account)
    actor = owner_of(account)
    kind = engine.import_kind("customers")
    data = make_file(rows, seed)
    print(f"database: {connection.vendor}; rows: {rows}; file: {len(data) / 1e6:.1f} MB")

    job, read_s = timed(
        "read + store",
        lambda: engine.import_start(
            kind=kind,
            firm=account,
            company=company,
            actor=actor,
            file_name="bench.csv",
            data=data,
        ),
    )
    job, validate_s = timed(
        "validation",
        lambda: engine.import_validate(job_id=job.pk),
        lambda j: f"{j.valid_rows} valid",
    )
    with transaction.atomic():
        engine.import_confirm(job=job, actor=actor)
    job, create_s = timed(
        "creation",
        lambda: engine.import_create(job_id=job.pk),
        lambda j: f"{j.created_rows} created",
    )
    total = read_s + validate_s + create_s
    print(f"{'total':<14} {total:8.2f} s  (goal < {GOAL_SECONDS:.0f} s on PostgreSQL)")
    customers = Customer.objects.filter(company=company).count()
    accesses = PortalAccess.objects.filter(company=company).count()
    print(f"customers: {customers}; portal accesses: {accesses} (generic RFCs get none)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
