"""Load the demo data: a firm, its staff, four client companies. Safe to run twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from despacho.access.models import Profile
from despacho.access.services import grant_set
from despacho.demo.issuing import CustomerRow, customers_create
from despacho.firms.services import link_invite
from despacho.invoicing.models import Draft
from despacho.members.services.accounts import account_create, company_create, user_create
from despacho.members.services.seats import seat_summary
from despacho.people.models import User
from despacho.tenancy.models import (
    Company,
    CompanyLink,
    LinkStatus,
    Membership,
    MembershipStatus,
    Plan,
    Role,
)

DEMO_PASSWORD = "Factura.Clara.2026"
# SAT's 69-B list as published (its head: three rows) plus one row for the demo, naming the
# emisor of KIJ's received CFDIs; sources in demo/SOURCES.md.
DEMO_69B_PATH = Path(__file__).resolve().parents[2] / "listado_69b_demo.csv"
DEMO_69B_SOURCE = "despacho/demo/listado_69b_demo.csv"

FIRM_OWNER = ("dueno@demo.despacho.mx", "Laura Méndez Ríos")
STAFF = [
    # email, name, profile code, client RFCs
    ("contador@demo.despacho.mx", "Carlos Ortega Luna", "contador", None),
    (
        "ventas@demo.despacho.mx",
        "Ana Torres Vega",
        "auxiliar_ventas",
        ["EKU9003173C9", "H&E951128469"],
    ),
]
FIRM_COMPANY = ("MRC150310AB1", "MÉNDEZ RÍOS CONTADORES", "601", "76000", "profesional")
CLIENTS = [
    # owner email, owner name, rfc, razón social, régimen, CP, sector
    (
        "kemper@demo.despacho.mx",
        "Patricia Kemper Urgate",
        "EKU9003173C9",
        "ESCUELA KEMPER URGATE",
        "601",
        "26015",
        "servicios",
    ),
    (
        "herreria@demo.despacho.mx",
        "Hugo Herrera Elías",
        "H&E951128469",
        "HERRERIA & ELECTRICOS",
        "601",
        "59820",
        "construccion",
    ),
    (
        # The receptor of HERRERIA & ELECTRICOS' sample ingreso and pago: its Egresos.
        "kij@demo.despacho.mx",
        "Karla Ibarra Juárez",
        "KIJ0906199R1",
        "KIJ, S.A DE C.V.",
        "601",
        "59820",
        "comercio",
    ),
    (
        "pase@demo.despacho.mx",
        "Pedro Salas Enríquez",
        "ISD950921HE5",
        "PASE, SERVICIOS ELECTRONICOS",
        "601",
        "03100",
        "servicios",
    ),
]


# HERRERIA & ELECTRICOS' customers (Clientes): rfc, razón social, régimen, CP, uso, emails.
CUSTOMERS: list[CustomerRow] = [
    ("KIJ0906199R1", "KIJ", "601", "59820", "G01", ["compras@kij.example.mx"]),
    ("XAXX010101000", "PUBLICO EN GENERAL", "616", "59820", "S01", []),
]


# owner email, owner name, rfc, razón social, régimen, CP, sector: invited, not yet linked
INVITED = (
    "abarrotes@demo.despacho.mx",
    "Irma Sánchez Duarte",
    "CACX7605101P8",
    "ABARROTES LA ESPERANZA",
    "612",
    "06600",
    "comercio",
)


def demo_allowed() -> bool:
    """Known passwords never reach a production database."""
    embedded = connection.vendor == "sqlite" and str(settings.DATABASES["default"]["NAME"]) == str(
        settings.EMBEDDED_DATABASE_PATH
    )
    return settings.DEBUG or embedded


class Command(BaseCommand):
    help = "Carga datos de demostración (idempotente) e imprime los accesos."

    def handle(self, *args: Any, **options: Any) -> None:
        if not demo_allowed():
            raise CommandError(
                "La demostración solo se carga con DESPACHO_DEBUG=1 o en la base de datos "
                "embebida: sus contraseñas son públicas."
            )
        if User.objects.filter(email=FIRM_OWNER[0]).exists():
            self.stdout.write("Los datos de demostración ya estaban cargados.")
        else:
            self._load()
            self.stdout.write(self.style.SUCCESS("Datos de demostración cargados."))
        self._load_cfdis()
        self._issue()
        self._load_lists()
        self._accounting()
        self._print_logins()

    def _load_lists(self) -> None:
        """A small 69-B list (SAT's published head plus a demo row naming HERRERIA &
        ELECTRICOS, whose ingreso and pago KIJ received): the flag shows in KIJ's Egresos."""
        from despacho.cfdi.models import Cfdi
        from despacho.satstatus.models import ListLoad
        from despacho.satstatus.services import list_69b_load

        if not ListLoad.objects.filter(url=DEMO_69B_SOURCE, ok=True).exists():
            load = list_69b_load(content=DEMO_69B_PATH.read_bytes(), source=DEMO_69B_SOURCE)
            self.stdout.write(f"Lista 69-B de demostración: {load.rows} contribuyentes.")
        flagged = Cfdi.objects.exclude(emisor_listed="").count()
        self.stdout.write(f"CFDI recibidos de emisores en listas del SAT: {flagged}.")

    def _issue(self) -> None:
        from despacho.demo.issuing import ISSUER_RFC, demo_issue
        from despacho.demo.payroll import demo_payroll

        company = Company.objects.get(rfc=ISSUER_RFC, account__name=CLIENTS[0][3])
        demo_issue(company=company, owner=User.objects.get(email=CLIENTS[0][0]))
        # Issued through Facturar (the sample CFDIs loaded above are not drafts).
        issued = Draft.objects.filter(company=company, status="issued").count()
        self.stdout.write(f"CFDI emitidos por {CLIENTS[0][3]}: {issued}.")
        payslips = demo_payroll(company=company, owner=User.objects.get(email=CLIENTS[0][0]))
        self.stdout.write(f"Recibos de nómina de {CLIENTS[0][3]}: {len(payslips)}.")

    def _accounting(self) -> None:
        """Each client keeps its accounts: the default chart and the pólizas of its CFDIs."""
        from despacho.accounting.posting import local_date, period_regenerate
        from despacho.accounting.services import chart_create_default, chart_exists
        from despacho.cfdi.models import Cfdi

        for row in CLIENTS:
            company = Company.objects.filter(rfc=row[2]).first()
            if company is None or chart_exists(company):
                continue
            chart_create_default(company=company, actor=None)
            months = {
                local_date(fecha).replace(day=1)
                for fecha in Cfdi.objects.filter(company=company).values_list("fecha", flat=True)
            }
            posted = sum(
                period_regenerate(company=company, actor=None, month=month).posted
                for month in sorted(months)
            )
            self.stdout.write(f"Pólizas de {row[3]}: {posted}.")

    def _load_cfdis(self) -> None:
        from despacho.cfdi.demo import demo_fixtures_dir, load_demo_cfdis

        folder = demo_fixtures_dir()
        if not folder.is_dir():
            self.stdout.write(
                f"Sin CFDI de ejemplo: no existe {folder} (DESPACHO_DEMO_CFDI_DIR lo cambia)."
            )
            return
        stored = load_demo_cfdis(folder)
        if stored:
            self.stdout.write(f"CFDI de ejemplo guardados: {stored}.")

    @transaction.atomic
    def _load(self) -> None:
        owner = user_create(email=FIRM_OWNER[0], full_name=FIRM_OWNER[1], password=DEMO_PASSWORD)
        firm = account_create(name="Méndez Ríos Contadores, S.C.", owner=owner, plan=Plan.DESPACHO)
        rfc, name, regimen, cp, sector = FIRM_COMPANY
        company_create(
            account=firm,
            actor=owner,
            rfc=rfc,
            razon_social=name,
            regimen_fiscal=regimen,
            codigo_postal=cp,
            sector=sector,
        )
        for email, person, rfc, name, regimen, cp, sector in CLIENTS:
            client_owner = user_create(email=email, full_name=person, password=DEMO_PASSWORD)
            account = account_create(name=name, owner=client_owner, plan=Plan.EMPRENDEDOR)
            company = company_create(
                account=account,
                actor=client_owner,
                rfc=rfc,
                razon_social=name,
                regimen_fiscal=regimen,
                codigo_postal=cp,
                sector=sector,
            )
            CompanyLink.objects.create(
                firm=firm,
                company=company,
                status=LinkStatus.ACCEPTED,
                invited_by=owner,
                responded_by=client_owner,
                responded_at=company.created_at,
            )
        clients = {
            link.invited_company.rfc: link.invited_company
            for link in firm.company_links.select_related("company")
        }
        customers_create(company=clients["H&E951128469"], actor=owner, rows=CUSTOMERS)
        for email, person, profile_code, rfcs in STAFF:
            user = user_create(email=email, full_name=person, password=DEMO_PASSWORD)
            membership = Membership.objects.create(
                user=user,
                account=firm,
                role=Role.MEMBER,
                status=MembershipStatus.ACTIVE,
                joined_at=user.date_joined,
            )
            profile = Profile.objects.get(account=None, code=profile_code)
            for rfc in rfcs or list(clients):
                grant_set(actor=owner, membership=membership, company=clients[rfc], profile=profile)
        # A company with its own account that the firm has invited (pending): its owner sees
        # the notice on their home page and accepts or declines.
        email, person, rfc, name, regimen, cp, sector = INVITED
        invited_owner = user_create(email=email, full_name=person, password=DEMO_PASSWORD)
        invited_account = account_create(name=name, owner=invited_owner, plan=Plan.EMPRENDEDOR)
        invited = company_create(
            account=invited_account,
            actor=invited_owner,
            rfc=rfc,
            razon_social=name,
            regimen_fiscal=regimen,
            codigo_postal=cp,
            sector=sector,
        )
        link_invite(firm=firm, actor=owner, rfc=invited.rfc)
        # Staff hold seats like anyone else: the demo must fit the plan it shows.
        summary = seat_summary(account=firm)
        if summary.over_limit:  # pragma: no cover - a guard for whoever edits STAFF
            raise CommandError(
                f"La demostración usa {summary.in_use} licencias de {summary.available}."
            )

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Accesos de demostración (contraseña para todos: {DEMO_PASSWORD})")
        rows = [(FIRM_OWNER[0], "propietaria del despacho Méndez Ríos Contadores")]
        rows += [(e, f"usuario del despacho, perfil {p}") for e, _n, p, _r in STAFF]
        rows += [(c[0], f"propietario de {c[3]}") for c in CLIENTS]
        rows += [(INVITED[0], f"propietaria de {INVITED[3]} (invitación pendiente del despacho)")]
        for email, what in rows:
            self.stdout.write(f"  {email:<28} {what}")
        self.stdout.write("")
