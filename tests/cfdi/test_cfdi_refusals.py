"""Every refusal the issue names, with its code and Spanish message; hostile inputs built here."""

from __future__ import annotations

import io
import zipfile

import pytest
from cfdi_samples import NOMINA_EKU, PAGO_EKU, any_rfc, cfdi_xml, company_with_rfc, sample, zip_of
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from despacho.cfdi.models import Cfdi
from despacho.cfdi.parsing import parse_xml, read_index
from despacho.cfdi.pdf import render_pdf
from despacho.cfdi.refusals import Refusal, RefusalCode
from despacho.cfdi.services import Outcome, cfdi_ingest, cfdi_ingest_files

pytestmark = pytest.mark.django_db

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0" Serie="&lol9;">
&lol9;</cfdi:Comprobante>
"""


def _company():
    return company_with_rfc(any_rfc())


def _refusal(company, data: bytes, name: str = "archivo.xml"):
    outcome = cfdi_ingest(company=company, data=data, name=name)
    assert outcome.status == Outcome.REFUSED
    assert not Cfdi.objects.filter(company=company).exists()
    return outcome


def _with_doctype(document: bytes, doctype: bytes) -> bytes:
    body = document.split(b"?>", 1)[1]
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + doctype + body


# --- not XML, not a CFDI, not stamped, not the company's --------------------------------


@pytest.mark.parametrize("data", [b"hola, no soy XML", b"\x00\xff\x10binario", b"", b"<a><b></a>"])
def test_a_file_that_is_not_xml_is_refused(data):
    outcome = _refusal(_company(), data)
    assert outcome.code == RefusalCode.NOT_XML
    assert outcome.message == "No es un archivo XML válido."


def test_the_pdf_of_an_invoice_is_refused_saying_to_upload_its_xml():
    company = company_with_rfc("EKU9003173C9")
    printed = render_pdf(sample(PAGO_EKU))  # what people download next to the XML
    (outcome,) = cfdi_ingest_files(
        company=company, files=[("factura.pdf", io.BytesIO(printed))]
    ).outcomes
    assert outcome.status == Outcome.REFUSED
    assert outcome.code == RefusalCode.PDF
    assert "Es un PDF" in outcome.message
    assert "Sube el archivo XML" in outcome.message
    assert not Cfdi.objects.filter(company=company).exists()


def test_xml_that_is_not_a_cfdi_is_refused():
    outcome = _refusal(_company(), b'<?xml version="1.0"?><factura total="10"/>')
    assert outcome.code == RefusalCode.NOT_CFDI
    assert "no es un CFDI" in outcome.message


def test_a_cfdi_with_an_amount_that_is_not_a_number_names_the_field():
    company = _company()
    data = cfdi_xml(emisor=company.rfc, receptor=any_rfc(), total="mil pesos")
    outcome = _refusal(company, data)
    assert outcome.code == RefusalCode.NOT_CFDI
    assert "Total" in outcome.message


def test_a_cfdi_without_timbre_fiscal_digital_is_refused_as_not_stamped():
    company = _company()
    outcome = _refusal(company, cfdi_xml(emisor=company.rfc, receptor=any_rfc(), stamped=False))
    assert outcome.code == RefusalCode.NOT_STAMPED
    assert "no está timbrado" in outcome.message
    assert "Timbre Fiscal Digital" in outcome.message


def test_a_timbre_without_uuid_is_refused_as_not_stamped():
    company = _company()
    data = cfdi_xml(emisor=company.rfc, receptor=any_rfc(), with_uuid=False)
    outcome = _refusal(company, data)
    assert outcome.code == RefusalCode.NOT_STAMPED
    assert "UUID" in outcome.message


def test_a_cfdi_where_the_company_is_neither_emisor_nor_receptor_is_refused():
    company = _company()
    emisor, receptor = any_rfc(), any_rfc()
    outcome = _refusal(company, cfdi_xml(emisor=emisor, receptor=receptor))
    assert outcome.code == RefusalCode.NOT_PARTY
    assert emisor in outcome.message
    assert receptor in outcome.message
    assert company.rfc in outcome.message


def test_a_file_larger_than_the_limit_is_refused_without_parsing(settings):
    settings.CFDI_MAX_BYTES = 2000
    company = _company()
    data = cfdi_xml(emisor=company.rfc, receptor=any_rfc()).replace(b"Servicio", b"Servicio " * 400)
    outcome = _refusal(company, data)
    assert outcome.code == RefusalCode.TOO_LARGE
    assert "pesa más de" in outcome.message


# --- DOCTYPE and entities: refused, never expanded ---------------------------------------


def test_billion_laughs_is_refused_without_expanding():
    outcome = _refusal(_company(), BILLION_LAUGHS)
    assert outcome.code == RefusalCode.DOCTYPE
    assert "DOCTYPE" in outcome.message


def test_an_external_entity_is_refused_and_never_read(tmp_path):
    secret = tmp_path / "secreto.txt"
    secret.write_text("CONTRASEÑA-DEL-SERVIDOR")
    company = _company()
    doctype = f'<!DOCTYPE c [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'.encode()
    data = _with_doctype(cfdi_xml(emisor=company.rfc, receptor=any_rfc()), doctype).replace(
        b'Nombre="EMISOR SA DE CV"', b'Nombre="&xxe;"'
    )
    outcome = _refusal(company, data)
    assert outcome.code == RefusalCode.DOCTYPE
    assert "CONTRASEÑA" not in outcome.message


def test_a_plain_doctype_on_an_otherwise_valid_cfdi_is_refused():
    company = _company()
    data = _with_doctype(
        cfdi_xml(emisor=company.rfc, receptor=any_rfc()), b"<!DOCTYPE cfdi:Comprobante>\n"
    )
    assert _refusal(company, data).code == RefusalCode.DOCTYPE


def test_a_doctype_in_a_utf16_document_is_refused_too():
    # The prolog scan reads bytes; in UTF-16 only the parser's own report catches it.
    company = _company()
    text = _with_doctype(
        cfdi_xml(emisor=company.rfc, receptor=any_rfc()),
        b'<!DOCTYPE c [<!ENTITY e "expandido">]>\n',
    ).decode()
    data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert _refusal(company, data).code == RefusalCode.DOCTYPE


def test_the_parser_never_expands_entities_even_when_asked_directly():
    with pytest.raises(Refusal) as raised:
        parse_xml(BILLION_LAUGHS.replace(b"<!DOCTYPE", b"<!doctype"))
    assert raised.value.code == RefusalCode.DOCTYPE


# --- ZIP files ------------------------------------------------------------------------------


def _zip_outcomes(company, archive: bytes, name: str = "lote.zip"):
    return cfdi_ingest_files(company=company, files=[(name, io.BytesIO(archive))]).outcomes


def test_a_zip_bomb_member_with_a_huge_ratio_refuses_the_zip_before_reading():
    company = _company()
    bomb = zip_of({"bomba.xml": b"<a>" + b" " * (3 * 1024 * 1024) + b"</a>"})
    assert len(bomb) < 10_000
    outcomes = _zip_outcomes(company, bomb)
    assert [(o.name, o.code) for o in outcomes] == [("lote.zip", RefusalCode.ZIP_LIMITS)]
    assert "se expande más de" in outcomes[0].message


def test_a_zip_with_more_members_than_allowed_is_refused(settings):
    settings.CFDI_ZIP_MAX_MEMBERS = 3
    company = _company()
    archive = zip_of({f"{n}.xml": b"<a/>" for n in range(4)})
    (outcome,) = _zip_outcomes(company, archive)
    assert outcome.code == RefusalCode.ZIP_LIMITS
    assert "trae 4 archivos; el máximo es 3" in outcome.message


def test_a_zip_that_expands_beyond_the_total_limit_is_refused(settings):
    settings.CFDI_ZIP_MAX_TOTAL_BYTES = 8000
    company = company_with_rfc("EKU9003173C9")
    archive = zip_of({"n.xml": sample(NOMINA_EKU), "p.xml": sample(PAGO_EKU)})
    (outcome,) = _zip_outcomes(company, archive)
    assert outcome.code == RefusalCode.ZIP_LIMITS
    assert "descomprimido pesaría más de" in outcome.message


def test_a_zip_larger_than_the_upload_limit_is_refused(settings):
    settings.CFDI_ZIP_MAX_BYTES = 100
    company = company_with_rfc("EKU9003173C9")
    (outcome,) = _zip_outcomes(company, zip_of({"n.xml": sample(NOMINA_EKU)}))
    assert outcome.code == RefusalCode.TOO_LARGE


def test_a_member_larger_than_the_cfdi_limit_is_refused_alone(settings):
    settings.CFDI_MAX_BYTES = 6000
    company = company_with_rfc("EKU9003173C9")
    big = sample(NOMINA_EKU) + b"<!--" + b"x" * 8000 + b"-->"
    archive = zip_of(
        {"grande.xml": big, "pago.xml": sample(PAGO_EKU)}, compression=zipfile.ZIP_STORED
    )
    outcomes = _zip_outcomes(company, archive)
    assert [(o.name, o.status, o.code) for o in outcomes] == [
        ("lote.zip/grande.xml", Outcome.REFUSED, RefusalCode.TOO_LARGE),
        ("lote.zip/pago.xml", Outcome.ACCEPTED, ""),
    ]


@pytest.mark.parametrize(
    "evil",
    [
        "../../etc/cron.d/evil.xml",
        "/etc/evil.xml",
        "a/../../evil.xml",
        "C:\\evil.xml",
        "..\\..\\evil.xml",
    ],
)
def test_path_traversal_member_names_are_refused_and_never_read(evil, tmp_path):
    company = company_with_rfc("EKU9003173C9")
    archive = zip_of({evil: sample(NOMINA_EKU), "bueno.xml": sample(PAGO_EKU)})
    outcomes = _zip_outcomes(company, archive)
    assert outcomes[0].code == RefusalCode.ZIP_UNSAFE_NAME
    assert "no es seguro" in outcomes[0].message
    assert outcomes[1].status == Outcome.ACCEPTED
    assert Cfdi.objects.filter(company=company).count() == 1
    assert not list(tmp_path.rglob("evil.xml"))


def test_member_names_that_are_not_utf8_are_read_and_reported_safely():
    company = company_with_rfc("EKU9003173C9")
    archive = zip_of({"factura_X.xml": sample(NOMINA_EKU), "pago\x01Y.xml": sample(PAGO_EKU)})
    # Rewrite the names' bytes in place: cp437/latin-1 bytes, no UTF-8 flag.
    archive = archive.replace(b"factura_X.xml", b"factura_\xa4.xml").replace(
        b"pago\x01Y.xml", b"pago\x01\xf1.xml"
    )
    outcomes = _zip_outcomes(company, archive)
    assert [o.status for o in outcomes] == [Outcome.ACCEPTED, Outcome.ACCEPTED]
    assert outcomes[0].name == "lote.zip/factura_ñ.xml"  # cp437, as zip tools wrote them
    assert "\x01" not in outcomes[1].name


def test_a_damaged_zip_is_refused():
    company = _company()
    (outcome,) = _zip_outcomes(company, b"PK\x03\x04" + b"\x00" * 50)
    assert outcome.code == RefusalCode.ZIP_INVALID
    assert "ZIP" in outcome.message


def test_a_zip_of_pdfs_only_says_it_holds_no_xml():
    company = company_with_rfc("EKU9003173C9")
    archive = zip_of({"factura.pdf": render_pdf(sample(PAGO_EKU))})
    outcomes = _zip_outcomes(company, archive)
    assert [(o.name, o.code) for o in outcomes] == [
        ("lote.zip/factura.pdf", RefusalCode.PDF),
        ("lote.zip", RefusalCode.ZIP_NO_XML),
    ]
    assert "El ZIP no contiene ningún archivo XML" in outcomes[1].message


def test_an_empty_zip_says_it_holds_no_xml():
    (outcome,) = _zip_outcomes(_company(), zip_of({}))
    assert outcome.code == RefusalCode.ZIP_NO_XML


def test_a_pdf_beside_xml_in_a_zip_is_refused_alone():
    company = company_with_rfc("EKU9003173C9")
    archive = zip_of({"pago.xml": sample(PAGO_EKU), "pago.pdf": render_pdf(sample(PAGO_EKU))})
    outcomes = _zip_outcomes(company, archive)
    assert [(o.name, o.status, o.code) for o in outcomes] == [
        ("lote.zip/pago.xml", Outcome.ACCEPTED, ""),
        ("lote.zip/pago.pdf", Outcome.REFUSED, RefusalCode.PDF),
    ]


def test_a_zip_inside_a_zip_is_not_expanded():
    company = company_with_rfc("EKU9003173C9")
    inner = zip_of({"n.xml": sample(NOMINA_EKU)})
    (outcome,) = _zip_outcomes(company, zip_of({"dentro.zip": inner}))
    assert outcome.code == RefusalCode.NOT_XML


# --- property: no input makes the reader do anything but read or refuse -------------------


@hypothesis_settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=300).map(lambda t: f"<cfdi:Comprobante {t}".encode()),
        st.sampled_from([BILLION_LAUGHS, b"<?xml version='1.0'?><x/>"]).flatmap(
            lambda base: st.integers(0, len(base)).map(lambda cut: base[:cut])
        ),
    )
)
def test_any_bytes_are_either_indexed_or_refused_with_a_known_code(data):
    try:
        read_index(parse_xml(data))
    except Refusal as refusal:
        assert refusal.code in set(RefusalCode)
        assert refusal.message
