"""The demo keeps each client's accounts: its default chart and the pólizas of its CFDIs,
balanced, and loading it again posts nothing twice."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from despacho.accounting.models import Poliza, PolizaBalance, PostingRules, Source
from despacho.cfdi.models import Cfdi

pytestmark = pytest.mark.django_db


def test_each_demo_client_has_its_chart_and_the_polizas_of_its_cfdis(settings):
    settings.DEBUG = True
    call_command("demo", stdout=StringIO())
    kemper = PostingRules.objects.get(company__rfc="EKU9003173C9").company
    assert PostingRules.objects.count() == 4
    posted = Poliza.objects.filter(company=kemper, source=Source.CFDI)
    assert posted.count() > 10
    assert set(posted.values_list("cfdi__tipo", flat=True)) >= {"I", "E", "P", "N"}
    # The demo's cancelled invoice has its reversal.
    cancelled = Cfdi.objects.filter(company=kemper, status="cancelado")
    assert cancelled.exists()
    assert (
        Poliza.objects.filter(cfdi__in=cancelled, source=Source.REVERSAL).count()
        == cancelled.count()
    )
    total = Poliza.objects.count()
    assert PolizaBalance.objects.count() == total
    call_command("demo", stdout=StringIO())
    assert Poliza.objects.count() == total
