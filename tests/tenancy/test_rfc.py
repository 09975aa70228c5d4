"""RFC rules for companies: normalised, 12 or 13 characters, format, date, check digit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from despacho.tenancy.rfc import PersonaType, persona_type, validate_company_rfc

# The SAT's own alphabet for the check digit (Anexo 20 / "Algoritmo para generar el RFC").
_SAT_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
_INCONVENIENT = {"PUTO", "CACA", "PEDO", "KULO", "MAME", "BUEY", "GUEY", "JOTO", "MOCO", "PENE"}


def sat_check_digit(first_twelve_or_eleven: str) -> str:
    """The check digit as the SAT describes it, written independently of the code under test."""
    padded = first_twelve_or_eleven.rjust(12)  # morales get a leading blank
    total = sum(_SAT_ALPHABET.index(ch) * (13 - i) for i, ch in enumerate(padded))
    digit = 11 - total % 11
    return {11: "0", 10: "A"}.get(digit, str(digit))


def refusal(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_company_rfc(value)
    return caught.value


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("eku9003173c9", "EKU9003173C9"),
        ("  EKU9003173C9 ", "EKU9003173C9"),
        ("EKU-900317-3C9", "EKU9003173C9"),
        ("EKU 900317 3C9", "EKU9003173C9"),
        ("EKU_900317_3C9", "EKU9003173C9"),
        ("cacx7605101p8", "CACX7605101P8"),
    ],
)
def test_rfc_is_stored_uppercase_without_separators(typed, stored):
    assert validate_company_rfc(typed) == stored


def test_twelve_characters_is_a_persona_moral_and_thirteen_a_persona_fisica():
    assert persona_type(validate_company_rfc("EKU9003173C9")) is PersonaType.MORAL
    assert persona_type(validate_company_rfc("CACX7605101P8")) is PersonaType.FISICA


def test_rfc_with_an_ampersand_is_accepted():
    assert validate_company_rfc("H&E951128469") == "H&E951128469"


@pytest.mark.parametrize("generic", ["XAXX010101000", "XEXX010101000", "xaxx-010101-000"])
def test_generic_rfcs_are_never_companies(generic):
    error = refusal(generic)
    assert error.code == "generic_rfc"
    assert "es un RFC genérico" in error.messages[0]


def test_empty_rfc_is_refused_asking_for_it():
    error = refusal("   ")
    assert error.code == "required"
    assert error.messages == ["RFC: escribe el RFC."]


@pytest.mark.parametrize("value", ["EKU900317", "EKU9003173C9XY", "E"])
def test_rfc_of_a_length_other_than_12_or_13_is_refused_saying_both(value):
    error = refusal(value)
    assert error.code == "rfc_length"
    assert "12 caracteres (persona moral) o 13 (persona física)" in error.messages[0]


@pytest.mark.parametrize(
    "value",
    [
        "EK19003173C9",  # a digit among the initial letters
        "EKUA003173C9",  # a letter in the date
        "EKU9003173C9X",  # 13 characters but only three letters
        "EKU90031.3C9",
    ],
)
def test_rfc_without_the_shape_letters_date_homoclave_is_refused(value):
    error = refusal(value)
    assert error.code == "rfc_format"
    assert error.messages[0].startswith("RFC: ")
    assert "no tiene el formato de un RFC" in error.messages[0]


@pytest.mark.parametrize("value", ["EKU9013173C9", "EKU900230AB1", "GODE561331GR8"])
def test_rfc_with_an_impossible_date_is_refused(value):
    error = refusal(value)
    assert error.code == "rfc_date"
    assert "la fecha contenida en" in error.messages[0]


def test_rfc_with_a_homoclave_the_sat_never_assigns_is_refused():
    error = refusal("EKU900317ZZ9")
    assert error.code == "rfc_homoclave"
    assert "la homoclave ZZ9" in error.messages[0]


def test_rfc_with_a_wrong_check_digit_is_refused():
    error = refusal("EKU9003173C8")
    assert error.code == "rfc_check_digit"
    assert error.messages == ["RFC: el dígito verificador de EKU9003173C8 no es correcto."]


def test_rfc_beginning_with_a_word_the_sat_never_assigns_is_refused():
    base = "PUTO900317A1"
    error = refusal(base + sat_check_digit(base))
    assert error.code == "rfc_letters"


def test_leap_day_of_2000_is_a_valid_date_and_of_2001_is_not():
    leap = "ÑAB000229A1"
    assert validate_company_rfc(leap + sat_check_digit(leap)) == leap + sat_check_digit(leap)
    assert refusal("ÑAB010229A1" + sat_check_digit("ÑAB010229A1")).code == "rfc_date"


def test_the_message_names_the_field_it_was_given():
    with pytest.raises(ValidationError) as caught:
        validate_company_rfc("EKU9003173C8", field="RFC del receptor")
    assert caught.value.messages[0].startswith("RFC del receptor: ")


# --- properties -------------------------------------------------------------------------

_letters = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ&Ñ")
_dates = st.dates().map(lambda d: d.strftime("%y%m%d"))
_homoclave = st.tuples(
    st.sampled_from("123456789ABCDEFGHIJKLMNOPQRSTUV"),
    st.sampled_from("123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
).map("".join)


@st.composite
def valid_rfcs(draw: st.DrawFn) -> str:
    moral = draw(st.booleans())
    letters = "".join(draw(st.lists(_letters, min_size=3 + (not moral), max_size=3 + (not moral))))
    if not moral:
        # The SAT replaces inconvenient words; generic RFCs are not companies.
        letters = letters if letters not in _INCONVENIENT else "LOPE"
    base = letters + draw(_dates) + draw(_homoclave)
    rfc = base + sat_check_digit(base)
    return rfc if rfc not in {"XAXX010101000", "XEXX010101000"} else "EKU9003173C9"


@given(valid_rfcs())
@example("H&E951128469")
def test_every_well_formed_rfc_with_its_check_digit_is_accepted(rfc):
    assert validate_company_rfc(rfc.lower()) == rfc


@given(valid_rfcs(), st.sampled_from(_SAT_ALPHABET.strip() + "abcxyz-_*/"))
def test_changing_the_check_digit_to_any_other_character_is_refused(rfc, replacement):
    corrupted = rfc[:-1] + replacement
    if corrupted.upper() == rfc or replacement in "-_ ":
        return  # same RFC after normalisation, or a separator that removes the digit
    with pytest.raises(ValidationError) as caught:
        validate_company_rfc(corrupted)
    assert caught.value.code in {"rfc_check_digit", "rfc_homoclave", "rfc_format"}


@given(st.text(max_size=30))
@example("ß" * 13)
@example("ﬀ" * 6)
@example("١٢٣٤٥٦٧٨٩٠١٢")
def test_any_text_is_either_a_normalised_rfc_or_a_validation_error(text):
    try:
        rfc = validate_company_rfc(text)
    except ValidationError as error:
        assert error.code
        assert error.messages[0].startswith("RFC: ")
    else:
        assert len(rfc) in (12, 13)
        assert rfc == rfc.upper()
