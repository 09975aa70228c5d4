"""The isolation matrix: every route and API operation of the project × every kind of actor
of tenant A × objects of tenant B (and a company of A the actor holds no grant on).

Routes come from Django's URL resolver, walked recursively with namespaces, and the API's
operations from the OpenAPI document it serves, so a new route or operation is tried
automatically; one whose URL has an argument the registry below does not know fails the
test until someone says which foreign object fills it.

The actors: A's owner, an admin, a member holding each single permission on A's first
company only (on routes where only account roles decide, one of them, in turn: see
ROLE_ONLY_NAMESPACES), a receiver logged into A's portal (its own session namespace, never
a staff login), an API key of A's owner and one acting as the Ventas-only member (sent as
``Authorization: Bearer`` with every request), and an anonymous visitor.

What must hold for every attempt:
- a route whose URL names an object (membership, invitation, CFDI, portal access, B's
  portal …) the actor may not reach answers 302-to-a-login-page, 403, 404, 405 or 429 —
  never the object;
- a route without such an argument (A's own pages: lists, forms; the receiver's own portal)
  gets B's ids in the query string and B's ids and UUIDs in the POST body, and may answer,
  but never shows anything of B;
- anonymous visitors and portal receivers get refused everywhere in the staff app, and
  anonymous visitors in every portal page behind its login, except the public routes
  listed in PUBLIC_ROUTES, each with the reason it is public;
- the API answers 401 (with its error envelope) to everyone without a key; with A's
  owner's key another tenant's object is 404 ``not_found``, with the member's key a
  refusal (401/403/404/405/422);
- no body contains B's RFC, razón social, account name, people's and receivers' emails or
  CFDI UUIDs (a portal's public pages may name the company whose portal they are, nothing
  more), no session ends up switched to, or logged into the portal of, a foreign company,
  and B's memberships, invitations, CFDIs, portal accesses, customers, certificates,
  products, tax schemes and audit trail are unchanged.

Extension points (each later issue adds its line): KWARG_REGISTRY gets a line for every new
kind of URL argument or API path parameter; ``_api_fill`` for a new body or query field
that names an object.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from despacho.access.catalog import REQUIRES, Perm, is_valid, to_mask
from despacho.access.models import Profile
from despacho.accounting.models import Account, ClosedPeriod, Poliza
from despacho.accounting.services import Line, account_create, chart_create_default, poliza_create
from despacho.api.models import ApiKey
from despacho.api.services import secret_hash
from despacho.audit.models import AuditEvent
from despacho.cancellations.models import Cancellation
from despacho.cartaporte.models import Figure, Location, Trailer, Vehicle
from despacho.cartaporte.services import item_snapshot
from despacho.cfdi.models import Cfdi
from despacho.customers.models import Customer
from despacho.customers.services import customer_create
from despacho.invoicing.models import Draft
from despacho.members.models import Invitation
from despacho.onboarding import engine
from despacho.onboarding.models import ImportJob, ImportStatus
from despacho.onboarding.services import import_start, import_validate
from despacho.portal.identity import PortalIdentity
from despacho.portal.models import PortalAccess, PortalLink, PortalUser
from despacho.portal.services.accesses import portal_access_send_many
from despacho.portal.sessions import SESSION_KEY as PORTAL_SESSION_KEY
from despacho.portal.sessions import session_start
from despacho.products.models import Product, TaxScheme
from despacho.satstatus.models import SatStatus, TimbreCheck
from despacho.satsync.models import SatMetadata, SyncRun
from despacho.seals.models import Certificate
from despacho.tenancy.models import CompanyLink, Membership, Role
from despacho.treasury.models import BankAccount, Match, Movement
from tests.api.factories import make_key, owner_membership
from tests.api.operations import Operation, api_operations, openapi_document, sample
from tests.cartaporte.samples import make_item
from tests.cfdi.cfdi_samples import any_rfc
from tests.customers.helpers import real_rfc
from tests.factories import (
    add_member,
    invite_link,
    make_account,
    make_company,
    make_grant,
    make_membership,
    make_user,
    owner_of,
)
from tests.invoicing.helpers import make_draft
from tests.portal.scenario import RECEIVER_PASSWORD, access, issue, person, portal_login
from tests.products.factories import make_product, make_scheme
from tests.seals.samples import stored_certificate
from tests.treasury.worlds import treasury_of

pytestmark = pytest.mark.django_db

CARTAPORTE_KINDS = {"location": Location, "vehicle": Vehicle, "trailer": Trailer, "figure": Figure}

LOGIN = reverse("people:login")
# Where a refusal may send the visitor: the staff login, or the login of the portal asked for.
LOGIN_PAGES = {"people:login", "portal:login"}
PORTAL = "portal"  # the receivers' namespace: its pages have their own login
API = "api_v1"  # the REST API: it authenticates only by ``Authorization: Bearer <key>``
# Namespaces where only an account role (or no staff login at all) decides the answer: no
# grant permission is checked there (the receivers' portal never reads request.user), so
# one single-permission member stands for all, taken in turn, so that every member variant
# still meets some of these routes. Every other namespace, a new one included, is tried by
# every single-permission member. The API reads no session at all: for staff logins its
# routes are the same 401 whatever the member's permissions.
ROLE_ONLY_NAMESPACES = {
    "access",
    "audit",
    "people",
    "security",
    "tenancy",
    "users",
    PORTAL,
    API,
}

# Routes anyone may open, and why. They still must not show B's data to anyone.
PUBLIC_ROUTES: dict[str, str] = {
    "people:login": "the login page",
    "people:logout": "logging out needs no login (POST only)",
    "security:password_reset": "asking for a reset link by email",
    "security:password_reset_done": "the 'we sent you a link' page",
    "security:password_reset_confirm": "the link from the email; a wrong token is refused",
    "security:password_reset_complete": "the 'password changed' page",
    "invitations:accept": "the link from an invitation email; a wrong token is refused (410)",
    "portal:login": "the door of a company's portal: it names the company (that is where "
    "the receiver is), a wrong RFC or password is refused, a locked-out one gets 429",
    "portal:logout": "leaving a portal needs no login (POST only)",
    "portal:link_request": "asking a portal for a login link by email (same answer for any "
    "address)",
    "portal:link_login": "the login link from the email; a wrong token is refused (410)",
    "portal:password": "the choose-a-password link from the email; a wrong token is refused (410)",
    "firm:link_token": "the link from a firm's invitation email; a wrong token is refused "
    "(410), a real one asks for the login of the company's owner",
    "api_v1:openapi-json": "the API's OpenAPI document: its operations and schemas, no data",
    "api_v1:openapi-view": "the API's documentation page, drawn from the OpenAPI document",
    "api_v1:api-root": "the API's bare prefix: nothing there (404; the documentation in DEBUG)",
}
# What a public portal page may show: the name and RFC of the company whose portal it is.
PORTAL_PUBLIC_SHOWS = ("razon_social", "rfc")


@dataclass
class World:
    """Tenant A (the actors' side) and tenant B (the target), plus A2: A's company that
    single-permission members hold no grant on and whose portal A's receiver has no access
    to. B and A2 issued CFDIs to the very RFC that A's receiver logs in with."""

    a_company: Any = None
    a2_company: Any = None
    b_company: Any = None
    b_member: Any = None
    b_invitation: Any = None
    b_profile: Any = None
    receiver_rfc: str = ""
    a_access: Any = None  # A's receiver, with a password
    a_cfdi: Any = None  # what A issued to its receiver (the receiver's own)
    b_cfdi: Any = None
    a2_cfdi: Any = None
    b_access: Any = None  # B's access for the same RFC, another password
    b_person: Any = None
    b_batch: Any = None
    a2_access: Any = None
    a2_person: Any = None
    a2_batch: Any = None
    a_key: Any = None  # an API key of A's owner
    a_token: str = ""  # its secret (the owner's key actor sends it)
    b_key: Any = None  # an API key of B's owner
    b_firm_link: Any = None  # B, as a firm, invited Gamma's company (pending)
    b_company_link: Any = None  # Gamma, as a firm, invited B's company (pending)
    a2_link: Any = None  # Gamma, as a firm, invited A2 (pending; A's owner answers it)
    b_import: Any = None  # a CSV import of B's, validated and ready to confirm
    b_customer_import: Any = None  # a customers import of B's company, ready to confirm
    a2_customer_import: Any = None  # one of A2's (A's company the members hold no grant on)
    b_customer: Any = None  # a customer of B's (with its portal access)
    a2_customer: Any = None
    b_draft: Any = None  # a draft of B's, to its customer
    a2_draft: Any = None
    b_certificate: Any = None  # B's CSD (metadata; its key a vault token)
    a2_certificate: Any = None
    b_product: Any = None  # B's product and tax scheme; A2's, out of members' reach
    b_scheme: Any = None
    a2_product: Any = None
    a2_scheme: Any = None
    b_cartaporte: dict[str, Any] = field(default_factory=dict)  # B's Carta Porte items by kind
    a2_cartaporte: dict[str, Any] = field(default_factory=dict)  # A2's
    b_treasury: Any = None  # B's bank account, movement and suggested match (issue 19)
    a2_treasury: Any = None
    b_markers: list[str] = field(default_factory=list)
    a2_markers: list[str] = field(default_factory=list)

    def company_of_slug(self, slug: str) -> Any:
        return {c.slug: c for c in (self.a_company, self.a2_company, self.b_company)}[slug]


def _customer_import(company: Any, actor: Any, name: str) -> ImportJob:
    job = engine.import_start(
        kind=engine.import_kind("customers"),
        firm=company.account,
        company=company,
        actor=actor,
        file_name=f"clientes-{name.lower()}.csv",
        data=(
            "rfc,razon_social,regimen_fiscal,codigo_postal,uso_cfdi\r\n"
            f"{real_rfc()},CLIENTE IMPORTADO RESERVADO DE {name},601,06600,G03\r\n"
        ).encode(),
    )
    job = engine.import_validate(job_id=job.pk)
    assert job.status == ImportStatus.READY and job.valid_rows == 1, job.rows
    return job


def _customer(company: Any, actor: Any, name: str) -> Customer:
    email = "maestro@" + name.lower().replace(" ", "-") + ".example.mx"
    return customer_create(
        company=company,
        actor=actor,
        rfc=any_rfc(),
        razon_social=name,
        regimen_fiscal="601",
        codigo_postal="06600",
        uso_cfdi="G03",
        emails=[email],
    )


def _sat_sync(company: Any, name: str) -> tuple[SyncRun, SatMetadata]:
    """A failed SAT synchronisation of the company and a received CFDI's metadata."""
    now = timezone.now()
    run = SyncRun.objects.create(
        company=company,
        kind="manual",
        state="failed",
        period_start=now - timedelta(days=3),
        period_end=now,
        error=f"FALLA SAT RESERVADA DE {name}",
        counts={"recibidos": {"accepted": 1, "duplicate": 0, "refused": 0}},
    )
    metadata = SatMetadata.objects.create(
        company=company,
        direction="recibidos",
        uuid=uuid.uuid4(),
        emisor_rfc="AAA010101AAA",
        receptor_rfc=company.rfc,
        fecha_emision=now,
        monto="1.00",
    )
    return run, metadata


def _ledger(company: Any, actor: Any, name: str) -> tuple[Any, Any]:
    """The company's default chart, an account of its own and a captured póliza on it."""
    chart_create_default(company=company, actor=actor)
    bank = Account.objects.get(company=company, code="102.01")
    own = account_create(
        company=company,
        actor=actor,
        code="102.01.99",
        name=f"CUENTA RESERVADA DE {name}",
        codigo_agrupador="102.01",
        nature="D",
        parent=bank,
    )
    sales = Account.objects.get(company=company, code="401.01")
    poliza = poliza_create(
        company=company,
        actor=actor,
        tipo="3",
        fecha=timezone.localdate(),
        concepto=f"POLIZA RESERVADA DE {name}",
        lines=[Line(own, debe=Decimal("10.00")), Line(sales, haber=Decimal("10.00"))],
    )
    return own, poliza


def _uuid_markers(cfdi: Cfdi | SatMetadata) -> list[str]:
    return [str(cfdi.uuid), str(cfdi.uuid).upper()]


def build_world() -> World:
    world = World()
    a = make_account(name="Cuenta Alfa")
    world.a_company = make_company(a, razon_social="ALFA PRIMERA SA DE CV")
    world.a2_company = make_company(a, razon_social="ALFA SIN PERMISO SA DE CV", rfc=any_rfc())
    b_owner = make_user(email="dueno.beta@example.mx")
    b = make_account(name="Cuenta Beta Ajena", owner=b_owner)
    world.b_company = make_company(b, razon_social="BETA AJENA SA DE CV", rfc=any_rfc())
    with transaction.atomic():
        world.b_member = add_member(b, email="persona.beta@example.mx", companies=[world.b_company])
    world.b_invitation = Invitation.objects.get(membership=world.b_member)
    world.b_profile = Profile.objects.create(
        account=b, name="PERFIL BETA RESERVADO", permissions=to_mask({Perm.VENTAS})
    )
    # One receiver RFC, known to all three companies: only A's portal has let it in.
    world.receiver_rfc = rfc = any_rfc()
    world.a_access = access(world.a_company, rfc, name="RECEPTOR DE ALFA")
    world.a_cfdi = issue(world.a_company, rfc)
    world.b_cfdi = issue(world.b_company, rfc)
    world.a2_cfdi = issue(world.a2_company, rfc)
    world.b_access = access(
        world.b_company,
        rfc,
        password="Otra.Clave.Beta.2026",
        name="CLIENTE RESERVADO DE BETA",
        email="accesos.beta@example.mx",
    )
    world.b_person = person(world.b_access, "receptor.beta@example.mx")
    world.b_batch = portal_access_send_many(
        company=world.b_company, accesses=[world.b_access], actor=b_owner
    ).batch
    world.a2_access = access(
        world.a2_company,
        any_rfc(),
        password="Otra.Clave.AlfaDos.2026",
        name="CLIENTE RESERVADO DE ALFA DOS",
        email="a2@example.mx",
    )
    world.a2_person = person(world.a2_access, "receptor.alfados@example.mx")
    world.a2_batch = portal_access_send_many(
        company=world.a2_company, accesses=[world.a2_access], actor=owner_of(a)
    ).batch
    # Keys: B's (its revoke page, its id), and A's owner's (out of reach of A's members).
    world.b_key = ApiKey.objects.get(
        secret_hash=secret_hash(make_key(owner_membership(b), name="CLAVE RESERVADA DE BETA"))
    )
    world.a_token = make_key(owner_membership(a), name="Clave de Alfa")
    world.a_key = ApiKey.objects.get(secret_hash=secret_hash(world.a_token))
    # Links: Gamma is a third account that is both a client B invited (B's firm side) and a
    # firm that invited B's company and A2 (their company side). A's owner may answer the A2
    # invitation, so it is foreign only to members and the receiver.
    gamma = make_account(name="Despacho Gamma Externo")
    gamma_company = make_company(
        gamma, razon_social="GAMMA CLIENTE DE BETA SA DE CV", rfc=any_rfc()
    )
    with transaction.atomic():
        world.b_firm_link = invite_link(b, gamma_company, actor=b_owner)
        world.b_company_link = invite_link(gamma, world.b_company)
        world.a2_link = invite_link(gamma, world.a2_company)
    # An import of B's, validated (its rows name a client only B knows).
    world.b_import = import_validate(
        job_id=import_start(
            firm=b,
            actor=b_owner,
            file_name="clientes-beta.csv",
            data=(
                "nombre,rfc,telefono,email,codigo_postal\r\n"
                f"IMPORTACION RESERVADA DE BETA,{any_rfc()},5555555555,"
                "importado.beta@example.mx,06600\r\n"
            ).encode(),
        ).pk
    )
    assert world.b_import.status == ImportStatus.READY, world.b_import.rows
    # Customers (issue 15): one of B's and one of A2's, each with its portal access.
    world.b_customer = _customer(world.b_company, b_owner, "CLIENTE MAESTRO RESERVADO DE BETA")
    world.a2_customer = _customer(world.a2_company, owner_of(a), "CLIENTE MAESTRO DE ALFA DOS")
    # Drafts (issue 16): one of B's and one of A2's, each to its company's customer.
    world.b_draft = make_draft(world.b_company, customer=world.b_customer, actor=b_owner)
    world.a2_draft = make_draft(world.a2_company, customer=world.a2_customer, actor=owner_of(a))
    world.b_certificate = stored_certificate(world.b_company, "99990000000400000001")
    world.a2_certificate = stored_certificate(world.a2_company, "99990000000400000002")
    # SAT synchronisations of B's and of A2 (issue 17), with what they brought: a failure
    # message and a received CFDI's metadata each (named so a leak shows).
    world.b_sat_run, world.b_sat_metadata = _sat_sync(world.b_company, "BETA")
    world.a2_sat_run, world.a2_sat_metadata = _sat_sync(world.a2_company, "ALFA DOS")
    # Customer imports of B's company and of A2, validated (their rows name B's data).
    world.b_customer_import = _customer_import(world.b_company, b_owner, "BETA")
    world.a2_customer_import = _customer_import(world.a2_company, owner_of(a), "ALFA DOS")
    # Products and tax schemes of B's and of A2 (named so a leak shows).
    world.b_scheme = make_scheme(world.b_company, name="ESQUEMA RESERVADO DE BETA")
    world.b_product = make_product(
        world.b_company, description="PRODUCTO RESERVADO DE BETA", scheme=world.b_scheme
    )
    world.a2_scheme = make_scheme(world.a2_company, name="ESQUEMA RESERVADO DE ALFA DOS")
    world.a2_product = make_product(
        world.a2_company, description="PRODUCTO RESERVADO DE ALFA DOS", scheme=world.a2_scheme
    )
    # Carta Porte items of B's and of A2's (members hold no grant on A2).
    for kind, model in CARTAPORTE_KINDS.items():
        world.b_cartaporte[kind] = make_item(
            model, world.b_company, b_owner, name=f"{kind} RESERVADO DE BETA"
        )
        world.a2_cartaporte[kind] = make_item(
            model, world.a2_company, owner_of(a), name=f"{kind} RESERVADO DE ALFA DOS"
        )
    # Treasury (issue 19): a bank account of B's and of A2, each with a movement matched
    # (suggested) with the company's CFDI; named so a leak shows.
    world.b_treasury = treasury_of(world.b_company, world.b_cfdi, "BETA")
    world.a2_treasury = treasury_of(world.a2_company, world.a2_cfdi, "ALFA DOS")
    # Accounting (issue 18): B's and A2's charts, an own account and a captured póliza each.
    world.b_account, world.b_poliza = _ledger(world.b_company, b_owner, "BETA")
    world.a2_account, world.a2_poliza = _ledger(world.a2_company, owner_of(a), "ALFA DOS")
    world.b_markers = [
        world.b_company.rfc,
        world.b_company.razon_social,
        "Cuenta Beta Ajena",
        "dueno.beta@example.mx",
        "PERFIL BETA RESERVADO",
        "persona.beta@example.mx",
        "CLIENTE RESERVADO DE BETA",
        "accesos.beta@example.mx",
        "receptor.beta@example.mx",
        "CLAVE RESERVADA DE BETA",
        world.b_key.prefix,
        gamma_company.rfc,
        gamma_company.razon_social,
        "IMPORTACION RESERVADA DE BETA",
        "importado.beta@example.mx",
        world.b_customer.rfc,
        "CLIENTE MAESTRO RESERVADO DE BETA",
        "maestro@cliente-reservado-de-beta.example.mx",
        world.b_certificate.serial,
        "PRODUCTO RESERVADO DE BETA",
        "ESQUEMA RESERVADO DE BETA",
        *_uuid_markers(world.b_cfdi),
        *[f"{kind} RESERVADO DE BETA" for kind in CARTAPORTE_KINDS],
        "FALLA SAT RESERVADA DE BETA",
        *_uuid_markers(world.b_sat_metadata),
        "CUENTA RESERVADA DE BETA",
        "MOVIMIENTO RESERVADO DE BETA",
        "FORMATO RESERVADO DE BETA",
        "POLIZA RESERVADA DE BETA",
    ]
    world.a2_markers = [
        "Clave de Alfa",  # a manager's key: its name is not for members
        world.a_key.prefix,
        "Despacho Gamma Externo",  # the firm that invited A2: the owner's business
        world.a2_company.rfc,
        world.a2_company.razon_social,
        "CLIENTE RESERVADO DE ALFA DOS",
        "a2@example.mx",
        "receptor.alfados@example.mx",
        world.a2_customer.rfc,
        "CLIENTE MAESTRO DE ALFA DOS",
        world.a2_certificate.serial,
        "PRODUCTO RESERVADO DE ALFA DOS",
        "ESQUEMA RESERVADO DE ALFA DOS",
        *_uuid_markers(world.a2_cfdi),
        "FALLA SAT RESERVADA DE ALFA DOS",
        *_uuid_markers(world.a2_sat_metadata),
        "CUENTA RESERVADA DE ALFA DOS",
        "MOVIMIENTO RESERVADO DE ALFA DOS",
        "FORMATO RESERVADO DE ALFA DOS",
        *[f"{kind} RESERVADO DE ALFA DOS" for kind in CARTAPORTE_KINDS],
    ]
    return world


# --- the actors -------------------------------------------------------------------------------


@dataclass
class Actor:
    label: str
    kind: str  # "owner" | "admin" | "member" | "receiver" | "api key" | "anonymous"
    user: Any = None  # a staff login, or None
    identity: PortalIdentity | None = None  # a portal login, or None
    token: str = ""  # an API key, sent as ``Authorization: Bearer`` with every request
    of_member: bool = False  # the key acts as a single-permission member (no grant on A2)

    @property
    def is_member(self) -> bool:
        return self.kind == "member"

    @property
    def a2_is_foreign(self) -> bool:
        """A2 is out of reach: members hold no grant on it, the receiver no access to it."""
        return self.kind in ("member", "receiver") or self.of_member

    @property
    def tally(self) -> str:
        """How the printed count groups this actor."""
        if self.has_key:
            return "member's API key" if self.of_member else "owner's API key"
        return self.kind

    @property
    def has_key(self) -> bool:
        return bool(self.token)

    def client(self) -> Client:
        client = Client(headers={"Authorization": f"Bearer {self.token}"} if self.token else {})
        if self.user is not None:
            client.force_login(self.user)
        if self.identity is not None:
            portal_session(client, self.identity)
        return client


def portal_session(client: Client, identity: PortalIdentity) -> None:
    """Give the client the portal session a successful portal login starts."""
    session = client.session
    request = HttpRequest()
    request.session = session
    session_start(request, identity)
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key


def single_permission_set(perm: Perm) -> set[Perm]:
    """{perm}, completed with Ventas or Egresos only as far as the catalog's rules demand."""
    perms = {perm}
    if perm in REQUIRES:
        perms.add(REQUIRES[perm])
    if not is_valid(perms):
        perms.add(Perm.EGRESOS)
    assert is_valid(perms), perms
    return perms


def build_actors(world: World) -> list[Actor]:
    account = world.a_company.account
    actors = [
        Actor("owner of A", "owner", owner_of(account)),
        Actor("admin of A", "admin", make_membership(account, role=Role.ADMIN).user),
    ]
    consulta = {Perm.VENTAS, Perm.EGRESOS, Perm.NOMINA}
    ventas_member = None
    for perm in Perm:
        wanted = single_permission_set(perm)
        membership = make_membership(account)
        make_grant(
            membership,
            world.a_company,
            "consulta",
            add=wanted - consulta,
            remove=consulta - wanted,
        )
        names = "+".join(sorted(p.value for p in wanted))
        actors.append(Actor(f"member of A [{names}]", "member", membership.user))
        if wanted == {Perm.VENTAS}:
            ventas_member = membership
    # The receiver proves its password once through A's portal login; each route's fresh
    # client then carries the session that login starts.
    response = portal_login(Client(), world.a_company, world.receiver_rfc, RECEIVER_PASSWORD)
    assert response["Location"] == reverse("portal:home", args=[world.a_company.slug])
    receiver = PortalIdentity(PortalAccess.objects.get(pk=world.a_access.pk))
    actors.append(Actor("receiver logged into A's portal", "receiver", identity=receiver))
    # API keys: the owner's (every company, every permission, a manager) and one acting as
    # the Ventas-only member (Ventas on A's first company, nothing on A2, not a manager).
    # They send their key with every request, the staff and portal pages' too.
    actors.append(Actor("API key of A's owner", "api key", token=world.a_token))
    assert ventas_member is not None
    actors.append(
        Actor(
            "API key of a member of A [ventas]",
            "api key",
            token=make_key(ventas_member, name="Clave de ventas"),
            of_member=True,
        )
    )
    actors.append(Actor("anonymous", "anonymous"))
    return actors


# --- the registry: URL argument → the objects that fill it ------------------------------------
class Target(NamedTuple):
    label: str
    value: Any
    # The value names something out of the actor's reach, so the answer must be a refusal.
    # False: it only shapes the URL (a category), is the actor's own (the receiver's
    # portal), or is a key the page filters the actor's own rows by (still nothing of B).
    refused: bool = True


def _a2(world: World, actor: Actor, label: str, value: Any) -> list[Target]:
    return [Target(f"A2 {label} (no grant)", value)] if actor.a2_is_foreign else []


def _shapes(*values: str) -> list[Target]:
    """Arguments that only shape the URL: each is tried with B's data elsewhere in the request."""
    return [Target(value, value, refused=False) for value in values]


def _portal_slugs(world: World, actor: Actor) -> list[Target]:
    own = actor.kind == "receiver"
    return [
        Target("B portal", world.b_company.slug),
        # A's own portal: the receiver's home; for staff and anonymous a portal they are not
        # logged into (a staff login grants nothing there).
        Target("A portal" + (" (own)" if own else ""), world.a_company.slug, refused=not own),
        *([Target("A2 portal (no access)", world.a2_company.slug)] if own else []),
    ]


def _cartaporte_targets(kind: str) -> Callable[[World, Actor], list[Target]]:
    def targets(w: World, actor: Actor) -> list[Target]:
        return [
            Target(f"B {kind}", w.b_cartaporte[kind].pk),
            *_a2(w, actor, kind, w.a2_cartaporte[kind].pk),
        ]

    return targets


def _cartaporte_targets(kind: str) -> Callable[[World, Actor], list[Target]]:
    def targets(w: World, actor: Actor) -> list[Target]:
        return [
            Target(f"B {kind}", w.b_cartaporte[kind].pk),
            *_a2(w, actor, kind, w.a2_cartaporte[kind].pk),
        ]

    return targets


KWARG_REGISTRY: dict[str, Callable[[World, Actor], list[Target]]] = {
    "membership_id": lambda w, actor: [Target("B membership", w.b_member.pk)],
    "invitation_id": lambda w, actor: [Target("B invitation", w.b_invitation.pk)],
    "company_id": lambda w, actor: [
        Target("B company", w.b_company.pk),
        *_a2(w, actor, "company", w.a2_company.pk),
    ],
    "profile_id": lambda w, actor: [Target("B profile", w.b_profile.pk)],
    "uuid": lambda w, actor: [
        Target("B cfdi", w.b_cfdi.uuid),
        *_a2(w, actor, "cfdi", w.a2_cfdi.uuid),
    ],
    "category": lambda w, actor: _shapes("ventas", "egresos", "nomina"),
    "export": lambda w, actor: _shapes("csv", "xlsx"),
    "uidb64": lambda w, actor: [
        Target("B person", urlsafe_base64_encode(force_bytes(w.b_member.user.pk)))
    ],
    "token": lambda w, actor: [Target("forged token", "x" * 24 + "-" + "y" * 32)],
    "slug": _portal_slugs,
    "access_id": lambda w, actor: [
        Target("B portal access", w.b_access.pk),
        *_a2(w, actor, "portal access", w.a2_access.pk),
    ],
    "person_id": lambda w, actor: [
        Target("B portal person", w.b_person.pk),
        *_a2(w, actor, "portal person", w.a2_person.pk),
    ],
    "key_id": lambda w, actor: [
        Target("B API key", w.b_key.pk),
        # Keys are managed by owners and admins: the owner's key is out of members' reach.
        *_a2(w, actor, "API key of A's owner", w.a_key.pk),
    ],
    # The API names a membership ``member_id``.
    "member_id": lambda w, actor: [Target("B membership", w.b_member.pk)],
    "link_id": lambda w, actor: [
        Target("B's link as a firm", w.b_firm_link.pk),
        Target("a link to B's company", w.b_company_link.pk),
        *_a2(w, actor, "link to A2", w.a2_link.pk),
    ],
    "job_id": lambda w, actor: [
        Target("B import", w.b_import.pk),
        Target("B customers import", w.b_customer_import.pk),
        *_a2(w, actor, "customers import", w.a2_customer_import.pk),
    ],
    "ledger_account_id": lambda w, actor: [
        Target("B ledger account", w.b_account.pk),
        *_a2(w, actor, "ledger account", w.a2_account.pk),
    ],
    "poliza_id": lambda w, actor: [
        Target("B póliza", w.b_poliza.pk),
        *_a2(w, actor, "póliza", w.a2_poliza.pk),
    ],
    "customer_id": lambda w, actor: [
        Target("B customer", w.b_customer.pk),
        *_a2(w, actor, "customer", w.a2_customer.pk),
    ],
    "draft_id": lambda w, actor: [
        Target("B draft", w.b_draft.pk),
        *_a2(w, actor, "draft", w.a2_draft.pk),
    ],
    "certificate_id": lambda w, actor: [
        Target("B certificate", w.b_certificate.pk),
        *_a2(w, actor, "certificate", w.a2_certificate.pk),
    ],
    "product_id": lambda w, actor: [
        Target("B product", w.b_product.pk),
        *_a2(w, actor, "product", w.a2_product.pk),
    ],
    "scheme_id": lambda w, actor: [
        Target("B tax scheme", w.b_scheme.pk),
        *_a2(w, actor, "tax scheme", w.a2_scheme.pk),
    ],
    # A send batch is not an object but a key: the page lists the active company's links
    # sent in it, so B's batch shows an empty list, the same page as a batch whose every
    # access was skipped. It may answer; the body check proves nothing of B is there.
    "batch": lambda w, actor: [
        Target("B portal send batch", w.b_batch, refused=False),
        *[t._replace(refused=False) for t in _a2(w, actor, "portal send batch", w.a2_batch)],
    ],
    # The SAT synchronisation's runs (the API's /sat/syncs/{run_id}).
    "run_id": lambda w, actor: [
        Target("B SAT sync run", w.b_sat_run.pk),
        *_a2(w, actor, "SAT sync run", w.a2_sat_run.pk),
    ],
    # Treasury: bank accounts, movements and matches.
    "account_id": lambda w, actor: [
        Target("B bank account", w.b_treasury.account.pk),
        *_a2(w, actor, "bank account", w.a2_treasury.account.pk),
    ],
    "movement_id": lambda w, actor: [
        Target("B bank movement", w.b_treasury.movement.pk),
        *_a2(w, actor, "bank movement", w.a2_treasury.movement.pk),
    ],
    "match_id": lambda w, actor: [
        Target("B reconciliation", w.b_treasury.match.pk),
        *_a2(w, actor, "reconciliation", w.a2_treasury.match.pk),
    ],
    # Carta Porte: one argument per kind, in the pages and the API alike.
    **{f"{kind}_id": _cartaporte_targets(kind) for kind in CARTAPORTE_KINDS},
}


def hostile_query(world: World) -> dict[str, str]:
    """B's ids where a page might read them in the query string.

    Only database ids: pages echo their own query (the switcher's ``next``, pagination
    links), so putting a marker such as B's RFC here would find the request's own text,
    not a leak.
    """
    return {
        "company": str(world.b_company.pk),
        "membership": str(world.b_member.pk),
        "invitation": str(world.b_invitation.pk),
        "cfdi": str(world.b_cfdi.pk),
        "access": str(world.b_access.pk),
        "person": str(world.b_person.pk),
        "customer": str(world.b_customer.pk),
        "product": str(world.b_product.pk),
        "tax_scheme": str(world.b_scheme.pk),
        "next": "/",
    }


def hostile_body(world: World, actor: Actor) -> dict[str, Any]:
    """What a POST may carry: B's ids, the UUIDs of B's and A2's CFDIs (selections for a
    ZIP), B's and A2's portal accesses (a bulk send), and the receiver's RFC with its A
    password (which must not open B's portal, where the same RFC has another).

    For an actor without a grant on A2, ``company`` is B's and then A2's: a view that reads
    one value (the company switcher) takes the last, the subtler A2.
    """
    companies = [world.b_company.pk] + ([world.a2_company.pk] if actor.a2_is_foreign else [])
    return {
        **hostile_query(world),
        "company": [str(pk) for pk in companies],
        "uuid": [str(world.b_cfdi.uuid), str(world.a2_cfdi.uuid)],
        "uuids": f"{world.b_cfdi.uuid}\n{world.a2_cfdi.uuid}",  # a match by hand
        "layout": f"mapping:{world.b_treasury.mapping.pk}",  # a statement's column mapping
        "access": [str(world.b_access.pk), str(world.a2_access.pk)],
        "identifier": world.receiver_rfc,
        "password": RECEIVER_PASSWORD,
    }


# --- the routes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced view name
    kwargs: tuple[str, ...]

    @property
    def namespace(self) -> str:
        return self.name.rpartition(":")[0]


def _walk(resolver: URLResolver, namespace: str, inherited: tuple[str, ...]) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        kwargs = inherited + tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, inner, kwargs)
        elif isinstance(entry, URLPattern):
            if entry.name is None:
                raise AssertionError(f"unnamed route {entry.pattern}: name it so it can be tested")
            yield Route(f"{namespace}{entry.name}", kwargs)


