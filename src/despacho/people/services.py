"""Writes about people."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.people.models import User
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


@transaction.atomic
def user_create(
    *, email: str, full_name: str, password: str | None, actor: User | None = None
) -> User:
    """Register a person; email unique (case-insensitive), name with a surname, valid password."""
    email, full_name = clean_identity(email, full_name)
    if User.objects.filter(email=email).exists():
        raise ValidationError(
            {
                "email": ValidationError(
                    _("Correo electrónico: ya existe una persona con %(email)s.")
                    % {"email": email},
                    code="email_taken",
                )
            }
        )
    if password is not None:
        try:
            password_validation.validate_password(password, User(email=email, full_name=full_name))
        except ValidationError as exc:
            raise ValidationError({"password": exc.error_list}) from exc
    user = User.objects.create_user(email=email, full_name=full_name, password=password)
    audit_record(
        actor=actor or user,
        action=Action.USER_CREATED,
        target=user,
        after={"email": user.email, "full_name": user.full_name},
    )
    return user


@transaction.atomic
def user_password_set(*, user: User, password: str, reset: bool = False) -> User:
    """Store a new password (already checked by Django's validators) and record the change.

    Changing the password changes the session hash, so every other session of the
    person ends; the view keeps the current one with update_session_auth_hash.
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(
        actor=user,
        action=Action.USER_PASSWORD_RESET if reset else Action.USER_PASSWORD_CHANGED,
        target=user,
    )
    return user
