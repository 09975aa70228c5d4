from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CfdiConfig(AppConfig):
    name = "despacho.cfdi"
    label = "cfdi"
    verbose_name = _("CFDI")