def routes() -> list[Route]:
    """Every route of the project, from the URL resolver (the API's joins here with its issue)."""
    return sorted(set(_walk(get_resolver(), "", ())), key=lambda r: r.name)


def test_every_route_argument_has_a_foreign_object_in_the_registry():
    unknown = {(r.name, k) for r in routes() for k in r.kwargs if k not in KWARG_REGISTRY}
    assert not unknown, (
        f"routes with arguments the isolation matrix cannot fill: {sorted(unknown)}; "
        "add a line to KWARG_REGISTRY naming the foreign object that fills each"
    )


def test_the_public_allow_list_names_only_routes_that_exist():
    names = {r.name for r in routes()}
    assert set(PUBLIC_ROUTES) <= names


def test_the_role_only_namespaces_exist():
    namespaces = {r.namespace for r in routes()}
    assert ROLE_ONLY_NAMESPACES.issubset(namespaces)


def test_a_companys_people_page_is_walked_with_foreign_companies():
    # Issue 13: "Administrar permisos" from an Empresas row; B's company and A2 fill company_id.
    assert Route("access:company_people", ("company_id",)) in routes()


def actors_for(route: Route, actors: list[Actor], turn: int) -> list[Actor]:
    """Every actor, but only the turn's member where only roles decide (see above), and
    outside the API only the turn's key: pages never read a key, so both are no login there."""
    chosen = actors
    if route.namespace in ROLE_ONLY_NAMESPACES:
        members = [actor for actor in actors if actor.is_member]
        stand_in = members[turn % len(members)]
        chosen = [actor for actor in chosen if not actor.is_member or actor is stand_in]
    if route.namespace != API:
        keys = [actor for actor in actors if actor.has_key]
        key = keys[turn % len(keys)]
        chosen = [actor for actor in chosen if not actor.has_key or actor is key]
    return chosen


