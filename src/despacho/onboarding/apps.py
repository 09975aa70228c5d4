from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "despacho.onboarding"
    label = "onboarding"
    verbose_name = _("Alta de clientes")
