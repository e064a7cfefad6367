"""Every third-party module the running program imports is a declared runtime dependency.

A fresh install (``pip install .``, as ``make demo`` does) brings only
``[project].dependencies`` and what they require; a module that only the test extras
bring in works in the test virtualenv and crashes on a user's machine. The check reads
the imports of the runtime packages from their source (every ``import`` statement, at
module level or inside a function, except ``if TYPE_CHECKING:`` blocks, which never
run), maps each top-level name to the installed distribution that provides it, and
requires that distribution in the closure of the declared dependencies.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PACKAGES = ("cti", "ivr", "routing", "agent_desktop", "recordings", "crm")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> set[str]:
    """Top-level module names of absolute imports, skipping ``if TYPE_CHECKING:`` bodies."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def runtime_imports() -> dict[str, list[str]]:
    """Third-party top-level module -> the files importing it."""
    where: dict[str, list[str]] = {}
    first_party = set(RUNTIME_PACKAGES)
    for package in RUNTIME_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for name in _imports(tree):
                if name in sys.stdlib_module_names or name in first_party or name == "__future__":
                    continue
                where.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return where


def declared_closure() -> set[str]:
    """The declared runtime distributions and, recursively, what they require (extras
    named in a requirement included, markers evaluated for this interpreter)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    todo = [Requirement(r) for r in project["dependencies"]]
    seen: set[str] = set()
    while todo:
        req = todo.pop()
        name = _norm(req.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue  # declared but not installed here: the import check below says so
        for text in requires:
            sub = Requirement(text)
            extras = req.extras or {""}
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras):
                todo.append(sub)
    return seen


def test_every_runtime_import_is_a_declared_dependency() -> None:
    providers = metadata.packages_distributions()
    allowed = declared_closure()
    missing = []
    for module, files in sorted(runtime_imports().items()):
        dists = {_norm(d) for d in providers.get(module, [])}
        if not dists:
            missing.append(f"{module} (not installed at all) imported by {files}")
        elif not dists & allowed:
            missing.append(f"{module} (from {sorted(dists)}) imported by {files}")
    assert not missing, "runtime imports not in [project].dependencies:\n" + "\n".join(missing)


def test_the_check_sees_a_module_only_the_test_extras_bring() -> None:
    """The check itself can fail: hypothesis (a test extra) is not in the closure."""
    providers = metadata.packages_distributions()
    assert {_norm(d) for d in providers["hypothesis"]}.isdisjoint(declared_closure())
    tree = ast.parse("import hypothesis\nif TYPE_CHECKING:\n    import mypy\n")
    assert _imports(tree) == {"hypothesis"}
