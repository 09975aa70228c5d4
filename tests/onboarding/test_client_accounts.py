"""A firm opens an account for a client who has none; the client activates it and owns it."""

import pytest
from django.urls import reverse

from despacho.audit.models import AuditEvent
from despacho.members.models import Invitation
from despacho.people.models import User
from despacho.tenancy.models import Company, CompanyLink, LinkStatus, Membership, Role
from tests.factories import make_account, make_company, make_membership, make_user, owner_of
from tests.factories import valid_rfc as new_rfc
from tests.smtp import SITE_URL, html_of, links_in, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm():
    account = make_account(name="Méndez Ríos Contadores")
    make_company(account)
    return account


def _form(**overrides):
    data = {
        "email": "rosa@florería.mx".replace("í", "i"),
        "razon_social": "FLORERÍA LA ROSA SA DE CV",
        "rfc": new_rfc(),
        "regimen_fiscal": "601",
        "codigo_postal": "44100",
        "sector": "comercio",
        "plan": "emprendedor",
        "telefono": "+52 (33) 1234-5678",
        "access": "link",
        "password": "",
    }
    data.update(overrides)
    return data


def test_the_client_gets_an_activation_email_follows_it_and_owns_the_account(
    client, firm, smtp_inbox, django_capture_on_commit_callbacks
):
    client.force_login(owner_of(firm))
    data = _form()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("onboarding:client_create"), data, follow=True)
    assert "enviamos a rosa@floreria.mx el enlace" in response.content.decode()

    link = CompanyLink.objects.get(firm=firm, company__rfc=data["rfc"])
    assert link.status == LinkStatus.ACCEPTED
    company = link.company
    assert company.telefono == "3312345678"
    assert company.account != firm
    owner = Membership.objects.get(account=company.account, role=Role.OWNER).user
    assert owner.email == "rosa@floreria.mx"
    assert not owner.has_usable_password()
    # Until the client activates, the firm manages the company.
    assert client.post(reverse("tenancy:switch"), {"company": company.pk}).status_code == 302
    assert client.session["despacho_active_company"] == company.pk

    (message,) = smtp_inbox.to("rosa@floreria.mx")
    assert "Méndez Ríos Contadores" in message["Subject"]
    assert "FLORERÍA LA ROSA SA DE CV" in message["Subject"]
    text = text_of(message)
    assert "Méndez Ríos Contadores" in text and data["rfc"] in text
    (url,) = links_in(text, "/cuenta/invitacion/")
    assert f'href="{url}"' in html_of(message)

    client.logout()
    path = url.removeprefix(SITE_URL)
    page = client.get(path).content.decode()
    assert "Activa la cuenta de FLORERÍA LA ROSA SA DE CV" in page
    response = client.post(
        path,
        {
            "full_name": "Rosa Martínez Gil",
            "password1": "Flores.Rojas.2026",
            "password2": "Flores.Rojas.2026",
        },
        follow=True,
    )
    assert response.status_code == 200
    owner.refresh_from_db()
    assert owner.full_name == "Rosa Martínez Gil"
    assert owner.check_password("Flores.Rojas.2026")
    assert int(client.session["_auth_user_id"]) == owner.pk
    assert "FLORERÍA LA ROSA SA DE CV" in response.content.decode()
    assert Invitation.objects.get(email="rosa@floreria.mx").status == "accepted"
    assert AuditEvent.objects.filter(
        action="client_account.activated", account=company.account
    ).exists()
    assert client.get(path).status_code == 410


def test_with_a_password_the_client_can_log_in_and_no_email_is_sent(
    client, firm, smtp_inbox, django_capture_on_commit_callbacks
):
    client.force_login(owner_of(firm))
    data = _form(access="password", password="Clave.Del.Cliente.2026")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("onboarding:client_create"), data)
    assert response.status_code == 302
    assert smtp_inbox.messages == []
    assert not Invitation.objects.filter(email="rosa@floreria.mx").exists()
    client.logout()
    assert client.login(username="rosa@floreria.mx", password="Clave.Del.Cliente.2026")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rfc": "XAXX010101000"}, "RFC genérico"),
        ({"rfc": "EKU9003173C8"}, "dígito verificador"),
        ({"regimen_fiscal": "612"}, "no aplica a personas morales"),
        ({"codigo_postal": "4410"}, "Código postal: deben ser 5 dígitos."),
        ({"telefono": "12345"}, "no es un teléfono de México de 10 dígitos"),
        ({"access": "password", "password": ""}, "escríbela o elige el enlace"),
        ({"access": "password", "password": "123"}, "contraseña"),
    ],
)
def test_bad_input_is_refused_naming_the_field(client, firm, overrides, message):
    client.force_login(owner_of(firm))
    response = client.post(reverse("onboarding:client_create"), _form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email="rosa@floreria.mx").exists()


def test_an_rfc_or_email_already_in_despacho_is_never_named_its_owner_is_invited(client, firm):
    taken = make_company(make_account(), razon_social="VECINA DISCRETA SA DE CV")
    person = make_user(email="ya@existe.mx")
    persons_company = make_company(make_account(owner=person), razon_social="DE QUIEN EXISTE SA")
    client.force_login(owner_of(firm))
    answers = []
    for overrides in ({"rfc": taken.rfc}, {"email": "ya@existe.mx"}):
        response = client.post(reverse("onboarding:client_create"), _form(**overrides), follow=True)
        body = response.content.decode()
        assert "RFC: " not in body and "ya tiene acceso" not in body  # no refusal naming it
        for secret in (taken.razon_social, persons_company.razon_social):
            assert secret not in body
        answers.append([str(m) for m in response.context["messages"]])
    by_rfc, by_email = (
        [m.replace(taken.rfc, "…").replace("ya@existe.mx", "…") for m in answer]
        for answer in answers
    )
    assert by_rfc == by_email  # one answer, whoever the RFC or email belongs to
    assert by_rfc[0].startswith("Invitación enviada a …; si la empresa ya tiene cuenta")
    # Nothing was created; each owner got an invitation to decide on.
    assert Company.objects.filter(rfc=taken.rfc).count() == 1
    assert CompanyLink.objects.get(firm=firm, company=taken).status == LinkStatus.PENDING
    assert CompanyLink.objects.get(firm=firm, company=persons_company).status == LinkStatus.PENDING


def test_members_cannot_create_client_accounts(client, firm):
    member = make_membership(firm)
    from tests.factories import make_grant

    make_grant(member, firm.companies.get())
    client.force_login(member.user)
    assert client.post(reverse("onboarding:client_create"), _form()).status_code == 403
