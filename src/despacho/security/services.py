"""Writes about authentication: password reset requests, authenticator apps, recovery codes,
the policy."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from despacho.after_response import enqueue_after_response
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.people.models import User
from despacho.security.models import AccountSecurityPolicy
from despacho.security.selectors import is_account_owner, second_factor_status
from despacho.security.tasks import password_reset_send
from despacho.security.throttle import mail_request_allowed
from despacho.tenancy.models import Account

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Aplicación de autenticación"
RECOVERY_DEVICE_NAME = "Códigos de recuperación"


def password_reset_request(*, email: str, ip: str | None) -> None:
    """Queue the reset mail unless throttled: the same work whether the email is anyone's.

    The task looks the person up after the answer has gone out, so neither the page
    nor its timing tells a registered email from an unknown one.
    """
    if mail_request_allowed(scope="reset", email=email, ip=ip):
        enqueue_after_response(password_reset_send, email=email)


def owner_only_message() -> str:
    return _("Solo el propietario de la cuenta cambia su política de seguridad.")


def _invalid_code() -> ValidationError:
    return ValidationError(
        {
            "code": ValidationError(
                _(
                    "Código: no coincide. Escribe los 6 dígitos que muestra ahora tu "
                    "aplicación (cambian cada 30 segundos)."
                ),
                code="invalid_code",
            )
        }
    )


@transaction.atomic
def totp_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator the person is setting up (unconfirmed), created the first time."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def _recovery_codes_issue(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _n in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@transaction.atomic
def totp_device_confirm(*, user: User, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a current code; returns it and 10 recovery codes.

    The codes are returned once and stored only as django-otp keeps them; any
    earlier authenticator and codes of the person are replaced.
    """
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None:
        raise ValidationError(
            _("Verificación en dos pasos: empieza de nuevo; no hay configuración pendiente."),
            code="nothing_pending",
        )
    if not device.verify_token(token.strip()):
        raise _invalid_code()
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_issue(user)
    audit_record(actor=user, action=Action.TWO_FACTOR_ENABLED, target=user)
    return device, codes


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    if not second_factor_status(user=user).has_device:
        raise ValidationError(
            _("Verificación en dos pasos: actívala antes de pedir códigos de recuperación."),
            code="no_device",
        )
    codes = _recovery_codes_issue(user)
    audit_record(actor=user, action=Action.RECOVERY_CODES_RENEWED, target=user)
    return codes


@transaction.atomic
def two_factor_disable(*, user: User, password: str) -> None:
    """Remove the person's authenticator and recovery codes (password required)."""
    if not user.check_password(password):
        raise ValidationError(
            {
                "password": ValidationError(
                    _("Contraseña: no es la correcta."), code="wrong_password"
                )
            }
        )
    if second_factor_status(user=user).required:
        raise ValidationError(
            _(
                "Verificación en dos pasos: una cuenta que administras la exige; no puedes "
                "desactivarla mientras seas propietario o administrador."
            ),
            code="required_by_account",
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(actor=user, action=Action.TWO_FACTOR_DISABLED, target=user)


def second_factor_verify(*, user: User, token: str) -> Device | None:
    """The device that accepts the code (authenticator first, then a recovery code), or None.

    Each device throttles wrong codes itself (django-otp): the wait doubles per failure.
    """
    token = "".join(token.split())
    # Six digits are an authenticator code; anything else can only be a recovery code.
    # Trying one kind only keeps a typo from counting against both devices' throttles.
    model: type[Device] = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        with transaction.atomic():
            locked = model.objects.select_for_update().get(pk=device.pk)
            if locked.verify_token(token):
                return locked
    return None


def second_factor_wait(*, user: User) -> int:
    """Seconds until the person's authenticator accepts another try (0 if it does now)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return 0
    allowed, info = device.verify_is_allowed()
    if allowed or not info:
        return 0
    locked_until = info.get("locked_until")
    return max(int((locked_until - timezone.now()).total_seconds()), 1) if locked_until else 0


@transaction.atomic
def account_policy_set(
    *, account: Account, actor: User, require_2fa_for_managers: bool
) -> AccountSecurityPolicy:
    """The owner decides whether owner and admins must use 2FA (the owner must have it first)."""
    if not is_account_owner(user=actor, account=account):
        raise PermissionDenied(
            _("Solo el propietario de la cuenta cambia su política de seguridad.")
        )
    if require_2fa_for_managers and not second_factor_status(user=actor).has_device:
        raise ValidationError(
            _(
                "Verificación en dos pasos: actívala primero en tu propia cuenta; después "
                "podrás exigirla a los administradores."
            ),
            code="owner_needs_2fa",
        )
    policy, _created = AccountSecurityPolicy.objects.select_for_update().get_or_create(
        account=account
    )
    before = {"require_2fa_for_managers": policy.require_2fa_for_managers}
    policy.require_2fa_for_managers = require_2fa_for_managers
    policy.updated_at = timezone.now()
    policy.updated_by = actor
    policy.save()
    audit_record(
        actor=actor,
        action=Action.SECURITY_POLICY_CHANGED,
        account=account,
        target=policy,
        before=before,
        after={"require_2fa_for_managers": require_2fa_for_managers},
    )
    return policy


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
