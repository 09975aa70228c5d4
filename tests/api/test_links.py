"""Firm links through the API: the firm invites, resends, withdraws; the company's owner
accepts or declines; the company's owner or admins revoke. Each side finds a link only
among its own account's links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from despacho.access.models import Grant
from despacho.members.models import Invitation
from despacho.tenancy.models import CompanyLink, LinkStatus, Role
from tests.api.conftest import api_as, error_of
from tests.api.factories import active_member, make_key, make_tenant
from tests.factories import invite_link

pytestmark = pytest.mark.django_db


def test_a_firm_invites_a_company_by_rfc_and_its_owner_accepts():
    firm, client = make_tenant(), make_tenant()
    response = api_as(firm.token).post("/links", {"rfc": client.company.rfc})
    assert response.status_code == 201, response.content
    link = response.json()
    assert link["side"] == "firm" and link["status"] == "pending"
    assert link["requested"] == client.company.rfc
    assert link["company"] is None  # until its owner accepts
    invitation = Invitation.objects.get(company_link_id=int(link["id"]))
    assert invitation.email == client.owner.user.email

    seen = api_as(client.token).get(f"/links/{link['id']}").json()
    assert seen["side"] == "company" and seen["firm"] == firm.account.name
    assert seen["company"]["rfc"] == client.company.rfc
    accepted = api_as(client.token).post(f"/links/{link['id']}/accept")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    companies = {c["id"] for c in api_as(firm.token).get("/companies").json()["items"]}
    assert str(client.company.pk) in companies
    now_seen = api_as(firm.token).get(f"/links/{link['id']}").json()
    assert now_seen["company"]["razon_social"] == client.company.razon_social


def test_a_firm_invites_by_the_owners_email():
    firm, client = make_tenant(), make_tenant()
    response = api_as(firm.token).post("/links", {"email": client.owner.user.email})
    assert response.status_code == 201
    assert response.json()["company"] is None
    link = CompanyLink.objects.get(pk=int(response.json()["id"]))
    assert link.company == client.company


def _comparable(answer: dict) -> dict:
    """An answer without what differs between any two invitations (id, what was typed, times)."""
    return {
        k: v for k, v in answer.items() if k not in ("id", "requested", "invited_at", "expires_at")
    }


@pytest.mark.parametrize("field", ["rfc", "email"])
def test_an_invitation_answers_the_same_whether_or_not_it_names_someone(field):
    from tests.factories import valid_rfc

    firm, client = make_tenant(), make_tenant()
    api = api_as(firm.token)
    known = client.company.rfc if field == "rfc" else client.owner.user.email
    unknown = valid_rfc() if field == "rfc" else "nadie@example.mx"
    answers = [api.post("/links", {field: value}) for value in (known, unknown)]
    assert [a.status_code for a in answers] == [201, 201]
    assert _comparable(answers[0].json()) == _comparable(answers[1].json())
    for answer in answers:
        assert client.company.razon_social not in answer.content.decode()
        assert answer.json()["company"] is None
    listed = api.get("/links", {"side": "firm"}).json()["items"]
    assert [_comparable(item) for item in listed] == [_comparable(a.json()) for a in answers]
    assert client.company.razon_social not in api.get("/links").content.decode()
    # Asking for the same again is refused alike, by what the firm typed.
    again = [api.post("/links", {field: value}) for value in (known, unknown)]
    assert [a.status_code for a in again] == [409, 409]
    assert [error_of(a)["code"] for a in again] == ["already_invited", "already_invited"]


def test_link_invitations_past_the_hourly_cap_are_429_in_spanish(settings):
    from tests.factories import valid_rfc

    settings.LINK_INVITATIONS_PER_HOUR = 2
    firm = make_tenant()
    api = api_as(firm.token)
    assert [api.post("/links", {"rfc": valid_rfc()}).status_code for _ in range(2)] == [201, 201]
    refused = api.post("/links", {"rfc": valid_rfc()})
    assert refused.status_code == 429
    assert error_of(refused)["code"] == "too_many_link_invitations"
    assert "hasta 2 invitaciones de vínculo por hora" in error_of(refused)["message"]


def test_the_company_owner_declines():
    firm, client = make_tenant(), make_tenant()
    link = invite_link(firm.account, client.company)
    response = api_as(client.token).post(f"/links/{link.pk}/decline")
    assert response.json()["status"] == "declined"
    again = api_as(client.token).post(f"/links/{link.pk}/accept")
    assert again.status_code == 409
    assert error_of(again)["code"] == "not_pending"


def test_an_invitation_needs_an_rfc_or_an_email_and_names_the_broken_rule():
    firm = make_tenant()
    api = api_as(firm.token)
    neither = api.post("/links", {})
    assert neither.status_code == 422
    assert error_of(neither)["code"] == "required"
    bad_digit = api.post("/links", {"rfc": "EKU9003173C8"})
    assert bad_digit.status_code == 422
    assert error_of(bad_digit)["fields"][0]["field"] == "rfc"
    own = api.post("/links", {"rfc": firm.company.rfc})
    assert own.status_code == 422
    assert error_of(own)["code"] == "own_company"
    too_long = api.post("/links", {"rfc": "X" * 21})
    assert too_long.status_code == 422
    assert error_of(too_long)["fields"][0]["field"] == "rfc"


def test_inviting_a_company_already_invited_is_409():
    firm, client = make_tenant(), make_tenant()
    invite_link(firm.account, client.company)
    response = api_as(firm.token).post("/links", {"rfc": client.company.rfc})
    assert response.status_code == 409
    assert error_of(response)["code"] == "already_invited"


def test_an_invitation_retried_with_its_idempotency_key_is_created_once():
    firm, client = make_tenant(), make_tenant()
    api = api_as(firm.token)
    headers = {"Idempotency-Key": "vinculo-1"}
    first = api.post("/links", {"rfc": client.company.rfc}, headers=headers)
    again = api.post("/links", {"rfc": client.company.rfc}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert CompanyLink.objects.filter(firm=firm.account).count() == 1


def test_the_firm_resends_and_withdraws_its_invitation():
    firm, client = make_tenant(), make_tenant()
    link = invite_link(firm.account, client.company)
    api = api_as(firm.token)
    CompanyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert api.get(f"/links/{link.pk}").json()["status"] == "expired"
    resent = api.post(f"/links/{link.pk}/resend")
    assert resent.json()["status"] == "pending"
    assert resent.json()["expires_at"] > timezone.localtime().isoformat()
    withdrawn = api.post(f"/links/{link.pk}/withdraw")
    assert withdrawn.json()["status"] == "withdrawn"


def test_only_the_firm_resends_or_withdraws_and_only_the_company_answers():
    firm, client = make_tenant(), make_tenant()
    link = invite_link(firm.account, client.company)
    # The firm cannot answer its own invitation, nor the company withdraw it: each finds
    # the link only on its own side.
    assert api_as(firm.token).post(f"/links/{link.pk}/accept").status_code == 404
    assert api_as(client.token).post(f"/links/{link.pk}/withdraw").status_code == 404
    assert api_as(client.token).post(f"/links/{link.pk}/resend").status_code == 404
    assert CompanyLink.objects.get(pk=link.pk).status == LinkStatus.PENDING


def test_an_admin_of_the_company_may_revoke_but_not_accept():
    firm, client = make_tenant(), make_tenant()
    link = invite_link(firm.account, client.company)
    admin = active_member(client.account, [], role=Role.ADMIN)
    admin_api = api_as(make_key(admin))
    refused = admin_api.post(f"/links/{link.pk}/accept")
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "wrong_person"
    api_as(client.token).post(f"/links/{link.pk}/accept")
    firm_member = active_member(firm.account, [client.company])
    assert Grant.objects.filter(membership=firm_member, company=client.company).exists()
    revoked = admin_api.post(f"/links/{link.pk}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert not Grant.objects.filter(membership=firm_member, company=client.company).exists()
    again = admin_api.post(f"/links/{link.pk}/revoke")
    assert again.status_code == 409
    assert error_of(again)["code"] == "not_accepted"


def test_members_and_narrowed_keys_do_not_manage_links():
    firm, client = make_tenant(), make_tenant()
    member = active_member(firm.account, [firm.company])
    response = api_as(make_key(member)).post("/links", {"rfc": client.company.rfc})
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_manager"
    narrowed = make_key(firm.owner, companies=[firm.company])
    assert error_of(api_as(narrowed).get("/links"))["code"] == "key_scope"
    assert not CompanyLink.objects.exists()


def test_a_companys_links_as_each_side_sees_them():
    firm, other_firm, client = make_tenant(), make_tenant(), make_tenant()
    mine = invite_link(firm.account, client.company)
    theirs = invite_link(other_firm.account, client.company)
    path = f"/companies/{client.company.pk}/links"
    as_company = api_as(client.token).get(path).json()["items"]
    assert [item["id"] for item in as_company] == [str(theirs.pk), str(mine.pk)]
    # The firm learns nothing of the company until its owner accepts.
    assert api_as(firm.token).get(path).status_code == 404
    api_as(client.token).post(f"/links/{mine.pk}/accept")
    as_firm = api_as(firm.token).get(path).json()["items"]
    assert [item["id"] for item in as_firm] == [str(mine.pk)]
    stranger = make_tenant()
    response = api_as(stranger.token).get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_links_list_by_side_and_status():
    firm, client, inviter = make_tenant(), make_tenant(), make_tenant()
    sent = invite_link(firm.account, client.company)
    received = invite_link(inviter.account, firm.company)
    api = api_as(firm.token)
    assert [i["id"] for i in api.get("/links", {"side": "firm"}).json()["items"]] == [str(sent.pk)]
    assert [i["id"] for i in api.get("/links", {"side": "company"}).json()["items"]] == [
        str(received.pk)
    ]
    CompanyLink.objects.filter(pk=sent.pk).update(expires_at=timezone.now())
    expired = api.get("/links", {"status": "expired"}).json()["items"]
    assert [i["id"] for i in expired] == [str(sent.pk)]
    pending = api.get("/links", {"status": "pending"}).json()["items"]
    assert [i["id"] for i in pending] == [str(received.pk)]
    assert api.get("/links", {"side": "nobody"}).status_code == 422


def test_links_paginate_newest_first():
    firm = make_tenant()
    links = [invite_link(firm.account, make_tenant().company) for _ in range(5)]
    api = api_as(firm.token)
    seen, cursor = [], None
    while True:
        body = api.get("/links", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [str(link.pk) for link in reversed(links)]
