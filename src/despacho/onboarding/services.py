"""Creating client accounts for a firm: one from a form, or thousands from a CSV file.

One writer, ``clients_write``, serves both: for a list of validated rows it
bulk-creates the people (unusable password unless the firm gave one), the accounts
(each client owns its own), the owner memberships, the companies, the links to the
firm (already accepted), the activation invitations and one audit event per company
in the client's account — a fixed number of queries whatever the number of rows.
Activation emails go out after commit, one task per batch.

Imports are the ``CLIENTS`` kind of the import engine (``onboarding.engine``), which
runs them in two background tasks (``onboarding.tasks``): validation, which stores
every row with its errors for the preview, and creation, which writes the valid rows
in chunks of ``CREATE_CHUNK``. Each chunk is one transaction, so every row is whole
(person, account, company, link and invitation, or nothing); if a chunk fails its rows
are retried one by one so one conflicting row cannot sink its neighbours, and if the
task dies the rows of committed chunks are already in the report and the others are
not. The firm's Bitácora gets one summary event per import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.access.selectors import manager_membership
from despacho.audit.actions import Action
from despacho.audit.services import audit_event, audit_record, audit_record_many
from despacho.firms.services import link_invite
from despacho.members.models import Invitation, InvitationKind, invitation_validity
from despacho.members.services.accounts import company_snapshot
from despacho.onboarding import engine
from despacho.onboarding.csvfile import CLIENTS_LAYOUT
from despacho.onboarding.engine import ImportKind, row_outcome
from despacho.onboarding.models import ImportJob
from despacho.onboarding.rows import (
    EXAMPLE_ROW,
    ClientRow,
    FieldError,
    check_row,
    error_dict,
    registry_collides,
    registry_errors,
    registry_for,
    validate_rows,
)
from despacho.people.models import User
from despacho.people.validators import password_checked
from despacho.tenancy.models import (
    PLAN_INCLUDED_SEATS,
    Account,
    Company,
    CompanyLink,
    LinkStatus,
    Membership,
    MembershipStatus,
    Role,
    Sector,
    company_search_text,
    unique_slugs,
)
from despacho.tokens import token_mint

logger = logging.getLogger(__name__)

CREATE_CHUNK = 1000


def _enqueue_activations(invitation_ids: list[int]) -> None:
    from despacho.members.tasks import invitations_send_many

    if invitation_ids:
        transaction.on_commit(lambda: invitations_send_many.enqueue(invitation_ids=invitation_ids))


def clients_write(*, firm: Account, actor: User | None, rows: list[ClientRow]) -> list[Company]:
    """Bulk-create validated client rows, each with its own account managed by the firm.

    Runs inside the caller's transaction; the caller has validated the rows.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("clients_write must run inside the caller's transaction")
    if not rows:
        return []
    now = timezone.now()
    people: dict[int, User] = {}
    for index, row in enumerate(rows):
        if row.email:
            people[index] = User(
                email=row.email,
                full_name=row.razon_social[:150],
                password=make_password(row.password),  # None: unusable until activation
                date_joined=now,
            )
    User.objects.bulk_create(list(people.values()))
    accounts = Account.objects.bulk_create(
        [
            Account(
                name=row.razon_social[:200],
                plan=row.plan,
                included_seats=PLAN_INCLUDED_SEATS[row.plan],
                created_at=now,
            )
            for row in rows
        ]
    )
    owners = {
        index: Membership(
            user=person,
            account=accounts[index],
            role=Role.OWNER,
            status=MembershipStatus.ACTIVE,
            created_at=now,
            joined_at=now if rows[index].password else None,
        )
        for index, person in people.items()
    }
    Membership.objects.bulk_create(list(owners.values()))
    slugs = unique_slugs([(row.razon_social, row.rfc) for row in rows])
    companies = Company.objects.bulk_create(
        [
            Company(
                account=accounts[index],
                rfc=row.rfc,
                razon_social=row.razon_social,
                regimen_fiscal=row.regimen_fiscal,
                codigo_postal=row.codigo_postal,
                sector=row.sector,
                telefono=row.telefono,
                slug=slugs[index],
                search_text=company_search_text(row.razon_social, row.rfc),
                created_at=now,
            )
            for index, row in enumerate(rows)
        ]
    )
    links = CompanyLink.objects.bulk_create(
        [
            CompanyLink(
                firm=firm,
                company=company,
                status=LinkStatus.ACCEPTED,
                invited_by=actor,
                invited_at=now,
                # The firm created the account for the client: its own act stands as the answer.
                responded_by=actor,
                responded_at=now,
            )
            for company in companies
        ]
    )
    expires_at = now + invitation_validity(InvitationKind.CLIENT_ACTIVATION)
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(
                kind=InvitationKind.CLIENT_ACTIVATION,
                account=accounts[index],
                membership=owners[index],
                company_link=links[index],
                email=rows[index].email,
                token_hash=token_mint()[1],  # a token nobody knows; the task mints the real one
                invited_by=actor,
                created_at=now,
                expires_at=expires_at,
            )
            for index in owners
            if not rows[index].password
        ]
    )
    audit_record_many(
        [
            audit_event(
                actor=actor,
                action=Action.CLIENT_ACCOUNT_CREATED,
                account=accounts[index],
                company=company,
                target=company,
                after={
                    **company_snapshot(company),
                    "firm": firm.name,
                    "owner": rows[index].email or None,
                    "activation": bool(rows[index].email and not rows[index].password),
                },
            )
            for index, company in enumerate(companies)
        ]
    )
    _enqueue_activations([invitation.pk for invitation in invitations])
    return companies


