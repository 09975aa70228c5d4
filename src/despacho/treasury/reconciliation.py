"""Reconciliation's writes: refreshing the engine's suggestions, confirming, rejecting,
matching by hand and undoing. Each needs Tesorería, runs in one transaction and (but the
refresh, which only proposes) writes its audit event; confirming and undoing tell the apps
above through ``signals.match_confirmed`` / ``match_undone``."""

from __future__ import annotations

import uuid as uuid_module
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cfdi.selectors import cfdi_for
from despacho.people.models import User
from despacho.tenancy.models import Company
from despacho.treasury import signals
from despacho.treasury.matching import CfdiRow, Suggestion, suggest
from despacho.treasury.models import (
    BankAccount,
    Match,
    MatchCfdi,
    MatchMovement,
    MatchStatus,
    Movement,
)
from despacho.treasury.selectors import movement_rows, reconcilable_cfdis
from despacho.treasury.services import require_tesoreria

CENT = Decimal("0.01")


def suggestions_refresh(*, company: Company, actor: User) -> int:
    """Replace the company's open suggestions with the engine's answer for every pending
    movement; confirmed and rejected matches stay (a rejected pairing is not proposed
    again). Returns how many suggestions there are."""
    require_tesoreria(actor, company)
    with transaction.atomic():
        Match.objects.filter(company=company, status=MatchStatus.SUGGESTED).delete()
        rejected = _rejected_pairs(company)
        created = 0
        for account in BankAccount.objects.filter(company=company):
            pending = Movement.objects.filter(account=account, reconciled=False)
            span = pending.aggregate(start=Min("date"), end=Max("date"))
            if span["start"] is None:
                continue
            cfdis = reconcilable_cfdis(
                viewer=actor,
                company=company,
                currency=account.currency,
                since=span["start"],
                until=span["end"],
            )
            moves = movement_rows(pending)
            suggestions = suggest(moves, cfdis, rejected=rejected)
            created += _store(company, suggestions, moves, cfdis)
    return created


def _rejected_pairs(company: Company) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    pairs: dict[int, tuple[list[int], list[int]]] = {}
    rejected = Match.objects.filter(company=company, status=MatchStatus.REJECTED)
    for match_id, movement_id in MatchMovement.objects.filter(match__in=rejected).values_list(
        "match_id", "movement_id"
    ):
        pairs.setdefault(match_id, ([], []))[0].append(movement_id)
    for match_id, cfdi_id in MatchCfdi.objects.filter(match__in=rejected).values_list(
        "match_id", "cfdi_id"
    ):
        pairs.setdefault(match_id, ([], []))[1].append(cfdi_id)
    return {(tuple(sorted(m)), tuple(sorted(c))) for m, c in pairs.values()}


def _store(
    company: Company, suggestions: list[Suggestion], moves: list, cfdis: list[CfdiRow]
) -> int:
    amounts = {m.id: m.amount for m in moves}
    rows = {c.id: c for c in cfdis}
    categories = _categories([c for s in suggestions for c in s.cfdis])
    matches = Match.objects.bulk_create(
        Match(
            company=company,
            status=MatchStatus.SUGGESTED,
            score=Decimal(str(round(s.score, 3))),
            reasons=s.reasons,
            movements_total=sum((abs(amounts[m]) for m in s.movements), Decimal("0")),
            cfdis_total=sum((rows[c].amount for c in s.cfdis), Decimal("0")),
        )
        for s in suggestions
    )
    MatchMovement.objects.bulk_create(
        MatchMovement(match=match, movement_id=movement_id)
        for match, s in zip(matches, suggestions, strict=True)
        for movement_id in s.movements
    )
    MatchCfdi.objects.bulk_create(
        MatchCfdi(
            match=match, cfdi_id=cfdi_id, category=categories[cfdi_id], amount=rows[cfdi_id].amount
        )
        for match, s in zip(matches, suggestions, strict=True)
        for cfdi_id in s.cfdis
    )
    return len(matches)


def _categories(ids: list[int]) -> dict[int, str]:
    from despacho.cfdi.models import Cfdi

    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        found.update(
            Cfdi.objects.filter(pk__in=ids[start : start + 500]).values_list("pk", "category")
        )
    return found


def _set_confirmed(match: Match, confirmed: bool) -> None:
    MatchMovement.objects.filter(match=match).update(confirmed=confirmed)
    MatchCfdi.objects.filter(match=match).update(confirmed=confirmed)
    Movement.objects.filter(match_links__match=match).update(reconciled=confirmed)


def _audit(match: Match, actor: User, action: Action) -> None:
    audit_record(
        actor=actor,
        action=action,
        account=match.company.account,
        company=match.company,
        target=match,
        after={
            "movements": MatchMovement.objects.filter(match=match).count(),
            "cfdis": MatchCfdi.objects.filter(match=match).count(),
            "score": str(match.score),
            "difference": str(match.difference),
            "manual": match.manual,
        },
    )


