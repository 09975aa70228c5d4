from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "despacho.onboarding"
    label = "onboarding"
    verbose_name = _("Alta de clientes")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.members.models import InvitationKind
        from despacho.members.tasks import invitation_email_register
        from despacho.onboarding.engine import import_kind_register
        from despacho.onboarding.models import ImportStatus
        from despacho.onboarding.services import CLIENTS

        import_kind_register(CLIENTS)

        register_choices("status", ImportStatus.choices, target="onboarding.importjob")
        invitation_email_register(
            InvitationKind.CLIENT_ACTIVATION,
            template="onboarding/email/client_activation",
            url_name="invitations:accept",
        )
