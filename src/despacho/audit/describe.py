"""How an audit event reads to a person: one Spanish sentence and its changes, labelled.

Events store raw values (``"role": "member"``, permission codes, ISO dates) so the CSV
export and the API keep what the code wrote; the page translates them here: field names
to Spanish labels, roles, statuses and kinds to their choices' labels, permission codes to
the catalog's labels, booleans to "sí"/"no", dates to Mexico City's local time.

Apps above ``audit`` whose snapshots carry their own choices register them with
``register_choices`` from their ``AppConfig.ready`` (``audit`` imports nobody above it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from despacho.audit.actions import Action
from despacho.audit.models import AuditEvent
from despacho.tenancy.models import LinkStatus, MembershipStatus, Plan, Role, Sector
from despacho.tenancy.regimen import regimen_choices

# The Spanish label of every key a snapshot or an event's before/after writes.
FIELD_LABELS: dict[str, Promise] = {
    # Treasury: bank accounts, statements, matches.
    "bank": gettext_lazy("Banco"),
    "account_number": gettext_lazy("Número de cuenta"),
    "clabe": gettext_lazy("CLABE"),
    "currency": gettext_lazy("Moneda"),
    "opening_balance": gettext_lazy("Saldo inicial"),
    "opening_date": gettext_lazy("Fecha del saldo inicial"),
    "movements": gettext_lazy("Movimientos"),
    "cfdis": gettext_lazy("CFDI"),
    "score": gettext_lazy("Puntaje"),
    "difference": gettext_lazy("Diferencia"),
    "manual": gettext_lazy("A mano"),
    # A CFDI upload's counts (cfdi.services: one key per ingestion Outcome).
    "accepted": gettext_lazy("Guardados"),
    "activated": gettext_lazy("Activada"),
    "activation": gettext_lazy("Activación"),
    "added": gettext_lazy("Permisos agregados a mano"),
    "by": gettext_lazy("Por"),
    "clave_prod_serv": gettext_lazy("Clave de producto o servicio"),
    "clave_unidad": gettext_lazy("Clave de unidad"),
    "codigo_postal": gettext_lazy("Código postal"),
    "companies": gettext_lazy("Empresas"),
    "company": gettext_lazy("Empresa"),
    "contact_name": gettext_lazy("Contacto"),
    "contact_phone": gettext_lazy("Teléfono"),
    "count": gettext_lazy("Cantidad"),
    "created": gettext_lazy("Creadas"),
    "description": gettext_lazy("Descripción"),
    "duplicate": gettext_lazy("Ya estaban guardados"),
    "effective": gettext_lazy("Permisos efectivos"),
    "email": gettext_lazy("Correo"),
    "emails": gettext_lazy("Correos"),
    "expires_at": gettext_lazy("Vence"),
    "file": gettext_lazy("Archivo"),
    "firm": gettext_lazy("Despacho"),
    "forma_pago": gettext_lazy("Forma de pago"),
    "full_name": gettext_lazy("Nombre completo"),
    "generated": gettext_lazy("Contraseña generada"),
    "grants": gettext_lazy("Accesos a empresas"),
    "has_password": gettext_lazy("Tiene contraseña"),
    "impuesto": gettext_lazy("Impuesto"),
    "is_active": gettext_lazy("Habilitado"),
    "iva": gettext_lazy("IVA"),
    "kind": gettext_lazy("Tipo"),
    "lines": gettext_lazy("Impuestos"),
    "member": gettext_lazy("Actúa como"),
    "members": gettext_lazy("Usuarios"),
    "metodo_pago": gettext_lazy("Método de pago"),
    "name": gettext_lazy("Nombre"),
    "notes": gettext_lazy("Notas"),
    "names": gettext_lazy("Nombres"),
    "objeto_imp": gettext_lazy("Objeto de impuesto"),
    "origin": gettext_lazy("Origen"),
    "owner": gettext_lazy("Propietario"),
    "pais": gettext_lazy("País"),
    "password": gettext_lazy("Contraseña"),
    "period_end": gettext_lazy("Hasta"),
    "period_start": gettext_lazy("Desde"),
    "permissions": gettext_lazy("Permisos"),
    "plan": gettext_lazy("Plan"),
    "prefix": gettext_lazy("Prefijo"),
    "previous_owner_role": gettext_lazy("Rol del propietario anterior"),
    "profile": gettext_lazy("Perfil"),
    "purpose": gettext_lazy("Para qué"),
    "quantity": gettext_lazy("Licencias"),
    "rate": gettext_lazy("Tasa o cuota"),
    "razon_social": gettext_lazy("Razón social"),
    "reason": gettext_lazy("Motivo"),
    "refused": gettext_lazy("Rechazados"),
    "regimen_fiscal": gettext_lazy("Régimen fiscal"),
    "removed": gettext_lazy("Permisos quitados a mano"),
    "replacement": gettext_lazy("Perfil de reemplazo"),
    "requested": gettext_lazy("RFC o correo que escribió el despacho"),
    "require_2fa_for_managers": gettext_lazy(
        "Verificación en dos pasos obligatoria para propietario y administradores"
    ),
    "revoked_at": gettext_lazy("Revocada"),
    "rfc": gettext_lazy("RFC"),
    "rfcs": gettext_lazy("RFC"),
    "role": gettext_lazy("Rol"),
    "rows": gettext_lazy("Filas"),
    "seal": gettext_lazy("Certificado"),
    "sector": gettext_lazy("Sector"),
    "serial": gettext_lazy("Número de certificado"),
    "sha256": gettext_lazy("Huella SHA-256 de lo firmado"),
    "size": gettext_lazy("Bytes firmados"),
    "skipped": gettext_lazy("Omitidas"),
    "status": gettext_lazy("Estado"),
    "subtotal": gettext_lazy("Subtotal"),
    "tax_id": gettext_lazy("Número de identificación fiscal"),
    "tax_kind": gettext_lazy("Traslado o retención"),
    "tax_scheme": gettext_lazy("Esquema de impuestos"),
    "tipo_factor": gettext_lazy("Tipo factor"),
    "to": gettext_lazy("Para"),
    "total": gettext_lazy("Total"),
    "unit": gettext_lazy("Unidad"),
    "unit_price": gettext_lazy("Precio unitario"),
    "unverified_accepted": gettext_lazy("Aceptada sin verificar"),
    "uso_cfdi": gettext_lazy("Uso CFDI"),
    "uuid": gettext_lazy("UUID"),
    "valid_from": gettext_lazy("Vigente desde"),
    "valid_to": gettext_lazy("Vigente hasta"),
    "valid_until": gettext_lazy("Válidas hasta"),
    # Carta Porte's items (cartaporte.services.item_snapshot).
    "archived_at": gettext_lazy("Archivado"),
    "configuration": gettext_lazy("Configuración vehicular"),
    "country": gettext_lazy("País"),
    "exterior_number": gettext_lazy("Número exterior"),
    "figure_type": gettext_lazy("Tipo de figura"),
    "insurer": gettext_lazy("Aseguradora"),
    "interior_number": gettext_lazy("Número interior"),
    "license": gettext_lazy("Licencia federal"),
    "locality": gettext_lazy("Localidad"),
    "location_type": gettext_lazy("Tipo de ubicación"),
    "model_year": gettext_lazy("Año modelo"),
    "municipality": gettext_lazy("Municipio"),
    "neighborhood": gettext_lazy("Colonia"),
    "permit_number": gettext_lazy("Número de permiso SCT"),
    "permit_type": gettext_lazy("Permiso SCT"),
    "plate": gettext_lazy("Placa"),
    "policy": gettext_lazy("Póliza"),
    # Accounting (accounting.services).
    "account_code": gettext_lazy("Número de cuenta"),
    "closed_at": gettext_lazy("Cerrado"),
    "codigo_agrupador": gettext_lazy("Código agrupador"),
    "concepto": gettext_lazy("Concepto"),
    "fecha": gettext_lazy("Fecha"),
    "month": gettext_lazy("Mes"),
    "nature": gettext_lazy("Naturaleza"),
    "persona": gettext_lazy("Tipo de persona"),
    "poliza_tipo": gettext_lazy("Tipo de póliza"),
    "posted": gettext_lazy("Pólizas generadas"),
    "reversed": gettext_lazy("Pólizas de cancelación"),
    "rules": gettext_lazy("Reglas"),
    "postal_code": gettext_lazy("Código postal"),
    "reference": gettext_lazy("Referencia"),
    "state": gettext_lazy("Estado"),
    "street": gettext_lazy("Calle"),
    "subtype": gettext_lazy("Subtipo de remolque"),
    # Series and drafts (invoicing.services).
    "cloned_from": gettext_lazy("Copiado de"),
    "code": gettext_lazy("Serie"),
    "concepts": gettext_lazy("Conceptos"),
    "customer": gettext_lazy("Cliente"),
    "folio": gettext_lazy("Folio"),
    "is_default": gettext_lazy("Por omisión"),
    "moneda": gettext_lazy("Moneda"),
    "next_folio": gettext_lazy("Siguiente folio"),
    "payments": gettext_lazy("Pagos"),
    "relations": gettext_lazy("CFDI relacionados"),
    "series": gettext_lazy("Serie"),
    "tipo": gettext_lazy("Tipo de comprobante"),
    # Issuing (invoicing.services.issue).
    "draft": gettext_lazy("Borrador"),
    "issuer": gettext_lazy("Emitió"),
    "serie": gettext_lazy("Serie"),
    # Cancellations (cancellations.services).
    "motivo": gettext_lazy("Motivo de cancelación"),
    "folio_sustitucion": gettext_lazy("Folio fiscal que lo sustituye"),
    "needs_acceptance": gettext_lazy("Requiere aceptación del receptor"),
    "sat_code": gettext_lazy("Código del SAT"),
    "message": gettext_lazy("Mensaje"),
}

# One sentence per action; %(actor)s is who acted, %(target)s what it acted on.
SENTENCES: dict[str, Promise] = {
    Action.ACCOUNT_CREATED: gettext_lazy("%(actor)s creó la cuenta %(target)s."),
    Action.COMPANY_CREATED: gettext_lazy("%(actor)s registró la empresa %(target)s."),
    Action.COMPANY_UPDATED: gettext_lazy("%(actor)s modificó los datos de la empresa %(target)s."),
    Action.USER_CREATED: gettext_lazy("Se registró %(target)s."),
    Action.USER_PASSWORD_CHANGED: gettext_lazy("%(actor)s cambió su contraseña."),
    Action.USER_PASSWORD_RESET: gettext_lazy("%(actor)s restableció su contraseña."),
    Action.MEMBERSHIP_CREATED: gettext_lazy("%(actor)s agregó a %(target)s a la cuenta."),
    Action.MEMBERSHIP_UPDATED: gettext_lazy("%(actor)s modificó el acceso de %(target)s."),
    Action.MEMBERSHIP_DEACTIVATED: gettext_lazy("%(actor)s desactivó el acceso de %(target)s."),
    Action.MEMBERSHIP_REACTIVATED: gettext_lazy("%(actor)s reactivó el acceso de %(target)s."),
    Action.MEMBERSHIP_DELETED: gettext_lazy("%(actor)s quitó a %(target)s de la cuenta."),
    Action.OWNERSHIP_TRANSFERRED: gettext_lazy(
        "%(actor)s transfirió la propiedad de la cuenta a %(target)s."
    ),
    Action.GRANT_CREATED: gettext_lazy("%(actor)s dio acceso a una empresa: %(target)s."),
    Action.GRANT_UPDATED: gettext_lazy("%(actor)s cambió los permisos de %(target)s."),
    Action.GRANT_DELETED: gettext_lazy("%(actor)s retiró el acceso a una empresa: %(target)s."),
    Action.PROFILE_CREATED: gettext_lazy("%(actor)s creó el perfil %(target)s."),
    Action.PROFILE_UPDATED: gettext_lazy("%(actor)s modificó el perfil %(target)s."),
    Action.PROFILE_DELETED: gettext_lazy("%(actor)s eliminó el perfil %(target)s."),
    Action.INVITATION_SENT: gettext_lazy("%(actor)s envió una invitación: %(target)s."),
    Action.INVITATION_RESENT: gettext_lazy("%(actor)s reenvió una invitación: %(target)s."),
    Action.INVITATION_REVOKED: gettext_lazy("%(actor)s revocó una invitación: %(target)s."),
    Action.INVITATION_ACCEPTED: gettext_lazy("%(actor)s aceptó una invitación: %(target)s."),
    Action.SEATS_PURCHASED: gettext_lazy("%(actor)s registró una compra de licencias."),
    Action.CFDI_INGESTED: gettext_lazy("%(actor)s guardó CFDI en el repositorio."),
    Action.CFDI_DELIVERED: gettext_lazy("%(actor)s envió por correo el CFDI %(target)s."),
    Action.CFDI_ISSUED: gettext_lazy("%(actor)s emitió (timbró) el CFDI %(target)s."),
    Action.PORTAL_ACCESS_CREATED: gettext_lazy("%(actor)s creó el acceso al portal de %(target)s."),
    Action.PORTAL_ACCESSES_AUTO_CREATED: gettext_lazy(
        "Se crearon accesos al portal para los receptores de los CFDI guardados."
    ),
    Action.PORTAL_ACCESS_UPDATED: gettext_lazy(
        "%(actor)s modificó el acceso al portal de %(target)s."
    ),
    Action.PORTAL_ACCESS_PASSWORD_SET: gettext_lazy(
        "%(actor)s cambió la contraseña del portal de %(target)s."
    ),
    Action.PORTAL_ACCESS_DISABLED: gettext_lazy(
        "%(actor)s deshabilitó el acceso al portal de %(target)s."
    ),
    Action.PORTAL_ACCESS_ENABLED: gettext_lazy(
        "%(actor)s habilitó el acceso al portal de %(target)s."
    ),
    Action.PORTAL_ACCESS_SENT: gettext_lazy(
        "%(actor)s envió por correo el acceso al portal de %(target)s."
    ),
    Action.CUSTOMER_CREATED: gettext_lazy("%(actor)s registró al cliente %(target)s."),
    Action.CUSTOMER_UPDATED: gettext_lazy("%(actor)s modificó los datos del cliente %(target)s."),
    Action.CUSTOMER_ARCHIVED: gettext_lazy("%(actor)s archivó al cliente %(target)s."),
    Action.CUSTOMER_RESTORED: gettext_lazy("%(actor)s restauró al cliente %(target)s."),
    Action.PORTAL_USER_CREATED: gettext_lazy("%(actor)s agregó a %(target)s al portal."),
    Action.PORTAL_USER_DISABLED: gettext_lazy(
        "%(actor)s deshabilitó la entrada al portal de %(target)s."
    ),
    Action.PORTAL_USER_ENABLED: gettext_lazy(
        "%(actor)s habilitó la entrada al portal de %(target)s."
    ),
    Action.TWO_FACTOR_ENABLED: gettext_lazy("%(actor)s activó la verificación en dos pasos."),
    Action.TWO_FACTOR_DISABLED: gettext_lazy("%(actor)s desactivó la verificación en dos pasos."),
    Action.RECOVERY_CODES_RENEWED: gettext_lazy("%(actor)s renovó sus códigos de recuperación."),
    Action.SECURITY_POLICY_CHANGED: gettext_lazy(
        "%(actor)s cambió la política de seguridad de la cuenta."
    ),
    Action.LINK_INVITED: gettext_lazy("%(actor)s envió una invitación de vínculo: %(target)s."),
    Action.LINK_RESENT: gettext_lazy("%(actor)s reenvió una invitación de vínculo: %(target)s."),
    Action.LINK_WITHDRAWN: gettext_lazy("%(actor)s retiró una invitación de vínculo: %(target)s."),
    Action.LINK_ACCEPTED: gettext_lazy("%(actor)s aceptó el vínculo %(target)s."),
    Action.LINK_DECLINED: gettext_lazy("%(actor)s rechazó el vínculo %(target)s."),
    Action.LINK_REVOKED: gettext_lazy("%(actor)s revocó el vínculo %(target)s."),
    Action.CLIENT_ACCOUNT_CREATED: gettext_lazy(
        "%(actor)s creó la cuenta de cliente de %(target)s."
    ),
    Action.CLIENT_ACCOUNT_ACTIVATED: gettext_lazy(
        "%(actor)s activó la cuenta de cliente de %(target)s."
    ),
    Action.COMPANIES_IMPORTED: gettext_lazy("%(actor)s importó empresas desde %(target)s."),
    Action.CUSTOMERS_IMPORTED: gettext_lazy("%(actor)s importó clientes desde %(target)s."),
    Action.PRODUCTS_IMPORTED: gettext_lazy("%(actor)s importó productos desde %(target)s."),
    Action.API_KEY_CREATED: gettext_lazy("%(actor)s creó la clave de API %(target)s."),
    Action.API_KEY_REVOKED: gettext_lazy("%(actor)s revocó la clave de API %(target)s."),
    Action.SEAL_UPLOADED: gettext_lazy("%(actor)s subió el certificado %(target)s."),
    Action.SEAL_REMOVED: gettext_lazy("%(actor)s eliminó el certificado %(target)s."),
    Action.SEAL_USED: gettext_lazy("%(actor)s firmó con el certificado %(target)s."),
    Action.PRODUCT_CREATED: gettext_lazy("%(actor)s dio de alta el %(target)s."),
    Action.PRODUCT_UPDATED: gettext_lazy("%(actor)s modificó el %(target)s."),
    Action.PRODUCT_ARCHIVED: gettext_lazy("%(actor)s archivó el %(target)s."),
    Action.PRODUCT_RESTORED: gettext_lazy("%(actor)s reactivó el %(target)s."),
    Action.TAX_SCHEME_CREATED: gettext_lazy("%(actor)s creó el %(target)s."),
    Action.TAX_SCHEME_UPDATED: gettext_lazy("%(actor)s modificó el %(target)s."),
    Action.TAX_SCHEMES_PRESET: gettext_lazy(
        "Se crearon los esquemas de impuestos predeterminados de %(target)s."
    ),
    Action.CARTAPORTE_ITEM_CREATED: gettext_lazy(
        "%(actor)s registró para Carta Porte: %(target)s."
    ),
    Action.CARTAPORTE_ITEM_UPDATED: gettext_lazy(
        "%(actor)s modificó para Carta Porte: %(target)s."
    ),
    Action.CARTAPORTE_ITEM_ARCHIVED: gettext_lazy("%(actor)s archivó de Carta Porte: %(target)s."),
    Action.SERIES_CREATED: gettext_lazy("%(actor)s creó la %(target)s."),
    Action.DRAFT_CREATED: gettext_lazy("%(actor)s creó el %(target)s."),
    Action.DRAFT_UPDATED: gettext_lazy("%(actor)s modificó el %(target)s."),
    Action.DRAFT_DELETED: gettext_lazy("%(actor)s eliminó el %(target)s."),
    Action.DRAFT_FOLIO_TAKEN: gettext_lazy("%(actor)s asignó folio al %(target)s."),
    Action.CANCELLATION_REQUESTED: gettext_lazy("%(actor)s solicitó la %(target)s."),
    Action.CANCELLATION_FINISHED: gettext_lazy("Concluyó la %(target)s."),
    Action.CFDI_SAT_CANCELLED: gettext_lazy("Su emisor canceló el %(target)s."),
    Action.SAT_SYNC_REQUESTED: gettext_lazy("%(actor)s solicitó la %(target)s."),
    Action.SAT_SYNC_FINISHED: gettext_lazy("Concluyó la %(target)s."),
    Action.BANK_ACCOUNT_CREATED: gettext_lazy("%(actor)s registró la %(target)s."),
    Action.STATEMENT_IMPORTED: gettext_lazy("%(actor)s importó el %(target)s."),
    Action.MATCH_CONFIRMED: gettext_lazy("%(actor)s confirmó la %(target)s."),
    Action.MATCH_REJECTED: gettext_lazy("%(actor)s rechazó la %(target)s."),
    Action.MATCH_UNDONE: gettext_lazy("%(actor)s deshizo la %(target)s."),
    Action.ACCOUNTING_CHART_CREATED: gettext_lazy(
        "%(actor)s creó el catálogo de cuentas predeterminado (%(target)s)."
    ),
    Action.ACCOUNTING_ACCOUNT_CREATED: gettext_lazy("%(actor)s creó la cuenta %(target)s."),
    Action.ACCOUNTING_ACCOUNT_UPDATED: gettext_lazy("%(actor)s modificó la cuenta %(target)s."),
    Action.ACCOUNTING_RULES_UPDATED: gettext_lazy("%(actor)s modificó las %(target)s."),
    Action.ACCOUNTING_POLIZA_CREATED: gettext_lazy("%(actor)s capturó la póliza %(target)s."),
    Action.ACCOUNTING_POLIZA_UPDATED: gettext_lazy("%(actor)s modificó la póliza %(target)s."),
    Action.ACCOUNTING_POLIZA_DELETED: gettext_lazy("%(actor)s eliminó la póliza %(target)s."),
    Action.ACCOUNTING_POLIZAS_GENERATED: gettext_lazy(
        "%(actor)s generó las pólizas de los CFDI de %(target)s."
    ),
    Action.ACCOUNTING_PERIOD_CLOSED: gettext_lazy("%(actor)s cerró el periodo %(target)s."),
    Action.ACCOUNTING_PERIOD_REOPENED: gettext_lazy("%(actor)s reabrió el periodo %(target)s."),
}

# Values that are choices: key -> {raw value: label}. "status" depends on the target.
_CHOICES: dict[str, dict[str, Any]] = {
    "role": dict(Role.choices),
    "previous_owner_role": dict(Role.choices),
    "plan": dict(Plan.choices),
    "sector": dict(Sector.choices),
    "regimen_fiscal": dict(regimen_choices()),
}
_STATUS_BY_TARGET: dict[str, dict[str, Any]] = {
    "tenancy.membership": dict(MembershipStatus.choices),
    "tenancy.companylink": dict(LinkStatus.choices),
}
_PERMISSION_KEYS = frozenset({"permissions", "added", "removed", "effective"})
_permission_labels: dict[str, Any] = {}


def register_choices(key: str, choices: Iterable[tuple[str, Any]], *, target: str = "") -> None:
    """Let an app above ``audit`` label its values: ``key``'s raw values (only for events
    on ``target``, an ``app_label.model``, when given)."""
    if target:
        _STATUS_BY_TARGET[target] = dict(choices)
    else:
        _CHOICES[key] = dict(choices)


def register_permission_labels(choices: Iterable[tuple[str, Any]]) -> None:
    """The permission catalog's labels, for permission sets in snapshots."""
    _permission_labels.update(dict(choices))


