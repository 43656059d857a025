"""The code's layout holds: one import name, no reaching into another module's privates, the web stack only in the
service, files a reader can hold in their head, and storyboard/ imports in one direction.

Every check reads the source with ``ast`` (nothing is imported), over the repository's own Python files:

- private names: the package folders, ``bench/``, ``examples/`` and ``tests/`` (a test that needs a private name
  is asking for it to be public);
- old top-level names: the same files, imports and ``-m``/``import_module`` strings alike;
- FastAPI/uvicorn: the shipped package only (tests may drive the service with ``fastapi.testclient``);
- file length: the package folders; import cycles: storyboard/ and parsers/.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# folder in the checkout -> its import name when installed (pyproject's package-dir)
PACKAGE_DIRS = {"parsers": "briefreel.parsers", "storyboard": "briefreel.storyboard", "render": "briefreel.render",
                "plugin": "briefreel.plugin", "briefreel": "briefreel"}
OLD_NAMES = ("parsers", "storyboard", "render", "plugin")
SCANNED = (*PACKAGE_DIRS, "bench", "examples", "tests")
SKIP_PARTS = {"__pycache__", "_assets"}
MAX_LINES = 700


def python_files(folders=SCANNED) -> list[Path]:
    out = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not SKIP_PARTS & set(path.relative_to(ROOT).parts):
                out.append(path)
    return out


def module_name(path: Path) -> str:
    """``storyboard/llm.py`` -> ``briefreel.storyboard.llm``; ``tests/support/x.py`` -> ``tests.support.x``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[0] in PACKAGE_DIRS:
        parts = PACKAGE_DIRS[parts[0]].split(".") + parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def absolute(path: Path, node: ast.ImportFrom) -> str:
    """The module an ``ImportFrom`` names, relative imports resolved."""
    if not node.level:
        return node.module or ""
    here = module_name(path).split(".")
    base = here if is_package(path) else here[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def ours(module: str) -> bool:
    return module.split(".")[0] in ("briefreel", "tests", "examples", "bench")


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


# -- (a) no module imports another module's _private name ---------------------------------------------------------

def private_uses(path: Path) -> list[str]:
    tree = parse(path)
    found, modules = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = absolute(path, node)
            if not ours(source):
                continue
            for alias in node.names:
                if private(alias.name):
                    found.append(f"line {node.lineno}: from {source} import {alias.name}")
                modules[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if ours(alias.name):
                    if any(private(p) for p in alias.name.split(".")):
                        found.append(f"line {node.lineno}: import {alias.name}")
                    modules[alias.asname or alias.name.split(".")[0]] = alias.name
    for node in ast.walk(tree):  # module._name, where module is one of ours
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules \
                and private(node.attr):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_another_modules_private_name(path):
    found = private_uses(path)
    assert not found, f"{path.relative_to(ROOT)} uses other modules' private names: {found}"


# -- (b) nothing imports the old top-level names -------------------------------------------------------------------

_MODULE_STRING = re.compile(r"^(?:parsers|storyboard|render|plugin)(?:\.[A-Za-z_]\w*)+$")


def old_name_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in OLD_NAMES]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module \
                and node.module.split(".")[0] in OLD_NAMES:
            found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_STRING.match(node.value):
            # "parsers.sandbox" as in [sys.executable, "-m", "parsers.sandbox"]: only when that module exists
            target = ROOT.joinpath(*node.value.split("."))
            if target.with_suffix(".py").is_file() or (target / "__init__.py").is_file():
                found.append(f"line {node.lineno}: {node.value!r}")
    return found


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_imports_the_old_top_level_names(path):
    found = old_name_uses(path)
    assert not found, f"{path.relative_to(ROOT)}: {found}; use briefreel.parsers, briefreel.storyboard, ..."


# -- (c) FastAPI and uvicorn only in the service ------------------------------------------------------------------

def web_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(parse(path)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        found += [f"line {node.lineno}: {n}" for n in names if n.split(".")[0] in ("fastapi", "uvicorn", "starlette")]
    return found


def test_fastapi_and_uvicorn_are_imported_only_under_briefreel_service():
    service = ROOT / "briefreel" / "service"
    outside = {str(p.relative_to(ROOT)): web_imports(p) for p in python_files(PACKAGE_DIRS)
               if service not in p.parents}
    assert {k: v for k, v in outside.items() if v} == {}
    assert any(web_imports(p) for p in service.rglob("*.py")), "the service itself should be where FastAPI is"


# -- (d) files a reader can hold in their head ---------------------------------------------------------------------

@pytest.mark.parametrize("path", python_files(PACKAGE_DIRS), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_package_file_is_under_700_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines < MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


# -- (e) storyboard/ and parsers/ import in one direction --------------------------------------------------------

def import_graph(folder: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports, at the top or inside a function alike."""
    package = PACKAGE_DIRS[folder]
    files = {module_name(p): p for p in python_files([folder])}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for node in ast.walk(parse(path)):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = absolute(path, node)
                # "from briefreel.storyboard import rules" imports the submodule; "import plan" the package
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in files else source for a in node.names]
            for target in targets:
                while target and target not in files and target.startswith(package + "."):
                    target = target.rsplit(".", 1)[0]  # "pkg.mod.Name" -> "pkg.mod"
                if target in files and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component that has one (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("folder", ["storyboard", "parsers"])
def test_no_import_cycle(folder):
    graph = import_graph(folder)
    assert len(graph) > 5 and sum(map(len, graph.values())) > 5, "the graph was not built"
    assert cycles(graph) == []
