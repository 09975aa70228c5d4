"""The system profiles every account can use. Each set is valid under the catalog's rules."""

from __future__ import annotations

from despacho.access.catalog import Perm

P = Perm
SYSTEM_PROFILES: dict[str, tuple[str, frozenset[Perm]]] = {
    "administrador": ("Administrador", frozenset(Perm)),
    "contador": (
        "Contador",
        frozenset(
            {P.DATOS_MAESTROS, P.VENTAS, P.EGRESOS, P.NOMINA, P.TESORERIA, P.POLIZAS, P.WHATSAPP}
        ),
    ),
    "auxiliar_ventas": (
        "Auxiliar de ventas",
        frozenset({P.DATOS_MAESTROS, P.VENTAS, P.FACTURAR, P.PORTAL, P.WHATSAPP}),
    ),
    "auxiliar_compras": ("Auxiliar de compras", frozenset({P.DATOS_MAESTROS, P.EGRESOS})),
    "nominas": ("Nóminas", frozenset({P.EGRESOS, P.NOMINA})),
    "consulta": ("Consulta", frozenset({P.VENTAS, P.EGRESOS, P.NOMINA})),
}
