"""Real CFDIs that broke ingestion (issue 12), as the rules ingestion now follows.

The documents are the project's real samples, mutated the way files found in the
wild are (attributes removed, namespaces swapped, versions changed, bytes flipped),
and synthetic CFDI 3.2/3.3 documents.
"""

from __future__ import annotations

import io
import re
import uuid as uuid_module

import pytest
from cfdi_samples import NOMINA_EKU, PAGO_EKU, SAMPLE_UUIDS, company_with_rfc, sample
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from despacho.cfdi.models import Cfdi
from despacho.cfdi.refusals import RefusalCode
from despacho.cfdi.services import Outcome, cfdi_ingest_files

pytestmark = pytest.mark.django_db

EKU = "EKU9003173C9"  # emisor of PAGO_EKU and NOMINA_EKU, both with seals that verify
CFDI3_NS = b"http://www.sat.gob.mx/cfd/3"
CFDI4_NS = b"http://www.sat.gob.mx/cfd/4"
_TFD_UUID = re.compile(rb'(<tfd:TimbreFiscalDigital[^>]*?\sUUID=")([^"]+)(")', re.DOTALL)
_ATTRIBUTE = re.compile(rb'\s[A-Za-z_:][\w:.-]*="[^"]*"')


def _batch(company, documents: list[bytes], **kwargs):
    files = [(f"{n}.xml", io.BytesIO(data)) for n, data in enumerate(documents)]
    return cfdi_ingest_files(company=company, files=files, **kwargs).outcomes


def _restamped(data: bytes) -> tuple[bytes, str]:
    """The same sealed document under a new timbre UUID (the seal does not cover the timbre)."""
    new = str(uuid_module.uuid4())
    return _TFD_UUID.sub(lambda m: m.group(1) + new.encode() + m.group(3), data, count=1), new


# --- 1. one bad document never stops its batch ------------------------------------------


def test_a_version_4_0_in_the_cfdi_3_namespace_is_refused_and_the_batch_goes_on():
    company = company_with_rfc(EKU)
    mixed = sample(NOMINA_EKU).replace(CFDI4_NS, CFDI3_NS)  # still says Version="4.0"
    first, second = _batch(company, [mixed, sample(PAGO_EKU)])
    assert first.code == RefusalCode.NOT_CFDI
    assert "4.0" in first.message
    assert second.status == Outcome.ACCEPTED
    assert [
        str(u) for u in Cfdi.objects.filter(company=company).values_list("uuid", flat=True)
    ] == [SAMPLE_UUIDS[PAGO_EKU]]


def test_a_3_3_version_in_the_cfdi_4_namespace_is_refused_too():
    company = company_with_rfc(EKU)
    mixed = sample(PAGO_EKU).replace(b'Version="4.0"', b'Version="3.3"', 1)
    (outcome,) = _batch(company, [mixed])
    assert outcome.code == RefusalCode.NOT_CFDI
    assert "3.3" in outcome.message


def test_an_unforeseen_failure_reading_one_document_is_that_documents_refusal(monkeypatch):
    import despacho.cfdi.services as services

    real_read_index = services.read_index

    def read_index(root):
        if root.get("TipoDeComprobante") == "N":
            raise KeyError("no rule foresaw this")
        return real_read_index(root)

    monkeypatch.setattr(services, "read_index", read_index)
    company = company_with_rfc(EKU)
    broken, fine = _batch(company, [sample(NOMINA_EKU), sample(PAGO_EKU)])
    assert broken.code == RefusalCode.UNREADABLE
    assert "no se guardó" in broken.message
    assert fine.status == Outcome.ACCEPTED


def test_a_refused_copy_does_not_make_the_good_document_after_it_a_duplicate():
    company = company_with_rfc(EKU)
    tampered = sample(PAGO_EKU).replace(b'Folio="Folio"', b'Folio="Otro"', 1)  # seal breaks
    first, second = _batch(company, [tampered, sample(PAGO_EKU)])
    assert first.code == RefusalCode.SEAL_INVALID
    assert second.status == Outcome.ACCEPTED


def _remove_attribute(data: bytes, pick: int) -> bytes:
    found = list(_ATTRIBUTE.finditer(data))
    if not found:
        return data
    match = found[pick % len(found)]
    return data[: match.start()] + data[match.end() :]


def _flip_byte(data: bytes, position: int, mask: int) -> bytes:
    position %= len(data)
    return data[:position] + bytes([data[position] ^ mask]) + data[position + 1 :]


_MUTATIONS = st.one_of(
    st.integers(0, 10_000).map(lambda pick: lambda d: _remove_attribute(d, pick)),
    st.sampled_from(
        [
            lambda d: d.replace(CFDI4_NS, CFDI3_NS),
            lambda d: d.replace(CFDI3_NS, CFDI4_NS),
            lambda d: d.replace(b'TimbreFiscalDigital"', b'TimbreFiscalDigitalX"'),
            lambda d: d.replace(b"http://www.sat.gob.mx/nomina12", b"http://www.sat.gob.mx/nomina"),
        ]
    ),
    st.sampled_from(["3.2", "3.3", "4.0", "1.0", "", "4.0 "]).map(
        lambda v: lambda d: d.replace(b'Version="4.0"', f'Version="{v}"'.encode(), 1)
    ),
    st.tuples(st.integers(0, 100_000), st.integers(1, 255)).map(
        lambda pm: lambda d: _flip_byte(d, pm[0], pm[1])
    ),
    st.integers(0, 100_000).map(lambda cut: lambda d: d[: cut % (len(d) + 1)]),
)
_MUTANTS = st.tuples(
    st.sampled_from([NOMINA_EKU, PAGO_EKU]), st.lists(_MUTATIONS, min_size=1, max_size=3)
).map(lambda pair: _apply(sample(pair[0]), pair[1]))


def _apply(data: bytes, mutations) -> bytes:
    for mutate in mutations:
        data = mutate(data)
    return data


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mutants=st.lists(_MUTANTS, min_size=1, max_size=4),
    valid=st.lists(st.sampled_from([NOMINA_EKU, PAGO_EKU]), min_size=1, max_size=3),
    order=st.randoms(use_true_random=False),
)
def test_mutated_real_cfdis_never_stop_a_batch_and_every_valid_one_is_stored(mutants, valid, order):
    with transaction.atomic():
        company = company_with_rfc(EKU)
        restamped = [_restamped(sample(name)) for name in valid]
        documents = [data for data, _uuid in restamped] + mutants
        order.shuffle(documents)
        outcomes = _batch(company, documents)  # no exception escapes

        assert len(outcomes) == len(documents)
        for outcome in outcomes:
            if outcome.status == Outcome.REFUSED:
                assert outcome.code in set(RefusalCode)
                assert outcome.message
        stored = {
            str(u): verified
            for u, verified in Cfdi.objects.filter(company=company).values_list(
                "uuid", "seal_verified"
            )
        }
        for _data, valid_uuid in restamped:
            assert stored[valid_uuid] is True
        transaction.set_rollback(True)
