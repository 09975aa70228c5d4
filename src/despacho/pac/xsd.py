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

**Large catalogs.** libxml2 checks an ``xs:enumeration`` by walking its values one by one:
c_ClaveProdServ (52,747 values), c_CodigoPostal (95,777) and c_ClaveProdServCP (48,757)
made validation ~2 ms per concepto, most of the sandbox's stamping time. The catalog
schemas are therefore compiled without the enumerations longer than ``LARGE_ENUMERATION``
(the resolver hands libxml2 a copy without them), and ``xsd_errors`` checks the attributes
of those types against the same values held in a frozenset: the same rule, the same
values, one hash lookup. Which attributes to check is read from the schemas themselves
(each attribute declared with such a type, under its named element); a type used where
that reading cannot place it keeps its enumeration in the compiled schema.
"""

from __future__ import annotations

import functools
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


# Catalog schema file (relative to CFD_DIR) → its namespace; their large enumerations are
# checked by ``_catalog_errors`` instead of libxml2.
CATALOGS: dict[str, str] = {
    "catalogos/catCFDI.xsd": "http://www.sat.gob.mx/sitio_internet/cfd/catalogos",
    "catalogos/CartaPorte/catCartaPorte.xsd": (
        "http://www.sat.gob.mx/sitio_internet/cfd/catalogos/CartaPorte"
    ),
}
LARGE_ENUMERATION = 1000

Catalog = tuple[str, str]  # (namespace, simpleType name)


def _safe_parse(path: Path) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(path), parser).getroot()


@functools.cache
def _large_enumerations() -> dict[Catalog, frozenset[str]]:
    """The catalog types with more than LARGE_ENUMERATION values, and their values."""
    found: dict[Catalog, frozenset[str]] = {}
    for relative, namespace in CATALOGS.items():
        for simple in _safe_parse(CFD_DIR / relative).iter(f"{{{XS}}}simpleType"):
            values = [e.get("value", "") for e in simple.iter(f"{{{XS}}}enumeration")]
            if len(values) > LARGE_ENUMERATION:
                found[(namespace, simple.get("name", ""))] = frozenset(values)
    return found


@functools.cache
def _catalog_attributes() -> tuple[dict[tuple[str, str], list[tuple[str, Catalog]]], set[Catalog]]:
    """(element namespace, element name) → [(attribute, catalog)] for every attribute the
    schemas declare with a large catalog type, and the catalogs every use of which is
    placed (only those lose their enumeration in the compiled schema)."""
    large = _large_enumerations()
    checks: dict[tuple[str, str], list[tuple[str, Catalog]]] = {}
    unplaced: set[Catalog] = set()
    used: set[Catalog] = set()
    for namespace, relative in SCHEMAS.items():
        root = _safe_parse(CFD_DIR / relative)
        for attribute in root.iter(f"{{{XS}}}attribute", f"{{{XS}}}element"):
            prefix, _, name = (attribute.get("type") or "").rpartition(":")
            catalog = (attribute.nsmap.get(prefix or None, ""), name)
            if catalog not in large:
                continue
            used.add(catalog)
            owner = next(
                (a for a in attribute.iterancestors(f"{{{XS}}}element") if a.get("name")), None
            )
            if attribute.tag != f"{{{XS}}}attribute" or owner is None:
                unplaced.add(catalog)
                continue
            key = (namespace, owner.get("name", ""))
            checks.setdefault(key, []).append((attribute.get("name", ""), catalog))
    return checks, used - unplaced


def _without_large_enumerations(path: Path, namespace: str) -> bytes:
    """The catalog schema with the placed large types' enumerations removed."""
    placed = _catalog_attributes()[1]
    root = _safe_parse(path)
    for simple in root.iter(f"{{{XS}}}simpleType"):
        if (namespace, simple.get("name", "")) in placed:
            for enumeration in simple.findall(f"{{{XS}}}restriction/{{{XS}}}enumeration"):
                enumeration.getparent().remove(enumeration)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


class _LocalOnly(etree.Resolver):
    """Schema imports may only reach files under SAT's schema directory."""

    def resolve(self, system_url, public_id, context):
        path = Path(system_url.removeprefix("file://")).resolve()
        if "://" in system_url and not system_url.startswith("file://"):
            raise etree.XMLSchemaParseError(f"remote schema refused: {system_url}")
        if CFD_DIR.resolve() not in path.parents:
            raise etree.XMLSchemaParseError(f"schema outside SAT's folder refused: {system_url}")
        for relative, namespace in CATALOGS.items():
            if path == (CFD_DIR / relative).resolve():
                trimmed = _without_large_enumerations(path, namespace)
                return self.resolve_string(trimmed, context, base_url=path.as_uri())
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


def _catalog_errors(root: etree._Element, limit: int) -> list[str]:
    checks = _catalog_attributes()[0]
    values = _large_enumerations()
    errors: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        for attribute, catalog in checks.get((qname.namespace or "", qname.localname), ()):
            value = element.get(attribute)
            if value is not None and value.strip() not in values[catalog]:
                errors.append(
                    f"línea {element.sourceline}: Element '{element.tag}', attribute "
                    f"'{attribute}': [facet 'enumeration'] The value '{value}' is not an "
                    f"element of the catalog {catalog[1]}."
                )
                if len(errors) >= limit:
                    return errors
    return errors


def xsd_errors(root: etree._Element, *, limit: int = 5) -> list[str]:
    """The first ``limit`` messages of SAT's XSD about this CFDI; empty when it validates
    (the large catalogs' enumerations checked by set lookups, see the module's note)."""
    schema = cfdi_schema()
    errors = []
    if not schema.validate(root):
        errors = [f"línea {e.line}: {e.message}" for e in list(schema.error_log)[:limit]]
    return errors + _catalog_errors(root, limit - len(errors)) if len(errors) < limit else errors
