from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "despacho.accounting"
    label = "accounting"
    verbose_name = _("Contabilidad")

    def ready(self) -> None:
        from despacho.accounting import hooks

        hooks.connect()
