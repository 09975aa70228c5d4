from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _


class PacConfig(AppConfig):
    name = "despacho.pac"
    label = "pac"
    verbose_name = _("PAC: timbrado y cancelación")

    def ready(self) -> None:
        checks.register(sandbox_in_production_check, checks.Tags.security, deploy=True)


def sandbox_in_production_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """``check --deploy`` warns when a production server would stamp with the sandbox: its
    documents carry no fiscal validity (SIN VALIDEZ FISCAL)."""
    if settings.DESPACHO_PAC != "sandbox":
        return []
    return [
        checks.Warning(
            "DESPACHO_PAC is 'sandbox': every CFDI issued is stamped locally, without fiscal "
            "validity.",
            hint="Set DESPACHO_PAC=finkok with DESPACHO_PAC_USER and DESPACHO_PAC_PASSWORD.",
            id="pac.W001",
        )
    ]
