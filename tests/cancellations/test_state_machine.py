"""The cancellation is a state machine: every legal move works, every other is refused, and
the database itself refuses what must never be."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.cancellations.models import (
    FINAL_STATES,
    TRANSITIONS,
    Cancellation,
    CancellationStep,
    State,
)
from despacho.cancellations.services import cancellation_advance
from despacho.cfdi.models import Cfdi, Status
from tests.cfdi.cfdi_samples import any_rfc
from tests.factories import make_account, make_company
from tests.portal.scenario import issue

pytestmark = pytest.mark.django_db

CFDI_STATUS_AFTER = {
    State.EN_PROCESO: Status.CANCELACION_EN_PROCESO,
    State.CANCELADA: Status.CANCELADO,
    State.PLAZO_VENCIDO: Status.CANCELADO,
    State.RECHAZADA: Status.VIGENTE,
    State.ERROR: Status.VIGENTE,
}


def _cancellation(state: str, cfdi: Cfdi | None = None, **fields) -> Cancellation:
    if cfdi is None:
        company = make_company(make_account())
        cfdi = issue(company, any_rfc())
    return Cancellation.objects.create(
        company=cfdi.company,
        cfdi=cfdi,
        motivo=fields.pop("motivo", "02"),
        state=state,
        needs_acceptance=True,
        finished_at=timezone.now() if state in FINAL_STATES else None,
        **fields,
    )


def test_the_transitions_table_names_every_state():
    assert set(TRANSITIONS) == set(State.values)
    assert all(not TRANSITIONS[state] for state in FINAL_STATES)


@pytest.mark.parametrize(("start", "to"), list(itertools.product(State.values, State.values)))
def test_every_move_is_taken_if_legal_and_refused_otherwise(start, to):
    cancellation = _cancellation(start)
    if to in TRANSITIONS[start]:
        moved = cancellation_advance(cancellation=cancellation, to=to, message="paso")
        assert moved.state == to
        assert (moved.finished_at is not None) == (to in FINAL_STATES)
        assert CancellationStep.objects.filter(cancellation=moved, state=to).exists()
        assert Cfdi.objects.get(pk=cancellation.cfdi_id).status == CFDI_STATUS_AFTER[to]
        finished = AuditEvent.objects.filter(action=Action.CANCELLATION_FINISHED).exists()
        assert finished == (to in FINAL_STATES)
    else:
        with pytest.raises(ValidationError) as refused:
            cancellation_advance(cancellation=cancellation, to=to)
        assert refused.value.code == "illegal_transition"
        assert Cancellation.objects.get(pk=cancellation.pk).state == start
        assert not CancellationStep.objects.filter(cancellation=cancellation).exists()


def test_the_database_refuses_a_second_open_request_for_one_cfdi():
    first = _cancellation(State.EN_PROCESO)
    with pytest.raises(IntegrityError), transaction.atomic():
        _cancellation(State.SOLICITADA, cfdi=first.cfdi)


def test_closed_requests_do_not_count_as_open():
    first = _cancellation(State.RECHAZADA)
    _cancellation(State.ERROR, cfdi=first.cfdi)
    assert _cancellation(State.SOLICITADA, cfdi=first.cfdi).is_open


@pytest.mark.parametrize(
    "fields",
    [
        {"motivo": "01"},  # 01 without its substitute
        {"motivo": "02", "folio_sustitucion": "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"},
        {"motivo": "05"},
        {"state": "borrada"},
    ],
)
def test_the_database_refuses_what_must_never_be(fields):
    state = fields.pop("state", State.SOLICITADA)
    cfdi = issue(make_company(make_account()), any_rfc())
    with pytest.raises(IntegrityError), transaction.atomic():
        _cancellation(state, cfdi=cfdi, **fields)


def test_a_final_state_without_its_moment_is_refused():
    cancellation = _cancellation(State.EN_PROCESO)
    with pytest.raises(IntegrityError), transaction.atomic():
        Cancellation.objects.filter(pk=cancellation.pk).update(state=State.CANCELADA)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(walk=st.lists(st.sampled_from(State.values), max_size=6))
def test_any_walk_keeps_state_history_and_cfdi_status_in_step(walk):
    cfdi = issue(make_company(make_account()), any_rfc())
    with transaction.atomic():
        cancellation = _cancellation(State.SOLICITADA, cfdi=cfdi)
        taken = [State.SOLICITADA]
        for to in walk:
            try:
                cancellation = cancellation_advance(cancellation=cancellation, to=to)
            except ValidationError:
                assert to not in TRANSITIONS[taken[-1]]
            else:
                assert to in TRANSITIONS[taken[-1]]
                taken.append(to)
        stored = Cancellation.objects.get(pk=cancellation.pk)
        assert stored.state == taken[-1]
        assert list(stored.steps.values_list("state", flat=True)) == taken[1:]
        expected = CFDI_STATUS_AFTER.get(taken[-1], Status.VIGENTE)
        assert Cfdi.objects.get(pk=cfdi.pk).status == expected
        transaction.set_rollback(True)
