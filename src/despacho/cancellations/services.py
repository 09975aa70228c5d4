"""Cancelling an issued CFDI (permission Cancelar CFDIs): preview, request, refresh.

The request is recorded (``solicitada``, audited) before the PAC is called and answered
afterwards in a second transaction: a PAC call can take seconds and must not hold database
locks, and a process that dies in between leaves an open request that
``cancellation_refresh`` settles from SAT's consulta. Every change of state goes through
``cancellation_advance``, which refuses any move ``models.TRANSITIONS`` does not list and
mirrors the state on ``Cfdi.status`` (so the PDF re-renders as cancelled).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from despacho.access.catalog import Perm
from despacho.access.decisions import can
from despacho.audit.actions import Action
from despacho.audit.services import audit_record
from despacho.cancellations.models import (
    FINAL_STATES,
    OPEN_STATES,
    TRANSITIONS,
    Cancellation,
    CancellationStep,
    State,
    acuse_key,
)
from despacho.cancellations.signals import cfdi_status_mirrored
from despacho.cfdi.models import Cfdi, CfdiRelation, Direction, RelationKind, Status
from despacho.cfdi.parsing import CFDI4, parse_xml
from despacho.cfdi.selectors import cfdi_for, cfdi_xml, live_dependents
from despacho.pac.base import (
    CancelCode,
    Estado,
    EstatusCancelacion,
    Pac,
    PacError,
    SatStatus,
    get_pac,
)
from despacho.pac.cancelrequest import CancelFolio, signed_cancellation
from despacho.pac.cancelrules import (
    FUEL_KEYS,
    CancellationPath,
    Motivo,
    cancellation_path,
    total_in_mxn,
    validate_motivo,
)
from despacho.people.models import User, Viewer
from despacho.seals.models import SealKind
from despacho.seals.services import signing_certificate

#: When the background task first asks SAT again about a request waiting for the receiver.
REFRESH_AFTER = timedelta(hours=1)

# What Cfdi.status says while and after a cancellation is in each state.
_CFDI_STATUS: dict[str, str] = {
    State.EN_PROCESO: Status.CANCELACION_EN_PROCESO,
    State.CANCELADA: Status.CANCELADO,
    State.PLAZO_VENCIDO: Status.CANCELADO,
    State.RECHAZADA: Status.VIGENTE,
    State.ERROR: Status.VIGENTE,
}


class CancelForbidden(PermissionDenied):
    """The actor's grant does not include Cancelar CFDIs on the CFDI's company."""


@dataclass(frozen=True)
class CancellationPreview:
    """What the confirmation shows: the expected path, its reasons, and what blocks it."""

    path: CancellationPath
    dependents: list[Cfdi]

    @property
    def needs_acceptance(self) -> bool:
        return self.path.needs_acceptance

    @property
    def reasons(self) -> list[str]:
        return self.path.reasons


def _code_message(code: str) -> str:
    """SAT's EstatusUUID of a refused folio, in Spanish."""
    messages: dict[str, str] = {
        CancelCode.NOT_OF_ISSUER: _("El SAT indica que el folio fiscal no pertenece al emisor."),
        CancelCode.NOT_APPLICABLE: _("El SAT indica que el CFDI no aplica para cancelación."),
        CancelCode.NOT_FOUND: _(
            "El SAT no encuentra el folio fiscal (código 205). Si se timbró hace poco, "
            "inténtalo más tarde."
        ),
        CancelCode.NOT_CANCELLABLE: _(
            "El SAT indica que el CFDI no es cancelable: tiene documentos relacionados vigentes."
        ),
    }
    return messages.get(
        code, _("El PAC respondió con el código %(code)s: la cancelación no procedió.")
    ) % {"code": code}


# --- who may, and what may be cancelled --------------------------------------------------


