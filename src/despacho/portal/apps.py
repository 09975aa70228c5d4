from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "despacho.portal"
    label = "portal"
    verbose_name = _("Portal de descargas")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.portal.models import Origin

        register_choices("origin", Origin.choices)
