"""Tenant isolation of the API's lists: another account's rows never show.

Every operation with an object in its path (or a ``company`` parameter) is tried with
another account's ids by the isolation matrix, generated from the OpenAPI document
(tests/security/test_isolation_matrix.py: A's owner's key gets 404 ``not_found``, a
member's key 403 or 404, session logins 401, and nothing of B changes).
"""

from __future__ import annotations

import pytest

from despacho.access.catalog import Perm
from despacho.access.services import profile_create
from despacho.cfdi.services import cfdi_ingest
from despacho.onboarding.services import import_start
from despacho.portal.services.accesses import portal_access_create
from despacho.tenancy.models import Membership
from tests.api.conftest import api_as
from tests.api.factories import active_member, make_tenant
from tests.cfdi.cfdi_samples import cfdi_xml
from tests.factories import add_member, invite_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign(settings, tmp_path):
    """Account B with a member, an invitation, a profile, a CFDI, a firm link, a CSV import
    and a portal access; account A with a key."""
    from django.db import transaction

    settings.MEDIA_ROOT = tmp_path / "media"
    b = make_tenant()
    active_member(b.account, [b.company])
    add_member(b.account, companies=[b.company])
    with transaction.atomic():
        profile_create(actor=None, account=b.account, name="Propio", permissions=[Perm.VENTAS])
    cfdi_ingest(company=b.company, data=cfdi_xml(emisor=b.company.rfc, receptor="XAXX010101000"))
    invite_link(b.account, make_tenant().company)
    import_start(
        firm=b.account,
        actor=b.owner.user,
        file_name="b.csv",
        data=b"nombre,rfc,codigo_postal\r\nCLIENTE DE B,EKU9003173C9,06600\r\n",
    )
    with transaction.atomic():
        portal_access_create(company=b.company, actor=b.owner.user, rfc="EKU9003173C9")
    return {"a": make_tenant(), "b": b}


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
