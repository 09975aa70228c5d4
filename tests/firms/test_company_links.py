"""A firm's link to a company with its own account: the whole invitation lifecycle.

Invite (by RFC or the owner's email), email + in-app notice, accept or decline (by the
emailed single-use link or the notice), resend (the old link dies), withdraw, expire,
revoke (every firm member's access ends on their next request), and an audit event
in both accounts at every step.
"""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from despacho.access.models import Grant
from despacho.access.services import grant_set
from despacho.audit.models import AuditEvent
from despacho.firms.services import (
    link_invite,
    link_resend,
    link_respond,
    link_revoke,
    link_withdraw,
)
from despacho.members.models import Invitation
from despacho.tenancy.models import CompanyLink, LinkStatus, Role
from tests.factories import (
    invite_link,
    make_account,
    make_company,
    make_membership,
    make_own_company,
    make_user,
    owner_of,
    profile,
)
from tests.smtp import SITE_URL, html_of, links_in, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm():
    account = make_account(name="Méndez Ríos Contadores")
    make_company(account, razon_social="MENDEZ RIOS CONTADORES SC")
    return account


@pytest.fixture
def kemper():
    owner = make_user(email="patricia@kemper.mx", full_name="Patricia Kemper Urgate")
    return make_own_company(razon_social="ESCUELA KEMPER URGATE", owner=owner)


def _email_link(smtp_inbox, address: str) -> str:
    message = smtp_inbox.to(address)[-1]
    (link,) = links_in(text_of(message), "/empresas/vinculo/")
    return link.removeprefix(SITE_URL)