def _reachable(*, cfdi: Cfdi, viewer: Viewer) -> Cfdi:
    """The CFDI as the viewer may see it (404 otherwise), if they may cancel it (403)."""
    # cfdi_for first: Cancelar alone must not reveal a document of a closed category.
    fresh = cfdi_for(viewer=viewer, company=cfdi.company, uuid=cfdi.uuid)
    if not can(viewer, fresh.company, Perm.CANCELAR):
        raise CancelForbidden(
            _("Cancelar CFDI: necesitas el permiso Cancelar CFDIs en esta empresa.")
        )
    return fresh


def open_cancellation(cfdi: Cfdi) -> Cancellation | None:
    """The CFDI's request still waiting for an answer, if any."""
    return Cancellation.objects.filter(cfdi=cfdi, state__in=OPEN_STATES).first()


def _open_error() -> ValidationError:
    return ValidationError(
        _("Este CFDI ya tiene una solicitud de cancelación en curso."), code="cancellation_open"
    )


def _require_cancellable(cfdi: Cfdi) -> None:
    if cfdi.direction != Direction.EMITIDO:
        raise ValidationError(
            _("Solo se cancelan los CFDI que emitió la empresa; este lo recibió."),
            code="not_issued",
        )
    if open_cancellation(cfdi) is not None:
        raise _open_error()
    if cfdi.status != Status.VIGENTE:
        raise ValidationError(
            _("Solo se cancela un CFDI vigente; este está: %(status)s.")
            % {"status": cfdi.status_label},
            code="not_vigente",
        )


def _dependents_error(dependents: list[Cfdi]) -> ValidationError:
    names = "; ".join(
        f"{d.tipo_label} {d.serie}{d.folio} ({d.uuid_text})".replace("  ", " ") for d in dependents
    )
    return ValidationError(
        _(
            "No se puede cancelar mientras tenga documentos relacionados vigentes; cancela "
            "primero: %(dependents)s."
        )
        % {"dependents": names},
        code="live_dependents",
    )


def _substitute_error(message: str, code: str) -> ValidationError:
    return ValidationError({"folio_sustitucion": ValidationError(message, code=code)})


def _check_substitute(cfdi: Cfdi, substitute: str) -> None:
    """Motive 01: the substitute is the company's, vigente, and relates this CFDI with 04."""
    try:
        found = Cfdi.objects.filter(company=cfdi.company, uuid=substitute).first()
    except ValidationError:
        found = None  # not a UUID
    if found is None:
        raise _substitute_error(
            _(
                "Folio de sustitución: no existe un CFDI con ese folio fiscal en el "
                "repositorio de esta empresa."
            ),
            "folio_sustitucion_unknown",
        )
    if found.status != Status.VIGENTE:
        raise _substitute_error(
            _("Folio de sustitución: el CFDI que sustituye debe estar vigente."),
            "folio_sustitucion_not_vigente",
        )
    relates = CfdiRelation.objects.filter(
        company=cfdi.company,
        cfdi=found,
        related_uuid=cfdi.uuid,
        kind=RelationKind.RELACIONADO,
        tipo_relacion="04",
    ).exists()
    if not relates:
        raise _substitute_error(
            _(
                "Folio de sustitución: ese CFDI debe relacionar al que se cancela con "
                "TipoRelacion 04 (sustitución de los CFDI previos)."
            ),
            "folio_sustitucion_unrelated",
        )


def _path_of(cfdi: Cfdi, now: datetime) -> CancellationPath:
    """SAT's rules applied to the stored CFDI (the facts the index lacks, from its XML)."""
    root = parse_xml(cfdi_xml(cfdi))
    receptor = root.find(f"{{{CFDI4}}}Receptor")
    fuel = any(
        element.get("BienesTransp", "") in FUEL_KEYS
        for element in root.iter()
        if isinstance(element.tag, str) and element.tag.endswith("}Mercancia")
    )
    return cancellation_path(
        tipo=cfdi.tipo,
        total_mxn=total_in_mxn(cfdi.total, moneda=cfdi.moneda, tipo_cambio=cfdi.tipo_cambio),
        receptor_rfc=cfdi.receptor_rfc,
        receptor_regimen=receptor.get("RegimenFiscalReceptor", "") if receptor is not None else "",
        fecha_timbrado=cfdi.fecha_timbrado,
        now=now,
        fuel_carta_porte=fuel,
    )


