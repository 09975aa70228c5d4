from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FirmsConfig(AppConfig):
    name = "despacho.firms"
    label = "firms"
    verbose_name = _("Despachos y sus clientes")
