from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "despacho.members"
    label = "members"
    verbose_name = _("Administración de la cuenta")