def test_the_owner_gets_an_html_email_naming_the_firm_and_the_company(
    firm, kemper, smtp_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite_link(firm, kemper)
    (message,) = smtp_inbox.to("patricia@kemper.mx")
    assert "Méndez Ríos Contadores" in message["Subject"]
    assert "ESCUELA KEMPER URGATE" in message["Subject"]
    text, html = text_of(message), html_of(message)
    assert "Méndez Ríos Contadores" in text and "ESCUELA KEMPER URGATE" in text
    assert "7 días" in text
    (link,) = links_in(text, "/empresas/vinculo/")
    assert link.startswith("https://despacho.example/")
    assert f'href="{link}"' in html


def test_the_owner_accepts_through_the_emailed_link_and_the_firm_can_grant_its_members(
    client, firm, kemper, smtp_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite_link(firm, kemper)
    path = _email_link(smtp_inbox, "patricia@kemper.mx")

    anonymous = client.get(path)
    assert anonymous.status_code == 302
    assert "/cuenta/entrar/" in anonymous["Location"]

    client.force_login(owner_of(kemper.account))
    page = client.get(path)
    assert page.status_code == 200
    assert "Méndez Ríos Contadores quiere administrar tu empresa" in page.content.decode()
    response = client.post(path, {"decision": "accept"}, follow=True)
    assert "ya administra ESCUELA KEMPER URGATE" in response.content.decode()

    link = CompanyLink.objects.get(firm=firm, company=kemper)
    assert link.status == LinkStatus.ACCEPTED
    assert link.responded_by == owner_of(kemper.account)
    assert link.responded_at is not None
    member = make_membership(firm)
    grant = grant_set(
        actor=owner_of(firm), membership=member, company=kemper, profile=profile("contador")
    )
    assert grant.company == kemper

    reused = client.get(path)
    assert reused.status_code == 410
    assert "ya se usó" in reused.content.decode()


def test_the_owner_sees_an_in_app_notice_and_can_decline_from_it(client, firm, kemper):
    link = invite_link(firm, kemper)
    client.force_login(owner_of(kemper.account))
    home = client.get(reverse("home")).content.decode()
    assert "quiere administrar" in home
    assert reverse("firm:link_respond", args=[link.pk]) in home

    response = client.post(
        reverse("firm:link_respond", args=[link.pk]), {"decision": "decline"}, follow=True
    )
    assert "Rechazaste la invitación de Méndez Ríos Contadores" in response.content.decode()
    link.refresh_from_db()
    assert link.status == LinkStatus.DECLINED
    assert link.responded_by == owner_of(kemper.account)
    assert "quiere administrar" not in client.get(reverse("home")).content.decode()
    invitation = Invitation.objects.get(company_link=link)
    assert invitation.status == "revoked"


def test_a_link_opened_by_a_different_logged_in_person_is_refused_with_a_clear_message(
    client, firm, kemper, smtp_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite_link(firm, kemper)
    path = _email_link(smtp_inbox, "patricia@kemper.mx")
    stranger = make_user(email="otro@example.mx")
    client.force_login(stranger)
    for response in (client.get(path), client.post(path, {"decision": "accept"})):
        assert response.status_code == 403
        body = response.content.decode()
        assert "es para el propietario de ESCUELA KEMPER URGATE" in body
        assert "otro@example.mx" in body
    assert CompanyLink.objects.get(firm=firm, company=kemper).status == LinkStatus.PENDING


def test_an_admin_of_the_company_account_cannot_answer_for_the_owner(firm, kemper):
    link = invite_link(firm, kemper)
    admin = make_membership(kemper.account, role=Role.ADMIN)
    with pytest.raises(ValidationError) as refused:
        link_respond(link=link, actor=admin.user, accept=True)
    assert refused.value.code == "wrong_person"


def test_inviting_by_the_owners_email_finds_their_company(firm, kemper):
    link = link_invite(firm=firm, actor=owner_of(firm), email="Patricia@Kemper.mx")
    assert link.company == kemper
    assert link.status == LinkStatus.PENDING
    assert link.invited_by == owner_of(firm)
    assert link.expires_at - link.invited_at == timedelta(days=7)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"rfc": "XAXX010101000"}, "generic_rfc"),
        ({"email": "no es un correo"}, "invalid"),
        ({}, "required"),
    ],
)
def test_an_invitation_that_is_not_an_rfc_or_an_email_is_refused(firm, kwargs, code):
    with pytest.raises(ValidationError) as refused:
        link_invite(firm=firm, actor=owner_of(firm), **kwargs)
    exc = refused.value
    errors = (
        [e for es in exc.error_dict.values() for e in es]
        if hasattr(exc, "error_dict")
        else exc.error_list
    )
    assert [e.code for e in errors] == [code]


def _firm_answer(client, data):
    """The Vincular page's answer, and the firm's Empresas page right after."""
    answer = client.post(reverse("firm:link_invite"), data, follow=True).content.decode()
    return answer


def test_the_vincular_page_answers_the_same_whether_the_rfc_or_email_belongs_to_someone(
    client, firm, kemper
):
    from tests.factories import valid_rfc

    client.force_login(owner_of(firm))
    for known, unknown in (
        ({"rfc": kemper.rfc}, {"rfc": valid_rfc()}),
        ({"email": "patricia@kemper.mx"}, {"email": "nadie@example.mx"}),
    ):
        known_page = _firm_answer(client, known)
        unknown_page = _firm_answer(client, unknown)
        for page, data in ((known_page, known), (unknown_page, unknown)):
            typed = next(iter(data.values()))
            assert f"Invitación enviada a {typed}; si la empresa ya tiene cuenta" in page
            assert kemper.razon_social not in page
        # Both invitations read alike on the firm's page: what was typed, pending.
        rows = re.findall(r'<tr data-requested="([^"]+)" data-status="(\w+)"', unknown_page)
        assert (next(iter(known.values())), "pending") in rows
        assert (next(iter(unknown.values())), "pending") in rows
    # Only the RFC reached Kemper's owner; the email named the same company while its
    # invitation was pending, so it asks nobody again.
    assert CompanyLink.objects.filter(firm=firm, company=kemper).count() == 1
    assert CompanyLink.objects.filter(firm=firm, company=None).count() == 3


