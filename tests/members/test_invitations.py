"""Invitations: single-use, expiring, bound to an email, stored as a hash; resend and revoke."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from despacho.audit.models import AuditEvent
from despacho.members.models import Invitation, InvitationStatus
from despacho.members.services.members import member_invitation_resend, member_invitation_revoke
from despacho.people.models import User
from despacho.tenancy.models import MembershipStatus
from tests.factories import (
    PASSWORD,
    add_member,
    make_account,
    make_company,
    make_user,
    owner_of,
)

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<>]+/cuenta/invitacion/[^\s\"<>/]+/")


def _invite(capture, account=None, email="nueva@example.mx"):
    account = account or make_account(name="Contadores Ríos")
    company = make_company(account, razon_social="RIOS SERVICIOS SA DE CV")
    with capture(execute=True):
        membership = add_member(
            account, email=email, full_name="Nora Vidal Soto", companies=[company]
        )
    return membership, _path(LINK.findall(mail.outbox[-1].body)[-1])


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _accept(client, path, password="Otra.Clave.Muy.Larga.7"):
    return client.post(
        path,
        {"full_name": "Nora Vidal Soto", "password1": password, "password2": password},
    )


def test_only_a_sha256_of_the_token_is_stored(django_capture_on_commit_callbacks):
    membership, path = _invite(django_capture_on_commit_callbacks)
    token = path.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get(membership=membership)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert invitation.expires_at - invitation.sent_at == timedelta(hours=72)


def test_following_the_link_sets_the_password_activates_and_logs_in(
    client, django_capture_on_commit_callbacks
):
    membership, path = _invite(django_capture_on_commit_callbacks)
    page = client.get(path)
    assert page.status_code == 200
    assert "Únete a Contadores Ríos" in page.content.decode()
    response = _accept(client, path)
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.joined_at is not None
    assert int(client.session["_auth_user_id"]) == membership.user_id
    assert User.objects.get(pk=membership.user_id).check_password("Otra.Clave.Muy.Larga.7")
    assert "RIOS SERVICIOS SA DE CV" in client.get("/").content.decode()
    assert AuditEvent.objects.filter(action="invitation.accepted").exists()


def test_a_used_link_is_refused(client, django_capture_on_commit_callbacks):
    _membership, path = _invite(django_capture_on_commit_callbacks)
    _accept(client, path)
    client.logout()
    response = client.get(path)
    assert response.status_code == 410
    assert "ya se usó" in response.content.decode()
    assert _accept(client, path).status_code == 410


def test_an_expired_link_is_refused(client, django_capture_on_commit_callbacks):
    membership, path = _invite(django_capture_on_commit_callbacks)
    Invitation.objects.filter(membership=membership).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(path)
    assert response.status_code == 410
    assert "venció (vale 72 horas)" in response.content.decode()
    assert Invitation.objects.get(membership=membership).status == InvitationStatus.EXPIRED
    assert _accept(client, path).status_code == 410
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.INVITED


def test_resending_kills_the_old_link_and_the_new_one_works(
    client, django_capture_on_commit_callbacks
):
    membership, old_path = _invite(django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(membership=membership)
    with django_capture_on_commit_callbacks(execute=True):
        member_invitation_resend(invitation=invitation, actor=owner_of(membership.account))
    new_path = _path(LINK.findall(mail.outbox[-1].body)[-1])
    assert new_path != old_path
    response = client.get(old_path)
    assert response.status_code == 410
    assert "no es válido" in response.content.decode()
    assert client.get(new_path).status_code == 200
    invitation.refresh_from_db()
    assert invitation.send_count == 2
    assert AuditEvent.objects.filter(action="invitation.resent").exists()


def test_resending_an_expired_invitation_gives_72_new_hours(
    client, django_capture_on_commit_callbacks
):
    membership, _old = _invite(django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(membership=membership)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        member_invitation_resend(invitation=invitation, actor=owner_of(membership.account))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert client.get(_path(LINK.findall(mail.outbox[-1].body)[-1])).status_code == 200


def test_a_revoked_link_is_refused(client, django_capture_on_commit_callbacks):
    membership, path = _invite(django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(membership=membership)
    member_invitation_revoke(invitation=invitation, actor=owner_of(membership.account))
    response = client.get(path)
    assert response.status_code == 410
    assert "fue revocada" in response.content.decode()


def test_an_accepted_invitation_cannot_be_resent_or_revoked(
    client, django_capture_on_commit_callbacks
):
    from django.core.exceptions import ValidationError

    membership, path = _invite(django_capture_on_commit_callbacks)
    _accept(client, path)
    invitation = Invitation.objects.get(membership=membership)
    owner = owner_of(membership.account)
    with pytest.raises(ValidationError) as exc:
        member_invitation_resend(invitation=invitation, actor=owner)
    assert exc.value.code == "membership_not_invited"
    with pytest.raises(ValidationError) as exc:
        member_invitation_revoke(invitation=invitation, actor=owner)
    assert exc.value.code == "already_accepted"


def test_a_different_logged_in_person_is_refused(client, django_capture_on_commit_callbacks):
    membership, path = _invite(django_capture_on_commit_callbacks)
    intruder = make_user(email="otra@example.mx")
    client.force_login(intruder)
    response = client.get(path)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Esta invitación es para nueva@example.mx" in body
    assert "entraste como otra@example.mx" in body
    assert _accept(client, path).status_code == 403
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.INVITED


def test_a_weak_password_is_refused_with_the_rule_and_nothing_changes(
    client, django_capture_on_commit_callbacks
):
    membership, path = _invite(django_capture_on_commit_callbacks)
    response = _accept(client, path, password="12345")
    assert response.status_code == 200
    body = response.content.decode()
    assert "demasiado corta" in body or "too short" in body
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.INVITED
    assert not membership.user.has_usable_password()


def test_mismatched_passwords_are_refused(client, django_capture_on_commit_callbacks):
    _membership, path = _invite(django_capture_on_commit_callbacks)
    response = client.post(
        path,
        {"full_name": "Nora Vidal Soto", "password1": "Una.Clave.Larga.1", "password2": "Otra"},
    )
    assert "no coincide" in response.content.decode()


def test_the_name_must_keep_a_surname(client, django_capture_on_commit_callbacks):
    _membership, path = _invite(django_capture_on_commit_callbacks)
    response = client.post(
        path,
        {"full_name": "Nora", "password1": "Una.Clave.Larga.1", "password2": "Una.Clave.Larga.1"},
    )
    assert "al menos un nombre y un apellido" in response.content.decode()


def test_someone_invited_twice_sets_a_password_once_then_accepts_logged_in(
    client, django_capture_on_commit_callbacks
):
    _first, first_path = _invite(django_capture_on_commit_callbacks, email="doble@example.mx")
    second_account = make_account(name="Segundo Despacho")
    second, second_path = _invite(
        django_capture_on_commit_callbacks, account=second_account, email="doble@example.mx"
    )
    _accept(client, first_path)
    client.logout()
    response = client.get(second_path)
    assert response.status_code == 302
    assert "/cuenta/entrar/" in response["Location"]
    client.login(username="doble@example.mx", password="Otra.Clave.Muy.Larga.7")
    assert client.post(second_path).status_code == 302
    second.refresh_from_db()
    assert second.status == MembershipStatus.ACTIVE


def test_the_email_is_spanish_html_and_text_with_an_absolute_link(
    settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://despacho.example"
    membership, _link_path = _invite(django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert "Contadores Ríos" in message.body
    assert "72 horas" in message.body
    link = LINK.findall(message.body)[0]
    assert link.startswith("https://despacho.example/cuenta/invitacion/")
    assert f'href="{link}"' in html
    assert owner_of(membership.account).full_name in message.body
    assert PASSWORD not in message.body
