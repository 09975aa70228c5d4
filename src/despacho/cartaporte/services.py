"""Writes of the Carta Porte data: create, update and archive each kind of item.

Every function is keyword-only, runs in one transaction and records one audit event.
Values are normalised (codes and plates upper-case, text stripped), checked by
``cartaporte.rules`` against the SAT's catalogs, and refused together: one
``ValidationError`` naming each field and its rule in Spanish.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cartaporte import rules
from despacho.cartaporte.models import Figure, Item, Location, Trailer, Vehicle
from despacho.people.models import User
from despacho.tenancy.models import Company

T = TypeVar("T", bound=Item)


@dataclass(frozen=True)
class Kind:
    """One kind of item: its model, the fields a person writes, and its rules."""

    model: type[Item]
    fields: tuple[str, ...]
    rules: Callable[[Mapping[str, Any]], rules.Errors]
    unique: tuple[str, ...]  # what two active items may not share
    duplicate: Promise  # the refusal when they do, naming the field


LOCATION = Kind(
    model=Location,
    fields=("name", "location_type", "rfc", *rules.ADDRESS_FIELDS),
    rules=rules.location_errors,
    unique=("name",),
    duplicate=gettext_lazy("Nombre: ya hay una ubicación activa con ese nombre."),
)
VEHICLE = Kind(
    model=Vehicle,
    fields=(
        "name",
        "configuration",
        "plate",
        "model_year",
        "permit_type",
        "permit_number",
        "insurer",
        "policy",
    ),
    rules=rules.vehicle_errors,
    unique=("plate",),
    duplicate=gettext_lazy("Placa: ya hay un vehículo activo con esa placa."),
)
TRAILER = Kind(
    model=Trailer,
    fields=("name", "subtype", "plate"),
    rules=rules.trailer_errors,
    unique=("plate",),
    duplicate=gettext_lazy("Placa: ya hay un remolque activo con esa placa."),
)
FIGURE = Kind(
    model=Figure,
    fields=("figure_type", "rfc", "name", "license", *rules.ADDRESS_FIELDS),
    rules=rules.figure_errors,
    unique=("figure_type", "rfc"),
    duplicate=gettext_lazy("RFC: ya hay una figura activa de ese tipo con ese RFC."),
)
KINDS: dict[type[Item], Kind] = {k.model: k for k in (LOCATION, VEHICLE, TRAILER, FIGURE)}


def item_snapshot(item: Item) -> dict[str, Any]:
    """What the audit trail keeps of an item: the fields a person writes."""
    return {field: getattr(item, field) for field in KINDS[type(item)].fields}


def _normalised(kind: Kind, values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for field in kind.fields:
        value = values.get(field)
        if isinstance(value, str):
            value = " ".join(value.split())
            if field in rules.CODE_FIELDS:
                value = value.upper().replace(" ", "")
        elif value is None:
            value = None if field == "model_year" else ""
        cleaned[field] = value
    if "country" in cleaned and any(cleaned.get(f) for f in rules.ADDRESS_FIELDS if f != "country"):
        cleaned["country"] = "MEX"  # país of a Carta Porte address here: always México
    return cleaned


def _checked(kind: Kind, company: Company, values: Mapping[str, Any], *, pk: int | None) -> dict:
    cleaned = _normalised(kind, values)
    errors = kind.rules(cleaned)
    if not errors:
        clash = kind.model._default_manager.filter(
            company=company, archived_at__isnull=True, **{f: cleaned[f] for f in kind.unique}
        ).exclude(pk=pk)
        if clash.exists():
            errors[kind.unique[-1]] = [ValidationError(str(kind.duplicate), code="duplicate")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _saved(kind: Kind, item: Item) -> None:
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:  # two requests at once: the constraint decides
        raise ValidationError(
            {kind.unique[-1]: ValidationError(str(kind.duplicate), code="duplicate")}
        ) from None


def item_create(*, model: type[T], company: Company, actor: User, values: Mapping[str, Any]) -> T:
    """A new active item of the company, after every rule is checked."""
    kind = KINDS[model]
    with transaction.atomic():
        cleaned = _checked(kind, company, values, pk=None)
        item = model(company=company, **cleaned)
        _saved(kind, item)
        audit_record(
            actor=actor,
            action=Action.CARTAPORTE_ITEM_CREATED,
            account=company.account,
            company=company,
            target=item,
            after=item_snapshot(item),
        )
    return item


def item_update(*, item: T, actor: User, values: Mapping[str, Any]) -> T:
    """Change an item's fields (every field is given; an archived item stays archived)."""
    kind = KINDS[type(item)]
    with transaction.atomic():
        locked = type(item)._default_manager.select_for_update().get(pk=item.pk)
        before = item_snapshot(locked)
        cleaned = _checked(kind, locked.company, values, pk=locked.pk)
        for field, value in cleaned.items():
            setattr(locked, field, value)
        locked.updated_at = timezone.now()
        _saved(kind, locked)
        after = item_snapshot(locked)
        changed = [f for f in kind.fields if before[f] != after[f]]
        if changed:
            audit_record(
                actor=actor,
                action=Action.CARTAPORTE_ITEM_UPDATED,
                account=locked.company.account,
                company=locked.company,
                target=locked,
                before={f: before[f] for f in changed},
                after={f: after[f] for f in changed},
            )
    return locked


def item_archive(*, item: T, actor: User) -> T:
    """Hide an item from the lists (kept for the documents that name it); idempotent."""
    with transaction.atomic():
        locked = type(item)._default_manager.select_for_update().get(pk=item.pk)
        if locked.archived_at is None:
            locked.archived_at = locked.updated_at = timezone.now()
            locked.save(update_fields=["archived_at", "updated_at"])
            audit_record(
                actor=actor,
                action=Action.CARTAPORTE_ITEM_ARCHIVED,
                account=locked.company.account,
                company=locked.company,
                target=locked,
                after={"archived_at": locked.archived_at.isoformat()},
            )
    return locked
