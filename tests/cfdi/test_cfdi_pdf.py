"""The printed CFDI: content of the PDF, importe con letra, the SAT's QR text, caching, access."""

from __future__ import annotations

import copy
import hashlib
import io
from decimal import Decimal

import pytest
import zxingcpp
from cfdi_samples import (
    CARTA_PORTE,
    INGRESO_HE,
    INGRESO_REAL,
    NOMINA_EKU,
    PAGO_EKU,
    PAGO_HE,
    SAMPLE_UUIDS,
    company_with_rfc,
    nomina11_cfdi32_xml,
    sample,
)
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader
from tests.factories import owner_of

from despacho.cfdi.amount_words import amount_in_words, number_words
from despacho.cfdi.models import Cfdi, Status
from despacho.cfdi.parsing import parse_xml
from despacho.cfdi.pdf import (
    carta_porte_url,
    pdf_key,
    qr_matrix,
    qr_total,
    render_pdf,
    verification_url,
)
from despacho.cfdi.services import cfdi_ingest

# --- importe con letra -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "moneda", "words"),
    [
        ("1000", "MXN", "MIL PESOS 00/100 M.N."),
        ("1", "MXN", "UN PESO 00/100 M.N."),
        ("0.5", "MXN", "CERO PESOS 50/100 M.N."),
        ("21", "MXN", "VEINTIÚN PESOS 00/100 M.N."),
        ("21000", "MXN", "VEINTIÚN MIL PESOS 00/100 M.N."),
        ("101000", "MXN", "CIENTO UN MIL PESOS 00/100 M.N."),
        ("100", "MXN", "CIEN PESOS 00/100 M.N."),
        ("1000000", "MXN", "UN MILLÓN DE PESOS 00/100 M.N."),
        ("2500000", "MXN", "DOS MILLONES QUINIENTOS MIL PESOS 00/100 M.N."),
        ("3000000", "MXN", "TRES MILLONES DE PESOS 00/100 M.N."),
        ("1000000000", "MXN", "MIL MILLONES DE PESOS 00/100 M.N."),
        ("17852.745", "MXN", "DIECISIETE MIL OCHOCIENTOS CINCUENTA Y DOS PESOS 75/100 M.N."),
        ("4700.00", "MXN", "CUATRO MIL SETECIENTOS PESOS 00/100 M.N."),
        ("99.999", "MXN", "CIEN PESOS 00/100 M.N."),
        ("1", "USD", "UN DÓLAR 00/100 USD"),
        ("1250.10", "USD", "MIL DOSCIENTOS CINCUENTA DÓLARES 10/100 USD"),
        ("31", "EUR", "TREINTA Y UN EUROS 00/100 EUR"),
        ("31", "GBP", "TREINTA Y UNO 00/100 GBP"),
    ],
)
def test_the_importe_con_letra_reads_like_a_printed_cfdi(amount, moneda, words):
    assert amount_in_words(Decimal(amount), moneda) == words


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_the_importe_con_letra_always_ends_with_the_cents_over_100(amount):
    words = amount_in_words(amount, "MXN")
    cents = int(amount * 100) % 100
    assert words.endswith(f" {cents:02d}/100 M.N.")
    assert words == words.upper()
    assert "  " not in words


def test_every_number_below_a_hundred_thousand_has_its_own_words():
    seen = {number_words(n) for n in range(100_000)}
    assert len(seen) == 100_000


def test_number_words_refuse_negative_numbers():
    with pytest.raises(ValueError, match="non-negative"):
        number_words(-1)


# --- the SAT's verification QR -----------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "version", "expected"),
    [
        ("1000", "4.0", "1000.0"),
        ("4700.00", "4.0", "4700.0"),
        ("12.50", "3.3", "12.5"),
        ("0.123456", "4.0", "0.123456"),
        ("0", "4.0", "0.0"),
        ("1000", "3.2", "0000001000.000000"),
        ("12.5", "3.2", "0000000012.500000"),
    ],
)
def test_the_qr_total_follows_the_anexo_20_format(total, version, expected):
    assert qr_total(total, version) == expected


def test_the_verification_url_carries_uuid_rfcs_total_and_the_seals_last_8_characters():
    url = verification_url(
        version="4.0",
        uuid="1ac10691-e5c5-422f-9ec0-0aafe486d493",
        emisor_rfc="EKU9003173C9",
        receptor_rfc="XOJI740919U48",
        total="4700",
        sello="…zO1kqw==",
    )
    assert url == (
        "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx"
        "?id=1ac10691-e5c5-422f-9ec0-0aafe486d493&re=EKU9003173C9&rr=XOJI740919U48"
        "&tt=4700.0&fe=zO1kqw=="
    )


