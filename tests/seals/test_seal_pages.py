"""The Sellos y e.firma page: who sees it, who uploads and removes, what it shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from despacho.access.catalog import Perm
from despacho.seals.models import Certificate, SealKind
from despacho.seals.services import certificate_upload
from despacho.workspace.active import SESSION_KEY as ACTIVE_COMPANY
from tests.factories import make_account, make_grant, make_membership, owner_of
from tests.seals.samples import EKU, company_of, pair, stored_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(settings):
    settings.DESPACHO_SEALS_SANDBOX = True
    return company_of(make_account(), EKU)


def _login(client, user, company):
    client.force_login(user)
    session = client.session
    session[ACTIVE_COMPANY] = company.pk
    session.save()


def _form(kind="csd", sample_kind="csd", password=None):
    sample = pair(EKU, sample_kind)
    return {
        "kind": kind,
        "cer": SimpleUploadedFile("sello.cer", sample.cer),
        "key": SimpleUploadedFile("sello.key", sample.key),
        "password": sample.password if password is None else password,
    }


def _member(company, *perms):
    membership = make_membership(company.account)
    make_grant(membership, company, "consulta", add=set(perms))
    return membership.user


def test_the_owner_uploads_a_csd_and_sees_its_serial_validity_and_uploader(client, company):
    owner = owner_of(company.account)
    _login(client, owner, company)
    response = client.post(reverse("seals:upload"), _form(), follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "30001000000400002434" in body
    assert "2019-06-17" in body and "2023-06-17" in body
    assert "Vencido" in body
    assert owner.email in body or owner.full_name in body
    assert "Modo de pruebas" in body
    for secret in (pair(EKU, "csd").password,):
        assert secret not in body


def test_a_refusal_comes_back_on_the_form_naming_the_field(client, company):
    _login(client, owner_of(company.account), company)
    response = client.post(reverse("seals:upload"), _form(kind="csd", sample_kind="fiel"))
    assert response.status_code == 400
    assert "El certificado es de e.firma, no de CSD" in response.content.decode()
    response = client.post(reverse("seals:upload"), _form(password="equivocada"))
    body = response.content.decode()
    assert "La contraseña no abre la llave privada" in body
    assert "equivocada" not in body
    assert not Certificate.objects.exists()


def test_a_csd_expiring_within_30_days_is_flagged(client, company):
    sample = pair(EKU, "csd")
    certificate = certificate_upload(
        company=company,
        actor=owner_of(company.account),
        kind=SealKind.CSD,
        cer=sample.cer,
        key=sample.key,
        password=sample.password,
    )
    Certificate.objects.filter(pk=certificate.pk).update(
        valid_to=timezone.now() + timedelta(days=12, hours=1)
    )
    _login(client, owner_of(company.account), company)
    body = client.get(reverse("seals:list")).content.decode()
    assert 'class="badge expiring"' in body
    assert "Vence pronto" in body and "vence en 12 días" in body


def test_a_member_with_datos_maestros_sees_the_metadata_but_cannot_upload_or_remove(
    client, company
):
    sample = pair(EKU, "csd")
    certificate = certificate_upload(
        company=company,
        actor=owner_of(company.account),
        kind=SealKind.CSD,
        cer=sample.cer,
        key=sample.key,
        password=sample.password,
    )
    _login(client, _member(company, Perm.DATOS_MAESTROS), company)
    body = client.get(reverse("seals:list")).content.decode()
    assert "30001000000400002434" in body
    assert reverse("seals:upload") not in body
    assert reverse("seals:remove", args=[certificate.pk]) not in body
    assert client.get(reverse("seals:upload")).status_code == 403
    assert client.post(reverse("seals:upload"), _form()).status_code == 403
    assert client.post(reverse("seals:remove", args=[certificate.pk])).status_code == 403
    assert Certificate.objects.filter(pk=certificate.pk).exists()


def test_a_member_without_datos_maestros_is_refused_the_page(client, company):
    _login(client, _member(company, Perm.VENTAS), company)
    response = client.get(reverse("seals:list"))
    assert response.status_code == 403
    assert "Datos maestros" in response.content.decode()


def test_the_owner_removes_a_certificate(client, company):
    owner = owner_of(company.account)
    _login(client, owner, company)
    client.post(reverse("seals:upload"), _form())
    certificate = Certificate.objects.get()
    response = client.post(reverse("seals:remove", args=[certificate.pk]), follow=True)
    assert "Se eliminó CSD (sello digital) número 30001000000400002434" in response.content.decode()
    assert not Certificate.objects.exists()


def test_the_main_navigation_links_the_page_for_datos_maestros_only(client, company):
    _login(client, _member(company, Perm.DATOS_MAESTROS), company)
    assert reverse("seals:list") in client.get(reverse("home")).content.decode()
    client.logout()
    _login(client, _member(company, Perm.VENTAS), company)
    assert reverse("seals:list") not in client.get(reverse("home")).content.decode()


def test_a_certificate_whose_uploader_is_gone_still_shows(client, company):
    stored_certificate(company, "30001000000400009999")  # uploaded_by is None
    _login(client, owner_of(company.account), company)
    response = client.get(reverse("seals:list"))
    assert response.status_code == 200
    assert "30001000000400009999" in response.content.decode()
