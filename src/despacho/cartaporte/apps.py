from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CartaPorteConfig(AppConfig):
    name = "despacho.cartaporte"
    label = "cartaporte"
    verbose_name = _("Carta Porte")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.cartaporte.models import FigureType, LocationRole

        register_choices("location_type", LocationRole.choices)
        register_choices("figure_type", FigureType.choices)
