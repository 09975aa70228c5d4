"""How long a CSV import of client companies takes, and how many queries it makes.

Run: DESPACHO_DATA_DIR=$(mktemp -d) .venv/bin/python bench/csv_import.py [rows]
     (add DATABASE_URL=postgres://… for PostgreSQL; an empty database is migrated first)

Generates a file of N rows (default 10,000) with valid RFCs, half with an email, then
measures reading, validation and creation through the same services the pages use
(emails are queued to a dummy task backend, so sending them is not counted: that is
the email worker's job). Prints seconds and queries per phase. Figures are printed,
never asserted.
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

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from stdnum.mx import rfc as stdnum_rfc  # noqa: E402
from tests.factories import make_account, make_company, owner_of  # noqa: E402

from bench.phases import timed  # noqa: E402
from despacho.onboarding import services  # noqa: E402
from despacho.onboarding.models import ImportJob  # noqa: E402


def rfcs(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < n:
        letters = "".join(rng.choice("BCDFGHJKLMNPQRSTVWZ") for _ in range(3))
        base = (
            f"{letters}{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            + rng.choice("123456789ABCDEFGHIJKLMNOPQRSTUV")
            + rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ123456789")
        )
        seen.add(base + stdnum_rfc.calc_check_digit(base))
    return sorted(seen)


def make_file(n: int, seed: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Nombre", "RFC", "Teléfono", "Correo", "Código postal"])
    for i, rfc in enumerate(rfcs(n, seed)):
        email = f"cliente{seed}-{i}@example.mx" if i % 2 == 0 else ""
        writer.writerow(
            [f"EMPRESA {i} SA DE CV", rfc, f"(55) {i % 10000:04d}-{i % 7}000", email, "06000"]
        )
    return out.getvalue().encode("cp1252")


def main(rows: int) -> None:
    call_command("migrate", verbosity=0)
    # Queue, don't run: validation and creation are called below, emails are not measured.
    # (override_settings, not assignment: the task backends are reset on setting_changed.)
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ):
        run(rows)


def run(rows: int) -> None:
    seed = int(time.time())
    with transaction.atomic():
        firm = make_account(name=f"Despacho bench {seed}")
        make_company(firm)
    actor = owner_of(firm)
    data = make_file(rows, seed)
    print(f"database: {connection.vendor}; rows: {rows}; file: {len(data) / 1e6:.1f} MB")

    job, read_s = timed(
        "read + store",
        lambda: services.import_start(firm=firm, actor=actor, file_name="bench.csv", data=data),
    )
    job, validate_s = timed(
        "validation",
        lambda: services.import_validate(job_id=job.pk),
        lambda j: f"{j.valid_rows} valid",
    )
    with transaction.atomic():
        services.import_confirm(job=job, actor=actor)
    job, create_s = timed(
        "creation",
        lambda: services.import_create(job_id=job.pk),
        lambda j: f"{j.created_rows} created",
    )
    print(f"{'total':<14} {read_s + validate_s + create_s:8.2f} s")
    assert ImportJob.objects.get(pk=job.pk).created_rows == rows


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
