"""People: email as the login (normalised, unique in any case), a full name with a surname."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.members.services.accounts import user_create
from despacho.people.models import User
from despacho.people.validators import validate_full_name
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    ["Juan Pérez", "María José O'Connor", "José-Luis de la Cruz", "Ñaki Núñez", "Ma. Ruiz"],
)
def test_a_full_name_with_a_given_name_and_a_surname_is_accepted(name):
    validate_full_name(name)


def test_a_single_name_is_refused_saying_a_surname_is_needed():
    with pytest.raises(ValidationError) as caught:
        validate_full_name("Juan")
    assert caught.value.code == "needs_surname"
    assert caught.value.messages == [
        "Nombre completo: escribe al menos un nombre y un apellido (por ejemplo, «Juan Pérez»)."
    ]


@pytest.mark.parametrize("name", ["Juan P3rez", "Juan_Pérez López", "Juan @Pérez"])
def test_a_name_with_digits_or_symbols_is_refused(name):
    with pytest.raises(ValidationError) as caught:
        validate_full_name(name)
    assert caught.value.code == "invalid_characters"
    assert caught.value.messages[0].startswith("Nombre completo: ")


def test_an_empty_name_is_refused_asking_for_it():
    with pytest.raises(ValidationError) as caught:
        validate_full_name("   ")
    assert caught.value.code == "required"


def test_a_name_over_150_characters_is_refused():
    with pytest.raises(ValidationError) as caught:
        validate_full_name("Juan " + "Pérez" * 40)
    assert caught.value.code == "max_length"


def test_registering_normalises_email_and_name():
    user = user_create(
        email="  Ana.Torres@Example.MX ", full_name="  Ana   Torres ", password=PASSWORD
    )
    assert user.email == "ana.torres@example.mx"
    assert user.full_name == "Ana Torres"
    assert user.check_password(PASSWORD)


def test_registering_writes_an_audit_event():
    user = user_create(email="ana@example.mx", full_name="Ana Torres", password=PASSWORD)
    event = AuditEvent.objects.get(action=Action.USER_CREATED, target_id=str(user.pk))
    assert event.actor == user
    assert event.after == {"email": "ana@example.mx", "full_name": "Ana Torres"}


def test_an_email_already_registered_in_another_case_is_refused():
    user_create(email="ana@example.mx", full_name="Ana Torres", password=PASSWORD)
    with pytest.raises(ValidationError) as caught:
        user_create(email="ANA@Example.mx", full_name="Ana Torres", password=PASSWORD)
    (error,) = caught.value.error_dict["email"]
    assert error.code == "email_taken"
    assert error.messages == ["Correo electrónico: ya existe una persona con ana@example.mx."]


def test_an_invalid_email_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as caught:
        user_create(email="ana-at-example", full_name="Ana", password=PASSWORD)
    assert caught.value.error_dict["email"][0].code == "invalid_email"
    assert caught.value.error_dict["full_name"][0].code == "needs_surname"


def test_django_password_validators_apply():
    with pytest.raises(ValidationError) as caught:
        user_create(email="ana@example.mx", full_name="Ana Torres", password="12345678")
    codes = {e.code for e in caught.value.error_dict["password"]}
    assert {"password_too_short", "password_too_common", "password_entirely_numeric"} <= codes
    assert not User.objects.exists()


def test_the_database_keeps_emails_lowercase():
    user = make_user(email="ana@example.mx")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(email="Ana@example.mx")


def test_the_database_refuses_the_same_email_twice():
    make_user(email="ana@example.mx")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="ana@example.mx", full_name="Ana Dos")])


def test_passwords_are_hashed_with_argon2_outside_tests(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = make_user()
    assert identify_hasher(user.password).algorithm == "argon2"
