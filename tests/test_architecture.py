"""The shape of the package (architecture.md): the one direction of imports (domain imports nothing of
ours and no Django; reports and exports never import web or cli), no import circle anywhere, domain
modules of at most 500 lines, and a docstring on every domain package saying what it holds."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "oncotrial"

FORBIDDEN = {
    "domain": ("django", "ninja", "oncotrial.web", "oncotrial.reports", "oncotrial.exports",
               "oncotrial.cli", "oncotrial.commands"),
    "reports": ("oncotrial.web", "oncotrial.cli", "oncotrial.commands"),
    "exports": ("oncotrial.web", "oncotrial.cli", "oncotrial.commands"),
}


def imported_names(path: Path) -> list[str]:
    """Absolute module names a file imports (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.append(".".join(base + ([node.module] if node.module else [])))
            else:
                names.append(node.module or "")
    return names


def is_forbidden(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_it_keeps_the_one_direction_of_imports(layer):
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"layer {layer} has no modules"
    offences = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in imported_names(path)
        if is_forbidden(name, FORBIDDEN[layer])
    ]
    assert not offences, "\n".join(offences)


def test_it_catches_a_forbidden_import(tmp_path):
    bad = PACKAGE / "domain" / "_architecture_probe.py"
    try:
        bad.write_text("from django.db import models\nfrom ..web import models as m\n")
        names = imported_names(bad)
    finally:
        bad.unlink()
    assert is_forbidden(names[0], FORBIDDEN["domain"])
    assert is_forbidden(names[1], FORBIDDEN["domain"])


# --- no import circles ---------------------------------------------------------------------------


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Imports under `if TYPE_CHECKING:` never run, so they cannot make a circle."""
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded |= {id(inner) for inner in ast.walk(node)}
    return guarded


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports, at any depth (function bodies too)."""
    modules = {module_name(p, root): p for p in root.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        skip = _type_checking_nodes(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names if alias.name in modules}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets |= {full} if full in modules else ({base} if base in modules else set())
        graph[name] = targets - {name}
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_there_is_no_import_circle_anywhere_in_the_package():
    circles = import_circles(import_graph(PACKAGE))
    assert not circles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_it_catches_an_import_circle_even_through_a_function_body(tmp_path):
    root = tmp_path / "probe"
    (root / "models").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "models" / "__init__.py").write_text("from probe.models.studies import Study\n")
    (root / "models" / "studies.py").write_text("class Study:\n    def p(self):\n"
                                                "        from probe.services import load\n")
    (root / "services.py").write_text("from probe.models import Study\n")
    (root / "typed.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                   "    from probe.services import load\n")
    assert import_circles(import_graph(root)) == [["probe.models", "probe.models.studies", "probe.services"]]


# --- domain modules stay small and packages say what they hold -----------------------------------

DOMAIN = PACKAGE / "domain"
MAX_DOMAIN_LINES = 500


def long_modules(root: Path, limit: int = MAX_DOMAIN_LINES) -> list[str]:
    return [f"{p.relative_to(root)}: {n} lines" for p in sorted(root.rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > limit]


def packages_without_docstring(root: Path) -> list[str]:
    missing = []
    for folder in sorted(p for p in root.rglob("*") if p.is_dir() and p.name != "__pycache__"):
        init = folder / "__init__.py"
        if not init.is_file() or not ast.get_docstring(ast.parse(init.read_text())):
            missing.append(str(folder.relative_to(root)))
    return missing


def test_no_domain_module_is_over_500_lines():
    too_long = long_modules(DOMAIN)
    assert not too_long, "split along the module's seams:\n" + "\n".join(too_long)


def test_every_domain_package_has_a_docstring():
    assert not packages_without_docstring(DOMAIN)


def test_the_size_and_docstring_rules_can_fail(tmp_path):
    (tmp_path / "area").mkdir()
    (tmp_path / "area" / "__init__.py").write_text("x = 1\n")
    (tmp_path / "area" / "big.py").write_text("x = 1\n" * 501)
    (tmp_path / "fine").mkdir()
    (tmp_path / "fine" / "__init__.py").write_text('"""What this holds."""\n')
    (tmp_path / "fine" / "small.py").write_text("x = 1\n" * 500)
    assert long_modules(tmp_path) == ["area/big.py: 501 lines"]
    assert packages_without_docstring(tmp_path) == ["area"]


DOMAIN_PACKAGES = sorted(p.name for p in DOMAIN.iterdir() if (p / "__init__.py").is_file())


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_each_domain_package_imports_on_its_own(package):
    """In a fresh interpreter, so no earlier import can hide a missing one."""
    code = f"import importlib, pkgutil, oncotrial.domain.{package} as p\n" \
           "[importlib.import_module(m.name) for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.')]"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
