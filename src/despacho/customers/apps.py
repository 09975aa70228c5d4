from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "despacho.customers"
    label = "customers"
    verbose_name = _("Clientes")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.customers.imports import CUSTOMERS
        from despacho.onboarding.engine import import_kind_register
        from despacho.satcatalogs import Catalog, descriptions
        from despacho.tenancy.uso_cfdi import uso_choices

        # The Bitácora reads a customer's codes with their SAT names.
        register_choices("uso_cfdi", uso_choices())
        register_choices("forma_pago", sorted(descriptions(Catalog.FORMA_PAGO).items()))
        register_choices("metodo_pago", sorted(descriptions(Catalog.METODO_PAGO).items()))
        import_kind_register(CUSTOMERS)