def _refuse(errors: list[FieldError]) -> None:
    """One ValidationError naming every field that breaks a rule (the form shows each)."""
    if not errors:
        return
    grouped: dict[str, list[ValidationError]] = {}
    for field, error in errors:
        grouped.setdefault(_FORM_FIELD.get(field, field), []).append(error)
    raise ValidationError(grouped)


_FORM_FIELD = {"nombre": "razon_social"}


@transaction.atomic
def client_account_create(
    *,
    firm: Account,
    actor: User,
    email: str,
    razon_social: str,
    rfc: str,
    regimen_fiscal: str,
    codigo_postal: str,
    sector: str = Sector.SERVICIOS,
    plan: str,
    telefono: str = "",
    password: str | None = None,
) -> Company | CompanyLink:
    """Open an account for a client who has none: the client owns it, the firm manages it.

    Without a password the client gets an activation link; with one, the firm hands the
    password over itself and no email is sent. When the RFC belongs to another account's
    company or the email to someone with a login, nothing is created and the firm is not
    told so: the owner gets a link invitation (``link_invite``, capped per hour) and the
    CompanyLink is returned, for the same answer as every invitation.
    """
    manager_membership(account=firm, actor=actor)
    row, errors = check_row(
        {
            "nombre": razon_social,
            "rfc": rfc,
            "regimen_fiscal": regimen_fiscal,
            "codigo_postal": codigo_postal,
            "telefono": telefono,
            "email": email,
        }
    )
    if not row.email:
        message = _("Correo: escribe el correo del cliente.")
        errors.append(("email", ValidationError(message, code="email_required")))
    if plan not in PLAN_INCLUDED_SEATS:
        message = _("Plan: elige uno de la lista.")
        errors.append(("plan", ValidationError(message, code="plan_invalid")))
    if sector not in Sector.values:
        message = _("Sector: elige uno de la lista.")
        errors.append(("sector", ValidationError(message, code="sector_invalid")))
    registry = registry_for(firm=firm, rfcs=[row.rfc], emails=[row.email])
    errors += registry_errors(row, registry)
    _refuse(errors)
    if registry_collides(row, registry):
        # Another account's company, or an email with a login: never named to the firm (a
        # free probe of who is a customer); its owner gets a link invitation and decides.
        by_rfc = row.rfc in registry.registered
        return link_invite(
            firm=firm,
            actor=actor,
            rfc=row.rfc if by_rfc else "",
            email="" if by_rfc else row.email,
        )
    if password:
        password_checked(password, User(email=row.email, full_name=row.razon_social[:150]))
    row.sector, row.plan, row.password = sector, plan, password or None
    try:
        with transaction.atomic():
            (company,) = clients_write(firm=firm, actor=actor, rows=[row])
    except IntegrityError as exc:  # someone registered the RFC or the email a moment ago
        raise ValidationError(
            _("El RFC o el correo se acaban de registrar en Despacho; revisa Empresas."),
            code="conflict",
        ) from exc
    audit_record(
        actor=actor,
        action=Action.CLIENT_ACCOUNT_CREATED,
        account=firm,
        company=company,
        target=company,
        after={**company_snapshot(company), "owner": row.email, "activation": not password},
    )
    return company


