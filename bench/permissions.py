"""Benchmark: the permission decision, cold and warm, against django-guardian on the same data.

Generates ACCOUNTS accounts × 20 companies × 10 members, each member with a grant on
each of the account's 20 companies (1,000 accounts → 200,000 grants), and the same
access as django-guardian UserObjectPermission rows (one per permission held). Then
asks the same random questions "may user U do P on company C?" of both:

- cold: the first decision in a request. Ours: a fresh user object, so ``can`` runs
  its one query. Guardian: a new ObjectPermissionChecker per question.
- warm: the same user object (ours) / checker (guardian), same company, another
  permission: both answer from their cache.
- warm, other company: the same user object / checker, another company of the member.
  Ours is still cached (the one query loaded every company); guardian goes to the
  database again.

Both must give the same answer to every question (checked). Run:

    # SQLite (a file database in a temp directory, created and deleted by the run)
    .venv/bin/python bench/permissions.py

    # PostgreSQL (an empty database; the run migrates and fills it, and reuses the
    # data on the next run if the sizes match)
    createdb -h 127.0.0.1 -U postgres despacho_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/despacho_bench \\
        .venv/bin/python bench/permissions.py

Options: --accounts N (default 1000), --questions N (default 5000), --seed N.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

COMPANIES_PER_ACCOUNT = 20
MEMBERS_PER_ACCOUNT = 10
BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()

    tmp_dir = None
    if not os.environ.get("DATABASE_URL"):
        tmp_dir = Path(tempfile.mkdtemp(prefix="despacho-bench-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp_dir / 'bench.sqlite3'}"
        os.environ.setdefault("DESPACHO_DATA_DIR", str(tmp_dir))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings_bench"
    import django

    django.setup()
    try:
        run(args)
    finally:
        if tmp_dir is not None:
            from django.db import connections

            connections.close_all()
            shutil.rmtree(tmp_dir, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import connection

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")
    generate(args.accounts, random.Random(args.seed))
    measure(args.questions, random.Random(args.seed + 1))


# --- data ---------------------------------------------------------------------------


def batched(rows: Iterator, size: int = BATCH) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk(model, rows: Iterator) -> int:
    count = 0
    for batch in batched(rows):
        model.objects.bulk_create(batch, batch_size=BATCH)
        count += len(batch)
    return count


def rfc_for(index: int) -> str:
    """A unique RFC of the right shape (persona moral) for company ``index``."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    a, rest = divmod(index, 26 * 26 * 26)
    b, c = divmod(rest, 26 * 26)
    d, e = divmod(c, 26)
    return f"{letters[b]}{letters[d]}{letters[e]}{10 + a:02d}0101AB1"


def guardian_codename(code: str) -> str:
    return f"despacho_{code}"