def test_an_rfc_without_an_account_gets_an_invitation_that_reaches_nobody(firm, smtp_inbox):
    from tests.factories import valid_rfc

    rfc = valid_rfc()
    link = link_invite(firm=firm, actor=owner_of(firm), rfc=rfc)
    assert link.company is None
    assert link.requested == rfc
    assert link.firm_status == LinkStatus.PENDING
    assert not Invitation.objects.filter(company_link=link).exists()
    # Sending it again or withdrawing it answers like any other invitation.
    assert link_resend(link=link, actor=owner_of(firm)).firm_status == LinkStatus.PENDING
    assert link_withdraw(link=link, actor=owner_of(firm)).firm_status == LinkStatus.WITHDRAWN


def test_an_owner_of_several_companies_is_invited_by_rfc(firm, kemper):
    make_company(kemper.account)
    link = link_invite(firm=firm, actor=owner_of(firm), email="patricia@kemper.mx")
    assert link.company is None  # the email names no single company: nobody is asked
    by_rfc = link_invite(firm=firm, actor=owner_of(firm), rfc=kemper.rfc)
    assert by_rfc.company == kemper


def test_a_declined_invitation_looks_pending_to_the_firm_until_it_expires(firm, kemper):
    link = invite_link(firm, kemper)
    link_respond(link=link, actor=owner_of(kemper.account), accept=False)
    link.refresh_from_db()
    assert link.status == LinkStatus.DECLINED
    assert link.firm_status == LinkStatus.PENDING
    assert link.firm_status_at(link.expires_at) == LinkStatus.EXPIRED
    firm_trail = AuditEvent.objects.filter(account=firm)
    assert not firm_trail.filter(action="link.declined").exists()
    link_events = firm_trail.filter(action__startswith="link.", target_id=str(link.pk))
    assert [event.action for event in link_events] == ["link.invited"]
    assert all(event.company_id is None for event in link_events)
    trail = str(list(firm_trail.values_list("after", flat=True)))
    assert kemper.razon_social not in trail
    assert "patricia@kemper.mx" not in trail  # the invitation's email is in kemper's trail
    assert AuditEvent.objects.filter(
        account=kemper.account, action="invitation.sent", target_id__isnull=False
    ).exists()


def test_invitations_are_capped_per_hour_with_a_spanish_message(client, firm, settings):
    from tests.factories import valid_rfc

    settings.LINK_INVITATIONS_PER_HOUR = 3
    for _n in range(3):
        link_invite(firm=firm, actor=owner_of(firm), rfc=valid_rfc())
    with pytest.raises(ValidationError) as refused:
        link_invite(firm=firm, actor=owner_of(firm), rfc=valid_rfc())
    assert refused.value.code == "too_many_link_invitations"
    assert "hasta 3 invitaciones de vínculo por hora" in refused.value.messages[0]
    client.force_login(owner_of(firm))
    page = client.post(reverse("firm:link_invite"), {"rfc": valid_rfc()}).content.decode()
    assert "hasta 3 invitaciones de vínculo por hora" in page
    assert CompanyLink.objects.filter(firm=firm).count() == 3
    # An hour later the firm may invite again.
    CompanyLink.objects.filter(firm=firm).update(invited_at=timezone.now() - timedelta(hours=1))
    link_invite(firm=firm, actor=owner_of(firm), rfc=valid_rfc())


def test_the_firm_cannot_invite_its_own_company_nor_twice(firm, kemper):
    own = firm.companies.first()
    with pytest.raises(ValidationError) as refused:
        link_invite(firm=firm, actor=owner_of(firm), rfc=own.rfc)
    assert refused.value.code == "own_company"
    invite_link(firm, kemper)
    with pytest.raises(ValidationError) as twice:
        invite_link(firm, kemper)
    assert twice.value.code == "already_invited"


