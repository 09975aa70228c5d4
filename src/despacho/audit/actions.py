"""The actions the audit trail records, with their Spanish labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    ACCOUNT_CREATED = "account.created", _("Cuenta creada")
    COMPANY_CREATED = "company.created", _("Empresa creada")
    COMPANY_UPDATED = "company.updated", _("Empresa modificada")
    USER_CREATED = "user.created", _("Persona registrada")
    USER_PASSWORD_CHANGED = "user.password_changed", _("Contraseña cambiada")
    USER_PASSWORD_RESET = "user.password_reset", _("Contraseña restablecida")
    MEMBERSHIP_CREATED = "membership.created", _("Usuario agregado a la cuenta")
    MEMBERSHIP_UPDATED = "membership.updated", _("Usuario modificado")
    MEMBERSHIP_DEACTIVATED = "membership.deactivated", _("Usuario desactivado")
    MEMBERSHIP_REACTIVATED = "membership.reactivated", _("Usuario reactivado")
    MEMBERSHIP_DELETED = "membership.deleted", _("Usuario eliminado de la cuenta")
    OWNERSHIP_TRANSFERRED = "membership.ownership_transferred", _("Propiedad transferida")
    GRANT_CREATED = "grant.created", _("Acceso a empresa otorgado")
    GRANT_UPDATED = "grant.updated", _("Permisos modificados")
    GRANT_DELETED = "grant.deleted", _("Acceso a empresa retirado")
    PROFILE_CREATED = "profile.created", _("Perfil creado")
    PROFILE_UPDATED = "profile.updated", _("Perfil modificado")
    PROFILE_DELETED = "profile.deleted", _("Perfil eliminado")
    INVITATION_SENT = "invitation.sent", _("Invitación enviada")
    INVITATION_RESENT = "invitation.resent", _("Invitación reenviada")
    INVITATION_REVOKED = "invitation.revoked", _("Invitación revocada")
    INVITATION_ACCEPTED = "invitation.accepted", _("Invitación aceptada")
    SEATS_PURCHASED = "seats.purchased", _("Licencias compradas")
    CFDI_INGESTED = "cfdi.ingested", _("CFDI guardados")
    CFDI_DELIVERED = "cfdi.delivered", _("CFDI enviado por correo")
    PORTAL_ACCESS_CREATED = "portal.access_created", _("Acceso al portal creado")
    PORTAL_ACCESSES_AUTO_CREATED = (
        "portal.accesses_auto_created",
        _("Accesos al portal creados automáticamente"),
    )
    PORTAL_ACCESS_UPDATED = "portal.access_updated", _("Acceso al portal modificado")
    PORTAL_ACCESS_PASSWORD_SET = "portal.password_set", _("Contraseña del portal cambiada")
    PORTAL_ACCESS_DISABLED = "portal.access_disabled", _("Acceso al portal deshabilitado")
    PORTAL_ACCESS_ENABLED = "portal.access_enabled", _("Acceso al portal habilitado")
    PORTAL_ACCESS_SENT = "portal.access_sent", _("Acceso al portal enviado por correo")
    PORTAL_USER_CREATED = "portal.user_created", _("Persona agregada al portal")
    PORTAL_USER_DISABLED = "portal.user_disabled", _("Persona del portal deshabilitada")
    PORTAL_USER_ENABLED = "portal.user_enabled", _("Persona del portal habilitada")
    TWO_FACTOR_ENABLED = "user.2fa_enabled", _("Verificación en dos pasos activada")
    TWO_FACTOR_DISABLED = "user.2fa_disabled", _("Verificación en dos pasos desactivada")
    RECOVERY_CODES_RENEWED = "user.recovery_codes_renewed", _("Códigos de recuperación renovados")
    SECURITY_POLICY_CHANGED = (
        "account.security_policy_changed",
        _("Política de seguridad de la cuenta modificada"),
    )
    LINK_INVITED = "link.invited", _("Invitación de vínculo enviada")
    LINK_RESENT = "link.resent", _("Invitación de vínculo reenviada")
    LINK_WITHDRAWN = "link.withdrawn", _("Invitación de vínculo retirada")
    LINK_ACCEPTED = "link.accepted", _("Vínculo con despacho aceptado")
    LINK_DECLINED = "link.declined", _("Vínculo con despacho rechazado")
    LINK_REVOKED = "link.revoked", _("Vínculo con despacho revocado")
    CLIENT_ACCOUNT_CREATED = "client_account.created", _("Cuenta de cliente creada")
    CLIENT_ACCOUNT_ACTIVATED = "client_account.activated", _("Cuenta de cliente activada")
    COMPANIES_IMPORTED = "import.completed", _("Empresas importadas desde CSV")
    API_KEY_CREATED = "api_key.created", _("Clave de API creada")
    API_KEY_REVOKED = "api_key.revoked", _("Clave de API revocada")
    CARTAPORTE_ITEM_CREATED = "cartaporte.created", _("Dato de Carta Porte registrado")
    CARTAPORTE_ITEM_UPDATED = "cartaporte.updated", _("Dato de Carta Porte modificado")
    CARTAPORTE_ITEM_ARCHIVED = "cartaporte.archived", _("Dato de Carta Porte archivado")
