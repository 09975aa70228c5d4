"""Filter dates people can mean: far-future or far-past days are refused, never a 500."""

import pytest
from django.urls import reverse

from despacho.cfdi.forms import CfdiFilterForm
from tests.factories import make_account, make_company, owner_of

pytestmark = pytest.mark.django_db


def test_a_day_beyond_2999_is_refused_naming_the_field():
    form = CfdiFilterForm({"until": "9999-12-31"})
    assert not form.is_valid()
    assert form.errors["until"] == ["Hasta: la fecha debe estar entre 1900-01-01 y 2999-12-31."]


@pytest.mark.parametrize("route", ["cfdi:list", "audit:list"])
@pytest.mark.parametrize("query", ["until=9999-12-31", "since=0001-01-01", "until=2999-12-31"])
def test_lists_answer_edge_dates_without_an_error_page(client, route, query):
    account = make_account()
    make_company(account)
    client.force_login(owner_of(account))
    args = ["ventas"] if route == "cfdi:list" else []
    response = client.get(reverse(route, args=args) + "?" + query)
    assert response.status_code == 200
