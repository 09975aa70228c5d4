from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ProductsConfig(AppConfig):
    name = "despacho.products"
    label = "products"
    verbose_name = _("Productos y servicios")

    def ready(self) -> None:
        from despacho.audit.describe import register_choices
        from despacho.onboarding.engine import import_kind_register
        from despacho.products.catalogs import catalogs_load_after_migrate
        from despacho.products.imports import PRODUCTS
        from despacho.products.models import Factor, LineKind, Tax
        from despacho.products.taxrules import OBJETO_IMP_NEEDS_SCHEME
        from despacho.satcatalogs import Catalog, labelled

        import_kind_register(PRODUCTS)
        register_choices("tax_kind", LineKind.choices)
        register_choices("impuesto", Tax.choices)
        register_choices("tipo_factor", Factor.choices)
        register_choices(
            "objeto_imp",
            [(code, labelled(Catalog.OBJETO_IMP, code)) for code in OBJETO_IMP_NEEDS_SCHEME],
        )
        # SAT's c_ClaveProdServ and c_ClaveUnidad, from satcfdi's copy, after every migrate.
        post_migrate.connect(
            catalogs_load_after_migrate, sender=self, dispatch_uid="products_sat_catalogs"
        )
