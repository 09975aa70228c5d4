from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "despacho.invoicing"
    label = "invoicing"
    verbose_name = _("Facturación")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.cfdi.panels import cfdi_detail_panels_register
        from despacho.invoicing.models import DraftStatus, DraftTipo
        from despacho.invoicing.panels import clone_panel

        register_choices("tipo", DraftTipo.choices)
        register_choices("status", DraftStatus.choices, target="invoicing.draft")
        # The CFDI detail page offers "Clonar como borrador" to those who may issue.
        cfdi_detail_panels_register("invoicing/_cfdi_clone.html", clone_panel)
