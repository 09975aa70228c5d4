"""Every event on the Bitácora reads as a Spanish sentence, with Spanish labels and values.

The actions and the fields are collected from the code (every ``audit_record`` /
``audit_event`` call and every ``*_snapshot`` function), so a new action or field without
its Spanish wording fails here; a history built through the services is then rendered and
searched for the internal English words and raw codes the events store.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

import despacho
from despacho.access.catalog import Perm
from despacho.access.services import grant_set, profile_create, profile_update
from despacho.api.services import api_key_create, api_key_revoke
from despacho.audit.actions import Action
from despacho.audit.describe import FIELD_LABELS, SENTENCES
from despacho.cfdi.services import Outcome, cfdi_ingest
from despacho.firms.services import link_respond
from despacho.members.models import Invitation
from despacho.members.services.members import (
    member_deactivate,
    member_invitation_revoke,
    member_reactivate,
    member_update,
)
from despacho.members.services.seats import seat_purchase_record
from despacho.portal.services.accesses import (
    portal_access_create,
    portal_access_send,
    portal_access_set_password,
)
from despacho.tenancy.models import Membership, Role
from tests.cfdi.cfdi_samples import cfdi_xml
from tests.factories import (
    add_member,
    invite_link,
    make_account,
    make_company,
    owner_of,
    profile,
    valid_rfc,
)

pytestmark = pytest.mark.django_db

SRC = Path(despacho.__file__).parent
RECORDERS = {"audit_record", "audit_event"}


def _calls() -> list[ast.Call]:
    calls = []
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in RECORDERS:
                    calls.append(node)
    return calls


def _recorded_actions() -> set[str]:
    """Every ``Action.X`` the code names outside the audit app's own tables (services pass
    them to ``audit_record`` directly or through a small helper of their app)."""
    own = {SRC / "audit" / "actions.py", SRC / "audit" / "describe.py"}
    actions = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts or path in own:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "Action":
                actions.add(node.attr)
    return actions


def _recorded_fields() -> set[str]:
    """Keys of dict literals given as before/after, and of dicts the snapshots return."""
    dicts: list[ast.Dict] = []
    for call in _calls():
        for keyword in call.keywords:
            if keyword.arg in ("before", "after"):
                dicts += [n for n in ast.walk(keyword.value) if isinstance(n, ast.Dict)]
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.endswith("_snapshot"):
                dicts += [n for n in ast.walk(node) if isinstance(n, ast.Dict)]
    return {
        key.value
        for d in dicts
        for key in d.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def test_every_action_the_code_records_has_its_spanish_sentence():
    recorded = _recorded_actions()
    assert len(recorded) > 40  # the collection really walks the services
    missing = sorted(a for a in recorded if a in Action.__members__ and Action[a] not in SENTENCES)
    assert missing == []


def test_every_field_the_code_records_has_a_spanish_label():
    fields = _recorded_fields()
    assert {"role", "status", "effective", "expires_at", "firm"} <= fields
    assert sorted(fields - set(FIELD_LABELS)) == []


# Words and codes the events store that must not reach a reader: roles, statuses, field
# names, permission codes, Python literals.
INTERNAL = [
    "pending",
    "accepted",
    "duplicate",
    "refused",
    "generated",
    "declined",
    "revoked",
    "withdrawn",
    "expired",
    "invited",
    "active",
    "deactivated",
    "owner",
    "admin",
    "member",
    "firm",
    "company",
    "status",
    "role",
    "expires_at",
    "effective",
    "permissions",
    "added",
    "removed",
    "full_name",
    "razon_social",
    "regimen_fiscal",
    "codigo_postal",
    "is_active",
    "has_password",
    "datos_maestros",
    "facturar",
    "cancelar",
    "nomina",
    "True",
    "False",
    "None",
]
_WORDS = re.compile(r"\b(" + "|".join(map(re.escape, INTERNAL)) + r")\b")
_TAGS = re.compile(r"<[^>]+>")


def _history():
    """An account whose trail holds the everyday actions, each through its service."""
    firm = make_account(name="Despacho Ríos")
    owner = owner_of(firm)
    company = make_company(firm, razon_social="HERRERIA Y ELECTRICOS")
    with transaction.atomic():
        member = add_member(firm, full_name="Mariana Soto Ruiz", companies=[company])
        member_invitation_revoke(invitation=Invitation.objects.get(membership=member), actor=owner)
    with transaction.atomic():
        member_reactivate(membership=member, actor=owner)
    admin = add_member(firm, full_name="Luis Gómez Ruiz", companies=[company])
    with transaction.atomic():
        Membership.objects.filter(pk=admin.pk).update(status="active")
        admin.refresh_from_db()
        member_update(membership=admin, actor=owner, role=Role.ADMIN)
    with transaction.atomic():
        grant_set(
            actor=owner,
            membership=member,
            company=company,
            profile=profile("consulta"),
            add={Perm.VENTAS, Perm.FACTURAR, Perm.DATOS_MAESTROS},
        )
    with transaction.atomic():
        own = profile_create(actor=owner, account=firm, name="Cobranza", permissions={Perm.VENTAS})
        profile_update(actor=owner, profile=own, permissions={Perm.VENTAS, Perm.PORTAL})
    with transaction.atomic():
        member_deactivate(membership=admin, actor=owner)
    with transaction.atomic():
        seat_purchase_record(account=firm, actor=owner, quantity=2)
    with transaction.atomic():
        key = api_key_create(
            actor=owner,
            account=firm,
            membership=Membership.objects.get(account=firm, role=Role.OWNER),
            name="Contabilidad",
            permissions={Perm.VENTAS, Perm.CANCELAR},
        ).key
        api_key_revoke(actor=owner, key=key)
    with transaction.atomic():
        access = portal_access_create(
            company=company, actor=owner, rfc=valid_rfc(moral=False), name="Cliente Uno"
        ).access
        portal_access_send(access=access, actor=owner, email="compras@cliente.mx")
    portal_access_set_password(
        access=access, actor=owner, rfc_confirmation=access.rfc, generate_password=True
    )
    stored = cfdi_ingest(
        company=company, data=cfdi_xml(emisor=company.rfc, receptor=valid_rfc()), ingested_by=owner
    )
    assert stored.status == Outcome.ACCEPTED
    client_company = make_company(make_account(name="Cliente Dos"))
    link = invite_link(firm, client_company)
    with transaction.atomic():
        link_respond(link=link, actor=owner_of(client_company.account), accept=True)
    return firm


def _visible(html: str) -> str:
    text = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return _TAGS.sub(" ", text)


def test_the_bitacora_reads_in_spanish_without_internal_words_or_codes(client):
    firm = _history()
    client.force_login(owner_of(firm))
    response = client.get(reverse("audit:list"), HTTP_HX_REQUEST="true")
    text = _visible(response.content.decode())
    rows = text.count("Despacho")  # sanity: the history is on the page
    assert rows > 5
    assert _WORDS.findall(text.replace("@example.mx", "")) == []
    for sentence in (
        "agregó a Mariana Soto Ruiz",
        "desactivó el acceso de Luis Gómez Ruiz",
        "cambió los permisos de Mariana Soto Ruiz",
        "creó el perfil Cobranza",
        "revocó la clave de API Contabilidad",
        "aceptó el vínculo Despacho Ríos → ",
        "guardó CFDI en el repositorio",
    ):
        assert sentence in text
    for label in ("Rol", "Estado", "Permisos efectivos", "Vence", "Despacho", "Guardados"):
        assert f"{label} " in text
    assert "Usuario → Administrador" in text
    assert "Activo → Desactivado" in text
    assert "Datos maestros" in text
    assert "601 — General de Ley Personas Morales" in text


def test_the_csv_keeps_the_raw_values_beside_the_spanish_sentence(client):
    firm = _history()
    client.force_login(owner_of(firm))
    response = client.get(reverse("audit:export"))
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(body)))
    sentence, after = header.index("Qué pasó"), header.index("Después")
    deactivated = next(row for row in rows if row[2] == "Usuario desactivado")
    assert "desactivó el acceso de Luis Gómez Ruiz" in deactivated[sentence]
    assert "Estado: Activo → Desactivado." in deactivated[sentence]
    assert '"status": "deactivated"' in deactivated[after]
    assert all(_WORDS.findall(row[sentence].replace("@example.mx", "")) == [] for row in rows)
