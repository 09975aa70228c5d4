"""Reconciliation: the engine's suggestions with score and reasons, confirm, reject, match
by hand, undo (audited); the lists; a closed category shows only as its sum."""

from __future__ import annotations

import uuid as uuid_module
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.cfdi.models import Cfdi
from despacho.cfdi.selectors import CfdiNotFound
from despacho.cfdi.services import cfdi_ingest
from despacho.treasury import signals
from despacho.treasury.models import Match, MatchMovement, MatchStatus, Movement
from despacho.treasury.reconciliation import (
    match_confirm,
    match_manual,
    match_reject,
    match_undo,
    suggestions_refresh,
)
from despacho.treasury.selectors import (
    differences,
    match_views,
    matches_of,
    paid_not_seen,
    pending_movements,
)
from despacho.treasury.services import statement_import
from despacho.treasury.statements import PRESETS
from tests.cfdi.cfdi_samples import any_rfc, cfdi_xml, nomina_xml
from tests.treasury.conftest import make_bank_account

pytestmark = pytest.mark.django_db

CUSTOMER = "CNO0501015T5"  # invented customers and supplier (valid RFC shapes)
OTHER_CUSTOMER = "PAC990101AB1"
SUPPLIER = "PPA100101AB2"


def issue(company, *, total, receptor=CUSTOMER, folio="1", tipo="I", fecha="2026-01-10T10:00:00",
          nombre="COMERCIALIZADORA DEL NORTE SA DE CV", complement=""):  # fmt: skip
    outcome = cfdi_ingest(
        company=company,
        data=cfdi_xml(
            emisor=company.rfc,
            receptor=receptor,
            tipo=tipo,
            total=total,
            subtotal=total,
            folio=folio,
            fecha=fecha,
            receptor_nombre=nombre,
            complement=complement,
        ),
    )
    return outcome.cfdi


def receive(company, *, total, folio="77", fecha="2026-01-08T09:00:00"):
    outcome = cfdi_ingest(
        company=company,
        data=cfdi_xml(
            emisor=SUPPLIER,
            receptor=company.rfc,
            total=total,
            subtotal=total,
            folio=folio,
            fecha=fecha,
            emisor_nombre="PAPELERA PACIFICO SA DE CV",
        ),
    )
    return outcome.cfdi


def bank(company, actor, rows):
    """Movements through an HSBC-style CSV (signed amounts): (dd/mm/yyyy, concept, amount)."""
    account = make_bank_account(company, actor, opening="0")
    lines = ["Fecha,Descripción,Referencia,Importe"]
    lines += [f'{day},{concept},{reference},"{amount}"' for day, concept, reference, amount in rows]
    statement_import(
        account=account,
        actor=actor,
        file_name="movimientos.csv",
        data="\r\n".join(lines).encode(),
        layout=PRESETS["hsbc"],
    )
    return account


def only_suggestion(company, actor):
    suggestions_refresh(company=company, actor=actor)
    (match,) = matches_of(viewer=actor, company=company, status=MatchStatus.SUGGESTED)
    return match


def test_a_deposit_naming_the_customer_rfc_is_suggested_with_its_reasons(company, owner):
    invoice = issue(company, total="11600.00", folio="101")
    bank(company, owner, [("12/01/2026", f"SPEI RECIBIDO RFC {CUSTOMER}", "", "11,600.00")])
    match = only_suggestion(company, owner)
    assert {"amount_exact", "rfc"} <= set(match.reasons)
    assert match.score >= Decimal("0.85")
    (view,) = match_views(viewer=owner, company=company, matches=[match])
    assert [c.cfdi for c in view.cfdis] == [invoice]


def test_confirming_reconciles_the_movement_and_undoing_puts_it_back(company, owner):
    issue(company, total="11600.00", folio="101")
    bank(company, owner, [("12/01/2026", f"SPEI {CUSTOMER}", "", "11,600.00")])
    match = only_suggestion(company, owner)
    heard = []
    signals.match_confirmed.connect(lambda **kw: heard.append(kw["match"].pk), weak=False)
    match_confirm(match=match, actor=owner)
    assert heard == [match.pk]
    assert not pending_movements(viewer=owner, company=company).exists()
    match_undo(match=match, actor=owner)
    assert pending_movements(viewer=owner, company=company).count() == 1
    actions = list(AuditEvent.objects.filter(company=company).values_list("action", flat=True))
    assert Action.MATCH_CONFIRMED in actions and Action.MATCH_UNDONE in actions
    with pytest.raises(ValidationError) as refused:
        match_undo(match=match, actor=owner)
    assert refused.value.code == "not_pending"


def test_a_deposit_short_by_a_fee_matches_within_the_tolerance_and_shows_the_difference(
    company, owner
):
    issue(company, total="11600.00", folio="A-101")
    bank(company, owner, [("15/01/2026", "DEPOSITO COMERCIALIZADORA NORTE", "A-101", "11,594.20")])
    match = only_suggestion(company, owner)
    assert "amount_tolerance" in match.reasons and "folio" in match.reasons
    match_confirm(match=match, actor=owner)
    (different,) = differences(viewer=owner, company=company)
    assert different.difference == Decimal("-5.80")


def test_one_deposit_paying_two_invoices_of_the_customer(company, owner):
    first = issue(company, total="1160.00", folio="201")
    second = issue(company, total="2320.00", folio="202", fecha="2026-01-11T10:00:00")
    issue(company, total="999.00", folio="203", receptor=OTHER_CUSTOMER)
    bank(company, owner, [("20/01/2026", f"SPEI {CUSTOMER}", "", "3,480.00")])
    match = only_suggestion(company, owner)
    (view,) = match_views(viewer=owner, company=company, matches=[match])
    assert {c.cfdi for c in view.cfdis} == {first, second}
    assert "several_cfdis" in match.reasons


