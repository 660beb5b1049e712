"""The one direction of imports (architecture.md): domain imports nothing of ours and no Django;
reports and exports never import web or cli."""

from __future__ import annotations

import ast
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
