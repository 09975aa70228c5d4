from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class SealsConfig(AppConfig):
    name = "despacho.seals"
    label = "seals"
    verbose_name = _("Sellos y e.firma")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.seals.models import SealKind

        register_choices("seal", SealKind.choices)
        checks.register(vault_keys_check)


def vault_keys_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """``despacho check`` (and every start) refuses a vault key that is not a Fernet key."""
    from despacho.seals.vault import check_keys

    problem = check_keys()
    return [checks.Error(problem, id="seals.E001")] if problem else []