def generate(accounts: int, rng: random.Random) -> None:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from guardian.models import UserObjectPermission

    from despacho.access.catalog import Perm, effective_mask, from_mask
    from despacho.access.models import Grant, Profile
    from despacho.people.models import User
    from despacho.tenancy.models import (
        Account,
        Company,
        CompanyLink,
        LinkStatus,
        Membership,
        MembershipStatus,
        Role,
    )

    existing = Account.objects.count()
    if existing == accounts and Grant.objects.count() == accounts * 200:
        print(f"data: reusing {existing} accounts already in the database")
        return
    if existing:
        sys.exit(f"the database holds {existing} accounts; use an empty database")

    started = time.perf_counter()
    ctype = ContentType.objects.get_for_model(Company)
    guardian_perm = {
        perm: Permission.objects.get_or_create(
            content_type=ctype,
            codename=guardian_codename(perm.value),
            defaults={"name": f"Can {perm.value}"},
        )[0].pk
        for perm in Perm
    }
    presets = list(Profile.objects.filter(account=None))
    with transaction.atomic():
        owners = accounts
        members = accounts * MEMBERS_PER_ACCOUNT
        bulk(
            User,
            (
                User(email=f"u{i}@bench.mx", full_name="Persona De Prueba", password="!")
                for i in range(owners + members)
            ),
        )
        user_ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
        bulk(Account, (Account(name=f"Cuenta {i}", included_seats=10) for i in range(accounts)))
        account_ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))

        def memberships() -> Iterator[Membership]:
            for a, account_id in enumerate(account_ids):
                yield Membership(user_id=user_ids[a], account_id=account_id, role=Role.OWNER)
                for m in range(MEMBERS_PER_ACCOUNT):
                    yield Membership(
                        user_id=user_ids[owners + a * MEMBERS_PER_ACCOUNT + m],
                        account_id=account_id,
                        role=Role.MEMBER,
                        status=MembershipStatus.ACTIVE,
                    )

        bulk(Membership, memberships())
        bulk(
            Company,
            (
                Company(
                    account_id=account_id,
                    rfc=rfc_for(a * COMPANIES_PER_ACCOUNT + c),
                    razon_social=f"EMPRESA {a}-{c} SA DE CV",
                    regimen_fiscal="601",
                    codigo_postal="06000",
                    slug=f"empresa-{a}-{c}",
                )
                for a, account_id in enumerate(account_ids)
                for c in range(COMPANIES_PER_ACCOUNT)
            ),
        )
        companies_of: dict[int, list[int]] = {}
        for company_id, account_id in Company.objects.values_list("pk", "account_id"):
            companies_of.setdefault(account_id, []).append(company_id)
        # Each firm also manages one company of the next account (links are part of the query).
        bulk(
            CompanyLink,
            (
                CompanyLink(
                    firm_id=account_id,
                    company_id=companies_of[account_ids[(a + 1) % len(account_ids)]][0],
                    status=LinkStatus.ACCEPTED,
                )
                for a, account_id in enumerate(account_ids)
            ),
        )
        member_rows = Membership.objects.filter(role=Role.MEMBER).values_list(
            "pk", "user_id", "account_id"
        )
        polizas = Perm.POLIZAS.bit
        # (membership, user, company, profile, added)
        grant_rows: list[tuple[int, int, int, int, int]] = []
        for membership_id, user_id, account_id in member_rows:
            for company_id in companies_of[account_id]:
                preset = rng.choice(presets)
                added = polizas & ~preset.permissions if rng.random() < 0.2 else 0
                grant_rows.append((membership_id, user_id, company_id, preset.pk, added))
        masks = {p.pk: p.permissions for p in presets}
        bulk(
            Grant,
            (
                Grant(membership_id=m, company_id=c, profile_id=p, added=added)
                for m, _u, c, p, added in grant_rows
            ),
        )
        guardian_rows = bulk(
            UserObjectPermission,
            (
                UserObjectPermission(
                    user_id=u,
                    permission_id=guardian_perm[perm],
                    content_type_id=ctype.pk,
                    object_pk=str(c),
                )
                for _m, u, c, p, added in grant_rows
                for perm in from_mask(effective_mask(masks[p], added, 0))
            ),
        )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"data: {accounts} accounts, {accounts * COMPANIES_PER_ACCOUNT} companies, "
        f"{accounts * (MEMBERS_PER_ACCOUNT + 1)} users, {len(grant_rows)} grants, "
        f"{guardian_rows} guardian rows in {time.perf_counter() - started:.1f} s"
    )


# --- measurement ----------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[], bool]) -> tuple[float, bool]:
    start = time.perf_counter_ns()
    answer = fn()
    return (time.perf_counter_ns() - start) / 1e6, answer


