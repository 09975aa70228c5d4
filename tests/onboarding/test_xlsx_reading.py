"""Reading .xlsx workbooks for the import engine: the first sheet by the kind's columns, codes
with their leading zeros back, and one clear Spanish refusal for what is not a plain
workbook (damaged, with macros, declaring entities)."""

from __future__ import annotations

import datetime
import io
import zipfile

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from despacho.onboarding.csvfile import CLIENTS_LAYOUT, UnreadableFile
from despacho.onboarding.sheets import read_upload


def _workbook(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr(name, content)
    return out.getvalue()


def test_a_workbook_reads_like_its_csv_with_headers_matched_and_zeros_restored():
    data = _workbook(
        [
            ["Razón social", "RFC", "C.P.", "Fecha"],
            ["ACME", "EKU9003173C9", 6000, datetime.datetime(2026, 1, 2)],
            [None, None, None, None],
            ["BETA", "EKU9003173C9", "06600", None],
        ]
    )
    parsed = read_upload(data, max_rows=10, layout=CLIENTS_LAYOUT)
    assert parsed.encoding == "xlsx"
    assert parsed.rows == [
        (2, {"nombre": "ACME", "rfc": "EKU9003173C9", "codigo_postal": "06000"}),
        (4, {"nombre": "BETA", "rfc": "EKU9003173C9", "codigo_postal": "06600"}),
    ]


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [
        (lambda: b"PK\x03\x04 not a zip", "xlsx_unreadable", "libro de Excel"),
        (
            lambda: _with_part(_workbook([["nombre"]]), "xl/vbaProject.bin", b"macro"),
            "xlsx_macros",
            "macros",
        ),
        (
            lambda: _with_part(
                _workbook([["nombre"]]),
                "xl/evil.xml",
                b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
            ),
            "xlsx_unreadable",
            "libro de Excel",
        ),
        (lambda: _workbook([["nombre", "rfc"], ["A", "B"]]), "missing_columns", "codigo_postal"),
        (lambda: _workbook([["nombre", "rfc", "cp"]]), "no_rows", "agrega una empresa por fila"),
    ],
)
def test_what_is_not_a_plain_workbook_gets_one_spanish_message(make, code, message):
    with pytest.raises(UnreadableFile) as refused:
        read_upload(make(), max_rows=10, layout=CLIENTS_LAYOUT)
    assert refused.value.code == code
    assert message in refused.value.message


@given(st.integers(min_value=0, max_value=99999))
def test_a_postal_code_typed_as_a_number_comes_back_with_five_digits(number):
    data = _workbook([["nombre", "rfc", "codigo_postal"], ["A", "B", number]])
    (row,) = read_upload(data, max_rows=1, layout=CLIENTS_LAYOUT).rows
    assert row[1]["codigo_postal"] == f"{number:05d}"