@dataclass(frozen=True)
class Change:
    label: str
    before: str | None
    after: str | None


def _yes_no(value: bool) -> str:
    return _("sí") if value else _("no")


def _when(value: str) -> str | None:
    moment = parse_datetime(value) if len(value) >= 19 else None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    local = timezone.localtime(moment)
    return formats.date_format(local, r"j \d\e F \d\e Y, H:i")


def value_text(key: str, value: Any, *, target_type: str = "") -> str:
    """One raw value as a person reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _yes_no(value)
    if key in _PERMISSION_KEYS and isinstance(value, list):
        return ", ".join(str(_permission_labels.get(item, item)) for item in value)
    if key == "status" and target_type in _STATUS_BY_TARGET:
        return str(_STATUS_BY_TARGET[target_type].get(value, value))
    if key in _CHOICES and isinstance(value, str):
        return str(_CHOICES[key].get(value, value))
    if isinstance(value, datetime):
        return _when(value.isoformat()) or str(value)
    if isinstance(value, str):
        return _when(value) or value
    if isinstance(value, list):
        return ", ".join(value_text(key, item, target_type=target_type) for item in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{field_label(k)}: {value_text(k, v, target_type=target_type)}"
            for k, v in value.items()
        )
    return str(value)


def field_label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


def event_changes(event: AuditEvent) -> list[Change]:
    """Each field the event kept, with its Spanish label; before and after as they read."""
    before = event.before or {}
    after = event.after or {}
    keys = list(before) + [key for key in after if key not in before]
    changes = []
    for key in keys:
        old = value_text(key, before[key], target_type=event.target_type) if key in before else None
        new = value_text(key, after[key], target_type=event.target_type) if key in after else None
        if key in before and key in after and old == new:
            continue
        changes.append(Change(field_label(key), old, new))
    return changes


def actor_name(event: AuditEvent) -> str:
    if event.actor is not None:
        return event.actor.full_name or event.actor.email
    if event.actor_label and event.actor_label != "sistema":
        return event.actor_label
    return _("El sistema")


def event_sentence(event: AuditEvent) -> str:
    """What happened, as one Spanish sentence."""
    template = SENTENCES.get(event.action)
    target = event.target_label or "—"
    if template is None:
        return f"{actor_name(event)}: {event.action_label} ({target})."
    return str(template) % {"actor": actor_name(event), "target": target}


def event_text(event: AuditEvent) -> str:
    """The sentence followed by its changes, on one line (the CSV export's column)."""
    parts = [event_sentence(event)]
    for change in event_changes(event):
        if change.before is not None and change.after is not None:
            parts.append(f"{change.label}: {change.before} → {change.after}.")
        else:
            parts.append(f"{change.label}: {change.after or change.before}.")
    return " ".join(parts)
