from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CancellationsConfig(AppConfig):
    name = "despacho.cancellations"
    label = "cancellations"
    verbose_name = _("Cancelación de CFDI")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.cancellations.models import MotivoChoice, State
        from despacho.cancellations.views import cancellation_panel
        from despacho.cfdi.panels import cfdi_detail_panels_register

        register_choices("motivo", MotivoChoice.choices)
        register_choices("status", State.choices, target="cancellations.cancellation")
        # The CFDI detail page shows the cancellation's state, history and the button.
        cfdi_detail_panels_register("cancellations/_cfdi_panel.html", cancellation_panel)