class Attempt(NamedTuple):
    label: str
    url: str
    refused: bool  # the URL names something out of the actor's reach
    may_show: list[str]  # markers a public page may show (the portal's own company)


def _attempts(route: Route, world: World, actor: Actor) -> list[Attempt]:
    """One attempt for each combination of registry values."""
    combos: list[tuple[list[Target], dict[str, Any]]] = [([], {})]
    for kwarg in route.kwargs:
        combos = [
            ([*targets, target], {**values, kwarg: target.value})
            for targets, values in combos
            for target in KWARG_REGISTRY[kwarg](world, actor)
        ]
    attempts = []
    for targets, values in combos:
        may_show: list[str] = []
        if route.name in PUBLIC_ROUTES and "slug" in values:
            company = world.company_of_slug(values["slug"])
            may_show = [getattr(company, name) for name in PORTAL_PUBLIC_SHOWS]
        attempts.append(
            Attempt(
                " / ".join(t.label for t in targets) or "-",
                reverse(route.name, kwargs=values),
                any(t.refused for t in targets),
                may_show,
            )
        )
    return attempts


def _snapshot(world: World) -> dict[str, object]:
    member = Membership.objects.get(pk=world.b_member.pk)
    invitation = Invitation.objects.get(pk=world.b_invitation.pk)
    out_of_reach = [world.b_company, world.a2_company]
    return {
        "membership": (member.role, member.status),
        "invitation": (invitation.status, invitation.token_hash),
        "cfdis": sorted(Cfdi.objects.filter(company=world.b_company).values_list("uuid", "status")),
        "cancellations": sorted(
            Cancellation.objects.filter(company__in=out_of_reach).values_list("pk", "state")
        ),
        "audit": AuditEvent.objects.filter(account=world.b_company.account).count(),
        # The SAT connection's "Consultar estado en el SAT" (satstatus) on a foreign CFDI.
        "sat statuses": sorted(
            SatStatus.objects.filter(company__in=out_of_reach).values_list(
                "cfdi_id", "estado", "checked_at"
            )
        ),
        "timbre checks": sorted(
            TimbreCheck.objects.filter(cfdi__company__in=out_of_reach).values_list(
                "cfdi_id", "verdict", "checked_at"
            )
        ),
        "portal accesses": sorted(
            PortalAccess.objects.filter(company__in=out_of_reach).values_list(
                "pk", "name", "email", "password", "is_active", "session_version"
            )
        ),
        "portal people": sorted(
            PortalUser.objects.filter(access__company__in=out_of_reach).values_list(
                "pk", "email", "password", "is_active", "session_version"
            )
        ),
        "portal links": PortalLink.objects.filter(access__company__in=out_of_reach).count(),
        "certificates": sorted(
            Certificate.objects.filter(company__in=out_of_reach).values_list("pk", "serial")
        ),
        "sat runs": sorted(
            SyncRun.objects.filter(company__in=out_of_reach).values_list("pk", "state", "kind")
        ),
        "products": sorted(
            Product.objects.filter(company__in=out_of_reach).values_list(
                "pk", "description", "unit_price", "tax_scheme", "is_active"
            )
        ),
        "tax schemes": sorted(
            TaxScheme.objects.filter(company__in=out_of_reach).values_list("pk", "name")
        ),
        "drafts": sorted(
            Draft.objects.filter(company__in=out_of_reach).values_list(
                "pk", "status", "folio", "updated_at"
            )
        ),
        "api keys": sorted(
            ApiKey.objects.filter(pk__in=[world.a_key.pk, world.b_key.pk]).values_list(
                "pk", "name", "revoked_at", "expires_at", "permissions"
            )
        ),
        "company links": sorted(
            CompanyLink.objects.filter(
                pk__in=[world.b_firm_link.pk, world.b_company_link.pk, world.a2_link.pk]
            ).values_list("pk", "status", "expires_at", "responded_at", "revoked_at")
        ),
        "accounting": sorted(
            (p.pk, p.concepto, p.fecha, str(p.movements.values_list("account_id", "debe", "haber")))
            for p in Poliza.objects.filter(company__in=out_of_reach)
        )
        + sorted(
            Account.objects.filter(company__in=out_of_reach).values_list(
                "pk", "name", "codigo_agrupador", "nature", "is_active"
            )
        ),
        "closed_months": sorted(
            ClosedPeriod.objects.filter(company__in=out_of_reach).values_list("company", "month")
        ),
        "customers": sorted(
            Customer.objects.filter(company__in=out_of_reach).values_list(
                "pk", "razon_social", "regimen_fiscal", "uso_cfdi", "emails", "is_active"
            )
        ),
        "cartaporte": sorted(
            (type(item).__name__, *values)
            for model in CARTAPORTE_KINDS.values()
            for item in model._default_manager.filter(company__in=out_of_reach)
            for values in [(item.pk, item.archived_at, str(item_snapshot(item)))]
        ),
        "treasury": (
            sorted(
                BankAccount.objects.filter(company__in=out_of_reach).values_list(
                    "pk", "name", "opening_balance"
                )
            ),
            sorted(
                Movement.objects.filter(company__in=out_of_reach).values_list(
                    "pk", "amount", "reconciled"
                )
            ),
            sorted(Match.objects.filter(company__in=out_of_reach).values_list("pk", "status")),
        ),
        "imports": sorted(
            ImportJob.objects.filter(
                pk__in=[world.b_import.pk, world.b_customer_import.pk, world.a2_customer_import.pk]
            ).values_list("pk", "status", "confirmed_at", "processed_rows", "created_rows")
        ),
    }


