"""Names carry only visible characters, and a profile cannot pass for another by its looks.

Every name field (profiles, API keys, accounts, razón social, people's full names, portal
accesses and portal people) goes through ``despacho.names.validate_name_characters``:
control characters, bidi controls and invisible characters are refused with the code
``forbidden_characters`` and a message naming the field. Profile names are compared by
their confusable skeleton, so "Аdministrador" (Cyrillic А) is the preset's name.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from despacho.access.catalog import Perm
from despacho.access.models import Profile
from despacho.access.services import profile_create, profile_update
from despacho.api.services import api_key_create
from despacho.members.services.accounts import account_create, company_create, user_create
from despacho.names import forbidden_characters, name_skeleton
from despacho.portal.services.accesses import (
    portal_access_create,
    portal_access_update,
    portal_user_add,
)
from despacho.tenancy.models import Company, Membership, Role
from tests.api.conftest import api_as, error_of
from tests.api.factories import make_tenant
from tests.factories import make_account, make_company, owner_of, valid_rfc

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)

# Characters that make a name look like another: bidi overrides and isolates, zero-width
# space/joiners, word joiner, BOM, soft hyphen, Hangul filler, variation selector,
# line separator, and ASCII/C1 controls.
NAMED_FORBIDDEN = [
    "\u202e",
    "\u202d",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u3164",
    "\ufe0f",
    "\u2028",
    "\x00",
    "\x07",
    "\x1b",
    "\x85",
    "\t",
    "\n",
]

forbidden = st.one_of(
    st.sampled_from(NAMED_FORBIDDEN),
    st.characters(categories=["Cc", "Cf", "Co", "Cn", "Zl", "Zp"]),
)

SETTINGS = hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

BASE_NAME = "Mariana López"


class World:
    def __init__(self) -> None:
        self.account = make_account()
        self.owner = owner_of(self.account)
        self.company = make_company(self.account)
        self.access = portal_access_create(
            company=self.company, actor=self.owner, rfc=valid_rfc(moral=False), name="Cliente"
        ).access


def _profile(w: World, name: str) -> object:
    return profile_create(actor=w.owner, account=w.account, name=name, permissions={Perm.VENTAS})


def _api_key(w: World, name: str) -> object:
    return api_key_create(
        actor=w.owner,
        account=w.account,
        membership=Membership.objects.get(account=w.account, role=Role.OWNER),
        name=name,
    )


def _account(w: World, name: str) -> object:
    return account_create(name=name, owner=w.owner)


def _company(w: World, name: str) -> object:
    return company_create(
        account=w.account,
        actor=w.owner,
        rfc=valid_rfc(),
        razon_social=name,
        regimen_fiscal="601",
        codigo_postal="06000",
    )


def _person(w: World, name: str) -> object:
    return user_create(email=f"persona.n{next(_serial)}@example.mx", full_name=name, password=None)


def _portal_access(w: World, name: str) -> object:
    return portal_access_create(
        company=w.company, actor=w.owner, rfc=valid_rfc(moral=False), name=name
    )


def _portal_access_rename(w: World, name: str) -> object:
    return portal_access_update(access=w.access, actor=w.owner, name=name, email="")


def _portal_person(w: World, name: str) -> object:
    return portal_user_add(
        access=w.access,
        actor=w.owner,
        email=f"receptor.n{next(_serial)}@example.mx",
        name=name,
        send=False,
    )


# (service, the field its errors name, the label its message starts with)
NAME_FIELDS: dict[str, tuple[Callable[[World, str], object], str, str]] = {
    "profile": (_profile, "name", "Nombre"),
    "api_key": (_api_key, "name", "Nombre"),
    "account": (_account, "name", "Nombre de la cuenta"),
    "razon_social": (_company, "razon_social", "Razón social"),
    "full_name": (_person, "full_name", "Nombre completo"),
    "portal_access": (_portal_access, "name", "Nombre"),
    "portal_access_rename": (_portal_access_rename, "name", "Nombre"),
    "portal_person": (_portal_person, "name", "Nombre"),
}


def _refusal(service: Callable[[World, str], object], world: World, name: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught, transaction.atomic():
        service(world, name)
    return caught.value


@pytest.mark.parametrize("kind", NAME_FIELDS)
def test_every_name_field_takes_the_name_without_hidden_characters(kind):
    service, _field, _label = NAME_FIELDS[kind]
    with transaction.atomic():
        service(World(), BASE_NAME)


@pytest.mark.parametrize("kind", NAME_FIELDS)
@SETTINGS
@given(char=forbidden, where=st.integers(min_value=0, max_value=len(BASE_NAME)))
@example(char="\u200b", where=len(BASE_NAME))
@example(char="\u202e", where=0)
def test_every_name_field_refuses_a_control_bidi_or_invisible_character_anywhere(kind, char, where):
    if char in " \t\r\n" and where in (0, len(BASE_NAME)):
        where = 1  # white space at either end is trimmed, not refused
    service, field, label = NAME_FIELDS[kind]
    world = World()
    name = BASE_NAME[:where] + char + BASE_NAME[where:]
    error = _refusal(service, world, name)
    [refusal] = error.error_dict[field]
    assert refusal.code == "forbidden_characters"
    message = refusal.messages[0]
    assert message.startswith(f"{label}:")
    assert f"U+{ord(char):04X}" in message


def test_the_message_says_which_characters_and_the_rule():
    world = World()
    error = _refusal(_profile, world, "Ventas\u200b\u202eNorte\u200b")
    assert error.message_dict["name"] == [
        "Nombre: quita los caracteres invisibles, de control o de dirección de texto "
        "(U+200B, U+202E); un nombre solo lleva caracteres visibles."
    ]
    assert not Profile.objects.filter(account=world.account).exists()


def test_spanish_names_keep_their_accents_enye_dieresis_and_punctuation():
    for name in ("Nóminas del Niño", "Pingüino & Peña, S.C.", "O'Connor-Díaz"):
        assert forbidden_characters(name) == []
    assert name_skeleton("Nóminas") != name_skeleton("Nominas")


# --- a profile cannot pass for another -------------------------------------------


def test_the_preset_name_with_a_zero_width_space_is_refused():
    world = World()
    error = _refusal(_profile, world, "Administrador\u200b")
    assert error.error_dict["name"][0].code == "forbidden_characters"


@pytest.mark.parametrize(
    "look_alike",
    [
        "\u0410dministrador",  # Cyrillic capital A
        "Administr\u0430dor",  # Cyrillic small a
        "\u0391DMINISTRADOR",  # Greek capital alpha, upper case
        "C\u043entador",  # Cyrillic small o
        "Consult\u0430",
        "administrador",
        "Ａｄｍｉｎｉｓｔｒａｄｏｒ",  # fullwidth (NFKC)
    ],
)
def test_a_name_that_looks_like_a_presets_is_name_taken(look_alike):
    world = World()
    error = _refusal(_profile, world, look_alike)
    [refusal] = error.error_dict["name"]
    assert refusal.code == "name_taken"
    assert "ya existe un perfil llamado" in refusal.messages[0]
    assert not Profile.objects.filter(account=world.account).exists()


def test_a_name_that_looks_like_another_profile_of_the_account_is_name_taken():
    world = World()
    _profile(world, "Cobranza Norte")
    error = _refusal(_profile, world, "C\u03bfbranza N\u03bfrte")  # Greek omicrons
    assert error.message_dict["name"] == ["Nombre: ya existe un perfil llamado «Cobranza Norte»."]
    other = _profile(world, "Cobranza Sur")
    error = _refusal(
        lambda w, name: profile_update(actor=w.owner, profile=other, name=name),  # type: ignore[arg-type]
        world,
        "\u0421obranza Norte",  # Cyrillic capital Es
    )
    assert error.error_dict["name"][0].code == "name_taken"


def test_renaming_a_profile_to_its_own_look_alike_is_not_a_clash_with_itself():
    world = World()
    own = _profile(world, "Cobranza")
    renamed = profile_update(actor=world.owner, profile=own, name="COBRANZA")  # type: ignore[arg-type]
    assert renamed.name == "COBRANZA"


def test_another_accounts_profile_does_not_take_the_name():
    world, other = World(), World()
    _profile(other, "Cobranza Norte")
    created = _profile(world, "C\u03bfbranza Norte")
    assert isinstance(created, Profile)
    assert created.account == world.account


# --- forms and the API say the same ------------------------------------------------


def test_the_profile_page_shows_the_refusal_next_to_the_name(client):
    world = World()
    client.force_login(world.owner)
    response = client.post(
        reverse("access:profile_create"), {"name": "\u0410dministrador", "perms": ["ventas"]}
    )
    assert response.status_code == 400
    assert "ya existe un perfil llamado «Administrador»" in response.content.decode()
    response = client.post(
        reverse("access:profile_create"), {"name": "Ventas\u202eNorte", "perms": ["ventas"]}
    )
    assert response.status_code == 400
    assert "caracteres invisibles, de control o de dirección de texto" in (
        response.content.decode()
    )
    assert not Profile.objects.filter(account=world.account).exists()


def test_the_api_refuses_hidden_characters_and_look_alikes_with_their_codes():
    tenant = make_tenant()
    api = api_as(tenant.token)
    response = api.post("/profiles", {"name": "Administrador\u200b", "permissions": ["ventas"]})
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["code"] == "forbidden_characters"
    response = api.post("/profiles", {"name": "\u0410dministrador", "permissions": ["ventas"]})
    assert response.status_code == 422
    assert error_of(response)["fields"][0]["code"] == "name_taken"
    response = api.post(
        "/companies",
        {
            "rfc": valid_rfc(),
            "razon_social": "HERRERIA\u202e SA",
            "regimen_fiscal": "601",
            "codigo_postal": "06000",
        },
    )
    assert response.status_code == 422
    assert error_of(response)["fields"][0] == {
        "field": "razon_social",
        "code": "forbidden_characters",
        "message": "Razón social: quita los caracteres invisibles, de control o de dirección "
        "de texto (U+202E); un nombre solo lleva caracteres visibles.",
    }
    assert not Company.objects.filter(razon_social__contains="\u202e").exists()


def test_the_add_user_form_refuses_a_full_name_with_a_bidi_override(client):
    world = World()
    client.force_login(world.owner)
    response = client.post(
        reverse("users:add"),
        {"full_name": "Mariana\u202e López", "email": "mariana@example.mx", "role": "admin"},
    )
    assert "Nombre completo: quita los caracteres invisibles" in response.content.decode()
    assert not Membership.objects.filter(user__email="mariana@example.mx").exists()
