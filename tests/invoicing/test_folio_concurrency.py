"""Twenty connections stamp drafts of one series at the same moment (PostgreSQL).

Each thread has its own database connection and its own draft; all wait at a barrier,
then begin stamping (``draft_stamping_begin`` takes the folio in the transaction that
writes it on the draft). The series row's lock makes them queue: the folios are 1..20,
each once, none skipped. The same then holds when some attempts roll back mid-way.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from despacho.invoicing.models import Draft, Series
from despacho.invoicing.services.drafts import draft_stamping_begin
from tests.concurrency import at_once
from tests.factories import make_own_company, owner_of
from tests.invoicing.helpers import make_draft, make_series

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CONNECTIONS = 20


def test_twenty_connections_take_distinct_contiguous_folios():
    company = make_own_company()
    series = make_series(company, "A", is_default=True)
    owner = owner_of(company.account)
    drafts = [make_draft(company) for _ in range(CONNECTIONS)]

    outcomes = at_once(
        [lambda d=d: draft_stamping_begin(draft=d, actor=owner).folio for d in drafts]
    )

    assert sorted(outcomes) == list(range(1, CONNECTIONS + 1)), outcomes
    stored = list(Draft.objects.filter(series=series).values_list("folio", flat=True))
    assert sorted(stored) == list(range(1, CONNECTIONS + 1))
    assert Series.objects.get(pk=series.pk).next_folio == CONNECTIONS + 1


class PacDown(Exception):
    pass


def test_attempts_that_roll_back_give_their_folios_back_under_concurrency():
    company = make_own_company()
    series = make_series(company, "A", is_default=True)
    owner = owner_of(company.account)
    drafts = [make_draft(company) for _ in range(CONNECTIONS)]

    def stamp(draft, fail):
        # "Take folio + stamp + store in one transaction": a failure rolls the folio back.
        with transaction.atomic():
            folio = draft_stamping_begin(draft=draft, actor=owner).folio
            if fail:
                raise PacDown
            return folio

    outcomes = at_once([lambda d=d, n=n: stamp(d, fail=n % 3 == 0) for n, d in enumerate(drafts)])

    folios = sorted(o for o in outcomes if isinstance(o, int))
    failures = [o for o in outcomes if isinstance(o, PacDown)]
    assert len(folios) + len(failures) == CONNECTIONS, outcomes
    assert folios == list(range(1, len(folios) + 1))  # no gap left by the failed ones
    assert Series.objects.get(pk=series.pk).next_folio == len(folios) + 1