def test_an_ampersand_in_an_rfc_is_escaped_in_the_verification_url():
    url = verification_url(
        version="4.0",
        uuid="u",
        emisor_rfc="H&E951128469",
        receptor_rfc="KIJ0906199R1",
        total="1",
        sello="12345678",
    )
    assert "re=H&amp;E951128469&rr=" in url


def _scanned(matrix: list[list[bool]]) -> str:
    """What a reader decodes from the printed modules: 4 px each, a 4-module quiet zone."""
    scale, quiet = 4, 4
    side = (len(matrix) + 2 * quiet) * scale
    pixels = bytearray(b"\xff" * side * side)
    for row, modules in enumerate(matrix):
        for col, dark in enumerate(modules):
            if dark:
                for dy in range(scale):
                    start = ((row + quiet) * scale + dy) * side + (col + quiet) * scale
                    pixels[start : start + scale] = b"\x00" * scale
    found = zxingcpp.read_barcode(memoryview(pixels).cast("B", shape=[side, side]))
    assert found is not None and found.format == zxingcpp.BarcodeFormat.QRCode
    return str(found.text)


def test_the_printed_qr_scans_as_the_verification_url():
    url = verification_url(
        version="4.0",
        uuid="1ac10691-e5c5-422f-9ec0-0aafe486d493",
        emisor_rfc="H&E951128469",
        receptor_rfc="MUÑO740919U48",
        total="4700",
        sello="…zO1kqw==",
    )
    assert _scanned(qr_matrix(url)) == url


def test_a_text_too_long_for_any_qr_prints_no_qr_rather_than_failing():
    assert qr_matrix("x" * 5000) == []


# --- what the PDF carries ----------------------------------------------------------------


def _text(pdf: bytes) -> str:
    """The text strings of an uncompressed reportlab PDF (Latin-1, as Helvetica encodes it)."""
    return pdf.decode("latin-1")


def test_the_invoice_pdf_carries_everything_a_printed_cfdi_does():
    pdf = render_pdf(sample(INGRESO_REAL), compress=False)
    text = _text(pdf)
    assert pdf.startswith(b"%PDF-")
    for expected in [
        "PASE, SERVICIOS ELECTRONICOS",  # emisor
        "ISD950921HE5",
        "601 - General de Ley Personas Morales",  # régimen del emisor
        "CARLOS CORTES SOTO",  # receptor
        "COSC8001137NA",
        "52176",  # domicilio fiscal del receptor
        "G03 - Gastos en general",  # uso CFDI
        "80141628",  # clave prod/serv
        "E48",  # unidad
        "COMISION RECARGA IDMX",
        "853.45",
        "04 - Tarjeta de cr",  # forma de pago (accent encoded)
        "PUE - Pago en una sola",
        "MXN - Peso Mexicano",
        "O-52375239",  # serie y folio
        "2025-01-24T10:10:41",  # fecha
        "11529",  # lugar de expedición
        "C2832671-DA6D-11EF-A83D-00155D012007",  # UUID
        "00001000000510877575",  # certificado del emisor
        "00001000000708361114",  # certificado del SAT
        "2025-01-24T10:10:42",  # fecha de timbrado
        "||1.1|C2832671-DA6D-11EF-A83D-00155D012007|2025-01-24T10:10:42|TBN040609RKA|",
        "137.93",  # IVA trasladado
        "1,000.00 MXN",
        "MIL PESOS 00/100 M.N.",
    ]:
        assert expected in text, expected


def test_the_payroll_pdf_shows_the_employee_and_the_three_lists():
    text = _text(render_pdf(sample(NOMINA_EKU), compress=False))
    for expected in [
        "Complemento de n",
        "XEXX010101HNEXXXA4",  # CURP
        "B5510768108",  # registro patronal
        "Ingeniero de Software",
        "Sueldos, Salarios Rayas y Jornales",
        "2,808.80",
        "Seguridad Social",
        "Percepciones: 5,000.00",
        "Deducciones: 300.00",
        "CUATRO MIL SETECIENTOS PESOS 00/100 M.N.",
    ]:
        assert expected in text, expected


