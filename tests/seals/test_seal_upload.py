"""Uploading a company's CSD or e.firma: what is refused, and in which words.

SAT's test certificates expired in 2023, so outside the sandbox every one of them is
refused for its expiry; the other rules are proved in sandbox mode, where SAT's test sets
are accepted (DESPACHO_SEALS_SANDBOX, the issuing issue's mode).
"""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from despacho.access.catalog import Perm
from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.seals.models import Certificate, SealKind
from despacho.seals.services import certificate_remove, certificate_upload
from despacho.tenancy.models import Role
from tests.factories import make_account, make_grant, make_membership, owner_of
from tests.seals.samples import CACX, EKU, company_of, pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox(settings):
    settings.DESPACHO_SEALS_SANDBOX = True


def _upload(company, kind, sample, *, actor=None, password=None, key=None):
    return certificate_upload(
        company=company,
        actor=actor or owner_of(company.account),
        kind=kind,
        cer=sample.cer,
        key=key if key is not None else sample.key,
        password=sample.password if password is None else password,
    )


def _refusal(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    assert Certificate.objects.count() == 0
    return caught.value.message_dict


def test_an_expired_csd_is_refused_naming_the_day_it_expired():
    company = company_of(make_account(), EKU)
    errors = _refusal(lambda: _upload(company, SealKind.CSD, pair(EKU, "csd")))
    assert errors == {
        "cer": [
            "El certificado venció el 17 de junio de 2023: tramita uno nuevo en el SAT y súbelo."
        ]
    }


def test_an_expired_efirma_is_refused_too():
    company = company_of(make_account(), EKU)
    errors = _refusal(lambda: _upload(company, SealKind.FIEL, pair(EKU, "fiel")))
    assert errors["cer"][0].startswith("El certificado venció el 13 de junio de 2023")


def test_a_certificate_not_yet_valid_is_refused_with_the_day_it_starts():
    company = company_of(make_account(), EKU)
    before_issue = datetime(2019, 1, 1, tzinfo=UTC)
    with mock.patch("despacho.seals.services.timezone.now", return_value=before_issue):
        errors = _refusal(lambda: _upload(company, SealKind.CSD, pair(EKU, "csd")))
    assert errors["cer"][0].startswith("El certificado aún no es vigente: su vigencia empieza el")


def test_within_its_validity_a_csd_is_accepted_without_the_sandbox():
    company = company_of(make_account(), EKU)
    in_2021 = datetime(2021, 6, 1, tzinfo=UTC)
    with mock.patch("despacho.seals.services.timezone.now", return_value=in_2021):
        certificate = _upload(company, SealKind.CSD, pair(EKU, "csd"))
    assert certificate.serial == "30001000000400002434"


def test_the_sandbox_accepts_the_expired_test_csd_and_keeps_its_metadata(sandbox):
    company = company_of(make_account(), EKU)
    certificate = _upload(company, SealKind.CSD, pair(EKU, "csd"))
    assert (certificate.kind, certificate.serial, certificate.rfc) == (
        SealKind.CSD,
        "30001000000400002434",
        EKU,
    )
    assert certificate.holder == "ESCUELA KEMPER URGATE"
    assert certificate.valid_from.date().isoformat() == "2019-06-17"
    assert certificate.valid_to.date().isoformat() == "2023-06-17"
    assert certificate.uploaded_by == owner_of(company.account)
    assert certificate.state == "expired"


@pytest.mark.parametrize("rfc", [EKU, CACX])
def test_both_test_sets_upload_their_csd_and_their_efirma(sandbox, rfc):
    company = company_of(make_account(), rfc)
    _upload(company, SealKind.CSD, pair(rfc, "csd"))
    _upload(company, SealKind.FIEL, pair(rfc, "fiel"))
    assert sorted(company.certificates.values_list("kind", flat=True)) == ["csd", "fiel"]


def test_a_key_of_another_certificate_is_refused_on_the_key_field(sandbox):
    company = company_of(make_account(), EKU)
    csd, fiel = pair(EKU, "csd"), pair(EKU, "fiel")
    errors = _refusal(lambda: _upload(company, SealKind.CSD, csd, key=fiel.key))
    assert errors == {
        "key": [
            "La llave privada (.key) no corresponde al certificado (.cer): sube los dos "
            "archivos del mismo certificado."
        ]
    }


def test_an_efirma_uploaded_as_csd_is_refused_on_the_kind_field(sandbox):
    company = company_of(make_account(), EKU)
    errors = _refusal(lambda: _upload(company, SealKind.CSD, pair(EKU, "fiel")))
    assert errors == {
        "kind": [
            "El certificado es de e.firma, no de CSD: elige «e.firma» o sube los archivos de CSD."
        ]
    }


def test_a_csd_uploaded_as_efirma_is_refused_on_the_kind_field(sandbox):
    company = company_of(make_account(), EKU)
    errors = _refusal(lambda: _upload(company, SealKind.FIEL, pair(EKU, "csd")))
    assert errors["kind"][0].startswith("El certificado es de CSD, no de e.firma")


def test_a_wrong_password_is_refused_on_the_password_field(sandbox):
    company = company_of(make_account(), EKU)
    errors = _refusal(lambda: _upload(company, SealKind.CSD, pair(EKU, "csd"), password="x1"))
    assert list(errors) == ["password"]
    assert errors["password"][0].startswith("La contraseña no abre la llave privada (.key).")
    assert "x1" not in errors["password"][0]


def test_a_certificate_of_another_rfc_is_refused_naming_both_rfcs(sandbox):
    company = company_of(make_account(), CACX)
    errors = _refusal(lambda: _upload(company, SealKind.CSD, pair(EKU, "csd")))
    assert errors == {
        "cer": [
            f"El certificado es del RFC {EKU} y la empresa tiene el RFC {CACX}: sube el "
            "certificado de esta empresa."
        ]
    }


def test_files_that_are_not_a_certificate_or_a_key_are_refused_on_their_field(sandbox):
    company = company_of(make_account(), EKU)
    csd = pair(EKU, "csd")
    errors = _refusal(
        lambda: certificate_upload(
            company=company,
            actor=owner_of(company.account),
            kind="csd",
            cer=b"no soy un certificado",
            key=csd.key,
            password=csd.password,
        )
    )
    assert list(errors) == ["cer"]
    errors = _refusal(lambda: _upload(company, SealKind.CSD, csd, key=b"no soy una llave"))
    assert errors == {"key": ["El archivo .key no es una llave privada del SAT (formato DER)."]}


def test_the_same_certificate_twice_is_refused(sandbox):
    company = company_of(make_account(), EKU)
    _upload(company, SealKind.CSD, pair(EKU, "csd"))
    with pytest.raises(ValidationError) as caught:
        _upload(company, SealKind.CSD, pair(EKU, "csd"))
    assert caught.value.message_dict["cer"] == [
        "Este certificado (número 30001000000400002434) ya está registrado en la empresa."
    ]


def test_only_owners_and_admins_upload_and_remove(sandbox):
    account = make_account()
    company = company_of(account, EKU)
    member = make_membership(account)
    make_grant(member, company, "consulta", add={Perm.DATOS_MAESTROS})
    with pytest.raises(PermissionDenied):
        _upload(company, SealKind.CSD, pair(EKU, "csd"), actor=member.user)
    admin = make_membership(account, role=Role.ADMIN).user
    certificate = _upload(company, SealKind.CSD, pair(EKU, "csd"), actor=admin)
    with pytest.raises(PermissionDenied):
        certificate_remove(certificate=certificate, actor=member.user)
    certificate_remove(certificate=certificate, actor=admin)
    assert not Certificate.objects.exists()


def test_upload_and_removal_are_audited_with_metadata_only(sandbox):
    company = company_of(make_account(), EKU)
    certificate = _upload(company, SealKind.CSD, pair(EKU, "csd"))
    uploaded = AuditEvent.objects.get(action=Action.SEAL_UPLOADED)
    assert uploaded.company == company
    assert uploaded.after == {
        "seal": "csd",
        "serial": "30001000000400002434",
        "rfc": EKU,
        "valid_from": certificate.valid_from.isoformat(),
        "valid_to": certificate.valid_to.isoformat(),
    }
    certificate_remove(certificate=certificate, actor=owner_of(company.account))
    removed = AuditEvent.objects.get(action=Action.SEAL_REMOVED)
    assert removed.before == uploaded.after and removed.after in (None, {})
