"""The hub is the composition root: the API's modules and the cluster never import it, so what a
route or the cluster can reach is only what `ApiServices` / `ClusterParts` hand them."""

from __future__ import annotations

import ast
from pathlib import Path

import seaLink

ROOT = Path(seaLink.__file__).resolve().parent
KEPT_APART = [*sorted((ROOT / "api").glob("*.py")), ROOT / "services" / "cluster.py"]


def _imports_of(path: Path) -> set[str]:
    """Every module and name a file imports, at module level or inside a function or
    TYPE_CHECKING block alike."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_the_api_and_the_cluster_never_import_the_hub() -> None:
    assert len(KEPT_APART) > 10, "the API's modules were not found"
    leaks = {
        str(path.relative_to(ROOT)): sorted(i for i in _imports_of(path) if "runtime" in i)
        for path in KEPT_APART
    }
    assert {k: v for k, v in leaks.items() if v} == {}


def test_the_import_check_sees_an_import_inside_type_checking(tmp_path: Path) -> None:
    """The check above can fail: a TYPE_CHECKING import of the hub is found."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from seaLink.runtime import Hub\n",
        encoding="utf-8",
    )
    assert "seaLink.runtime.Hub" in _imports_of(probe)
