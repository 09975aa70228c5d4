"""Writes about people."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from despacho.people.validators import normalize_email, normalize_full_name, validate_full_name


def clean_identity(email: str, full_name: str) -> tuple[str, str]:
    """The email and full name normalised; ValidationError naming each field that breaks a rule."""
    errors: dict[str, list[ValidationError]] = {}
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [
            ValidationError(
                _("Correo electrónico: «%(email)s» no es un correo válido.") % {"email": email},
                code="invalid_email",
            )
        ]
    try:
        validate_full_name(full_name)
    except ValidationError as exc:
        errors["full_name"] = [exc]
    full_name = normalize_full_name(full_name)
    if errors:
        raise ValidationError(errors)
    return email, full_name
