from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "despacho.invoicing"
    label = "invoicing"
    verbose_name = _("Facturación")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.invoicing.models import DraftStatus, DraftTipo

        register_choices("tipo", DraftTipo.choices)
        register_choices("status", DraftStatus.choices, target="invoicing.draft")