def foreign_companies(world: World, actor: Actor) -> set[int]:
    return {world.b_company.pk} | ({world.a2_company.pk} if actor.a2_is_foreign else set())


# How the API refuses a caller without a valid key (anyone but the key actor): 401 with the
# error envelope, or 405 for a method the path does not have (checked before the key).
API_REFUSALS_WITHOUT_KEY = {401, 405}


def _api_refused(response, statuses: set[int]) -> bool:
    if response.status_code not in statuses:
        return False
    if response.status_code == 405:
        return True
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return set(error) == {"code", "message", "fields"}


def _refused(route: Route, response) -> bool:
    if route.namespace == API:
        return _api_refused(response, API_REFUSALS_WITHOUT_KEY)
    if response.status_code in (403, 404, 405, 429):
        return True
    if response.status_code != 302:
        return False
    try:
        target = resolve(urlsplit(response["Location"]).path).view_name
    except Resolver404:
        return False
    return target in LOGIN_PAGES


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _must_refuse(route: Route, actor: Actor, attempt: Attempt) -> str:
    """Why this attempt must be refused ('' when the page may answer)."""
    if route.name in PUBLIC_ROUTES:
        return ""
    if route.namespace == API:
        return "the API without a key"
    if attempt.refused:
        return "a foreign object"
    if actor.user is None and route.namespace != PORTAL:
        return "a staff page without a staff login"
    return ""


