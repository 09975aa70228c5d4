"""The isolation matrix: every route of the project × every kind of actor of tenant A ×
objects of tenant B (and a company of A the actor holds no grant on).

Routes come from Django's URL resolver, walked recursively with namespaces, so a new route
is tried automatically; a route whose URL has an argument the registry below does not know
fails the test until someone says which foreign object fills it.

What must hold for every attempt:
- a route whose URL names an object (membership, invitation, CFDI …) of B answers
  302-to-login, 403, 404 or 405 — never the object;
- a route without such an argument (A's own pages: lists, forms) gets B's ids in the query
  string and the POST body, and may answer, but never shows anything of B;
- anonymous visitors get 302-to-login (or 405) everywhere except the public routes listed
  in PUBLIC_ROUTES, each with the reason it is public;
- no body contains B's RFC, razón social, account name, people's emails or CFDI UUIDs, and
  B's memberships, invitations, CFDIs and audit trail are unchanged afterwards.

Extension points (each later issue adds its line): ACTORS gets a portal receiver logged into
A's portal and an API key of A (with their issues); the API's OpenAPI document joins
``routes()`` when django-ninja's API is mounted; KWARG_REGISTRY gets a line for every new
kind of URL argument.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from despacho.access.catalog import REQUIRES, Perm, is_valid, to_mask
from despacho.access.models import Profile
from despacho.audit.models import AuditEvent
from despacho.cfdi.models import Cfdi
from despacho.cfdi.services import cfdi_ingest
from despacho.people.models import Invitation
from despacho.tenancy.models import Membership, Role
from tests.cfdi.cfdi_samples import any_rfc, cfdi_xml
from tests.factories import (
    add_member,
    make_account,
    make_company,
    make_grant,
    make_membership,
    make_user,
    owner_of,
)

pytestmark = pytest.mark.django_db

LOGIN = reverse("people:login")

# Routes anyone may open, and why. They still must not show B's data to anyone.
PUBLIC_ROUTES: dict[str, str] = {
    "people:login": "the login page",
    "people:logout": "logging out needs no login (POST only)",
    "people:password_reset": "asking for a reset link by email",
    "people:password_reset_done": "the 'we sent you a link' page",
    "people:password_reset_confirm": "the link from the email; a wrong token is refused",
    "people:password_reset_complete": "the 'password changed' page",
    "people:invitation": "the link from an invitation email; a wrong token is refused (410)",
}


@dataclass
class World:
    """Tenant A (the actors' side) and tenant B (the target), plus A2: A's company that
    single-permission members hold no grant on."""

    a_company: Any = None
    a2_company: Any = None
    b_company: Any = None
    b_member: Any = None
    b_invitation: Any = None
    b_profile: Any = None
    b_cfdi: Any = None
    a2_cfdi: Any = None
    b_markers: list[str] = field(default_factory=list)
    a2_markers: list[str] = field(default_factory=list)


def build_world() -> World:
    world = World()
    a = make_account(name="Cuenta Alfa")
    world.a_company = make_company(a, razon_social="ALFA PRIMERA SA DE CV")
    world.a2_company = make_company(a, razon_social="ALFA SIN PERMISO SA DE CV", rfc=any_rfc())
    b = make_account(name="Cuenta Beta Ajena", owner=make_user(email="dueno.beta@example.mx"))
    world.b_company = make_company(b, razon_social="BETA AJENA SA DE CV", rfc=any_rfc())
    with transaction.atomic():
        world.b_member = add_member(b, email="persona.beta@example.mx", companies=[world.b_company])
    world.b_invitation = Invitation.objects.get(membership=world.b_member)
    world.b_profile = Profile.objects.create(
        account=b, name="PERFIL BETA RESERVADO", permissions=to_mask({Perm.VENTAS})
    )
    b_uuid, a2_uuid = str(uuid_module.uuid4()), str(uuid_module.uuid4())
    for company, uuid in ((world.b_company, b_uuid), (world.a2_company, a2_uuid)):
        xml = cfdi_xml(emisor=company.rfc, receptor=any_rfc(), uuid=uuid)
        cfdi_ingest(company=company, data=xml)
    world.b_cfdi = Cfdi.objects.get(company=world.b_company)
    world.a2_cfdi = Cfdi.objects.get(company=world.a2_company)
    world.b_markers = [
        world.b_company.rfc,
        world.b_company.razon_social,
        "Cuenta Beta Ajena",
        "dueno.beta@example.mx",
        "PERFIL BETA RESERVADO",
        "persona.beta@example.mx",
        b_uuid,
        b_uuid.upper(),
    ]
    world.a2_markers = [
        world.a2_company.rfc,
        world.a2_company.razon_social,
        a2_uuid,
        a2_uuid.upper(),
    ]
    return world


# --- the registry: URL argument → the foreign objects that fill it ---------------------------
# Each entry returns (label, value, markers-it-must-not-reveal) for the given actor kind.
Target = tuple[str, Any]
KWARG_REGISTRY: dict[str, Callable[[World, Actor], list[Target]]] = {
    "membership_id": lambda w, actor: [("B membership", w.b_member.pk)],
    "invitation_id": lambda w, actor: [("B invitation", w.b_invitation.pk)],
    "company_id": lambda w, actor: (
        [("B company", w.b_company.pk)]
        + ([("A2 company (no grant)", w.a2_company.pk)] if actor.is_member else [])
    ),
    "profile_id": lambda w, actor: [("B profile", w.b_profile.pk)],
    "uuid": lambda w, actor: (
        [("B cfdi", w.b_cfdi.uuid)]
        + ([("A2 cfdi (no grant)", w.a2_cfdi.uuid)] if actor.is_member else [])
    ),
    # Categories are not objects: each one is tried with B's data elsewhere in the request.
    "category": lambda w, actor: [(c, c) for c in ("ventas", "egresos", "nomina")],
    "uidb64": lambda w, actor: [
        ("B person", urlsafe_base64_encode(force_bytes(w.b_member.user.pk)))
    ],
    "token": lambda w, actor: [("forged token", "x" * 24 + "-" + "y" * 32)],
}
# Arguments that only shape the URL and do not point at an object of anyone.
NON_OBJECT_KWARGS = {"category"}


def hostile_query(world: World) -> dict[str, str]:
    """B's ids where a page might read them: query string and POST body.

    Only database ids: pages echo their own URL (the switcher's ``next``), so putting a
    marker such as B's RFC here would find the request's own text, not a leak.
    """
    return {
        "company": str(world.b_company.pk),
        "membership": str(world.b_member.pk),
        "invitation": str(world.b_invitation.pk),
        "cfdi": str(world.b_cfdi.pk),
        "next": "/",
    }


# --- the actors -------------------------------------------------------------------------------


@dataclass
class Actor:
    label: str
    user: Any = None  # None: anonymous
    is_member: bool = False

    def client(self) -> Client:
        client = Client()
        if self.user is not None:
            client.force_login(self.user)
        return client


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
        Actor("owner of A", owner_of(account)),
        Actor("admin of A", make_membership(account, role=Role.ADMIN).user),
    ]
    consulta = {Perm.VENTAS, Perm.EGRESOS, Perm.NOMINA}
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
        actors.append(Actor(f"member of A [{names}]", membership.user, is_member=True))
    actors.append(Actor("anonymous"))
    # Extension point: a receiver logged into A's portal and an API key of A join here.
    return actors


# --- the routes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced view name
    kwargs: tuple[str, ...]


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


def _urls(route: Route, world: World, actor: Actor) -> list[tuple[str, str, bool]]:
    """(label, url, names_a_foreign_object) for each combination of registry values."""
    combos: list[tuple[list[str], dict[str, Any]]] = [([], {})]
    for kwarg in route.kwargs:
        combos = [
            ([*labels, label], {**values, kwarg: value})
            for labels, values in combos
            for label, value in KWARG_REGISTRY[kwarg](world, actor)
        ]
    foreign = any(k not in NON_OBJECT_KWARGS for k in route.kwargs)
    return [
        (" / ".join(labels) or "-", reverse(route.name, kwargs=values), foreign)
        for labels, values in combos
    ]


def _snapshot(world: World) -> dict[str, object]:
    member = Membership.objects.get(pk=world.b_member.pk)
    invitation = Invitation.objects.get(pk=world.b_invitation.pk)
    return {
        "membership": (member.role, member.status),
        "invitation": (invitation.status, invitation.token_hash),
        "cfdis": sorted(Cfdi.objects.filter(company=world.b_company).values_list("uuid", "status")),
        "audit": AuditEvent.objects.filter(account=world.b_company.account).count(),
    }


def foreign_companies(world: World, actor: Actor) -> set[int]:
    return {world.b_company.pk} | ({world.a2_company.pk} if actor.is_member else set())


def _refused(response, *, anonymous: bool) -> bool:
    if response.status_code in (403, 404, 405):
        return True
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def test_no_actor_of_a_reaches_anything_of_b(capsys):
    world = build_world()
    actors = build_actors(world)
    before = _snapshot(world)
    hostile = hostile_query(world)
    failures: list[str] = []
    cases = 0
    for route in routes():
        public = route.name in PUBLIC_ROUTES
        for actor in actors:
            client = actor.client()
            markers = world.b_markers + (world.a2_markers if actor.is_member else [])
            for label, url, foreign in _urls(route, world, actor):
                for method in ("get", "post"):
                    cases += 1
                    response = getattr(client, method)(url, hostile)
                    where = f"{method.upper()} {url} [{route.name}] as {actor.label} ({label})"
                    status = response.status_code
                    if status >= 500:
                        failures.append(f"{where}: {status}")
                        continue
                    if actor.user is None and not public:
                        if not _refused(response, anonymous=True):
                            failures.append(f"{where}: anonymous got {status}")
                    elif foreign and not public and not _refused(response, anonymous=False):
                        failures.append(f"{where}: got {status} for a foreign object")
                    body = _body(response)
                    # A marker the visitor typed into the URL is echoed, not leaked (the 404
                    # page's switcher keeps ``next``); everything else of B must be absent.
                    leaked = [m for m in markers if m and m not in url and m in body]
                    if leaked:
                        failures.append(f"{where}: body shows {leaked}")
                    active = client.session.get("despacho_active_company")
                    if active is not None and active in foreign_companies(world, actor):
                        failures.append(f"{where}: the session switched to a foreign company")
    after = _snapshot(world)
    with capsys.disabled():
        print(
            f"\nisolation matrix: {len(routes())} routes × {len(actors)} actors × "
            f"foreign objects × GET/POST = {cases} cases"
        )
    assert not failures, f"{len(failures)} of {cases} cases failed:\n" + "\n".join(failures)
    assert after == before, "an attempt changed B's data"
