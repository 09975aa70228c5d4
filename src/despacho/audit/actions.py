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
    API_KEY_CREATED = "api_key.created", _("Clave de API creada")
    API_KEY_REVOKED = "api_key.revoked", _("Clave de API revocada")