def _locked(match: Match, status: MatchStatus) -> Match:
    locked = Match.objects.select_for_update().select_related("company__account").get(pk=match.pk)
    if locked.status != status:
        raise ValidationError(
            _("Esta conciliación ya cambió de estado; recarga la página."),
            code="not_pending",
        )
    return locked


def match_confirm(*, match: Match, actor: User) -> Match:
    """Confirm a suggestion: its movements count as reconciled (never twice: the database
    refuses a movement in two confirmed matches)."""
    require_tesoreria(actor, match.company)
    try:
        with transaction.atomic():
            match = _locked(match, MatchStatus.SUGGESTED)
            match.status = MatchStatus.CONFIRMED
            match.decided_at = timezone.now()
            match.decided_by = actor
            match.save(update_fields=["status", "decided_at", "decided_by"])
            _set_confirmed(match, True)
            _audit(match, actor, Action.MATCH_CONFIRMED)
            signals.match_confirmed.send(sender=Match, match=match, actor=actor)
    except IntegrityError:
        raise ValidationError(
            _("Uno de los movimientos ya está conciliado con otro CFDI."), code="already_reconciled"
        ) from None
    return match


def match_reject(*, match: Match, actor: User) -> Match:
    """Reject a suggestion: it is not proposed again."""
    require_tesoreria(actor, match.company)
    with transaction.atomic():
        match = _locked(match, MatchStatus.SUGGESTED)
        match.status = MatchStatus.REJECTED
        match.decided_at = timezone.now()
        match.decided_by = actor
        match.save(update_fields=["status", "decided_at", "decided_by"])
        _audit(match, actor, Action.MATCH_REJECTED)
    return match


def match_undo(*, match: Match, actor: User) -> Match:
    """Undo a confirmed match: its movements are pending again (audited)."""
    require_tesoreria(actor, match.company)
    with transaction.atomic():
        match = _locked(match, MatchStatus.CONFIRMED)
        match.status = MatchStatus.UNDONE
        match.decided_at = timezone.now()
        match.decided_by = actor
        match.save(update_fields=["status", "decided_at", "decided_by"])
        _set_confirmed(match, False)
        _audit(match, actor, Action.MATCH_UNDONE)
        signals.match_undone.send(sender=Match, match=match, actor=actor)
    return match


def match_manual(
    *, company: Company, actor: User, movements: list[Movement], uuids: list[str]
) -> Match:
    """Match movements with CFDIs by hand (confirmed at once). The CFDIs are read through
    the repository's scoped access, so only documents the actor may see can be named."""
    require_tesoreria(actor, company)
    if not movements:
        raise ValidationError({"movements": _("Elige al menos un movimiento.")}, code="required")
    if not uuids:
        raise ValidationError({"uuids": _("Indica al menos un UUID.")}, code="required")
    cfdis = []
    for text in uuids:
        try:
            value = uuid_module.UUID(text.strip())
        except ValueError:
            raise ValidationError(
                {"uuids": _("«%(value)s» no es un UUID.") % {"value": text[:40]}}, code="invalid"
            ) from None
        cfdis.append(cfdi_for(viewer=actor, company=company, uuid=value))
    if any(m.company_id != company.pk for m in movements):
        raise ValidationError({"movements": _("Movimiento desconocido.")}, code="unknown")
    try:
        with transaction.atomic():
            match = Match.objects.create(
                company=company,
                status=MatchStatus.CONFIRMED,
                manual=True,
                score=Decimal("1"),
                reasons=["manual"],
                movements_total=sum((abs(m.amount) for m in movements), Decimal("0")),
                cfdis_total=sum((c.amount.quantize(CENT) for c in cfdis), Decimal("0")),
                decided_at=timezone.now(),
                decided_by=actor,
            )
            MatchMovement.objects.bulk_create(
                MatchMovement(match=match, movement=m, confirmed=True) for m in movements
            )
            MatchCfdi.objects.bulk_create(
                MatchCfdi(
                    match=match,
                    cfdi=c,
                    category=c.category,
                    amount=c.amount.quantize(CENT),
                    confirmed=True,
                )
                for c in cfdis
            )
            Movement.objects.filter(pk__in=[m.pk for m in movements]).update(reconciled=True)
            # A suggestion that shared a movement with this match is now moot.
            Match.objects.filter(
                status=MatchStatus.SUGGESTED, movement_links__movement__in=movements
            ).delete()
            _audit(match, actor, Action.MATCH_CONFIRMED)
            signals.match_confirmed.send(sender=Match, match=match, actor=actor)
    except IntegrityError:
        raise ValidationError(
            {"movements": _("Uno de los movimientos ya está conciliado.")},
            code="already_reconciled",
        ) from None
    return match
