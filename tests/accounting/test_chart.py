"""The chart of accounts: SAT's código agrupador from SAT's catalog, a default chart for a
persona moral or física, editable, and a sub-account per customer or supplier RFC."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from despacho.accounting.chart import agrupador_name, nature_for
from despacho.accounting.models import Account, Nature, PostingRules
from despacho.accounting.services import (
    account_create,
    account_update,
    chart_create_default,
    counterpart_account,
)
from despacho.satcatalogs import Catalog, descriptions
from tests.accounting.helpers import acct, chart_company, simple_poliza
from tests.cfdi.cfdi_samples import company_with_rfc
from tests.factories import owner_of, valid_rfc

pytestmark = pytest.mark.django_db


def test_every_default_account_uses_a_real_codigo_agrupador_with_sats_name():
    company = chart_company()
    catalog = descriptions(Catalog.CODIGO_AGRUPADOR)
    accounts = list(Account.objects.filter(company=company))
    assert len(accounts) > 50
    for account in accounts:
        assert account.codigo_agrupador in catalog
        assert account.name == catalog[account.code]
        assert account.level == (1 if account.parent is None else account.parent.level + 1)
    assert agrupador_name("118.01") == "IVA acreditable pagado"


def test_natures_follow_the_groups_with_their_contra_accounts():
    assert nature_for("102.01") == Nature.DEUDORA
    assert nature_for("201.01") == Nature.ACREEDORA
    assert nature_for("401.01") == Nature.ACREEDORA
    assert nature_for("402.01") == Nature.DEUDORA  # returns on sales
    assert nature_for("171.04") == Nature.ACREEDORA  # accumulated depreciation
    assert nature_for("601.84") == Nature.DEUDORA


def test_a_persona_moral_gets_capital_social_and_a_fisica_patrimonio():
    moral = chart_company()
    assert Account.objects.filter(company=moral, code="301.01").exists()
    assert not Account.objects.filter(company=moral, code="302.01").exists()
    fisica = company_with_rfc(valid_rfc(moral=False))
    chart_create_default(company=fisica, actor=None)
    assert Account.objects.filter(company=fisica, code="302.01").exists()
    assert not Account.objects.filter(company=fisica, code="301.01").exists()
    assert PostingRules.objects.get(company=fisica).ventas.code == "401.01"


def test_the_default_chart_is_created_once():
    company = chart_company()
    with pytest.raises(ValidationError) as refusal:
        chart_create_default(company=company, actor=None)
    assert refusal.value.code == "chart_exists"


def test_an_account_needs_a_codigo_agrupador_of_sats_catalog():
    company = chart_company()
    with pytest.raises(ValidationError) as refusal:
        account_create(
            company=company,
            actor=None,
            code="102.01.01",
            name="BBVA",
            codigo_agrupador="999.99",
            nature="D",
            parent=acct(company, "102.01"),
        )
    assert refusal.value.error_dict["codigo_agrupador"][0].code == "agrupador_unknown"
    bank = account_create(
        company=company,
        actor=None,
        code="102.01.01",
        name="BBVA",
        codigo_agrupador="102.01",
        nature="D",
        parent=acct(company, "102.01"),
    )
    assert bank.level == 3
    with pytest.raises(ValidationError) as refusal:
        account_create(
            company=company,
            actor=None,
            code="102.01.01",
            name="Otra",
            codigo_agrupador="102.01",
            nature="D",
            parent=None,
        )
    assert refusal.value.error_dict["code"][0].code == "duplicate"


def test_an_account_with_movements_takes_no_sub_accounts():
    company = chart_company()
    simple_poliza(company)
    with pytest.raises(ValidationError) as refusal:
        account_create(
            company=company,
            actor=None,
            code="401.01.01",
            name="Mostrador",
            codigo_agrupador="401.01",
            nature="A",
            parent=acct(company, "401.01"),
        )
    assert refusal.value.error_dict["parent"][0].code == "parent_has_movements"


def test_an_account_is_renamed_and_deactivated_with_its_audit():
    company = chart_company()
    account = account_update(
        account=acct(company, "601.84"),
        actor=owner_of(company.account),
        name="Gastos varios",
        codigo_agrupador="601.84",
        nature="D",
        is_active=False,
    )
    account.refresh_from_db()
    assert (account.name, account.is_active) == ("Gastos varios", False)


def test_a_counterparts_sub_account_is_created_once_per_rfc():
    company = chart_company()
    parent = acct(company, "105.01")
    first = counterpart_account(parent=parent, rfc="kij0906199r1", name="KIJ")
    again = counterpart_account(parent=parent, rfc="KIJ0906199R1", name="KIJ")
    other = counterpart_account(parent=parent, rfc="EKU9003173C9", name="KEMPER")
    assert first == again
    assert (first.code, other.code) == ("105.01.0001", "105.01.0002")
    assert first.counterpart_rfc == "KIJ0906199R1"


def test_a_chart_belongs_to_its_company_only():
    company = chart_company()
    other = chart_company()
    with pytest.raises(ValidationError):
        account_create(
            company=company,
            actor=None,
            code="X1",
            name="Ajena",
            codigo_agrupador="102.01",
            nature="D",
            parent=acct(other, "102.01"),
        )