def measure(questions: int, rng: random.Random) -> None:
    import gc

    from django.db import connection
    from guardian.core import ObjectPermissionChecker

    from despacho.access.catalog import Perm
    from despacho.access.decisions import access_query, can
    from despacho.people.models import User
    from despacho.tenancy.models import Company, Membership, Role

    members = list(Membership.objects.filter(role=Role.MEMBER).values_list("user_id", "account_id"))
    companies: dict[int, list[Company]] = {}
    for company in Company.objects.all():
        companies.setdefault(company.account_id, []).append(company)
    perms = list(Perm)

    def fresh_user(user_id: int) -> User:
        # What the auth middleware gives a request: a user loaded from the database.
        return User(pk=user_id, is_active=True, is_superuser=False)

    plan = []
    for _ in range(questions):
        user_id, account_id = rng.choice(members)
        first, second = rng.sample(companies[account_id], 2)
        p1, p2, p3 = rng.sample(perms, 3)
        plan.append((user_id, first, second, p1, p2, p3))

    def guardian_can(checker: ObjectPermissionChecker, company: Company, perm: Perm) -> bool:
        return checker.has_perm(f"tenancy.{guardian_codename(perm.value)}", company)

    results: dict[str, list[float]] = {
        key: []
        for key in (
            "ours cold",
            "guardian cold",
            "ours warm",
            "guardian warm",
            "ours warm, other company",
            "guardian warm, other company",
        )
    }
    disagreements = 0
    # Warm up connections, content-type cache and the database's pages.
    for user_id, first, _second, p1, _p2, _p3 in plan[:200]:
        can(fresh_user(user_id), first, p1)
        guardian_can(ObjectPermissionChecker(fresh_user(user_id)), first, p1)
    gc.disable()
    try:
        for user_id, first, second, p1, p2, p3 in plan:
            ours_user, guardian_user = fresh_user(user_id), fresh_user(user_id)
            ms, ours = timed(lambda: can(ours_user, first, p1))  # noqa: B023
            results["ours cold"].append(ms)
            checker: list[ObjectPermissionChecker] = []

            def guardian_cold() -> bool:
                checker.append(ObjectPermissionChecker(guardian_user))  # noqa: B023
                return guardian_can(checker[0], first, p1)  # noqa: B023

            ms, theirs = timed(guardian_cold)
            results["guardian cold"].append(ms)
            disagreements += ours != theirs
            ms, ours = timed(lambda: can(ours_user, first, p2))  # noqa: B023
            results["ours warm"].append(ms)
            ms, theirs = timed(lambda: guardian_can(checker[0], first, p2))  # noqa: B023
            results["guardian warm"].append(ms)
            disagreements += ours != theirs
            ms, ours = timed(lambda: can(ours_user, second, p3))  # noqa: B023
            results["ours warm, other company"].append(ms)
            ms, theirs = timed(lambda: guardian_can(checker[0], second, p3))  # noqa: B023
            results["guardian warm, other company"].append(ms)
            disagreements += ours != theirs
    finally:
        gc.enable()

    print(f"\n{questions} questions per row; answers that differ between the two: {disagreements}")
    print(f"{'decision':<30} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9}")
    for key, samples in results.items():
        print(
            f"{key:<30} {percentile(samples, 0.5):>9.4f} {percentile(samples, 0.99):>9.4f} "
            f"{statistics.fmean(samples):>9.4f}"
        )
    print(f"\n{'ratio guardian / ours':<30} {'p50':>9} {'p99':>9}")
    for kind in ("cold", "warm", "warm, other company"):
        ours, theirs = results[f"ours {kind}"], results[f"guardian {kind}"]
        print(
            f"{kind:<30} {percentile(theirs, 0.5) / percentile(ours, 0.5):>8.1f}x "
            f"{percentile(theirs, 0.99) / percentile(ours, 0.99):>8.1f}x"
        )
    cold_p99 = percentile(results["ours cold"], 0.99)
    ratio = percentile(results["guardian cold"], 0.99) / cold_p99
    print(
        f"\ntarget (PostgreSQL): cold p99 < 2 ms and ≥ 2x guardian → "
        f"{cold_p99:.3f} ms, {ratio:.1f}x: {'met' if cold_p99 < 2 and ratio >= 2 else 'NOT met'}"
    )
    sample_user = plan[0][0]
    print(f"\nEXPLAIN of the decision query ({connection.vendor}):")
    explain_args = {"analyze": True} if connection.vendor == "postgresql" else {}
    print(access_query(sample_user).explain(**explain_args))


if __name__ == "__main__":
    main()
