"""The layers of docs/architecture.md, read from the code: no module imports a layer above its own.

Each app (and each project helper) sits on one layer; a module may import its own app and
anything on a lower layer, never an app above. Imports inside functions and under
``TYPE_CHECKING`` count too: a dependency is a dependency wherever it is written.
"""

from __future__ import annotations

import ast
from pathlib import Path

import despacho

SRC = Path(despacho.__file__).parent

# Lowest first. A name is an app (``despacho.<name>``) or a project module.
LAYERS: list[tuple[str, ...]] = [
    # Project helpers: no app, no model.
    (
        "after_response",
        "config",
        "csvexport",
        "datefields",
        "errors",
        "forms",
        "http",
        "mail",
        "names",
        "samples",
        "satcatalogs",
        "textsearch",
        "tokens",
    ),
    ("people",),
    ("tenancy",),
    ("audit",),
    ("access",),
    ("workspace",),
    ("api",),
    ("security",),
    ("members",),
    ("firms",),
    ("onboarding",),
    ("cfdi",),
    ("portal",),
    ("customers",),
    ("products",),
    ("cartaporte",),
    ("seals",),
    ("pac",),
    ("invoicing",),
    ("cancellations",),
    ("satstatus",),
    ("satsync",),
    ("accounting",),
    ("treasury",),
    # The project's root: what mounts, configures and starts everything.
    ("urls", "api_urls", "settings", "wsgi", "asgi", "cli", "__main__", "demo"),
]
LAYER_OF = {name: level for level, names in enumerate(LAYERS) for name in names}


def _unit(module: str) -> str | None:
    """The layer unit of a dotted module name inside the project (``despacho.x.y`` → ``x``)."""
    parts = module.split(".")
    if parts[0] != "despacho" or len(parts) < 2:
        return None
    return parts[1]


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def _imports(path: Path, module_name: str | None = None) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    package = (module_name or _module_name(path)).rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from despacho import cfdi`` names a unit by its imported name.
            if module == "despacho":
                found += [(node.lineno, f"despacho.{alias.name}") for alias in node.names]
    return found


def _python_files() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def test_every_module_of_the_project_sits_on_a_layer():
    units = {_unit(_module_name(path)) for path in _python_files()} - {None, "__init__"}
    assert units - set(LAYER_OF) == set(), "add the new app or helper to LAYERS"


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for path in _python_files():
        unit = _unit(_module_name(path))
        if unit is None or unit == "__init__":
            continue
        level = LAYER_OF[unit]
        for line, module in _imports(path):
            target = _unit(module)
            if target is None or target == unit or target not in LAYER_OF:
                continue
            if LAYER_OF[target] > level:
                upward.append(f"{path.relative_to(SRC.parent)}:{line} imports {module}")
    assert upward == []


def test_the_layer_test_sees_an_upward_import(tmp_path):
    # The reader above must not be blind: a module of tenancy importing access is caught.
    sample = tmp_path / "sample.py"
    sample.write_text("from despacho.access.decisions import can\n", encoding="utf-8")
    found = [module for _, module in _imports(sample, "despacho.tenancy.sample")]
    assert found == ["despacho.access.decisions"]
    assert LAYER_OF[_unit(found[0]) or ""] > LAYER_OF["tenancy"]
