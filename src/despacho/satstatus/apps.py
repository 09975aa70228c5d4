from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatStatusConfig(AppConfig):
    name = "despacho.satstatus"
    label = "satstatus"
    verbose_name = _("Estado de CFDI en el SAT")

    def ready(self) -> None:
        from despacho.satstatus import hooks

        hooks.connect()
