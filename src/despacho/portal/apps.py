from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "despacho.portal"
    label = "portal"
    verbose_name = _("Portal de descargas")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.cfdi.panels import cfdi_detail_panels_register
        from despacho.cfdi.signals import cfdi_stored
        from despacho.portal.delivery_views import delivery_panel
        from despacho.portal.models import Origin
        from despacho.portal.services.accesses import portal_accesses_for_stored

        register_choices("origin", Origin.choices)
        # Receivers of issued CFDIs get an access when the documents are stored.
        cfdi_stored.connect(portal_accesses_for_stored, dispatch_uid="portal_accesses_auto")
        # The CFDI detail page offers to send an issued document to its receiver.
        cfdi_detail_panels_register("portal/_cfdi_delivery.html", delivery_panel)
