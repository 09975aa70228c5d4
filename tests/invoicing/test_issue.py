"""Issuing a draft: checked as a PAC would, sealed, stamped by the sandbox, stored byte for
byte, audited and emailed; failures keep the draft and its folio."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from despacho.access.catalog import Perm
from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.cartaporte.models import Figure, Location, Vehicle
from despacho.cfdi.models import Cfdi
from despacho.cfdi.parsing import parse_xml
from despacho.cfdi.selectors import ppd_balance
from despacho.customers.models import Customer
from despacho.invoicing.models import Draft, DraftStatus
from despacho.invoicing.selectors import InvoicingForbidden, customer_invoices
from despacho.invoicing.services.issue import (
    IssueFailed,
    cfdi_resend,
    draft_issue,
    draft_preview_pdf,
    issue_checks,
)
from despacho.invoicing.specs import (
    CartaPorteSpec,
    GoodsSpec,
    PaymentDocumentSpec,
    PaymentSpec,
    RelationSpec,
    StopSpec,
)
from despacho.invoicing.tasks import drafts_issue_task
from despacho.pac.models import SandboxDocument
from despacho.seals.models import Certificate
from tests.cartaporte.samples import make_item
from tests.customers.helpers import real_rfc
from tests.factories import make_grant, make_membership, owner_of
from tests.invoicing.helpers import concept
from tests.invoicing.issuing import (
    customer_of,
    issuing_company,
    ready_draft,
    sandbox,
    storage_failing_once,
    stored_bytes,
)
from tests.pac.fake_finkok import PASSWORD, USERNAME, running_fake_finkok
from tests.smtp import SITE_URL, free_port, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sandbox")]
__all__ = ["sandbox"]


def _text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


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
    assert hashlib.sha256(stored_bytes(cfdi)).hexdigest() == draft.xml_sha256
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
    text = _text_of(pdf)
    assert "BORRADOR" in text
    assert "Servicio de contabilidad, enero" in text
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


def test_an_invoice_is_stamped_through_finkok_and_stored_as_finkok_answered(settings, fake):
    _finkok(settings, fake.base_url)
    fake.stamp_any = True
    company = issuing_company()
    cfdi = draft_issue(draft=ready_draft(company), actor=owner_of(company.account))
    assert fake.operations() == ["stamp"]
    [answer] = fake.stamped.values()
    assert stored_bytes(cfdi) == answer
    assert not SandboxDocument.objects.exists()


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
    storage_failing_once(monkeypatch, OSError("disco lleno"))
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
    assert stored_bytes(cfdi) == bytes(stamped.stamped_xml)


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
    root = parse_xml(stored_bytes(cfdi))
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


# --- each tipo through the sandbox ------------------------------------------------------------

MEXICO = ZoneInfo("America/Mexico_City")
CFDI4 = "{http://www.sat.gob.mx/cfd/4}"
PAGO20 = "{http://www.sat.gob.mx/Pagos20}"


def _issued(company, **changes) -> Cfdi:
    return draft_issue(draft=ready_draft(company, **changes), actor=owner_of(company.account))


def test_a_credit_note_relates_the_invoice_with_tipo_relacion_01():
    company = issuing_company()
    customer = customer_of(company)
    invoice = _issued(company, customer=customer)
    note = _issued(
        company,
        tipo="E",
        customer=customer,
        concepts=(
            concept(
                clave_prod_serv="84111506",
                descripcion="Descuento por pronto pago",
                valor_unitario=Decimal("100.00"),
            ),
        ),
        relations=(RelationSpec("01", invoice.uuid_text),),
    )
    root = parse_xml(stored_bytes(note))
    assert root.get("TipoDeComprobante") == "E"
    related = root.find(f"{CFDI4}CfdiRelacionados")
    assert related.get("TipoRelacion") == "01"
    assert related.find(f"{CFDI4}CfdiRelacionado").get("UUID").lower() == invoice.uuid_text.lower()


def _payment(invoice_uuid: str, number: int, saldo: str, pagado: str) -> PaymentSpec:
    return PaymentSpec(
        fecha_pago=datetime(2026, 2, number, 12, tzinfo=MEXICO),
        forma_pago="03",
        monto=Decimal(pagado),
        documents=(PaymentDocumentSpec(invoice_uuid, number, Decimal(saldo), Decimal(pagado)),),
    )


def _pago(company, customer, payment: PaymentSpec) -> Cfdi:
    return _issued(company, tipo="P", customer=customer, forma_pago="", metodo_pago="",
                   uso_cfdi="CP01", moneda="XXX", concepts=(), payments=(payment,))  # fmt: skip


def test_two_partial_payments_of_a_ppd_invoice_lower_its_balance_and_an_overpayment_is_refused():
    company = issuing_company()
    customer = customer_of(company)
    invoice = _issued(company, customer=customer, forma_pago="99", metodo_pago="PPD")
    assert invoice.total == Decimal("1160.00")
    assert ppd_balance(company=company, uuid=invoice.uuid) == Decimal("1160.00")
    first = _pago(company, customer, _payment(invoice.uuid_text, 1, "1160.00", "500.00"))
    assert ppd_balance(company=company, uuid=invoice.uuid) == Decimal("660.00")
    _pago(company, customer, _payment(invoice.uuid_text, 2, "660.00", "400.00"))
    assert ppd_balance(company=company, uuid=invoice.uuid) == Decimal("260.00")
    docto = parse_xml(stored_bytes(first)).find(f".//{PAGO20}DoctoRelacionado")
    assert docto.get("NumParcialidad") == "1"
    assert Decimal(docto.get("ImpSaldoInsoluto")) == Decimal("660.00")
    with pytest.raises(ValidationError) as caught:
        ready_draft(company, tipo="P", customer=customer, forma_pago="", metodo_pago="",
                    uso_cfdi="CP01", moneda="XXX", concepts=(),
                    payments=(_payment(invoice.uuid_text, 3, "1160.00", "300.00"),))  # fmt: skip
    assert _refusal(caught.value, "payments").code == "payment_exceeds_balance"


# What a payment's editor lists: the customer's PPD invoices that still owe, each with its
# balance and the next parcialidad, read with the balances in one query (plus the grant's).
CUSTOMER_INVOICES_QUERIES = 2


def test_a_payments_editor_lists_each_owing_ppd_invoice_with_its_balance_in_one_query(
    django_assert_num_queries,
):
    company = issuing_company()
    customer = customer_of(company)
    owner = owner_of(company.account)
    ppd = {"forma_pago": "99", "metodo_pago": "PPD"}
    paid_off, owing, untouched = (_issued(company, customer=customer, **ppd) for _ in range(3))
    _issued(company, customer=customer)  # PUE: never listed for payments
    _pago(company, customer, _payment(paid_off.uuid_text, 1, "1160.00", "1160.00"))
    _pago(company, customer, _payment(owing.uuid_text, 1, "1160.00", "500.00"))
    _pago(company, customer, _payment(owing.uuid_text, 2, "660.00", "400.00"))
    cancelled = _pago(company, customer, _payment(untouched.uuid_text, 1, "1160.00", "100.00"))
    Cfdi.objects.filter(pk=cancelled.pk).update(status="cancelado")  # its payment no longer counts
    with django_assert_num_queries(CUSTOMER_INVOICES_QUERIES):
        listed = customer_invoices(viewer=owner, company=company, customer=customer, ppd=True)
    assert [(i.cfdi.uuid_text, i.balance, i.parcialidad) for i in listed] == [
        (untouched.uuid_text, Decimal("1160.00"), 1),
        (owing.uuid_text, Decimal("260.00"), 3),
    ]
    for invoice in listed:  # the same figure as the one-invoice selector the issuing checks
        assert invoice.balance == ppd_balance(company=company, uuid=invoice.cfdi.uuid)
    for _ in range(3):
        _issued(company, customer=customer, **ppd)
    owner = owner_of(company.account)  # a fresh user: its grant is read again
    with django_assert_num_queries(CUSTOMER_INVOICES_QUERIES):
        listed = customer_invoices(viewer=owner, company=company, customer=customer, ppd=True)
    assert len(listed) == 5


def test_a_traslado_carries_its_carta_porte_through_the_sandbox():
    company = issuing_company()
    origin = make_item(Location, company)
    destination = make_item(Location, company, name="Bodega Zapopan", location_type="destination")
    spec = CartaPorteSpec(
        vehicle=make_item(Vehicle, company),
        stops=(
            StopSpec(origin, datetime(2026, 2, 1, 8, tzinfo=MEXICO)),
            StopSpec(destination, datetime(2026, 2, 1, 12, tzinfo=MEXICO), Decimal("25.5")),
        ),
        goods=(GoodsSpec("50201706", "Café en grano", Decimal("10"), "KGM", Decimal("10.000")),),
        figures=(make_item(Figure, company),),
    )
    cfdi = _issued(company, tipo="T", forma_pago="", metodo_pago="", uso_cfdi="S01",
                   concepts=(concept(valor_unitario=Decimal(0), objeto_imp="01", taxes=()),),
                   carta_porte=spec)  # fmt: skip
    root = parse_xml(stored_bytes(cfdi))
    assert root.get("TipoDeComprobante") == "T"
    carta = root.find(".//{http://www.sat.gob.mx/CartaPorte31}CartaPorte")
    assert carta.get("TotalDistRec") == "25.5" or Decimal(carta.get("TotalDistRec")) == Decimal(
        "25.5"
    )
    assert carta.get("IdCCP").startswith("CCC")


# --- re-sending and the email over SMTP -------------------------------------------------------


def test_a_stamped_cfdi_is_resent_to_other_addresses_each_audited(
    django_capture_on_commit_callbacks,
):
    company = issuing_company()
    cfdi = _issued(company)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cfdi_resend(cfdi=cfdi, actor=owner_of(company.account),
                    emails=["pagos@norte.example.mx", " Conta@Norte.example.mx "])  # fmt: skip
    assert sorted(m.to[0] for m in mail.outbox) == [
        "conta@norte.example.mx",
        "pagos@norte.example.mx",
    ]
    assert AuditEvent.objects.filter(action=Action.CFDI_DELIVERED).count() == 3


def test_resending_to_an_invalid_address_is_refused_naming_it():
    company = issuing_company()
    cfdi = _issued(company)
    with pytest.raises(ValidationError) as caught:
        cfdi_resend(cfdi=cfdi, actor=owner_of(company.account), emails=["no-es-correo"])
    refusal = _refusal(caught.value, "email")
    assert refusal.code == "invalid_email"
    assert "no-es-correo" in refusal.message


def test_the_issue_email_travels_over_smtp_with_xml_pdf_and_the_portal_link(
    smtp_inbox, django_capture_on_commit_callbacks
):
    company = issuing_company()
    with django_capture_on_commit_callbacks(execute=True):
        cfdi = _issued(company)
    [message] = smtp_inbox.messages
    assert message["To"] == "compras@norte.example.mx"
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    xml = attachments[f"{cfdi.uuid_text}.xml"].get_content()
    assert (xml if isinstance(xml, bytes) else xml.encode()) == stored_bytes(cfdi)
    printed = _text_of(attachments[f"{cfdi.uuid_text}.pdf"].get_content())
    assert "SIN VALIDEZ FISCAL" in printed
    assert "BORRADOR" not in printed
    assert f"{SITE_URL}/portal/{company.slug}/" in text_of(message)


def test_a_batch_issues_every_draft_and_reports_each_failure():
    company = issuing_company()
    good = ready_draft(company)
    bad = ready_draft(company, customer=customer_of(company))
    Customer.objects.filter(pk=bad.customer_id).update(codigo_postal="00001")
    result = drafts_issue_task.enqueue([good.pk, bad.pk], owner_of(company.account).pk)
    outcome = result.return_value
    assert outcome[str(good.pk)] == Draft.objects.get(pk=good.pk).cfdi.uuid_text
    assert "c_CodigoPostal" in outcome[str(bad.pk)]


# --- what issuing costs in queries ----------------------------------------------------------

# Issuing one invoice (no email to send): the draft locked and read with its concepts,
# relations, payments and Carta Porte; the CSD; the folio (one UPDATE … RETURNING) and its
# audit row, the seal's audit row, the draft's one UPDATE; the sandbox's lookup and row; the
# repository's duplicate check, row, portal accesses and audit row; the draft issued and
# ``cfdi.issued``. Savepoints count (the test runs inside a transaction). Pinned so it
# cannot creep back up.
ISSUE_QUERIES = 27


@pytest.mark.parametrize("concepts", [1, 10])
def test_issuing_an_invoice_makes_the_same_number_of_queries_whatever_its_concepts(
    django_assert_num_queries, concepts
):
    company = issuing_company()
    draft = ready_draft(
        company,
        customer=customer_of(company, emails=[]),
        concepts=tuple(concept(descripcion=f"Servicio {n}") for n in range(concepts)),
    )
    owner = owner_of(company.account)
    with django_assert_num_queries(ISSUE_QUERIES):
        cfdi = draft_issue(draft=draft, actor=owner)
    assert Draft.objects.get(pk=draft.pk).status == DraftStatus.ISSUED
    assert len(parse_xml(stored_bytes(cfdi)).findall(".//{*}Concepto")) == concepts