def _session_faults(client: Client, world: World, actor: Actor) -> list[str]:
    session = client.session
    faults = []
    active = session.get("despacho_active_company")
    if active is not None and active in foreign_companies(world, actor):
        faults.append("the session switched to a foreign company")
    # Nobody of A knows a password of B's or A2's portal. (A's own portal lets in whoever
    # types its receiver's RFC and password, as the hostile POST body does.)
    foreign_portals = {str(world.b_company.pk), str(world.a2_company.pk)}
    if foreign_portals & set(session.get(PORTAL_SESSION_KEY, {})):
        faults.append("the session is logged into a portal the actor has no access to")
    return faults


# --- the API's operations, from the OpenAPI document it serves ----------------------------------
# The resolver's walk above meets each API URL pattern with GET and POST; the document adds
# every operation with its own method (PUT, PATCH, DELETE), its query parameters and a body
# its schema accepts, so what answers is the lookup of the objects named, not validation.


def api_path(route: Route) -> str:
    """The path of an API route as the OpenAPI document writes it (``{member_id}``)."""
    placeholders = {kwarg: "{" + kwarg + "}" for kwarg in route.kwargs}
    return reverse(route.name, kwargs=placeholders).replace("%7B", "{").replace("%7D", "}")


def test_every_api_route_is_an_operation_of_the_openapi_document():
    """The two walks agree: no API URL pattern escapes the operations' walk, and back."""
    document_paths = {op.path for op in api_operations(openapi_document())}
    resolver_paths = {
        api_path(route)
        for route in routes()
        if route.namespace == API and route.name not in PUBLIC_ROUTES
    }
    assert resolver_paths == document_paths


