"""Rules for people's names, emails and passwords, shared by forms, services and the API."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from despacho.names import validate_name_characters

_NAME_PART = re.compile(r"^[^\W\d_]+(?:[.'’-][^\W\d_]*)*\.?$", re.UNICODE)


def normalize_full_name(value: str) -> str:
    """Collapse white space and normalise Unicode to NFC."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def validate_full_name(value: str) -> None:
    """A full name has at least one given name and one surname, made of letters."""
    validate_name_characters(value, field=_("Nombre completo"))
    name = normalize_full_name(value)
    if not name:
        raise ValidationError(_("Nombre completo: escribe el nombre."), code="required")
    if len(name) > 150:
        raise ValidationError(_("Nombre completo: máximo 150 caracteres."), code="max_length")
    parts = name.split(" ")
    if any(not _NAME_PART.match(part) for part in parts):
        raise ValidationError(
            _("Nombre completo: usa solo letras, espacios, apóstrofos, puntos y guiones."),
            code="invalid_characters",
        )
    if len(parts) < 2:
        raise ValidationError(
            _(
                "Nombre completo: escribe al menos un nombre y un apellido "
                "(por ejemplo, «Juan Pérez»)."
            ),
            code="needs_surname",
        )


def normalize_email(value: str) -> str:
    """Emails are compared case-insensitively: store them trimmed and lower-case."""
    return value.strip().lower()


def password_checked(password: str, holder: Any) -> str:
    """The password if Django's validators accept it; ValidationError on the password field.

    ``holder`` is whoever will log in with it (a person, or a portal access or user): the
    validators compare the password with its name, email or RFC.
    """
    try:
        password_validation.validate_password(password, holder)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from exc
    return password
