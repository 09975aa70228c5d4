from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "despacho.security"
    label = "security"
    verbose_name = _("Seguridad")

    def ready(self) -> None:
        # Listens to request_started/finished from the first request on.
        import despacho.after_response  # noqa: F401
