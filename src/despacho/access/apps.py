from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_system_profiles(using: str = "default", **kwargs: Any) -> None:
    """Create or refresh the system presets after every migrate (and every flush).

    Like Django's content types and permissions, presets are reference data the code
    defines; recreating them on post_migrate keeps them present after a test flush.
    """
    from despacho.access.catalog import to_mask
    from despacho.access.models import Profile
    from despacho.access.presets import SYSTEM_PROFILES

    for code, (name, perms) in SYSTEM_PROFILES.items():
        Profile.objects.using(using).update_or_create(
            account=None, code=code, defaults={"name": name, "permissions": to_mask(perms)}
        )


class AccessConfig(AppConfig):
    name = "despacho.access"
    label = "access"
    verbose_name = _("Perfiles y permisos")

    def ready(self) -> None:
        post_migrate.connect(ensure_system_profiles, sender=self)
        from despacho.access.catalog import Perm
        from despacho.audit.describe import register_permission_labels

        register_permission_labels((perm.value, perm.label) for perm in Perm)
