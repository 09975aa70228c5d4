from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FirmsConfig(AppConfig):
    name = "despacho.firms"
    label = "firms"
    verbose_name = _("Despachos y sus clientes")

    def ready(self) -> None:
        from despacho.firms.selectors import link_notices
        from despacho.members.models import InvitationKind
        from despacho.members.tasks import invitation_email_register
        from despacho.workspace.notices import home_notices_register

        home_notices_register(
            "firms/_notices.html", lambda viewer: list(link_notices(viewer=viewer))
        )
        invitation_email_register(
            InvitationKind.COMPANY_LINK,
            template="firms/email/link_invitation",
            url_name="firm:link_token",
        )
