from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SealsConfig(AppConfig):
    name = "despacho.seals"
    label = "seals"
    verbose_name = _("Sellos y e.firma")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.seals.models import SealKind

        register_choices("seal", SealKind.choices)