# --- CSV imports: the client kind of the import engine -----------------------------------


def _clients_chunk(
    job: ImportJob,
    chunk: list[dict[str, Any]],
    writer: Callable[..., list[Company]] = clients_write,
) -> list[dict[str, Any]]:
    """Re-check a chunk of client rows against the database and write the ones still free."""
    rows = [ClientRow.from_values(row["values"], line=row["line"]) for row in chunk]
    ready, outcomes = _recheck(job.firm, job.confirmed_by, chunk, rows)
    writer(firm=job.firm, actor=job.confirmed_by, rows=ready)
    return outcomes


def _clients_checked(
    job: ImportJob, rows: list[tuple[int, dict[str, str]]], progress: Callable[[int], None]
) -> list[dict[str, Any]]:
    return validate_rows(firm=job.firm, rows=rows, on_progress=progress)


def _clients_authorized(actor: User, firm: Account, company: Company | None) -> None:
    manager_membership(account=firm, actor=actor)


CLIENTS = ImportKind(
    name="clients",
    layout=CLIENTS_LAYOUT,
    example=EXAMPLE_ROW,
    check_rows=_clients_checked,
    write_chunk=_clients_chunk,
    authorize=_clients_authorized,
    summary_action=Action.COMPANIES_IMPORTED,
    report_fields=("nombre", "rfc", "email"),
    report_labels=(gettext_lazy("nombre"), gettext_lazy("rfc"), gettext_lazy("email")),
    company_scoped=False,
    template_name="plantilla-empresas",
    conflict_message=gettext_lazy(
        "Otra operación registró este RFC o correo al mismo tiempo; no se creó."
    ),
)


def import_start(
    *, firm: Account, actor: User, file_name: str, data: bytes, size: int | None = None
) -> ImportJob:
    """Read the uploaded client file and queue its validation (``engine.import_start``)."""
    return engine.import_start(
        kind=CLIENTS, firm=firm, actor=actor, file_name=file_name, data=data, size=size
    )


import_validate = engine.import_validate
import_confirm = engine.import_confirm


def import_create(
    *, job_id: int, writer: Callable[..., list[Company]] = clients_write
) -> ImportJob:
    """Create the valid client rows of a confirmed import in chunks of ``CREATE_CHUNK``."""
    kind = replace(CLIENTS, write_chunk=partial(_clients_chunk, writer=writer))
    return engine.import_create(job_id=job_id, kind=kind, chunk_size=CREATE_CHUNK)


def _outcome(row: dict[str, Any], outcome: str, reason: str = "") -> dict[str, Any]:
    return row_outcome(CLIENTS, row, outcome, reason)


def _recheck(
    firm: Account, actor: User | None, chunk: list[dict[str, Any]], rows: list[ClientRow]
) -> tuple[list[ClientRow], list[dict[str, Any]]]:
    """Between preview and confirmation the world moved: check the database again."""
    registry = registry_for(firm=firm, rfcs=[r.rfc for r in rows], emails=[r.email for r in rows])
    ready, outcomes = [], []
    for raw, row in zip(chunk, rows, strict=True):
        errors = registry_errors(row, registry)
        if errors:
            reason = " ".join(error_dict(e)["message"] for e in errors)
            outcomes.append(_outcome(raw, "skipped", reason))
            continue
        if registry_collides(row, registry):
            _invite_instead(firm=firm, actor=actor, row=row, registry=registry)
        else:
            ready.append(row)
        # The same outcome either way: the report never says whether the RFC or email
        # belonged to someone (the firm sees the company once its owner accepts).
        outcomes.append(_outcome(raw, "created"))
    return ready, outcomes


def _invite_instead(*, firm: Account, actor: User | None, row: ClientRow, registry: Any) -> None:
    """A row naming another account's company (or an email with a login): a link invitation
    to its owner, which they accept or decline; nothing the firm can tell apart."""
    if actor is None:
        return
    by_rfc = row.rfc in registry.registered
    try:
        with transaction.atomic():
            link_invite(
                firm=firm,
                actor=actor,
                rfc=row.rfc if by_rfc else "",
                email="" if by_rfc else row.email,
                # Not capped: a confirmed import is one deliberate act of a manager, and a
                # row dropped at the cap would tell the firm which rows named someone.
                hourly_cap=False,
            )
    except ValidationError:
        pass  # already invited or managed: the firm's own state, nothing to add
