"""No import cycle in the web app: the toolkit (cti.webkit) is a leaf, features import
only the toolkit from the web side, and only the composer and the program's entry points
import the composer. Read from the source with ast (every import, including those inside
functions; ``if TYPE_CHECKING:`` blocks are not run and are left out)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("cti", "ivr", "routing", "agent_desktop", "recordings", "crm")
FEATURES = ("agent_desktop", "recordings", "routing", "crm.api", "crm.web", "ivr")
# Who may import the composer (cti.web): the entry points that start the web app.
ENTRY_POINTS = {"cti.web", "cti.cli", "cti.engine", "cti.demo"}


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in (ROOT / pkg).rglob("*.py"):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    return out


def imported(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for b in node.body for n in ast.walk(b))
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()

    def resolve(target: str) -> str | None:
        while target and target not in mods:
            target = target.rpartition(".")[0]
        return target or None

    return {
        m: {r for t in imported(m, f) if (r := resolve(t)) is not None and r != m}
        for m, f in mods.items()
    }


def unit(module: str) -> str:
    """The parts that must not import each other in a circle: each feature package, each
    module or subpackage of cti (the engine's parts, the toolkit, the composer)."""
    parts = module.split(".")
    if parts[0] == "cti" or (parts[0] == "crm" and len(parts) > 1 and parts[1] in ("api", "web")):
        return ".".join(parts[:2])
    return parts[0]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (more than one unit) of the unit graph (Tarjan)."""
    g: dict[str, set[str]] = defaultdict(set)
    for a, bs in edges.items():
        g[unit(a)].update(unit(b) for b in bs if unit(b) != unit(a))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read() -> None:
    edges = graph()
    assert "cti.webkit.pages" in edges["agent_desktop.views"]
    assert "agent_desktop" in edges["cti.web"]


def test_no_cycle_between_packages_of_the_web_app() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_one() -> None:
    assert cycles({"agent_desktop.x": {"recordings.y"}, "recordings.y": {"agent_desktop.z"}}) == [
        ["agent_desktop", "recordings"]
    ]


def test_the_toolkit_is_a_leaf() -> None:
    banned = ("cti.web", "cti.corepages", "cti.engine", *FEATURES)
    bad = [
        (m, t)
        for m, targets in graph().items()
        if m.startswith("cti.webkit")
        for t in targets
        if any(t == b or t.startswith(b + ".") for b in banned)
    ]
    assert bad == []


def test_only_entry_points_import_the_composer() -> None:
    bad = [
        m
        for m, targets in graph().items()
        if ("cti.web" in targets or "cti.corepages" in targets)
        and m not in ENTRY_POINTS
        and m != "cti.corepages"
        and m != "cti.webauth"  # LoginRefused: the CRM login behind the composer's form
    ]
    assert bad == []