def cancellation_preview(
    *, cfdi: Cfdi, viewer: Viewer, now: datetime | None = None
) -> CancellationPreview:
    """What cancelling would do now: with or without the receiver's acceptance and why, and
    the live documents that block it. 404/403 like the request; nothing is written."""
    cfdi = _reachable(cfdi=cfdi, viewer=viewer)
    _require_cancellable(cfdi)
    return CancellationPreview(
        path=_path_of(cfdi, now or timezone.now()),
        dependents=live_dependents(company=cfdi.company, uuid=cfdi.uuid),
    )


# --- the one way a state changes -----------------------------------------------------------


def cancellation_advance(
    *,
    cancellation: Cancellation,
    to: State | str,
    message: str = "",
    sat_code: str | None = None,
    actor: User | None = None,
    at: datetime | None = None,
) -> Cancellation:
    """Move the cancellation to ``to`` if TRANSITIONS allows it (ValidationError otherwise),
    keep the step, mirror the CFDI's status, and audit a final outcome."""
    moment = at or timezone.now()
    with transaction.atomic():
        locked = (
            Cancellation.objects.select_for_update()
            .select_related("cfdi", "company")
            .get(pk=cancellation.pk)
        )
        if to not in TRANSITIONS[locked.state]:
            raise ValidationError(
                _("Una cancelación %(from)s no puede pasar a %(to)s.")
                % {"from": locked.state_label, "to": dict(State.choices)[to]},
                code="illegal_transition",
            )
        before = locked.state
        locked.state = to
        locked.updated_at = moment
        locked.message = message
        if sat_code is not None:
            locked.sat_code = sat_code
        if to in FINAL_STATES:
            locked.finished_at = moment
        locked.save()
        CancellationStep.objects.create(cancellation=locked, state=to, at=moment, message=message)
        Cfdi.objects.filter(pk=locked.cfdi_id).update(status=_CFDI_STATUS[to])
        locked.cfdi.status = _CFDI_STATUS[to]
        cfdi_status_mirrored.send(sender=Cancellation, cfdi=locked.cfdi, at=moment)
        if to in FINAL_STATES:
            audit_record(
                actor=actor,
                action=Action.CANCELLATION_FINISHED,
                account=locked.company.account,
                company=locked.company,
                target=locked,
                before={"status": before},
                after={"status": to, "sat_code": locked.sat_code, "message": locked.message},
            )
    return locked


# --- requesting ------------------------------------------------------------------------------


