from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "despacho.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from despacho.access.signals import management_lost
        from despacho.api.services import (
            revoke_keys_of_deleted_person,
            revoke_keys_of_former_manager,
        )
        from despacho.audit.describe import register_choices
        from despacho.people.models import User

        # A key never outlives its creator's authority (docs/security.md, "API keys").
        management_lost.connect(revoke_keys_of_former_manager, dispatch_uid="api_keys_creator")
        pre_delete.connect(
            revoke_keys_of_deleted_person, sender=User, dispatch_uid="api_keys_creator_deleted"
        )
        register_choices(
            "reason",
            [("creator_lost_authority", _("quien creó la clave ya no administra la cuenta"))],
        )
