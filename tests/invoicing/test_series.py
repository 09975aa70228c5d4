"""Series and folios: SAT's Serie rule, defaults per tipo, and folios that never repeat or skip."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from despacho.audit.models import AuditEvent
from despacho.invoicing.models import Draft, DraftStatus, Series
from despacho.invoicing.services.drafts import (
    draft_delete,
    draft_stamping_begin,
    draft_stamping_failed,
)
from despacho.invoicing.services.series import folio_take, series_create
from tests.factories import make_own_company, owner_of
from tests.invoicing.helpers import invoice_data, make_draft, make_series

pytestmark = pytest.mark.django_db


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(code=st.one_of(st.from_regex(r"[A-Za-z0-9]{1,25}", fullmatch=True), st.text(max_size=30)))
def test_a_serie_is_1_to_25_letters_or_digits(code):
    company = make_own_company()
    valid = re.fullmatch(r"[A-Za-z0-9]{1,25}", code.strip(), flags=re.ASCII) is not None
    if valid:
        assert series_create(company=company, actor=owner_of(company.account), code=code).code
    else:
        with pytest.raises(ValidationError) as refused:
            series_create(company=company, actor=owner_of(company.account), code=code)
        assert refused.value.error_dict["code"][0].code == "invalid_serie"
        assert not Series.objects.filter(company=company).exists()


def test_creating_a_series_is_audited_and_a_code_is_unique_per_company():
    company = make_own_company()
    make_series(company, "F", tipo="I", next_folio=101)
    event = AuditEvent.objects.get(action="series.created")
    assert event.target_label == "serie F"
    assert event.after["next_folio"] == 101
    with pytest.raises(ValidationError) as refused:
        make_series(company, "F")
    assert "ya tiene la serie F" in refused.value.error_dict["code"][0].message
    make_series(make_own_company(), "F")  # another company may use it


def test_the_database_refuses_a_bad_serie_or_two_defaults_for_one_tipo():
    company = make_own_company()
    with pytest.raises(IntegrityError), transaction.atomic():
        Series.objects.create(company=company, code="A B")
    Series.objects.create(company=company, code="A", tipo="I", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Series.objects.create(company=company, code="B", tipo="I", is_default=True)


def test_a_new_default_replaces_the_tipos_previous_one_and_drafts_take_it():
    company = make_own_company()
    make_series(company, "A", tipo="I", is_default=True)
    second = make_series(company, "B", tipo="I", is_default=True)
    any_tipo = make_series(company, "G", is_default=True)
    assert list(Series.objects.filter(company=company, is_default=True)) == [second, any_tipo]
    assert make_draft(company).series == second
    assert make_draft(company, tipo="E").series == any_tipo  # no E default: the any-tipo one


def test_a_series_serves_only_its_tipo():
    company = make_own_company()
    pagos = make_series(company, "P", tipo="P")
    with pytest.raises(ValidationError) as refused:
        make_draft(company, series=pagos)
    error = refused.value.error_dict["series"][0]
    assert error.code == "series_tipo"
    assert "es para comprobantes de Pago, no de Ingreso" in error.message


def test_folios_follow_each_other_from_the_series_next_folio():
    series = make_series(make_own_company(), "A", next_folio=41)
    with transaction.atomic():
        taken = [folio_take(series=series) for _ in range(3)]
    assert taken == [41, 42, 43]
    assert Series.objects.get(pk=series.pk).next_folio == 44


def test_a_rolled_back_transaction_gives_its_folio_back():
    series = make_series(make_own_company(), "A")
    with pytest.raises(RuntimeError, match="PAC"), transaction.atomic():
        assert folio_take(series=series) == 1
        raise RuntimeError("the PAC did not answer")
    with transaction.atomic():
        assert folio_take(series=series) == 1


@pytest.mark.django_db(transaction=True)  # the test itself must not be one transaction
def test_a_folio_is_taken_only_inside_the_transaction_that_records_it():
    series = make_series(make_own_company(), "A")
    with pytest.raises(RuntimeError):
        folio_take(series=series)


def test_an_inactive_series_gives_no_folio():
    series = make_series(make_own_company(), "A")
    Series.objects.filter(pk=series.pk).update(is_active=False)
    with pytest.raises(ValidationError) as refused, transaction.atomic():
        folio_take(series=series)
    assert refused.value.error_dict["series"][0].code == "series_unavailable"


def test_stamping_takes_the_folio_once_and_a_failed_attempt_keeps_it_for_the_retry():
    company = make_own_company()
    make_series(company, "A", is_default=True)
    owner = owner_of(company.account)
    draft = make_draft(company)

    stamping = draft_stamping_begin(draft=draft, actor=owner)
    assert (stamping.status, stamping.folio, stamping.serie_folio) == ("stamping", 1, "A1")
    assert stamping.receptor_rfc == draft.customer.rfc  # snapshotted for the PAC

    failed = draft_stamping_failed(draft=stamping, error="CFDI40147: el RFC no existe")
    assert (failed.status, failed.folio, failed.last_error) == (
        DraftStatus.DRAFT,
        1,
        "CFDI40147: el RFC no existe",
    )
    retry = draft_stamping_begin(draft=failed, actor=owner)
    assert (retry.folio, retry.last_error) == (1, "")
    assert Series.objects.get(company=company).next_folio == 2  # nothing taken twice
    assert AuditEvent.objects.filter(action="draft.folio_taken").count() == 1
    # The next draft gets the next folio: no gap, no repeat.
    assert draft_stamping_begin(draft=make_draft(company), actor=owner).folio == 2


def test_a_draft_holding_a_folio_cannot_be_deleted_nor_moved_to_another_series():
    company = make_own_company()
    make_series(company, "A", is_default=True)
    other = make_series(company, "B")
    owner = owner_of(company.account)
    draft = draft_stamping_begin(draft=make_draft(company), actor=owner)
    draft = draft_stamping_failed(draft=draft, error="timeout")
    with pytest.raises(ValidationError) as refused:
        draft_delete(draft=draft, actor=owner)
    assert refused.value.code == "folio_taken"
    assert "dejaría un hueco" in refused.value.message
    from despacho.invoicing.services.drafts import draft_update

    with pytest.raises(ValidationError) as moved:
        draft_update(draft=draft, actor=owner, data=invoice_data(draft.customer, series=other))
    assert moved.value.error_dict["series"][0].code == "folio_taken"
    assert Draft.objects.get(pk=draft.pk).folio == 1


def test_the_database_refuses_one_folio_on_two_drafts_of_a_series():
    company = make_own_company()
    series = make_series(company, "A")
    Draft.objects.create(company=company, tipo="I", series=series, folio=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        Draft.objects.create(company=company, tipo="I", series=series, folio=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        Draft.objects.create(company=company, tipo="I", folio=8)  # a folio needs its series
