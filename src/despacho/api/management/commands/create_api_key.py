"""``despacho create_api_key --email <member> --account <id or RFC>``: print a new API key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from despacho.api.services import api_key_create
from despacho.people.validators import normalize_email
from despacho.tenancy.models import Account, Company, Membership


def _account(value: str) -> Account:
    """An account by id, or the account owning the company with that RFC."""
    if value.isdigit():
        account = Account.objects.filter(pk=int(value)).first()
    else:
        company = Company.objects.select_related("account").filter(rfc=value.upper()).first()
        account = company.account if company else None
    if account is None:
        raise CommandError(f"No account with id or company RFC {value!r}.")
    return account


class Command(BaseCommand):
    help = "Create an API key acting as a member of an account and print it (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The member the key acts as.")
        parser.add_argument("--account", required=True, help="Account id, or RFC of its company.")
        parser.add_argument("--name", default="", help="A name to recognise the key by.")
        parser.add_argument("--expires-days", type=int, default=None, help="Days until it expires.")

    def handle(self, *args: Any, **options: Any) -> None:
        account = _account(options["account"])
        email = normalize_email(options["email"])
        membership = (
            Membership.objects.select_related("user")
            .filter(account=account, user__email=email)
            .first()
        )
        if membership is None:
            raise CommandError(f"{email} is not a member of account {account.pk} ({account}).")
        days = options["expires_days"]
        try:
            created = api_key_create(
                actor=None,
                account=account,
                membership=membership,
                name=options["name"] or f"create_api_key {timezone.localdate():%Y-%m-%d}",
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(created.token)
