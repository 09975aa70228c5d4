"""Email subjects are plain text: a name with "&", "<" and quotes reads as typed, on one line.

One test per kind of email Despacho sends, each with an account name or razón social that
HTML escaping would turn into "&amp;", "&lt;" and "&quot;".
"""

from __future__ import annotations

import pytest
from django.core import mail

from despacho.firms.services import link_invite
from despacho.onboarding.services import client_account_create
from despacho.portal.services.accesses import portal_access_send
from despacho.portal.services.delivery import cfdi_deliver
from despacho.portal.services.receiver_actions import portal_login_link_request
from despacho.security.tasks import password_reset_send
from despacho.tenancy.models import Plan
from tests.factories import (
    add_member,
    make_account,
    make_company,
    make_user,
    owner_of,
    valid_rfc,
)
from tests.portal.scenario import access, issue, receiver_rfc

pytestmark = pytest.mark.django_db

TRICKY = 'HERRERIA & ELECTRICOS <NORTE> "EL RAYO" D\'ANGELO'


def _the_subject() -> str:
    [message] = mail.outbox
    return message.subject


def _assert_literal(subject: str, name: str = TRICKY) -> None:
    assert name in subject
    for entity in ("&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;"):
        assert entity not in subject
    assert "\n" not in subject and "\r" not in subject


def test_the_invitation_subject_shows_the_account_name_as_typed(
    django_capture_on_commit_callbacks,
):
    account = make_account(name=TRICKY)
    with django_capture_on_commit_callbacks(execute=True):
        add_member(account, companies=[make_company(account)])
    subject = _the_subject()
    _assert_literal(subject)
    assert subject == f"Te invitaron a {TRICKY} en Despacho"


def test_the_new_access_notice_subject_shows_the_account_name_as_typed(
    django_capture_on_commit_callbacks,
):
    account = make_account(name=TRICKY)
    make_user(email="carlos@example.mx", full_name="Carlos Ortega Luna")
    with django_capture_on_commit_callbacks(execute=True):
        add_member(account, email="carlos@example.mx", companies=[make_company(account)])
    _assert_literal(_the_subject())


def test_the_client_activation_subject_shows_firm_and_company_as_typed(
    django_capture_on_commit_callbacks,
):
    firm = make_account(name="Ríos & Asociados <Contadores>")
    with django_capture_on_commit_callbacks(execute=True):
        client_account_create(
            firm=firm,
            actor=owner_of(firm),
            email="cliente@example.mx",
            razon_social=TRICKY,
            rfc=valid_rfc(),
            regimen_fiscal="601",
            codigo_postal="06000",
            plan=Plan.EMPRENDEDOR,
        )
    subject = _the_subject()
    _assert_literal(subject)
    _assert_literal(subject, "Ríos & Asociados <Contadores>")


def test_the_link_invitation_subject_shows_firm_and_company_as_typed(
    django_capture_on_commit_callbacks,
):
    firm = make_account(name="Ríos & Asociados <Contadores>")
    company = make_company(make_account(), razon_social=TRICKY)
    with django_capture_on_commit_callbacks(execute=True):
        link_invite(firm=firm, actor=owner_of(firm), rfc=company.rfc)
    subject = _the_subject()
    _assert_literal(subject)
    _assert_literal(subject, "Ríos & Asociados <Contadores>")


def test_the_portal_access_subject_shows_the_company_as_typed(
    django_capture_on_commit_callbacks,
):
    company = make_company(make_account(), razon_social=TRICKY)
    receiver = access(company, password=None, email="compras@cliente.mx")
    with django_capture_on_commit_callbacks(execute=True):
        portal_access_send(access=receiver, actor=owner_of(company.account))
    subject = _the_subject()
    _assert_literal(subject)
    assert subject == f"Tu acceso al portal de facturas de {TRICKY}"


def test_the_portal_login_link_subject_shows_the_company_as_typed(
    django_capture_on_commit_callbacks,
):
    company = make_company(make_account(), razon_social=TRICKY)
    access(company, email="compras@cliente.mx")
    with django_capture_on_commit_callbacks(execute=True):
        portal_login_link_request(company=company, email="compras@cliente.mx", ip="10.0.0.1")
    _assert_literal(_the_subject())


def test_the_cfdi_delivery_subject_shows_the_company_as_typed(
    django_capture_on_commit_callbacks,
):
    company = make_company(make_account(), razon_social=TRICKY)
    cfdi = issue(company, receiver_rfc())
    with django_capture_on_commit_callbacks(execute=True):
        cfdi_deliver(actor=owner_of(company.account), cfdi=cfdi, email="compras@cliente.mx")
    _assert_literal(_the_subject())


def test_the_password_reset_subject_is_plain_text(django_capture_on_commit_callbacks):
    make_user(email="ana@example.mx", full_name="Ana O'Connor & Díaz")
    password_reset_send.call("ana@example.mx")
    assert _the_subject() == "Recupera tu contraseña de Despacho"