def cancellation_request(
    *,
    cfdi: Cfdi,
    actor: User,
    motivo: str,
    folio_sustitucion: str = "",
    now: datetime | None = None,
    pac: Pac | None = None,
) -> Cancellation:
    """Ask SAT, through the PAC, to cancel an issued vigente CFDI with a motive.

    Refuses (404) a CFDI the actor's grant does not show, (403) without Cancelar CFDIs, and
    with a ValidationError naming the rule: a received or not vigente CFDI, one with a
    request in course, a bad motive or substitute, live dependents, no CSD. Returns the
    cancellation as the PAC's answer left it: cancelada, en_proceso, error, or still
    solicitada when the PAC did not answer (``cancellation_refresh`` settles it).
    ``pac`` is ``get_pac()`` unless given (a sandbox with its own clock: tests, the demo).
    """
    cfdi = _reachable(cfdi=cfdi, viewer=actor)
    _require_cancellable(cfdi)
    known = validate_motivo(motivo=motivo, folio_sustitucion=folio_sustitucion, uuid=str(cfdi.uuid))
    substitute = (folio_sustitucion or "").strip().lower()
    if known is Motivo.ERRORES_CON_RELACION:
        _check_substitute(cfdi, substitute)
    dependents = live_dependents(company=cfdi.company, uuid=cfdi.uuid)
    if dependents:
        raise _dependents_error(dependents)
    try:
        signing_certificate(company=cfdi.company, kind=SealKind.CSD)
    except ValidationError:
        raise ValidationError(
            _("La empresa no tiene un CSD vigente para firmar la cancelación: súbelo en Sellos."),
            code="no_csd",
        ) from None
    moment = now or timezone.now()
    path = _path_of(cfdi, moment)
    cancellation = _record_request(
        cfdi=cfdi, actor=actor, motivo=known, substitute=substitute, path=path, at=moment
    )
    pac = pac or get_pac()
    try:
        request_xml = signed_cancellation(
            company=cfdi.company,
            folios=[CancelFolio(str(cfdi.uuid), known.value, substitute)],
            actor=actor,
            now=moment,
        )
        answer = pac.cancel(request_xml=request_xml)
    except ValidationError as error:  # the CSD could not sign (its key, the vault)
        return cancellation_advance(
            cancellation=cancellation,
            to=State.ERROR,
            message=" ".join(error.messages),
            sat_code="firma",
            actor=actor,
        )
    except PacError as error:
        if error.retryable:  # the PAC may have received it: SAT's consulta will tell
            pending = _(
                "El PAC no confirmó la solicitud: %(reason)s Usa «Consultar en el SAT» para "
                "saber si la recibió."
            ) % {"reason": error.message_es}
            Cancellation.objects.filter(pk=cancellation.pk).update(message=pending)
            cancellation.message = pending
            cancellation_refresh_later(cancellation)
            return cancellation
        return cancellation_advance(
            cancellation=cancellation,
            to=State.ERROR,
            message=error.message_es,
            sat_code=error.code,
            actor=actor,
        )
    _store_acuse(cancellation, answer.acuse)
    code = answer.code_for(str(cfdi.uuid)) or ""
    if code == CancelCode.PREVIOUSLY_CANCELLED:
        return cancellation_advance(
            cancellation=cancellation, to=State.CANCELADA, sat_code=code, actor=actor
        )
    if code != CancelCode.ACCEPTED:
        return cancellation_advance(
            cancellation=cancellation,
            to=State.ERROR,
            message=_code_message(code),
            sat_code=code,
            actor=actor,
        )
    status = _sat_status(pac, cfdi)
    cancelled = status.estado == Estado.CANCELADO if status else not path.needs_acceptance
    if cancelled:
        return cancellation_advance(
            cancellation=cancellation, to=State.CANCELADA, sat_code=code, actor=actor
        )
    waiting = cancellation_advance(
        cancellation=cancellation,
        to=State.EN_PROCESO,
        sat_code=code,
        message=_("El receptor tiene 72 horas para aceptar o rechazar la cancelación."),
    )
    cancellation_refresh_later(waiting)
    return waiting


def _record_request(
    *,
    cfdi: Cfdi,
    actor: User,
    motivo: Motivo,
    substitute: str,
    path: CancellationPath,
    at: datetime,
) -> Cancellation:
    try:
        with transaction.atomic():
            cancellation = Cancellation.objects.create(
                company=cfdi.company,
                cfdi=cfdi,
                motivo=motivo.value,
                folio_sustitucion=substitute,
                needs_acceptance=path.needs_acceptance,
                reasons=path.reasons,
                requested_by=actor,
                requested_at=at,
                updated_at=at,
            )
            CancellationStep.objects.create(
                cancellation=cancellation, state=State.SOLICITADA, at=at
            )
            audit_record(
                actor=actor,
                action=Action.CANCELLATION_REQUESTED,
                account=cfdi.company.account,
                company=cfdi.company,
                target=cancellation,
                after={
                    "uuid": str(cfdi.uuid),
                    "motivo": motivo.value,
                    "folio_sustitucion": substitute,
                    "needs_acceptance": path.needs_acceptance,
                },
            )
    except IntegrityError:  # another request for this CFDI won the race
        raise _open_error() from None
    return cancellation