def test_every_operation_parameter_has_a_foreign_object_in_the_registry():
    unknown = {
        (op.name, name)
        for op in api_operations(openapi_document())
        for name in op.path_params
        if name not in KWARG_REGISTRY
    }
    assert not unknown, (
        f"API operations with path parameters the isolation matrix cannot fill: {sorted(unknown)}"
    )


class ApiAttempt(NamedTuple):
    label: str
    url: str
    refused: bool  # the path, or the company the operation acts on, is out of reach
    query: dict[str, str]
    body: Any


def _company_contexts(world: World, actor: Actor) -> list[Target]:
    """The company an operation is asked about: A's own (the tempting pairing with a foreign
    object in the path), B's, and A2 for an actor without a grant there."""
    return [
        Target("company A (own)", world.a_company.pk, refused=False),
        Target("company B", world.b_company.pk),
        *_a2(world, actor, "company", world.a2_company.pk),
    ]


def _api_fill(world: World, company: object) -> Callable[[str], Any]:
    """Query and body fields that name objects: the context's company, and B's others."""
    values: dict[str, Any] = {
        "company": str(company),
        "companies": [str(company)],
        "profile": str(world.b_profile.pk),
        "replacement": str(world.b_profile.pk),
        "member": str(world.b_member.pk),
        "membership": str(world.b_member.pk),
        "uuid": str(world.b_cfdi.uuid),
        "grants": [{"company": str(company), "profile": str(world.b_profile.pk)}],
        "tax_scheme": str(world.b_scheme.pk),
        "emails": ["matriz@example.mx"],  # a resend's addresses: valid, so the path decides
    }
    return values.get