def test_the_payment_pdf_lists_the_paid_documents():
    text = _text(render_pdf(sample(PAGO_EKU), compress=False))
    assert "Complemento de pagos" in text
    assert "BFC36522-4B8E-45C4-8F14-D11B289F9EB7" in text
    assert "Monto total de los pagos: 200.00" in text
    assert "00/100 XXX" not in text  # a payment's comprobante moves no currency


def test_a_cancelled_cfdi_is_marked_on_its_pdf():
    text = _text(render_pdf(sample(INGRESO_HE), status=Status.CANCELADO, compress=False))
    assert "CANCELADO" in text


# --- the route: access, cache, originals untouched ---------------------------------------


@pytest.fixture
def eku(db):
    company = company_with_rfc("EKU9003173C9")
    cfdi_ingest(company=company, data=sample(NOMINA_EKU))
    return company


def test_the_pdf_is_served_inline_and_cached_in_storage_without_touching_the_original(client, eku):
    client.force_login(owner_of(eku.account))
    uuid = SAMPLE_UUIDS[NOMINA_EKU]
    response = client.get(reverse("cfdi:pdf", args=[uuid]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{uuid.upper()}.pdf"' in response["Content-Disposition"]
    cfdi = Cfdi.objects.get(company=eku, uuid=uuid)
    assert default_storage.exists(pdf_key(cfdi))
    with default_storage.open(cfdi.xml_path, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == cfdi.sha256


def test_a_cached_pdf_is_served_from_storage(client, eku):
    client.force_login(owner_of(eku.account))
    cfdi = Cfdi.objects.get(company=eku)
    default_storage.save(pdf_key(cfdi), ContentFile(b"%PDF-cached"))
    assert client.get(reverse("cfdi:pdf", args=[cfdi.uuid])).content == b"%PDF-cached"


def test_the_cache_key_changes_with_the_status_so_a_cancellation_renders_afresh(eku):
    cfdi = Cfdi.objects.get(company=eku)
    before = pdf_key(cfdi)
    cfdi.status = Status.CANCELADO
    assert pdf_key(cfdi) != before
    assert str(eku.pk) in before and str(cfdi.uuid) in before


# --- values from the document are printed, never interpreted -----------------------------

# reportlab's paragraphs speak a markup: a value taken for markup embeds a local file as an
# image, adds a link, or breaks the rendering (a 500).
MARKUP = (
    '<img src="/etc/hostname" width="40" height="40"/>'
    '<a href="https://evil.example/a">enlace</a>'
    '<link href="https://evil.example/l">liga</link><b>sin cerrar &amp; <para>'
)
EVERY_KIND = [INGRESO_REAL, INGRESO_HE, PAGO_EKU, PAGO_HE, NOMINA_EKU, CARTA_PORTE]
# What ingestion itself reads strictly (a document without them is refused, not printed).
INDEX_ATTRIBUTES = {"Version", "UUID", "TipoDeComprobante", "Rfc", "Fecha", "FechaTimbrado"}
INDEX_ATTRIBUTES |= {"SubTotal", "Descuento", "Total", "TipoCambio"}


def with_markup(data: bytes, *, keep: set[str] | frozenset[str] = frozenset()) -> bytes:
    """The document with every attribute (but those in keep) holding reportlab markup."""
    root = parse_xml(data)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in element.attrib:
            if etree.QName(name).localname not in keep:
                element.set(name, MARKUP)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def pdf_pages(pdf: bytes) -> list:
    return list(PdfReader(io.BytesIO(pdf)).pages)


def images_in(pdf: bytes) -> list[str]:
    found = []
    for page in pdf_pages(pdf):
        xobjects = page["/Resources"].get("/XObject")
        if xobjects is None:
            continue
        for name, xobject in xobjects.get_object().items():
            if xobject.get_object().get("/Subtype") == "/Image":
                found.append(str(name))
    return found


def links_in(pdf: bytes) -> list[str]:
    found = []
    for page in pdf_pages(pdf):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link":
                found.append(str(annotation.get("/A")))
    return found


def printed_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pdf_pages(pdf))


@pytest.mark.parametrize("name", EVERY_KIND)
def test_markup_in_any_attribute_is_printed_literally_without_images_or_links(name):
    pdf = render_pdf(with_markup(sample(name)))
    assert images_in(pdf) == []
    assert links_in(pdf) == []
    text = printed_text(pdf)
    assert '<img src="/etc/hostname"' in text
    assert "sin cerrar &amp; <para>" in text


@pytest.mark.parametrize("name", EVERY_KIND)
def test_the_untouched_samples_carry_no_images_or_links_either(name):
    pdf = render_pdf(sample(name))
    assert images_in(pdf) == [] and links_in(pdf) == []


def test_a_stored_payroll_full_of_markup_is_served_as_a_pdf_through_the_view(client, db):
    company = company_with_rfc("EKU9003173C9")
    hostile = with_markup(sample(NOMINA_EKU), keep=INDEX_ATTRIBUTES)
    outcome = cfdi_ingest(company=company, data=hostile, accept_unverified=True)
    assert outcome.status == "accepted", outcome
    client.force_login(owner_of(company.account))
    response = client.get(reverse("cfdi:pdf", args=[SAMPLE_UUIDS[NOMINA_EKU]]))
    assert response.status_code == 200
    assert images_in(response.content) == [] and links_in(response.content) == []
    assert '<img src="/etc/hostname"' in printed_text(response.content)


def test_an_image_named_in_a_payroll_total_is_printed_as_text_not_embedded(tmp_path):
    from PIL import Image

    picture = tmp_path / "local.png"
    Image.new("RGB", (4, 4), "red").save(picture)
    crafted = f'TotalPercepciones="&lt;img src=&quot;{picture}&quot;/&gt;"'.encode()
    data = sample(NOMINA_EKU).replace(b'TotalPercepciones="5000.0"', crafted, 1)
    assert crafted in data
    pdf = render_pdf(data)
    assert images_in(pdf) == []
    assert 'Percepciones: <img src="' in printed_text(pdf)


def test_a_timbre_version_that_is_not_the_sats_is_not_looked_up_as_a_file():
    data = sample(INGRESO_REAL).replace(b'Version="1.1"', b'Version="../../../../etc/x"', 1)
    assert b"../../../../etc/x" in data
    text = printed_text(render_pdf(data))
    assert "C2832671-DA6D-11EF-A83D-00155D012007" in text
    assert "||1.1|C2832671" not in text


# --- local taxes (implocal) --------------------------------------------------------------

IMPLOCAL = (
    '<implocal:ImpuestosLocales xmlns:implocal="http://www.sat.gob.mx/implocal" version="1.0" '
    'TotaldeRetenciones="8.62" TotaldeTraslados="25.86">'
    '<implocal:RetencionesLocales ImpLocRetenido="Cedular" TasadeRetencion="1.00" Importe="8.62"/>'
    '<implocal:TrasladosLocales ImpLocTrasladado="ISH" TasadeTraslado="3.00" Importe="25.86"/>'
    "</implocal:ImpuestosLocales>"
)


def with_local_taxes() -> bytes:
    """The real invoice (862.07 + IVA 137.93) with a 3 % ISH and a 1 % cedular retention."""
    data = sample(INGRESO_REAL)
    data = data.replace(b'Total="1000.00"', b'Total="1017.24"', 1)
    return data.replace(b"<cfdi:Complemento>", b"<cfdi:Complemento>" + IMPLOCAL.encode(), 1)


def printed_amount(text: str, label: str) -> Decimal:
    """The amount printed in the cell after a label of the totals."""
    lines = text.splitlines()
    figure = lines[lines.index(label) + 1].split(" ")[0]
    return Decimal(figure.replace(",", ""))


def test_local_taxes_are_printed_with_their_names_and_rates_so_the_totals_add_up():
    text = printed_text(render_pdf(with_local_taxes()))
    subtotal = printed_amount(text, "Subtotal")
    iva = printed_amount(text, "Impuestos trasladados")
    ish = printed_amount(text, "Traslado local: ISH 3.00 %")
    cedular = printed_amount(text, "Retención local: Cedular 1.00 %")
    total = printed_amount(text, "Total")
    expected = ("862.07", "137.93", "25.86", "8.62")
    assert (subtotal, iva, ish, cedular) == tuple(map(Decimal, expected))
    assert subtotal + iva + ish - cedular == total == Decimal("1017.24")


# --- Carta Porte -------------------------------------------------------------------------

CCP_URL = (
    "https://verificacfdi.facturaelectronica.sat.gob.mx/verificaccp/default.aspx"
    "?IdCCP=CCC-00001&FechaOrig=2024-01-15T08%3A00%3A00&FechaTimb=2024-01-15T10%3A35%3A00"
)


def carta_porte_version(version: str) -> bytes:
    """The Carta Porte 3.1 sample spelled as another version of the complement."""
    ns = {"3.0": b"CartaPorte30", "2.0": b"CartaPorte20"}[version]
    data = sample(CARTA_PORTE).replace(b"CartaPorte31", ns)
    data = data.replace(b'Version="3.1"', f'Version="{version}"'.encode())
    if version == "2.0":  # 2.0 had no IdCCP
        data = data.replace(b' IdCCP="CCC-00001"', b"")
    return data


def test_the_carta_porte_pdf_prints_route_goods_vehicle_and_people():
    text = printed_text(render_pdf(sample(CARTA_PORTE)))
    assert "CFDI de Traslado" in text
    for expected in [
        "Complemento Carta Porte 3.1",
        "IdCCP: CCC-00001",
        "Transporte internacional: No",
        "Distancia total recorrida (km): 150.50",
        "Peso bruto total: 500.00 KGM",
        "Número total de mercancías: 2",
        # Ubicaciones: origin and destination, with their dates and places
        "Origen",
        "OR000001",
        "2024-01-15T08:00:00",
        "Destino",
        "DE000001",
        "2024-01-15T18:00:00",
        "039, JAL, MEX, C.P. 44100",
        # Mercancías
        "Producto A",
        "Producto B",
        "5,000.00",
        # Autotransporte: vehicle and insurance
        "Permiso SCT: TPAF01 - Autotransporte Federal",
        "PERM123456",
        "Placa: ABC1234",
        "Año del modelo: 2022",
        "Ejemplo · POL-RC-001",
        "Seguros Carga · POL-C-001",
        "CTR001 REM9876",
        # FiguraTransporte
        "01 - Operador",
        "XAXX010101000",
        "JUAN PEREZ",
        "LIC123456",
    ]:
        assert expected in text, expected
    # Both QRs: the Carta Porte's and the CFDI's own timbre.
    assert "Verificación de la Carta Porte en el SAT:" in text
    assert "Sello digital del SAT:" in text


def test_the_carta_porte_qr_points_to_the_sats_ccp_verification():
    url = carta_porte_url(
        id_ccp="CCC-00001",
        fecha_origen="2024-01-15T08:00:00",
        fecha_timbrado="2024-01-15T10:35:00",
    )
    assert url == CCP_URL
    text = printed_text(render_pdf(sample(CARTA_PORTE))).replace("\n", "")
    assert CCP_URL in text


def test_carta_porte_3_0_is_printed_by_the_same_code():
    text = printed_text(render_pdf(carta_porte_version("3.0")))
    assert "Complemento Carta Porte 3.0" in text
    assert "IdCCP: CCC-00001" in text and "JUAN PEREZ" in text and "Placa: ABC1234" in text
    assert "Verificación de la Carta Porte en el SAT:" in text


def test_carta_porte_2_0_is_printed_without_a_ccp_qr_as_it_had_no_idccp():
    text = printed_text(render_pdf(carta_porte_version("2.0")))
    assert "Complemento Carta Porte 2.0" in text
    assert "Producto A" in text and "2024-01-15T18:00:00" in text
    assert "Verificación de la Carta Porte" not in text


# --- Pagos -------------------------------------------------------------------------------


def two_payments() -> bytes:
    """The real payment with a second Pago: another document, IVA and an ISR retention."""
    root = parse_xml(sample(PAGO_HE))
    ns = "{http://www.sat.gob.mx/Pagos20}"
    first = root.find(f".//{ns}Pago")
    second = copy.deepcopy(first)
    second.set("Monto", "725.00")
    docto = second.find(f"{ns}DoctoRelacionado")
    docto.attrib.update(
        {
            "IdDocumento": "0e4c4d9a-8c3e-4b5f-9c1a-2f6b7d8e9a01",
            "Folio": "777",
            "NumParcialidad": "2",
            "ImpSaldoAnt": "1450.00",
            "ImpPagado": "725.00",
            "ImpSaldoInsoluto": "725.00",
        }
    )
    for element in second.iter(f"{ns}TrasladoP", f"{ns}TrasladoDR"):
        suffix = "P" if element.tag.endswith("TrasladoP") else "DR"
        element.set(f"Base{suffix}", "625.00")
        element.set(f"Importe{suffix}", "100.00")
    impuestos = second.find(f"{ns}ImpuestosP")
    retenciones = etree.SubElement(impuestos, f"{ns}RetencionesP")
    impuestos.insert(0, retenciones)
    etree.SubElement(retenciones, f"{ns}RetencionP", ImpuestoP="001", ImporteP="10.00")
    first.addnext(second)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def printed_row(*cells: str) -> str:
    """A table row as pypdf reads it back: one cell a line."""
    return "\n".join(cells)


def test_each_payment_prints_its_related_documents_and_its_own_taxes():
    text = printed_text(render_pdf(two_payments()))
    # The paid documents, one row each: UUID, serie-folio, parcialidad and the balances.
    first = ("6D7434A6-E3F2-47AD-9E4C-08849946AFA0", "A-123456", "MXN", "1")
    assert printed_row(*first, "17,852.75", "17,852.75", "0.00", "02") in text
    second = ("0E4C4D9A-8C3E-4B5F-9C1A-2F6B7D8E9A01", "A-777", "MXN", "2")
    assert printed_row(*second, "1,450.00", "725.00", "725.00", "02") in text
    # Each document's taxes under its row.
    dr = "02\nImpuestos del documento: Traslado IVA Tasa 0.160000 · base {} · importe {}\n"
    assert dr.format("15,390.30", "2,462.45") in text
    assert dr.format("625.00", "100.00") in text
    # Each payment's ImpuestosP, traslados and retenciones.
    assert text.count("Impuestos del pago") == 2
    assert printed_row("IVA", "Traslado", "Tasa", "0.160000", "15,390.30", "2,462.45") in text
    assert printed_row("IVA", "Traslado", "Tasa", "0.160000", "625.00", "100.00") in text
    assert printed_row("100.00", "ISR", "Retención", "10.00") in text


# --- Nómina 1.1 (CFDI 3.2) and several Nómina complements --------------------------------


def test_a_3_2_payroll_is_printed_as_a_nomina_receipt_with_its_1_1_amounts_and_employee():
    text = printed_text(render_pdf(nomina11_cfdi32_xml()))
    assert "CFDI de Nómina" in text
    assert "CFDI de Egreso" not in text
    assert "Complemento de nómina 1.1" in text
    # 1.1 has no TotalPercepciones/TotalDeducciones: the lists' gravado + exento.
    assert "Percepciones: 7,500.00" in text
    assert "Deducciones: 1,200.00" in text
    # 1.1 deductions are ImporteGravado + ImporteExento.
    assert printed_row("002", "010", "ISR retenido", "1,000.00") in text
    assert printed_row("001", "011", "Cuota IMSS", "200.00") in text
    assert printed_row("019", "002", "Horas extra", "0.00", "500.00") in text
    # The employee, kept on the Nomina node in 1.1.
    for expected in [
        "No. de empleado: 120",
        "CURP: XOJI740919HDFCNS09",
        "Puesto: Programador",
        "Departamento: Sistemas",
        "Registro patronal: B5510768108",
        "Antigüedad: 313",
        "002180012345678901",
    ]:
        assert expected in text, expected


def test_a_cfdi_with_several_nomina_complements_prints_each_of_them():
    root = parse_xml(sample(NOMINA_EKU))
    ns = "{http://www.sat.gob.mx/nomina12}"
    first = root.find(f".//{ns}Nomina")
    second = copy.deepcopy(first)
    second.set("TipoNomina", "E")
    second.set("TotalPercepciones", "1234.56")
    for percepcion in second.iter(f"{ns}Percepcion"):
        percepcion.set("Concepto", "Aguinaldo extraordinario")
    first.addnext(second)
    text = printed_text(render_pdf(etree.tostring(root, encoding="UTF-8", xml_declaration=True)))
    assert "Complemento de nómina 1.2 (1 de 2)" in text
    assert "Complemento de nómina 1.2 (2 de 2)" in text
    assert "Percepciones: 5,000.00" in text
    assert "Percepciones: 1,234.56" in text
    assert "Sueldos, Salarios Rayas y Jornales" in text
    assert "Aguinaldo extraordinario" in text
    assert "Tipo de nómina: E - Nómina" in text


# --- pages -------------------------------------------------------------------------------


def with_concepts(count: int, *, descripcion: str | None = None) -> bytes:
    """The real invoice with its first concept repeated count times (totals untouched)."""
    root = parse_xml(sample(INGRESO_REAL))
    ns = "{http://www.sat.gob.mx/cfd/4}"
    concept = root.find(f"{ns}Conceptos/{ns}Concepto")
    if descripcion is not None:
        concept.set("Descripcion", descripcion)
    for _ in range(count - 1):
        concept.addnext(copy.deepcopy(concept))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def test_every_page_says_its_number_and_how_many_there_are():
    pages = [page.extract_text() for page in pdf_pages(render_pdf(with_concepts(60)))]
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert f"Página {number} de {len(pages)}" in text


def test_sixty_concepts_flow_across_pages_with_the_table_header_on_each():
    pages = [page.extract_text() for page in pdf_pages(render_pdf(with_concepts(60)))]
    rows = [text.count("COMISION RECARGA IDMX") for text in pages]
    assert sum(rows) == 60
    with_rows = [text for text, count in zip(pages, rows, strict=True) if count]
    assert len(with_rows) > 1
    for text in with_rows:
        assert "Clave\nprod./serv." in text and "Valor unitario" in text
    # No page but the last is left half empty: the table fills each page it crosses.
    assert all(count >= 15 for count in rows[: len(with_rows) - 1])


def test_a_concept_longer_than_a_page_continues_on_the_next_instead_of_failing():
    words = " ".join(f"PALABRA{n}" for n in range(4000))
    pages = [
        page.extract_text() for page in pdf_pages(render_pdf(with_concepts(1, descripcion=words)))
    ]
    assert "PALABRA0 " in pages[0]
    assert "PALABRA3999" in "".join(pages)
    assert len(pages) > 2


# --- a CFDI stored with a seal that does not verify --------------------------------------


def test_a_cfdi_whose_seal_failed_is_printed_with_the_warning_on_every_page():
    pdf = render_pdf(with_concepts(60), seal_verified=False)
    text = printed_text(pdf)
    assert "SELLO NO VÁLIDO. El sello de este CFDI no es válido: se guardó porque alguien" in text
    pages = [page.extract_text() for page in pdf_pages(pdf)]
    assert len(pages) > 1
    assert all("SELLO NO VÁLIDO" in page for page in pages)


@pytest.mark.parametrize("seal_verified", [True, None])
def test_a_verified_or_unverifiable_seal_prints_no_warning(seal_verified):
    text = printed_text(render_pdf(sample(INGRESO_REAL), seal_verified=seal_verified))
    assert "SELLO NO" not in text and "no es válido" not in text


def test_the_pdf_of_a_cfdi_stored_unverified_carries_the_warning_through_the_view(
    verify_seals, client, db
):
    company = company_with_rfc("KIJ0906199R1")
    cfdi_ingest(company=company, data=sample(PAGO_HE), accept_unverified=True)
    cfdi = Cfdi.objects.get(company=company)
    assert cfdi.seal_verified is False
    client.force_login(owner_of(company.account))
    response = client.get(reverse("cfdi:pdf", args=[cfdi.uuid]))
    assert response.status_code == 200
    assert "SELLO NO VÁLIDO" in printed_text(response.content)
    assert "sello-no-valido" in pdf_key(cfdi)


# --- documents that are not valid CFDI: drafts and test-environment stamps -----------------


def without_timbre(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for tfd in root.iter("{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"):
        tfd.getparent().remove(tfd)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_document_stamped_with_a_sat_test_certificate_says_it_has_no_fiscal_validity():
    # Stamped in a PAC's test environment: its timbre is signed by SAT certificate 3000…
    pdf = render_pdf(sample(INGRESO_HE))
    pages = [page.extract_text() for page in pdf_pages(pdf)]
    assert all("SIN VALIDEZ FISCAL" in page for page in pages)
    assert "BORRADOR" not in printed_text(pdf)


def test_a_document_stamped_by_the_sat_in_production_carries_no_mark():
    text = printed_text(render_pdf(sample(INGRESO_REAL)))
    assert "SIN VALIDEZ FISCAL" not in text and "BORRADOR" not in text


def test_a_draft_without_timbre_is_previewed_as_borrador_without_the_timbres_section():
    pdf = render_pdf(without_timbre(sample(INGRESO_REAL)))
    pages = [page.extract_text() for page in pdf_pages(pdf)]
    assert all("BORRADOR" in page for page in pages)
    text = printed_text(pdf)
    assert "COMISION RECARGA IDMX" in text
    assert "Sello digital del SAT" not in text
    assert "SIN VALIDEZ FISCAL" not in text