def _store_acuse(cancellation: Cancellation, acuse: bytes) -> None:
    if not acuse:
        return
    key = acuse_key(cancellation.company_id, cancellation.pk)
    if default_storage.exists(key):
        default_storage.delete(key)
    stored = default_storage.save(key, ContentFile(acuse))
    Cancellation.objects.filter(pk=cancellation.pk).update(acuse_path=stored)
    cancellation.acuse_path = stored


def _sat_status(pac: Pac, cfdi: Cfdi) -> SatStatus | None:
    try:
        return pac.status(
            uuid=str(cfdi.uuid),
            emisor_rfc=cfdi.emisor_rfc,
            receptor_rfc=cfdi.receptor_rfc,
            total=cfdi.total,
        )
    except PacError:
        return None


def cancellation_refresh_later(cancellation: Cancellation) -> None:
    """Have the worker ask SAT again later (a backend that cannot defer: the command does)."""
    from despacho.cancellations.tasks import cancellation_refresh_task

    if not cancellation_refresh_task.get_backend().supports_defer:
        return
    deferred = cancellation_refresh_task.using(run_after=timezone.now() + REFRESH_AFTER)
    transaction.on_commit(lambda: deferred.enqueue(cancellation.pk))


# --- refreshing ------------------------------------------------------------------------------


def _moves_for(status: SatStatus, current: str) -> list[tuple[State, str]]:
    """The states SAT's consulta leads an open request through, with their messages."""
    estatus = status.estatus_cancelacion
    if status.estado == Estado.CANCELADO:
        if estatus == EstatusCancelacion.PLAZO_VENCIDO:
            final = (
                State.PLAZO_VENCIDO,
                _("El receptor no respondió en el plazo: el SAT canceló el CFDI."),
            )
            return [(State.EN_PROCESO, ""), final]
        accepted = estatus == EstatusCancelacion.CON_ACEPTACION
        return [(State.CANCELADA, _("El receptor aceptó la cancelación.") if accepted else "")]
    if status.estado == Estado.VIGENTE and estatus == EstatusCancelacion.RECHAZADA:
        return [
            (State.EN_PROCESO, ""),
            (State.RECHAZADA, _("El receptor rechazó la cancelación: el CFDI sigue vigente.")),
        ]
    if status.estado == Estado.VIGENTE and estatus == EstatusCancelacion.EN_PROCESO:
        return [(State.EN_PROCESO, "")]
    if current == State.SOLICITADA:
        return [
            (
                State.ERROR,
                _("El SAT no registró la solicitud de cancelación: puedes solicitarla de nuevo."),
            )
        ]
    return []


def cancellation_refresh(*, cancellation: Cancellation, pac: Pac | None = None) -> Cancellation:
    """Ask SAT's consulta about an open request and advance it (accepted, rejected, plazo
    vencido); a closed one, or a PAC that does not answer, leaves it as it is."""
    cancellation = Cancellation.objects.select_related("cfdi", "company").get(pk=cancellation.pk)
    if not cancellation.is_open:
        return cancellation
    status = _sat_status(pac or get_pac(), cancellation.cfdi)
    if status is None:
        return cancellation
    for state, message in _moves_for(status, cancellation.state):
        if state == cancellation.state:
            continue
        cancellation = cancellation_advance(cancellation=cancellation, to=state, message=message)
    return cancellation


def cancellations_refresh_pending(*, pac: Pac | None = None) -> int:
    """Refresh every open request, oldest first; how many changed state."""
    pac = pac or get_pac()
    changed = 0
    pending = Cancellation.objects.filter(state__in=OPEN_STATES).order_by("updated_at", "id")
    for cancellation in pending.iterator():
        before = cancellation.state
        if cancellation_refresh(cancellation=cancellation, pac=pac).state != before:
            changed += 1
    return changed