def test_one_invoice_paid_in_two_deposits(company, owner):
    invoice = issue(company, total="10000.00", folio="301")
    bank(
        company,
        owner,
        [("12/01/2026", f"ANTICIPO {CUSTOMER}", "", "4,000.00"),
         ("25/01/2026", f"FINIQUITO {CUSTOMER}", "", "6,000.00")],
    )  # fmt: skip
    match = only_suggestion(company, owner)
    assert MatchMovement.objects.filter(match=match).count() == 2
    (view,) = match_views(viewer=owner, company=company, matches=[match])
    assert [c.cfdi for c in view.cfdis] == [invoice]


def test_a_payment_to_a_supplier_matches_the_received_invoice(company, owner):
    received = receive(company, total="2320.50")
    bank(company, owner, [("09/01/2026", "PAGO PAPELERA PACIFICO", "", "-2,320.50")])
    match = only_suggestion(company, owner)
    (view,) = match_views(viewer=owner, company=company, matches=[match])
    assert [c.cfdi for c in view.cfdis] == [received]


def test_two_invoices_alike_and_nothing_to_tell_them_apart_get_no_suggestion(company, owner):
    issue(company, total="500.00", folio="401", receptor=CUSTOMER)
    issue(company, total="500.00", folio="402", receptor=OTHER_CUSTOMER, nombre="OTRA SA")
    bank(company, owner, [("12/01/2026", "DEPOSITO EN EFECTIVO", "", "500.00")])
    assert suggestions_refresh(company=company, actor=owner) == 0


def test_payroll_is_one_amount_for_a_treasurer_without_nomina(company, owner, treasurer):
    for total in ("9000.00", "7500.00"):
        cfdi_ingest(
            company=company,
            data=cfdi_xml(
                emisor=company.rfc,
                receptor=any_rfc(),
                tipo="N",
                total=total,
                subtotal=total,
                fecha="2026-01-15T08:00:00",
                complement=nomina_xml(percepciones=total),
            ),
        )
    bank(company, owner, [("15/01/2026", "DISPERSION NOMINA QUINCENA", "", "-16,500.00")])
    match = only_suggestion(company, treasurer)
    assert "payroll_total" in match.reasons
    (seen,) = match_views(viewer=treasurer, company=company, matches=[match])
    assert [(c.cfdi, c.label, c.amount) for c in seen.cfdis] == [
        (None, "Nómina del periodo", Decimal("16500.00"))
    ]
    (owners,) = match_views(viewer=owner, company=company, matches=[match])
    assert len([c for c in owners.cfdis if c.cfdi is not None]) == 2


def test_a_rejected_suggestion_is_not_proposed_again(company, owner):
    issue(company, total="11600.00")
    bank(company, owner, [("12/01/2026", f"SPEI {CUSTOMER}", "", "11,600.00")])
    match_reject(match=only_suggestion(company, owner), actor=owner)
    assert suggestions_refresh(company=company, actor=owner) == 0
    assert AuditEvent.objects.filter(action=Action.MATCH_REJECTED).count() == 1


def test_matching_by_hand_names_cfdis_the_actor_may_see(company, owner, treasurer):
    invoice = issue(company, total="800.00")
    payroll = cfdi_ingest(
        company=company,
        data=cfdi_xml(emisor=company.rfc, receptor=any_rfc(), tipo="N", total="700.00",
                      subtotal="700.00", complement=nomina_xml(percepciones="700.00")),
    ).cfdi  # fmt: skip
    bank(company, owner, [("12/01/2026", "DEPOSITO", "", "750.00")])
    movement = Movement.objects.get()
    with pytest.raises(CfdiNotFound):
        match_manual(
            company=company, actor=treasurer, movements=[movement], uuids=[str(payroll.uuid)]
        )
    match = match_manual(
        company=company, actor=treasurer, movements=[movement], uuids=[str(invoice.uuid)]
    )
    assert match.status == MatchStatus.CONFIRMED and match.manual
    assert match.difference == Decimal("-50.00")
    with pytest.raises(ValidationError) as refused:
        match_manual(
            company=company, actor=owner, movements=[movement], uuids=[str(uuid_module.uuid4())[:8]]
        )
    assert "uuids" in refused.value.error_dict


def test_the_database_refuses_a_movement_in_two_confirmed_matches(company, owner):
    invoice = issue(company, total="800.00")
    bank(company, owner, [("12/01/2026", "DEPOSITO", "", "800.00")])
    movement = Movement.objects.get()
    match_manual(company=company, actor=owner, movements=[movement], uuids=[str(invoice.uuid)])
    other = Match.objects.create(
        company=company, status=MatchStatus.CONFIRMED, movements_total=1, cfdis_total=1
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchMovement.objects.create(match=other, movement=movement, confirmed=True)


def test_paid_invoices_not_seen_in_the_bank_are_listed(company, owner):
    seen = issue(company, total="11600.00", folio="501")
    missing = issue(company, total="4321.00", folio="502", fecha="2026-01-12T10:00:00")
    issue(company, total="50.00", folio="503", fecha="2026-03-01T10:00:00")  # after the period
    bank(company, owner, [("12/01/2026", f"SPEI {CUSTOMER}", "", "11,600.00"),
                          ("31/01/2026", "INTERESES", "", "1.00")])  # fmt: skip
    match_confirm(match=only_suggestion(company, owner), actor=owner)
    listed = paid_not_seen(viewer=owner, company=company)
    assert missing in listed and seen not in listed
    assert [c.folio for c in listed] == ["502"]
    assert Cfdi.objects.count() == 3