def test_members_of_the_firm_cannot_invite(firm, kemper):
    member = make_membership(firm)
    with pytest.raises(Exception, match="administradores"):
        link_invite(firm=firm, actor=member.user, rfc=kemper.rfc)


def test_an_expired_invitation_is_shown_expired_refused_and_can_be_sent_again(
    client, firm, kemper, smtp_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        link = invite_link(firm, kemper)
    path = _email_link(smtp_inbox, "patricia@kemper.mx")
    past = timezone.now() - timedelta(minutes=1)
    CompanyLink.objects.filter(pk=link.pk).update(expires_at=past)
    Invitation.objects.filter(company_link=link).update(expires_at=past)
    link.refresh_from_db()
    assert link.current_status == LinkStatus.EXPIRED

    client.force_login(owner_of(kemper.account))
    dead = client.get(path)
    assert dead.status_code == 410
    assert "venció" in dead.content.decode()
    assert "quiere administrar" not in client.get(reverse("home")).content.decode()
    with pytest.raises(ValidationError) as refused:
        link_respond(link=link, actor=owner_of(kemper.account), accept=True)
    assert refused.value.code == "expired"

    client.force_login(owner_of(firm))
    page = client.get(reverse("firm:list"), {"status": "expired"}).content.decode()
    assert kemper.rfc in page and "Expirada" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("firm:link_resend", args=[link.pk]))
    link.refresh_from_db()
    assert link.current_status == LinkStatus.PENDING
    fresh = _email_link(smtp_inbox, "patricia@kemper.mx")
    assert fresh != path
    client.force_login(owner_of(kemper.account))
    assert client.post(fresh, {"decision": "accept"}).status_code == 302
    link.refresh_from_db()
    assert link.status == LinkStatus.ACCEPTED


def test_resending_kills_the_old_link(
    client, firm, kemper, smtp_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        link = invite_link(firm, kemper)
    old = _email_link(smtp_inbox, "patricia@kemper.mx")
    with django_capture_on_commit_callbacks(execute=True):
        link_resend(link=link, actor=owner_of(firm))
    new = _email_link(smtp_inbox, "patricia@kemper.mx")
    assert old != new
    client.force_login(owner_of(kemper.account))
    stale = client.get(old)
    assert stale.status_code == 410
    assert "no es válido" in stale.content.decode()
    assert client.get(new).status_code == 200


def test_an_expired_pending_link_does_not_block_a_new_invitation(firm, kemper):
    link = invite_link(firm, kemper)
    CompanyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(days=1))
    again = invite_link(firm, kemper)
    link.refresh_from_db()
    assert link.status == LinkStatus.EXPIRED
    assert again.status == LinkStatus.PENDING