def _api_attempts(document: dict, op: Operation, world: World, actor: Actor) -> list[ApiAttempt]:
    combos: list[tuple[list[Target], dict[str, Any]]] = [([], {})]
    for name in op.path_params:
        combos = [
            ([*targets, target], {**values, name: target.value})
            for targets, values in combos
            for target in KWARG_REGISTRY[name](world, actor)
        ]
    uses_company = any(p.name == "company" for p in op.query) or "company" in op.body_schema.get(
        "properties", {}
    )
    contexts = (
        _company_contexts(world, actor) if uses_company else [Target("-", world.b_company.pk)]
    )
    attempts = []
    for targets, values in combos:
        for context in contexts:
            fill = _api_fill(world, context.value)
            query = {
                p.name: str(sample(document, p.schema, fill, p.name))
                for p in op.query
                if p.required or fill(p.name) is not None
            }
            body = sample(document, op.body_schema, fill) if op.media_type else None
            labels = [t.label for t in targets] + ([context.label] if uses_company else [])
            attempts.append(
                ApiAttempt(
                    " / ".join(labels) or "-",
                    op.url(values),
                    any(t.refused for t in targets) or (context.refused and op.names("company")),
                    query,
                    body,
                )
            )
    return attempts


def _api_send(client: Client, op: Operation, attempt: ApiAttempt) -> Any:
    url = f"{attempt.url}?{urlencode(attempt.query)}" if attempt.query else attempt.url
    if not op.media_type:
        return getattr(client, op.method)(url)
    if op.media_type == "multipart/form-data":
        data = {
            name: SimpleUploadedFile("matriz.xml", b"<x/>") if value == "x" else value
            for name, value in attempt.body.items()
        }
        return getattr(client, op.method)(url, data)
    return getattr(client, op.method)(
        url, json.dumps(attempt.body), content_type="application/json"
    )


