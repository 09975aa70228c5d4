"""Tenant isolation, generated from the route table: another account's objects are 404.

Every operation of the API with an object in its path (or a ``company`` parameter)
is called by account A's owner key with account B's ids; each answer must be 404,
and nothing of B may change. A new route is covered as soon as it is mounted
(its parameters must be known here, or the suite fails).
"""

from __future__ import annotations

import pytest

from despacho.access.catalog import Perm
from despacho.access.services import profile_create
from despacho.api.v1 import api
from despacho.audit.models import AuditEvent
from despacho.cfdi.services import cfdi_ingest
from despacho.onboarding.services import import_start
from despacho.people.models import Invitation
from despacho.portal.services import portal_access_create
from despacho.tenancy.models import Membership
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_tenant
from tests.cfdi.cfdi_samples import cfdi_xml
from tests.factories import add_member, invite_link

pytestmark = pytest.mark.django_db

PATH_PARAMS = {
    "company_id",
    "member_id",
    "profile_id",
    "invitation_id",
    "uuid",
    "link_id",
    "job_id",
    "access_id",
}


def _operations() -> list[tuple[str, str, list[str], list[str], list[str]]]:
    """(method, path, path params, required ``company`` query, ``company`` in the body)."""
    schema = api.get_openapi_schema()
    found = []
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            params = spec.get("parameters", [])
            in_path = [p["name"] for p in params if p["in"] == "path"]
            company_query = [
                p["name"]
                for p in params
                if p["in"] == "query" and p["name"] == "company" and p.get("required")
            ]
            body = spec.get("requestBody", {}).get("content", {})
            company_form = [
                "company"
                for media in body.values()
                if "company" in media.get("schema", {}).get("properties", {})
            ]
            if in_path or company_query or company_form:
                found.append(
                    (method, path.removeprefix("/api/v1"), in_path, company_query, company_form)
                )
    return found


OPERATIONS = _operations()


def test_the_matrix_knows_every_path_parameter():
    assert OPERATIONS
    for _method, _path, in_path, _query, _body in OPERATIONS:
        assert set(in_path) <= PATH_PARAMS


@pytest.fixture
def foreign(settings, tmp_path):
    """Account B with one of each object, and account A's owner key."""
    from django.db import transaction

    settings.MEDIA_ROOT = tmp_path / "media"
    b = make_tenant()
    member = active_member(b.account, [b.company])
    add_member(b.account, companies=[b.company])
    with transaction.atomic():
        profile = profile_create(
            actor=None, account=b.account, name="Propio", permissions=[Perm.VENTAS]
        )
    uuid = cfdi_ingest(
        company=b.company, data=cfdi_xml(emisor=b.company.rfc, receptor="XAXX010101000")
    ).uuid
    link = invite_link(b.account, make_tenant().company)
    job = import_start(
        firm=b.account,
        actor=b.owner.user,
        file_name="b.csv",
        data=b"nombre,rfc,codigo_postal\r\nCLIENTE DE B,EKU9003173C9,06600\r\n",
    )
    with transaction.atomic():
        access = portal_access_create(
            company=b.company, actor=b.owner.user, rfc="EKU9003173C9"
        ).access
    a = make_tenant()
    return {
        "a": a,
        "b": b,
        "ids": {
            "company_id": str(b.company.pk),
            "member_id": str(member.pk),
            "profile_id": str(profile.pk),
            "invitation_id": str(Invitation.objects.filter(account=b.account).latest("pk").pk),
            "uuid": uuid,
            "link_id": str(link.pk),
            "job_id": str(job.pk),
            "access_id": str(access.pk),
        },
    }


@pytest.mark.parametrize(
    ("method", "path", "in_path", "company_query", "company_body"),
    OPERATIONS,
    ids=[f"{m.upper()} {p}" for m, p, _i, _q, _b in OPERATIONS],
)
def test_another_accounts_objects_are_404_for_every_operation(
    foreign, method, path, in_path, company_query, company_body
):
    ids = foreign["ids"]
    url = path
    for name in in_path:
        url = url.replace("{" + name + "}", ids[name])
    client = api_as(foreign["a"].token)
    events_before = AuditEvent.objects.filter(account=foreign["b"].account).count()
    members_before = list(
        Membership.objects.filter(account=foreign["b"].account).values_list("pk", "status", "role")
    )
    if method == "get":
        params = {"company": ids["company_id"], "category": "ventas"} if company_query else {}
        response = client.get(url, params)
    elif method == "delete":
        response = client.delete(url, "?company=" + ids["company_id"])
    elif company_query:
        response = getattr(client, method)(url + "?company=" + ids["company_id"], {})
    elif path == "/portal-accesses" and method == "post":
        response = client.post(url, {"company": ids["company_id"], "rfc": "IIA040805DZ4"})
    elif path == "/cfdis" and method == "post":
        response = client.upload(
            ids["company_id"],
            "f.xml",
            cfdi_xml(emisor=foreign["b"].company.rfc, receptor="XAXX010101000"),
        )
    else:
        body = {"profile": "1", "add": [], "remove": []} if method == "put" else {}
        response = getattr(client, method)(url, body)
    assert response.status_code == 404, (method, url, response.content)
    assert error_of(response)["code"] == "not_found"
    assert AuditEvent.objects.filter(account=foreign["b"].account).count() == events_before
    assert (
        list(
            Membership.objects.filter(account=foreign["b"].account).values_list(
                "pk", "status", "role"
            )
        )
        == members_before
    )


def test_lists_never_show_another_accounts_rows(foreign):
    a, b = foreign["a"], foreign["b"]
    client = api_as(a.token)
    companies = {c["rfc"] for c in client.get("/companies").json()["items"]}
    assert companies == {a.company.rfc}
    emails = {m["email"] for m in client.get("/members").json()["items"]}
    assert b.owner.user.email not in emails
    assert all(
        i["email"] not in {m.user.email for m in Membership.objects.filter(account=b.account)}
        for i in client.get("/invitations").json()["items"]
    )
    profiles = {p["name"] for p in client.get("/profiles").json()["items"]}
    assert "Propio" not in profiles
    assert client.get("/links").json()["items"] == []
    assert client.get("/imports").json()["items"] == []
    accesses = client.get("/portal-accesses", {"company": a.company.pk}).json()["items"]
    assert accesses == []
    # A foreign id as a list filter just matches nothing (a filter, not an object lookup).
    assert client.get("/audit-events", {"company": b.company.pk}).json()["items"] == []
    assert client.get("/members", {"company": b.company.pk}).json()["items"] == []
    all_events = client.get("/audit-events", {"limit": 200}).json()["items"]
    assert {e["company"] for e in all_events} <= {None, str(a.company.pk)}
