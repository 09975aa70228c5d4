from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PacConfig(AppConfig):
    name = "despacho.pac"
    label = "pac"
    verbose_name = _("PAC: timbrado y cancelación")
