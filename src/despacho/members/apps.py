from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "despacho.members"
    label = "members"
    verbose_name = _("Administración de la cuenta")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.members.models import InvitationKind, InvitationStatus

        register_choices("kind", InvitationKind.choices)
        # Invitation events keep the target type they had before the model moved here.
        register_choices("status", InvitationStatus.choices, target="people.invitation")