# A key's refusals: the API's documented statuses, each with the error envelope.
API_REFUSALS_WITH_KEY = {401, 403, 404, 405, 422}


def _api_fault(op: Operation, actor: Actor, attempt: ApiAttempt, response) -> str:
    """What is wrong with this answer ('' when nothing)."""
    status = response.status_code
    if not actor.has_key:
        if not _api_refused(response, API_REFUSALS_WITHOUT_KEY):
            return f"got {status} for the API without a key"
        return ""
    if not attempt.refused:
        return ""
    if not actor.of_member:
        # An unrestricted manager's key meets another tenant's object as a missing one.
        if status != 404 or response.json()["error"]["code"] != "not_found":
            return f"got {status} for a foreign object (another tenant's is 404 not_found)"
        return ""
    if not _api_refused(response, API_REFUSALS_WITH_KEY):
        return f"got {status} for a foreign object"
    return ""


def _api_body(response) -> str:
    """The body as text, JSON decoded so that escaped characters are compared as written."""
    text = _body(response)
    if response.get("Content-Type", "").startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return text


def test_every_actor_of_the_matrix_is_really_logged_in():
    """The matrix's refusals mean something only if its actors are who they claim to be."""
    world = build_world()
    actors = {actor.kind: actor for actor in build_actors(world)}
    assert actors["owner"].client().get(reverse("home")).status_code == 200
    receiver = actors["receiver"].client()
    own_home = receiver.get(reverse("portal:home", args=[world.a_company.slug]))
    assert own_home.status_code == 200
    assert str(world.a_cfdi.uuid) in own_home.content.decode().lower()
    assert receiver.get(reverse("home"))["Location"].startswith(LOGIN)
    keys = {actor.label: actor for actor in build_actors(world) if actor.has_key}
    owner_key = keys["API key of A's owner"].client()
    companies = owner_key.get("/api/v1/companies").json()["items"]
    assert {c["rfc"] for c in companies} == {world.a_company.rfc, world.a2_company.rfc}
    assert owner_key.get(reverse("home"))["Location"].startswith(LOGIN)  # a key is no login
    member_key = keys["API key of a member of A [ventas]"].client()
    cfdis = member_key.get("/api/v1/cfdis", {"company": world.a_company.pk, "category": "ventas"})
    assert [c["uuid"] for c in cfdis.json()["items"]] == [str(world.a_cfdi.uuid)]


def test_no_actor_of_a_reaches_anything_of_b(capsys, settings):
    settings.API_RATE_LIMIT = 1_000_000  # the keys make hundreds of requests in a second
    world = build_world()
    actors = build_actors(world)
    before = _snapshot(world)
    query = hostile_query(world)
    bodies = {actor.label: hostile_body(world, actor) for actor in actors}
    members = [actor for actor in actors if actor.is_member]
    failures: list[str] = []
    cases: Counter[str] = Counter()
    for turn, route in enumerate(routes()):
        for actor in actors_for(route, actors, turn):
            if actor.has_key and route.namespace == API:
                continue  # the keys meet the API by its operations, below
            client = actor.client()
            body = bodies[actor.label]
            markers = world.b_markers + (world.a2_markers if actor.a2_is_foreign else [])
            for attempt in _attempts(route, world, actor):
                for method, data in (("get", query), ("post", body)):
                    cases[actor.tally] += 1
                    response = getattr(client, method)(attempt.url, data)
                    where = (
                        f"{method.upper()} {attempt.url} [{route.name}] as {actor.label} "
                        f"({attempt.label})"
                    )
                    status = response.status_code
                    if status >= 500:
                        failures.append(f"{where}: {status}")
                        continue
                    why = _must_refuse(route, actor, attempt)
                    if why and not _refused(route, response):
                        failures.append(f"{where}: got {status} for {why}")
                    text = _body(response)
                    # A marker the visitor typed into the URL is echoed, not leaked (the 404
                    # page's switcher keeps ``next``); everything else of B must be absent.
                    leaked = [
                        m
                        for m in markers
                        if m and m not in attempt.url and m not in attempt.may_show and m in text
                    ]
                    if leaked:
                        failures.append(f"{where}: body shows {leaked}")
                    failures.extend(f"{where}: {f}" for f in _session_faults(client, world, actor))
    document = openapi_document()
    operations = api_operations(document)
    api_route = Route(f"{API}:operation", ())
    for turn, op in enumerate(operations):
        for actor in actors_for(api_route, actors, turn):
            client = actor.client()
            markers = world.b_markers + (world.a2_markers if actor.a2_is_foreign else [])
            for api_attempt in _api_attempts(document, op, world, actor):
                cases[actor.tally] += 1
                response = _api_send(client, op, api_attempt)
                where = f"{op.name} {api_attempt.url} as {actor.label} ({api_attempt.label})"
                if response.status_code >= 500:
                    failures.append(f"{where}: {response.status_code}")
                    continue
                fault = _api_fault(op, actor, api_attempt, response)
                if fault:
                    failures.append(f"{where}: {fault}")
                text = _api_body(response)
                leaked = [m for m in markers if m and m not in api_attempt.url and m in text]
                if leaked:
                    failures.append(f"{where}: body shows {leaked}")
    after = _snapshot(world)
    total = sum(cases.values())
    with capsys.disabled():
        print(
            f"\nisolation matrix: {len(routes())} routes (GET/POST) and {len(operations)} API "
            f"operations × {len(actors)} actors (one member of {len(members)} where only roles "
            f"decide) × foreign objects = {total} cases "
            f"({', '.join(f'{kind} {n}' for kind, n in cases.items())})"
        )
    assert not failures, f"{len(failures)} of {total} cases failed:\n" + "\n".join(failures)
    assert after == before, "an attempt changed B's data"