def test_the_firm_withdraws_a_pending_invitation_and_its_link_dies(
    client, firm, kemper, smtp_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        link = invite_link(firm, kemper)
    path = _email_link(smtp_inbox, "patricia@kemper.mx")
    client.force_login(owner_of(firm))
    response = client.post(reverse("firm:link_withdraw", args=[link.pk]), follow=True)
    assert f"Retiraste la invitación a {kemper.rfc}" in response.content.decode()
    link.refresh_from_db()
    assert link.status == LinkStatus.WITHDRAWN
    assert link.revoked_by == owner_of(firm)
    client.force_login(owner_of(kemper.account))
    assert client.get(path).status_code == 410
    assert "quiere administrar" not in client.get(reverse("home")).content.decode()
    with pytest.raises(ValidationError) as again:
        link_withdraw(link=link, actor=owner_of(firm))
    assert again.value.code == "not_pending"


def _accepted(firm, company):
    link = invite_link(firm, company)
    return link_respond(link=link, actor=owner_of(company.account), accept=True)


def test_revoking_cuts_every_firm_members_access_on_their_next_request(firm, kemper):
    from django.test import Client

    link = _accepted(firm, kemper)
    admin = make_membership(firm, role=Role.ADMIN)
    member = make_membership(firm)
    grant_set(actor=owner_of(firm), membership=member, company=kemper, profile=profile("contador"))
    sessions = {}
    for person in (admin.user, member.user):
        browser = Client()
        browser.force_login(person)
        response = browser.post(reverse("tenancy:switch"), {"company": kemper.pk, "next": "/"})
        assert response.status_code == 302
        assert "ESCUELA KEMPER URGATE" in browser.get(reverse("home")).content.decode()
        assert browser.session["despacho_active_company"] == kemper.pk
        sessions[person.pk] = browser

    link_revoke(link=link, actor=owner_of(kemper.account))

    for browser in sessions.values():
        home = browser.get(reverse("home")).content.decode()  # the very next request
        assert f'data-rfc="{kemper.rfc}"' not in home  # gone from the switcher
        assert browser.session.get("despacho_active_company") != kemper.pk
        refused = browser.post(reverse("tenancy:switch"), {"company": kemper.pk}, follow=True)
        assert "No tienes acceso a esa empresa." in refused.content.decode()
    assert not Grant.objects.filter(company=kemper, membership__account=firm).exists()
    link.refresh_from_db()
    assert (link.status, link.revoked_by) == (LinkStatus.REVOKED, owner_of(kemper.account))


def test_the_owner_revokes_from_the_despachos_page(client, firm, kemper):
    link = _accepted(firm, kemper)
    client.force_login(owner_of(kemper.account))
    page = client.get(reverse("firm:company_links", args=[kemper.pk])).content.decode()
    assert "Méndez Ríos Contadores" in page and "Aceptada" in page
    response = client.post(reverse("firm:link_revoke", args=[link.pk]), follow=True)
    assert "ya no tiene acceso a ESCUELA KEMPER URGATE" in response.content.decode()
    assert "Revocada" in response.content.decode()


def test_the_firm_cannot_revoke_on_the_companys_behalf(client, firm, kemper):
    link = _accepted(firm, kemper)
    with pytest.raises(ValidationError) as refused:
        link_revoke(link=link, actor=owner_of(firm))
    assert refused.value.code == "not_company_manager"
    client.force_login(owner_of(firm))
    assert client.post(reverse("firm:link_revoke", args=[link.pk])).status_code == 404


def test_every_step_is_recorded_with_who_and_when_in_both_accounts(firm, kemper):
    link = invite_link(firm, kemper)
    link_resend(link=link, actor=owner_of(firm))
    link_respond(link=link, actor=owner_of(kemper.account), accept=True)
    link_revoke(link=link, actor=owner_of(kemper.account))
    for account in (firm, kemper.account):
        actions = list(
            AuditEvent.objects.filter(account=account, action__startswith="link.")
            .order_by("id")
            .values_list("action", flat=True)
        )
        assert actions == ["link.invited", "link.resent", "link.accepted", "link.revoked"]
    event = AuditEvent.objects.filter(action="link.accepted").first()
    assert event.actor == owner_of(kemper.account)
    assert event.company == kemper


def test_another_firm_cannot_see_or_act_on_these_links(client, firm, kemper):
    link = invite_link(firm, kemper)
    other = make_account(name="Otro Despacho")
    make_company(other)
    client.force_login(owner_of(other))
    for name in ("firm:link_resend", "firm:link_withdraw"):
        assert client.post(reverse(name, args=[link.pk])).status_code == 404
    for name in ("firm:link_respond", "firm:link_revoke"):
        assert client.post(reverse(name, args=[link.pk])).status_code == 404
    assert client.get(reverse("firm:company_links", args=[kemper.pk])).status_code == 404
    assert kemper.rfc not in client.get(reverse("firm:list")).content.decode()
    link.refresh_from_db()
    assert link.status == LinkStatus.PENDING
