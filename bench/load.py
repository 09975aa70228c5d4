"""The running app under load: gunicorn + PostgreSQL, 50 simulated users, figures per request.

Creates its own PostgreSQL database on 127.0.0.1 (``despacho_load_<pid>``, user postgres),
migrates it, builds one account with three companies (the RFCs of the shared CFDI samples),
admins and members with grants (through the services), and ingests N CFDIs made from the
real samples with new UUIDs (``bench/ingest.py``'s generator). Then it collects the static
files, starts gunicorn with production settings (DESPACHO_DEBUG=0, a SECRET_KEY, secure
cookies, HSTS) and drives it with one thread and ``requests.Session`` per simulated user,
the users spread over ``--client-processes`` processes (5):

1. every user logs in (the login burst);
2. the mix, ``--seconds`` long: members open CFDI lists (ventas/egresos/nómina, other
   pages, a name filter) and download XML and PDF; admins also open the permissions window
   of a member and save it (one toggle, a POST under /usuarios/<m>/empresas/<c>/permisos/);
   now and then a user logs out and in again. Each user waits ``--think`` seconds on
   average (uniform 0…2×) before its first request and between requests;
3. capacity, ``--probe-seconds`` each, no waiting: every user asks only for /salud/sesion/
   (the floor: session, middleware and one indexed query), then only for the CFDI list.
   The ratio list / floor is what the list costs above the least a logged-in page costs.

The client plays the TLS-terminating proxy of a real deployment: it sends
``X-Forwarded-Proto: https`` (trusted because the bench sets DESPACHO_BEHIND_PROXY=1) and sends the
Secure cookies back over the loopback (it clears their Secure flag in its own jar), so the
app runs its production settings unchanged.
Logins never fail, so django-axes' lock-out (which counts failures only) never trips.

    .venv/bin/python bench/load.py [--seconds 60] [--users 50] [--workers 2] [--threads 4]

Prints, per phase and request kind: count, requests per second, p50/p95/p99 in ms and
errors; the floor, the ratio, and where the two cores' time went (gunicorn, PostgreSQL
backends of this database, this client, everything else). Targets (issue 8): no errors,
p99 under 200 ms for pages, the CFDI list at least 0.4x the floor. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO)]

from bench.ingest import SAMPLES, SEALED_SAMPLES, generate  # noqa: E402

PG = ["-h", "127.0.0.1", "-U", "postgres"]
PASSWORD = "Carga.Segura.2026"
HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- the data ----------------------------------------------------------------------------


@dataclass
class Person:
    email: str
    company_id: int  # the company their workspace opens
    uuids: list[str]  # CFDIs of that company
    targets: list[tuple[int, int]] = field(default_factory=list)  # (membership, company) to edit


@dataclass
class World:
    people: list[Person]
    consulta_id: int
    cfdis: int


def letters(n: int) -> str:
    """A distinct surname per number: 0 → Aa, 1 → Ab, …"""
    return chr(65 + n // 26 % 26) + chr(97 + n % 26) + ("x" * (n // 676))


def build_world(users: int, admins: int, cfdis: int) -> World:
    """One account, three companies, admins and members (through the services), N CFDIs."""
    from django.db import transaction

    from despacho.access.models import Profile
    from despacho.cfdi.models import Cfdi
    from despacho.cfdi.services import Outcome, cfdi_ingest_files
    from despacho.members.services.accounts import account_create, company_create, user_create
    from despacho.members.services.members import GrantSpec, member_add
    from despacho.tenancy.models import Account, Role

    consulta = Profile.objects.get(account=None, code="consulta")
    owner = user_create(email="duena@carga.mx", full_name="Dueña Carga Pruebas", password=PASSWORD)
    with transaction.atomic():
        account = account_create(name="Despacho Carga", owner=owner)
    Account.objects.filter(pk=account.pk).update(included_seats=10 * users + 100)
    account.refresh_from_db()
    companies = [
        company_create(
            account=account,
            actor=owner,
            rfc=rfc,
            razon_social=f"EMPRESA CARGA {n} SA DE CV",
            regimen_fiscal="601",
            codigo_postal="06000",
        )
        for n, rfc in enumerate(SEALED_SAMPLES)
    ]
    for company, names in zip(companies, SEALED_SAMPLES.values(), strict=True):
        samples = [(SAMPLES / name).read_bytes() for name in names]
        docs = generate(samples, cfdis // len(companies))
        files = [(f"{i}.xml", io.BytesIO(doc)) for i, doc in enumerate(docs)]
        report = cfdi_ingest_files(company=company, files=files, verify_seals=False)
        assert report.counts[Outcome.ACCEPTED] == len(docs), report.counts
    uuids = {
        company.pk: [
            str(u) for u in Cfdi.objects.filter(company=company).values_list("uuid", flat=True)
        ]
        for company in companies
    }

    def add(n: int, role: str, company, login: bool) -> object:
        email = f"{role}{n}@carga.mx"
        name = f"Persona {letters(n)} Carga"  # names take letters only
        if login:
            user_create(email=email, full_name=name, password=PASSWORD)
        grants = [GrantSpec(company, consulta)] if role == Role.MEMBER else []
        with transaction.atomic():
            return member_add(
                account=account,
                actor=owner,
                full_name=name,
                email=email,
                role=role,
                grants=grants,
            )

    people = []
    for n in range(users):
        role = Role.ADMIN if n < admins else Role.MEMBER
        # An admin's workspace opens the account's first company; a member's, their grant's.
        company = companies[0] if role == Role.ADMIN else companies[n % len(companies)]
        add(n, role, company, login=True)
        person = Person(f"{role}{n}@carga.mx", company.pk, uuids[company.pk])
        if role == Role.ADMIN:
            # Each admin edits its own three members (never a simulated user: their access stays).
            for k in range(3):
                target = companies[(n + k) % len(companies)]
                edited = add(1000 + 3 * n + k, Role.MEMBER, target, login=False)
                person.targets.append((edited.pk, target.pk))
        people.append(person)
    return World(people=people, consulta_id=consulta.pk, cfdis=sum(map(len, uuids.values())))


# --- the client --------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    seconds: float
    error: str | None


class Recorder:
    def __init__(self) -> None:
        self.samples: list[Sample] = []  # list.append is atomic under the GIL

    def timed(
        self, kind: str, call: Callable[[], requests.Response], expect: int
    ) -> requests.Response | None:
        start = time.perf_counter()
        try:
            response = call()
        except requests.RequestException as exc:
            self.samples.append(Sample(kind, time.perf_counter() - start, type(exc).__name__))
            return None
        elapsed = time.perf_counter() - start
        error = None if response.status_code == expect else f"HTTP {response.status_code}"
        self.samples.append(Sample(kind, elapsed, error))
        return response if error is None else None


class User:
    """One simulated person: a requests.Session with its own cookies."""

    relogin_weight = 1  # of about 110: logging out and in again (Argon2, ~0.2 s of CPU)

    def __init__(self, base: str, person: Person, world: World, recorder: Recorder, seed: int):
        self.base = base
        self.person = person
        self.world = world
        self.recorder = recorder
        self.rng = random.Random(seed)
        self.http = requests.Session()
        self.http.headers.update({"X-Forwarded-Proto": "https", "Origin": f"https://{base[7:]}"})

    def _send(
        self, kind: str, method: str, path: str, expect: int, **kw
    ) -> requests.Response | None:
        def call() -> requests.Response:
            return self.http.request(
                method, self.base + path, timeout=30, allow_redirects=False, **kw
            )

        response = self.recorder.timed(kind, call, expect)
        # The app's cookies are Secure (production settings): like the TLS proxy this client
        # stands in for, keep sending them over the loopback.
        for cookie in self.http.cookies:
            cookie.secure = False
        return response

    def _get(self, kind: str, path: str, expect: int = 200, **kw) -> requests.Response | None:
        return self._send(kind, "GET", path, expect, **kw)

    def _post(
        self, kind: str, path: str, data: dict, expect: int = 302
    ) -> requests.Response | None:
        headers = {
            "X-CSRFToken": self.http.cookies.get("csrftoken", ""),
            "Referer": f"https://{self.base[7:]}{path}",
        }
        return self._send(kind, "POST", path, expect, data=data, headers=headers)

    def login(self) -> bool:
        self._get("login page", "/cuenta/entrar/")
        response = self._post(
            "login", "/cuenta/entrar/", {"username": self.person.email, "password": PASSWORD}
        )
        return response is not None

    def logout(self) -> None:
        self._post("logout", "/cuenta/salir/", {})

    def cfdi_list(self) -> None:
        category = self.rng.choices(["ventas", "nomina", "egresos"], [6, 2, 2])[0]
        params: dict[str, str | int] = {}
        if self.rng.random() < 0.3:
            params["page"] = self.rng.randint(2, 6)
        if self.rng.random() < 0.1:
            params["counterpart"] = "cv"
        self._get("cfdi list", f"/cfdi/{category}/", params=params)

    def download(self, kind: str) -> None:
        uuid = self.rng.choice(self.person.uuids)
        self._get(f"download {kind}", f"/cfdi/{uuid}/{kind}")

    def permission_edit(self) -> None:
        membership, company = self.rng.choice(self.person.targets)
        path = f"/usuarios/{membership}/empresas/{company}/permisos/"
        if self._get("permissions window", path) is None:
            return
        perms = ["ventas", "egresos", "nomina"]
        if self.rng.random() < 0.5:
            perms.append("polizas")  # the toggle: Pólizas on or off
        profile = str(self.world.consulta_id)
        data = {"profile": profile, "previous_profile": profile, "perms": perms}
        self._post("permissions save", path, data)

    def floor(self) -> None:
        self._get("floor /salud/sesion/", "/salud/sesion/")

    def mix(self) -> None:
        actions: list[tuple[Callable[[], None], int]] = [
            (self.cfdi_list, 50),
            (lambda: self.download("xml"), 20),
            (lambda: self.download("pdf"), 12),
            (self.relogin, self.relogin_weight),
        ]
        if self.person.targets:
            actions.append((self.permission_edit, 30))
        do = self.rng.choices([a for a, _ in actions], [w for _, w in actions])[0]
        do()

    def relogin(self) -> None:
        self.logout()
        self.login()


def run_phase(users: list[User], seconds: float, action: str, think: float, cap: int) -> float:
    """Every user repeats ``action`` until the time (or ``cap`` actions each) runs out."""
    deadline = time.perf_counter() + seconds

    def loop(user: User) -> None:
        if think:
            # People arrive on their own: without this, all 50 first requests would leave in
            # the same millisecond (a burst the login phase already measures), and that one
            # instant made the whole mix's p99 (every request over 300 ms of a 40-s mix was
            # in its first 0.7 s).
            time.sleep(user.rng.uniform(0, 2 * think))
        for _ in range(cap):
            if time.perf_counter() >= deadline:
                return
            getattr(user, action)()
            if think:
                time.sleep(
                    min(user.rng.uniform(0, 2 * think), max(0.0, deadline - time.perf_counter()))
                )

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


class ClientPool:
    """The simulated users, spread over several client processes.

    One Python process driving 50 threads adds its own waiting to the figures (a single
    prober process beside it saw the same CFDI list at p99 ~120 ms while the 50-thread
    client recorded ~700 ms): each process here drives a slice of the users, keeps their
    sessions between phases, and sends back its samples.
    """

    def __init__(self, base: str, world: World, processes: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        slices = [list(enumerate(world.people))[i::processes] for i in range(processes)]
        self.pipes = []
        self.processes = []
        for people in slices:
            parent, child = context.Pipe()
            process = context.Process(
                target=_client_main, args=(child, base, world, people, User.relogin_weight)
            )
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]

    def run(
        self, action: str, seconds: float, think: float, cap: int
    ) -> tuple[list[Sample], float]:
        for pipe in self.pipes:
            pipe.send((action, seconds, think, cap))
        samples: list[Sample] = []
        wall = 0.0
        for pipe in self.pipes:
            rows, elapsed = pipe.recv()
            samples += [Sample(*row) for row in rows]
            wall = max(wall, elapsed)
        return samples, wall

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
        for process in self.processes:
            process.join(timeout=30)


def _client_main(pipe, base: str, world: World, people, relogin_weight: int) -> None:
    User.relogin_weight = relogin_weight
    recorder = Recorder()
    users = [User(base, person, world, recorder, seed=n) for n, person in people]
    while (command := pipe.recv()) is not None:
        action, seconds, think, cap = command
        recorder.samples = []
        wall = run_phase(users, seconds, action, think, cap)
        pipe.send(([(x.kind, x.seconds, x.error) for x in recorder.samples], wall))


# --- where the CPU went ------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _machine() -> tuple[float, float]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) / CLOCK_TICKS, idle / CLOCK_TICKS


class CpuMeter:
    """CPU seconds of gunicorn (master + workers), this database's backends and this client."""

    def __init__(self, gunicorn_pid: int, dbname: str, client_pids: list[int]) -> None:
        self.gunicorn_pid = gunicorn_pid
        self.dbname = dbname
        self.client_pids = client_pids

    def _backend_pids(self) -> list[int]:
        out = subprocess.run(
            ["psql", *PG, "-At", "-d", "postgres", "-c",
             f"SELECT pid FROM pg_stat_activity WHERE datname = '{self.dbname}'"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return [int(p) for p in out.split()]

    def snapshot(self) -> dict[str, dict[int, float] | float]:
        server = [self.gunicorn_pid, *_children(self.gunicorn_pid)]
        total, idle = _machine()
        return {
            "gunicorn": {p: _cpu_of(p) for p in server},
            "postgres": {p: _cpu_of(p) for p in self._backend_pids()},
            "client": time.process_time() + sum(_cpu_of(p) for p in self.client_pids),
            "total": total,
            "idle": idle,
        }

    @staticmethod
    def split(before: dict, after: dict, wall: float) -> str:
        def used(name: str) -> float:
            return sum(v - before[name].get(p, 0.0) for p, v in after[name].items())

        busy = (after["total"] - before["total"]) - (after["idle"] - before["idle"])
        parts = {
            "gunicorn": used("gunicorn"),
            "postgres (this db)": used("postgres"),
            "client": after["client"] - before["client"],
        }
        parts["other processes"] = max(0.0, busy - sum(parts.values()))
        cores = os.cpu_count() or 1
        text = ", ".join(f"{k} {v / wall:.2f}" for k, v in parts.items())
        return f"CPU (cores busy of {cores}): {text}; idle {cores - busy / wall:.2f}"


# --- the report --------------------------------------------------------------------------


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def report(title: str, samples: list[Sample], wall: float) -> dict[str, float]:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    print(f"\n== {title} ({wall:.1f} s) ==")
    print(
        f"{'request':<22} {'count':>7} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        f" {'errors':>7}"
    )
    rates = {}
    rows = [*sorted(by_kind.items()), ("all", samples)]
    for kind, group in rows:
        ms = [s.seconds * 1000 for s in group]
        errors = [s.error for s in group if s.error]
        rates[kind] = len(group) / wall
        print(
            f"{kind:<22} {len(group):7d} {len(group) / wall:8.1f} {percentile(ms, 50):8.1f} "
            f"{percentile(ms, 95):8.1f} {percentile(ms, 99):8.1f} {len(errors):7d}"
        )
        for error in sorted(set(errors))[:3]:
            print(f"{'':<22} error: {error} × {errors.count(error)}")
    return rates


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def database(name: str) -> Iterator[str]:
    subprocess.run(["createdb", *PG, name], check=True)
    try:
        yield f"postgres://postgres@{HOST}:5432/{name}"
    finally:
        from django.db import connections

        connections.close_all()
        subprocess.run(["dropdb", *PG, "--force", name], check=True)


@contextmanager
def gunicorn(
    port: int,
    workers: int,
    threads: int,
    env: dict[str, str],
    keep_alive: int = 5,
    worker_class: str = "gthread",
) -> Iterator[subprocess.Popen]:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "despacho.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        # gunicorn turns a sync worker with threads into gthread: sync means one thread.
        f"--threads={1 if worker_class == 'sync' else threads}",
        f"--worker-class={worker_class}",
        f"--keep-alive={keep_alive}",
        "--log-level=warning",
    ]
    print("server:", " ".join(command[1:]))
    server = subprocess.Popen(command, env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://{HOST}:{port}/cuenta/entrar/", timeout=20,
                                headers={"X-Forwarded-Proto": "https"}).ok:  # fmt: skip
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of the mix")
    parser.add_argument("--probe-seconds", type=float, default=15, help="each capacity phase")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--admins", type=int, default=5, help="users who edit permissions")
    parser.add_argument("--cfdis", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--keep-alive",
        type=int,
        default=30,
        help="gunicorn's keep-alive seconds (0: close); longer than any think time, as a "
        "proxy's upstream connections are, so an idle connection is never closed under a "
        "request",
    )
    parser.add_argument(
        "--worker-class",
        default="gthread",
        choices=["gthread", "sync"],
        help="gthread: threads and keep-alive; sync: one request per worker at a time, "
        "accepted only by an idle worker (no keep-alive)",
    )
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between requests")
    parser.add_argument(
        "--relogins", type=int, default=1, help="weight of logout + login in the mix (0: none)"
    )
    parser.add_argument(
        "--client-processes", type=int, default=5, help="processes the users are spread over"
    )
    parser.add_argument("--max-requests", type=int, default=100_000, help="per user and phase")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="despacho-load-")
    dbname = f"despacho_load_{os.getpid()}"
    with database(dbname) as url:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "despacho.settings",
            "DESPACHO_DATA_DIR": data_dir,
            "DESPACHO_DEBUG": "0",
            # The bench stands where the TLS proxy would and sends X-Forwarded-Proto.
            "DESPACHO_BEHIND_PROXY": "1",
            "SECRET_KEY": "load-bench-" + os.urandom(24).hex(),
            "ALLOWED_HOSTS": HOST,
            "EMAIL_URL": "dummy:",
            "PYTHONPATH": str(REPO / "src"),
            "LOG_LEVEL": "WARNING",
        }
        env.pop("DESPACHO_TESTING", None)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        world = build_world(args.users, args.admins, args.cfdis)
        connections.close_all()
        print(
            f"data: {world.cfdis} CFDIs over 3 companies, {args.users} users "
            f"({args.admins} admins editing 3 members each), built in "
            f"{time.perf_counter() - started:.0f} s; database {dbname}"
        )
        port = free_port()
        with gunicorn(
            port, args.workers, args.threads, env, args.keep_alive, args.worker_class
        ) as server:
            base = f"http://{HOST}:{port}"
            User.relogin_weight = args.relogins
            clients = ClientPool(base, world, args.client_processes)
            meter = CpuMeter(server.pid, dbname, clients.pids)
            print(
                f"client: {len(world.people)} users (one thread and requests.Session each) in "
                f"{args.client_processes} processes; think time uniform 0…{2 * args.think:g} s "
                "in the mix, none in the probes"
            )

            def phase(title: str, action: str, seconds: float, think: float, cap: int) -> dict:
                before = meter.snapshot()
                samples, wall = clients.run(action, seconds, think, cap)
                rates = report(title, samples, wall)
                print(CpuMeter.split(before, meter.snapshot(), wall))
                return rates

            phase("login burst: every user logs in once", "login", 600, 0, 1)
            phase("the mix", "mix", args.seconds, args.think, args.max_requests)
            floor = phase("capacity: floor only", "floor", args.probe_seconds, 0, args.max_requests)
            lists = phase(
                "capacity: CFDI list only", "cfdi_list", args.probe_seconds, 0, args.max_requests
            )
            clients.close()
        floor_rps, list_rps = floor["floor /salud/sesion/"], lists["cfdi list"]
        print(
            f"\nfloor {floor_rps:.1f} rps; CFDI list {list_rps:.1f} rps;"
            f" ratio {list_rps / floor_rps:.2f} (target ≥ 0.4)"
        )
        print(
            f"gunicorn: {args.workers} workers × {args.threads} threads ({args.worker_class}), "
            f"keep-alive {args.keep_alive} s"
        )


if __name__ == "__main__":
    main()
