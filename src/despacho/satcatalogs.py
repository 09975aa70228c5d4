"""The SAT's CFDI catalogs (Anexo 20): a code's description, from satcfdi's copy.

One source for every catalog a person reads codes of: régimen fiscal, uso CFDI,
forma and método de pago, moneda, tipo de comprobante, exportación, objeto de
impuesto, impuestos, units, products and services, relations, periodicities, códigos
postales, countries, and Nómina's and Carta Porte's. The
detail page, the PDF and the régimen rules (``tenancy/regimen.py``) all ask here.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Any


class Catalog(StrEnum):
    """A catalog, named by satcfdi's table."""

    REGIMEN_FISCAL = "C756_c_RegimenFiscal"
    USO_CFDI = "C756_c_UsoCFDI"
    FORMA_PAGO = "C756_c_FormaPago"
    METODO_PAGO = "C756_c_MetodoPago"
    MONEDA = "C756_c_Moneda"
    TIPO_DE_COMPROBANTE = "C756_c_TipoDeComprobante"
    EXPORTACION = "C756_c_Exportacion"
    OBJETO_IMP = "C756_c_ObjetoImp"
    IMPUESTO = "C756_c_Impuesto"
    TIPO_FACTOR = "C756_c_TipoFactor"
    TIPO_RELACION = "C756_c_TipoRelacion"
    CLAVE_UNIDAD = "C756_c_ClaveUnidad"
    CLAVE_PROD_SERV = "C756_c_ClaveProdServ"
    PERIODICIDAD = "C756_c_Periodicidad"
    PAIS = "C756_c_Pais"
    # Nómina 1.2
    TIPO_NOMINA = "C75b_c_TipoNomina"
    PERIODICIDAD_PAGO = "C75b_c_PeriodicidadPago"
    TIPO_CONTRATO = "C75b_c_TipoContrato"
    TIPO_REGIMEN = "C75b_c_TipoRegimen"
    TIPO_PERCEPCION = "C75b_c_TipoPercepcion"
    TIPO_DEDUCCION = "C75b_c_TipoDeduccion"
    TIPO_OTRO_PAGO = "C75b_c_TipoOtroPago"
    BANCO = "C75b_c_Banco"  # banks (c_Banco), used by treasury for bank accounts
    # Carta Porte
    TIPO_PERMISO = "C592_c_TipoPermiso"
    CONFIG_AUTOTRANSPORTE = "C592_c_ConfigAutotransporte"
    FIGURA_TRANSPORTE = "C592_c_FiguraTransporte"
    SUB_TIPO_REM = "C592_c_SubTipoRem"
    # Addresses (CFDI 4.0's catalogs, which Carta Porte 3.1 uses): composite keys
    ESTADO = "C756_c_Estado"  # code → [país, name]
    MUNICIPIO = "C756_c_Municipio"  # (municipio, estado) → name
    LOCALIDAD = "C756_c_Localidad"  # (localidad, estado) → name
    COLONIA = "C756_c_Colonia"  # (colonia, código postal) → name
    CODIGO_POSTAL = "C756_c_CodigoPostal"  # CP → [estado, municipio, localidad, …]
    # Contabilidad electrónica (Anexo 24): SAT's código agrupador de cuentas
    CODIGO_AGRUPADOR = "Cb9f_c_CodAgrup"


@lru_cache(maxsize=8192)
def description(catalog: Catalog, code: str) -> str:
    """The code's description in the catalog; "" when the code is not in it."""
    from satcfdi.catalogs import select

    if not code:
        return ""
    try:
        found = select(str(catalog), code)
    except Exception:  # a damaged catalog database must not break a page or a PDF
        return ""
    if isinstance(found, list | tuple):  # c_Moneda: (name, decimals)
        found = found[0] if found else None
    return found if isinstance(found, str) else ""


@lru_cache(maxsize=8192)
def exists(catalog: Catalog, code: str) -> bool:
    """Is the code in the catalog? (c_CodigoPostal has no description, only its rows.)"""
    from satcfdi.catalogs import select

    if not code:
        return False
    try:
        return select(str(catalog), code) is not None
    except Exception:  # a damaged catalog database must not break a page
        return False


def labelled(catalog: Catalog, code: str, separator: str = " · ") -> str:
    """«code · description» («606 · Arrendamiento»); the code alone when it is unknown."""
    code = (code or "").strip()
    name = description(catalog, code)
    return f"{code}{separator}{name}" if name else code


def descriptions(catalog: Catalog) -> dict[str, str]:
    """Every code of the catalog with its description."""
    from satcfdi.catalogs import select_all

    return {
        str(code): str(value[0] if isinstance(value, list | tuple) else value)
        for code, value in select_all(str(catalog)).items()
    }


def entry(catalog: Catalog, key: str | tuple[str, ...]) -> Any:
    """The raw row of ``key`` (a code, or a composite key such as ``(municipio, estado)``);
    None when the catalog does not have it."""
    from satcfdi.catalogs import select

    try:
        return select(str(catalog), key)
    except Exception:  # a damaged catalog database reads as a missing code
        return None


@lru_cache(maxsize=4)
def _by_second_key(catalog: Catalog) -> dict[str, dict[str, str]]:
    """A composite-key catalog grouped by the key's second part (estado, or CP)."""
    from satcfdi.catalogs import select_all

    grouped: dict[str, dict[str, str]] = {}
    for (code, parent), name in select_all(str(catalog)).items():
        grouped.setdefault(str(parent), {})[str(code)] = str(name)
    return grouped


def children(catalog: Catalog, parent: str) -> dict[str, str]:
    """The codes under ``parent`` of a composite-key catalog, with their names, by code:
    a state's municipios or localidades (MUNICIPIO, LOCALIDAD), a CP's colonias (COLONIA)."""
    return dict(sorted(_by_second_key(catalog).get(parent, {}).items()))


def mexican_states() -> dict[str, str]:
    """c_Estado's states of Mexico (the catalog also lists the USA's and Canada's)."""
    return {
        code: str(row[1])
        for code, row in sorted(_states().items())
        if isinstance(row, list | tuple) and row and row[0] == "MEX"
    }


@lru_cache(maxsize=1)
def _states() -> dict[str, Any]:
    from satcfdi.catalogs import select_all

    return {str(code): value for code, value in select_all(str(Catalog.ESTADO)).items()}
