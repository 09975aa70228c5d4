"""CFDI 4.0 validated against SAT's own XSDs, as a PAC validates before stamping.

The schemas are SAT's, as satcfdi ships them (``satcfdi/transform/schemas/www.sat.gob.mx/
sitio_internet/cfd/``): ``cfdv40.xsd`` and the complements Despacho issues or receives
(TimbreFiscalDigital 1.1, Pagos 2.0, Carta Porte 3.1, Nómina 1.2, impuestos locales).
Their imports are relative paths, so they resolve to files beside them; a resolver
refuses anything that is not a local file, and the parser never touches the network. The
compiled schema is built once per thread (compiling takes about a second): an lxml
validator keeps its error log on the object, so threads must not share one.

``Complemento`` is ``xs:any`` with strict processing: a complement whose namespace is not
listed here is refused as undeclared, as a PAC refuses a complement it does not support.
"""

from __future__ import annotations

import threading
from pathlib import Path

import satcfdi
from lxml import etree

CFD_DIR = Path(satcfdi.__file__).parent / "transform/schemas/www.sat.gob.mx/sitio_internet/cfd"

# Namespace → schema file (relative to CFD_DIR).
SCHEMAS: dict[str, str] = {
    "http://www.sat.gob.mx/cfd/4": "4/cfdv40.xsd",
    "http://www.sat.gob.mx/TimbreFiscalDigital": "TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd",
    "http://www.sat.gob.mx/Pagos20": "Pagos/Pagos20.xsd",
    "http://www.sat.gob.mx/CartaPorte31": "CartaPorte/CartaPorte31.xsd",
    "http://www.sat.gob.mx/nomina12": "nomina/nomina12.xsd",
    "http://www.sat.gob.mx/implocal": "implocal/implocal.xsd",
}

XS = "http://www.w3.org/2001/XMLSchema"


class _LocalOnly(etree.Resolver):
    """Schema imports may only reach files under SAT's schema directory."""

    def resolve(self, system_url, public_id, context):
        path = Path(system_url.removeprefix("file://")).resolve()
        if "://" in system_url and not system_url.startswith("file://"):
            raise etree.XMLSchemaParseError(f"remote schema refused: {system_url}")
        if CFD_DIR.resolve() not in path.parents:
            raise etree.XMLSchemaParseError(f"schema outside SAT's folder refused: {system_url}")
        return self.resolve_filename(str(path), context)


def _schema_parser() -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_LocalOnly())
    return parser


_compiled = threading.local()


def cfdi_schema() -> etree.XMLSchema:
    """SAT's CFDI 4.0 schema with its complements, compiled once per thread."""
    schema: etree.XMLSchema | None = getattr(_compiled, "schema", None)
    if schema is not None:
        return schema
    wrapper = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS})
    for namespace, relative in SCHEMAS.items():
        etree.SubElement(
            wrapper,
            f"{{{XS}}}import",
            namespace=namespace,
            schemaLocation=(CFD_DIR / relative).resolve().as_uri(),
        )
    source = etree.tostring(wrapper)
    document = etree.fromstring(
        source, _schema_parser(), base_url=(CFD_DIR / "wrapper.xsd").as_uri()
    )
    schema = _compiled.schema = etree.XMLSchema(document)
    return schema


def xsd_errors(root: etree._Element, *, limit: int = 5) -> list[str]:
    """The first ``limit`` messages of SAT's XSD about this CFDI; empty when it validates."""
    schema = cfdi_schema()
    if schema.validate(root):
        return []
    return [f"línea {error.line}: {error.message}" for error in list(schema.error_log)[:limit]]
