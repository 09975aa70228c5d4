from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatsyncConfig(AppConfig):
    name = "despacho.satsync"
    label = "satsync"
    verbose_name = _("Descarga masiva del SAT")

    def ready(self) -> None:
        from despacho.firms.columns import workspace_column_register
        from despacho.satsync.selectors import sync_cells

        # The firm's Empresas page shows each client's last synchronisation.
        workspace_column_register(
            key="satsync",
            header=_("Descarga del SAT"),
            template="satsync/_workspace_cell.html",
            source=sync_cells,
        )
