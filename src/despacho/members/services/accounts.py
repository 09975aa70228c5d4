"""Writes about accounts, companies and memberships."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.names import validate_name_characters
from despacho.people.models import User
from despacho.people.services import clean_identity
from despacho.people.validators import password_checked
from despacho.tenancy.models import (
    PLAN_INCLUDED_SEATS,
    Account,
    Company,
    Membership,
    MembershipStatus,
    Plan,
    Role,
    Sector,
)


@transaction.atomic
def account_create(*, name: str, owner: User, plan: str = Plan.NEGOCIO) -> Account:
    """Create an account with its owner (active, holding no seat)."""
    try:
        validate_name_characters(name, field=_("Nombre de la cuenta"))
    except ValidationError as exc:
        raise ValidationError({"name": exc}) from exc
    name = " ".join(name.split())
    if not name:
        raise ValidationError(
            {"name": ValidationError(_("Nombre de la cuenta: escríbelo."), code="required")}
        )
    if plan not in PLAN_INCLUDED_SEATS:
        raise ValidationError(
            {
                "plan": ValidationError(
                    _("Plan: %(plan)s no existe.") % {"plan": plan}, code="invalid"
                )
            }
        )
    account = Account.objects.create(name=name, plan=plan, included_seats=PLAN_INCLUDED_SEATS[plan])
    Membership.objects.create(
        user=owner,
        account=account,
        role=Role.OWNER,
        status=MembershipStatus.ACTIVE,
        joined_at=timezone.now(),
    )
    audit_record(
        actor=owner,
        action=Action.ACCOUNT_CREATED,
        account=account,
        target=account,
        after={"name": account.name, "plan": account.plan, "owner": owner.email},
    )
    return account


def company_snapshot(company: Company) -> dict[str, str]:
    return {
        "rfc": company.rfc,
        "razon_social": company.razon_social,
        "regimen_fiscal": company.regimen_fiscal,
        "codigo_postal": company.codigo_postal,
        "sector": company.sector,
    }


@transaction.atomic
def company_create(
    *,
    account: Account,
    actor: User | None,
    rfc: str,
    razon_social: str,
    regimen_fiscal: str,
    codigo_postal: str,
    sector: str = Sector.SERVICIOS,
) -> Company:
    """Register a company owned by the account; every field rule checked, in Spanish."""
    company = Company(
        account=account,
        rfc=rfc,
        razon_social=razon_social,
        regimen_fiscal=regimen_fiscal,
        codigo_postal=(codigo_postal or "").strip(),
        sector=sector,
    )
    company.full_clean(exclude=["slug"], validate_unique=False)
    if Company.objects.filter(rfc=company.rfc).exists():
        raise ValidationError(
            {
                "rfc": ValidationError(
                    _("RFC: %(rfc)s ya está registrado en Despacho.") % {"rfc": company.rfc},
                    code="rfc_taken",
                )
            }
        )
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError as exc:  # a concurrent registration of the same RFC
        raise ValidationError(
            {
                "rfc": ValidationError(
                    _("RFC: %(rfc)s ya está registrado en Despacho.") % {"rfc": company.rfc},
                    code="rfc_taken",
                )
            }
        ) from exc
    audit_record(
        actor=actor,
        action=Action.COMPANY_CREATED,
        account=account,
        company=company,
        target=company,
        after=company_snapshot(company),
    )
    return company


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
        password_checked(password, User(email=email, full_name=full_name))
    user = User.objects.create_user(email=email, full_name=full_name, password=password)
    audit_record(
        actor=actor or user,
        action=Action.USER_CREATED,
        target=user,
        after={"email": user.email, "full_name": user.full_name},
    )
    return user
