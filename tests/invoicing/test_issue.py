"""Issuing a draft: checked as a PAC would, sealed, stamped by the sandbox, stored byte for
byte, audited and emailed; failures keep the draft and its folio."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from despacho.access.catalog import Perm
from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.cfdi.models import Cfdi
from despacho.cfdi.parsing import parse_xml
from despacho.customers.models import Customer
from despacho.invoicing.models import DraftStatus
from despacho.invoicing.selectors import InvoicingForbidden
from despacho.invoicing.services.issue import (
    IssueFailed,
    draft_issue,
    draft_preview_pdf,
    issue_checks,
)
from despacho.pac.models import SandboxDocument
from despacho.seals.models import Certificate
from tests.customers.helpers import real_rfc
from tests.factories import make_grant, make_membership, owner_of
from tests.invoicing.issuing import customer_of, issuing_company, ready_draft, sandbox
from tests.pac.fake_finkok import PASSWORD, USERNAME, running_fake_finkok
from tests.smtp import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]
__all__ = ["sandbox"]


def _stored_bytes(cfdi: Cfdi) -> bytes:
    with default_storage.open(cfdi.xml_path, "rb") as handle:
        return handle.read()


def test_an_invoice_is_stamped_stored_byte_identical_audited_and_emailed(
    django_capture_on_commit_callbacks,
):
    company = issuing_company()
    draft = ready_draft(company)
    owner = owner_of(company.account)
    with django_capture_on_commit_callbacks(execute=True):
        cfdi = draft_issue(draft=draft, actor=owner)
    draft.refresh_from_db()
    assert draft.status == DraftStatus.ISSUED
    assert draft.folio == 1
    assert draft.cfdi == cfdi
    assert hashlib.sha256(_stored_bytes(cfdi)).hexdigest() == draft.xml_sha256
    event = AuditEvent.objects.get(action=Action.CFDI_ISSUED)
    assert event.after["uuid"] == cfdi.uuid_text
    assert event.actor == owner
    [message] = mail.outbox
    assert message.to == ["compras@norte.example.mx"]
    names = [name for name, _content, _type in message.attachments]
    assert names == [f"{cfdi.uuid_text}.xml", f"{cfdi.uuid_text}.pdf"]


def test_the_preview_is_a_borrador_pdf_without_folio_or_seal():
    company = issuing_company()
    draft = ready_draft(company)
    pdf = draft_preview_pdf(draft=draft, viewer=owner_of(company.account))
    assert pdf.startswith(b"%PDF")
    draft.refresh_from_db()
    assert draft.folio is None
    assert not AuditEvent.objects.filter(action=Action.SEAL_USED).exists()


# --- failures keep the draft and its folio ----------------------------------------------------


@pytest.fixture
def fake():
    with running_fake_finkok() as server:
        yield server


def _finkok(settings, base_url: str) -> None:
    settings.DESPACHO_PAC = "finkok"
    settings.DESPACHO_PAC_URL = base_url
    settings.DESPACHO_PAC_USER = USERNAME
    settings.DESPACHO_PAC_PASSWORD = PASSWORD
    settings.DESPACHO_PAC_TIMEOUT = 5


def test_a_pac_refusal_through_finkok_keeps_the_draft_and_its_folio_with_the_spanish_message(
    settings, fake
):
    _finkok(settings, fake.base_url)
    fake.next_incidence = ("705", "XML Estructura inválida")
    company = issuing_company()
    draft = ready_draft(company)
    with pytest.raises(IssueFailed) as caught:
        draft_issue(draft=draft, actor=owner_of(company.account))
    assert caught.value.code == "pac_705"
    assert caught.value.retryable is False
    assert "estructura que exige el SAT" in caught.value.message
    assert fake.operations() == ["stamp"]
    draft.refresh_from_db()
    assert draft.status == DraftStatus.DRAFT
    assert draft.folio == 1
    assert "estructura que exige el SAT" in draft.last_error
    assert not Cfdi.objects.exists()


def test_an_unreachable_pac_keeps_the_draft_and_the_retry_reuses_the_folio(settings):
    _finkok(settings, f"http://127.0.0.1:{free_port()}")
    company = issuing_company()
    draft = ready_draft(company)
    owner = owner_of(company.account)
    with pytest.raises(IssueFailed) as caught:
        draft_issue(draft=draft, actor=owner)
    assert caught.value.retryable is True
    assert "No fue posible conectar con el PAC" in caught.value.message
    settings.DESPACHO_PAC = "sandbox"
    cfdi = draft_issue(draft=draft, actor=owner)
    draft.refresh_from_db()
    assert (draft.status, draft.folio, cfdi.folio) == (DraftStatus.ISSUED, 1, "1")


def test_a_cfdi_stamped_but_not_stored_is_recovered_with_the_same_uuid_on_retry(monkeypatch):
    company = issuing_company()
    draft = ready_draft(company)
    owner = owner_of(company.account)
    save = default_storage.save
    failures = iter([OSError("disco lleno")])

    def failing_once(name, content, *args, **kwargs):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return save(name, content, *args, **kwargs)

    monkeypatch.setattr(default_storage, "save", failing_once)
    with pytest.raises(IssueFailed) as caught:
        draft_issue(draft=draft, actor=owner)
    assert caught.value.code == "not_stored"
    draft.refresh_from_db()
    assert draft.status == DraftStatus.DRAFT and draft.folio == 1
    [stamped] = SandboxDocument.objects.all()
    assert str(stamped.uuid).upper() in draft.last_error
    cfdi = draft_issue(draft=draft, actor=owner)
    assert cfdi.uuid_text.lower() == stamped.uuid.lower()
    assert SandboxDocument.objects.count() == 1
    assert Cfdi.objects.count() == 1
    assert _stored_bytes(cfdi) == bytes(stamped.stamped_xml)


# --- the checks a PAC makes, before any PAC call ----------------------------------------------


def _refusal(error: ValidationError, field: str) -> ValidationError:
    return error.error_dict[field][0]


def test_a_company_without_csd_is_refused_before_the_pac():
    company = issuing_company(csd=False)
    draft = ready_draft(company)
    with pytest.raises(ValidationError) as caught:
        draft_issue(draft=draft, actor=owner_of(company.account))
    refusal = _refusal(caught.value, "csd")
    assert refusal.code == "csd_missing"
    assert "Sellos y e.firma" in refusal.message
    draft.refresh_from_db()
    assert draft.folio is None
    assert not SandboxDocument.objects.exists()


def test_a_csd_issued_less_than_72_hours_ago_is_refused():
    company = issuing_company()
    Certificate.objects.filter(company=company).update(
        valid_from=timezone.now() - timedelta(hours=71),
        valid_to=timezone.now() + timedelta(days=700),
    )
    with pytest.raises(ValidationError) as caught:
        issue_checks(draft=ready_draft(company))
    refusal = _refusal(caught.value, "csd")
    assert refusal.code == "csd_too_new"
    assert "72 horas" in refusal.message


def test_a_csd_of_another_rfc_is_refused():
    company = issuing_company()
    Certificate.objects.filter(company=company).update(rfc="CACX7605101P8")
    with pytest.raises(ValidationError) as caught:
        issue_checks(draft=ready_draft(company))
    assert _refusal(caught.value, "csd").code == "csd_rfc_mismatch"


def test_an_expired_csd_is_refused_outside_the_sandbox(settings):
    company = issuing_company()
    settings.DESPACHO_SEALS_SANDBOX = False
    with pytest.raises(ValidationError) as caught:
        issue_checks(draft=ready_draft(company))
    assert _refusal(caught.value, "csd").code == "csd_missing"


def test_a_customer_whose_razon_social_carries_the_regimen_capital_is_refused():
    company = issuing_company()
    customer = customer_of(company)
    Customer.objects.filter(pk=customer.pk).update(
        razon_social="COMERCIALIZADORA DEL NORTE SA DE CV"
    )
    with pytest.raises(ValidationError) as caught:
        issue_checks(draft=ready_draft(company, customer=customer))
    refusal = _refusal(caught.value, "customer")
    assert refusal.code == "regimen_capital"
    assert customer.rfc in refusal.message


def test_a_uso_cfdi_the_customers_regimen_may_not_use_is_refused():
    company = issuing_company()
    customer = customer_of(company, rfc=real_rfc(moral=False), razon_social="ANA PÉREZ",
                           regimen_fiscal="605", uso_cfdi="CN01")  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        issue_checks(draft=ready_draft(company, customer=customer, uso_cfdi="G03"))
    assert _refusal(caught.value, "customer").code == "uso_regimen_mismatch"


def test_a_customers_cp_outside_sats_catalog_is_refused():
    company = issuing_company()
    customer = customer_of(company)
    Customer.objects.filter(pk=customer.pk).update(codigo_postal="00001")
    with pytest.raises(ValidationError) as caught:
        issue_checks(draft=ready_draft(company, customer=customer))
    assert _refusal(caught.value, "customer").code == "cp_unknown"


def test_an_invoice_to_the_publico_en_general_needs_s01_and_informacion_global():
    company = issuing_company()
    public = customer_of(company, rfc="XAXX010101000", razon_social="PUBLICO EN GENERAL",
                         regimen_fiscal="616", uso_cfdi="S01")  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        issue_checks(draft=ready_draft(company, customer=public, uso_cfdi="S01"))
    assert _refusal(caught.value, "global_periodicidad").code == "global_required"
    draft = ready_draft(
        company,
        customer=public,
        uso_cfdi="S01",
        global_periodicidad="04",
        global_meses="01",
        global_anio=2026,
    )
    cfdi = draft_issue(draft=draft, actor=owner_of(company.account))
    root = parse_xml(_stored_bytes(cfdi))
    receptor = root.find("{http://www.sat.gob.mx/cfd/4}Receptor")
    assert receptor.get("Nombre") == "PUBLICO EN GENERAL"
    assert receptor.get("DomicilioFiscalReceptor") == company.codigo_postal


def test_global_information_for_a_named_customer_is_refused():
    company = issuing_company()
    draft = ready_draft(company, global_periodicidad="04", global_meses="01", global_anio=2026)
    with pytest.raises(ValidationError) as caught:
        issue_checks(draft=draft)
    assert _refusal(caught.value, "global_periodicidad").code == "global_not_allowed"


def test_a_viewer_without_facturar_cannot_issue():
    company = issuing_company()
    draft = ready_draft(company)
    clerk = make_membership(company.account)
    make_grant(clerk, company, "consulta", add=[Perm.VENTAS])
    with pytest.raises(InvoicingForbidden) as caught:
        draft_issue(draft=draft, actor=clerk.user)
    assert "Facturar" in caught.value.message
