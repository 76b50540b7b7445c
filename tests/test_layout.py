"""README's "Package layout" table is the truth about the tree and the imports.

The table gives every folder of `akasa/` a layer; a folder imports only from layers below it
(a larger number). Within a layer, a folder may import only from its own family (the
folder above it or below it, e.g. `backends/` and `backends/sql/load/`), never from a
sibling (`backends/lake/` and `backends/sql/`: a mode has one folder) and never across the
top-level modules of the `akasa/` row.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "akasa"
NOT_IN_TABLE = {"__init__.py", "__main__.py"}
HEADER = ["layer", "folder", "modules", "what it holds"]


@dataclass(frozen=True)
class Row:
    layer: int
    folder: str  # "akasa/backends/sql/", as written in the table
    modules: tuple[str, ...]


def layout_rows(readme: str | None = None) -> list[Row]:
    """The rows of the table under README's `## Package layout`."""
    text = readme if readme is not None else (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Package layout\n", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]

    def cells(line: str) -> list[str]:
        return [cell.strip() for cell in line.strip("|").split("|")]

    assert cells(lines[0]) == HEADER, lines[0]
    assert set(lines[1].replace("|", "")) <= {"-", ":", " "}, lines[1]
    rows = []
    for line in lines[2:]:
        layer, folder, modules, _ = cells(line)
        names = tuple(m.strip().strip("`") for m in modules.split(","))
        rows.append(Row(int(layer), folder.strip("`"), names))
    return rows


def folder_of(path: Path) -> str:
    """`akasa/backends/sql/` for a file in that folder, as the table writes it."""
    return path.parent.relative_to(ROOT).as_posix() + "/"


def package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def package_folders() -> set[str]:
    return {folder_of(p) for p in package_files()}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def module_files() -> dict[str, Path]:
    return {module_name(p): p for p in package_files()}


@dataclass(frozen=True)
class Import:
    line: int
    target: str  # the akasa module it loads


def imports_of(path: Path) -> Iterator[Import]:
    """Every `akasa` module `path` imports, at module level, in functions, under
    TYPE_CHECKING alike. `from pkg import name` is the submodule when `name` is one."""
    modules = module_files()
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "akasa" or alias.name.startswith("akasa."):
                    yield Import(node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if source != "akasa" and not source.startswith("akasa."):
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                yield Import(node.lineno, sub if sub in modules else source)


def graph() -> dict[str, set[str]]:
    return {
        name: {i.target for i in imports_of(path)} - {name} for name, path in module_files().items()
    }


# ---- (a) the table is the tree ------------------------------------------------------------


def test_the_table_lists_every_folder_and_module_once() -> None:
    rows = layout_rows()
    folders = [row.folder for row in rows]
    assert len(folders) == len(set(folders)), f"a folder has two rows: {folders}"
    assert set(folders) == package_folders()
    for row in rows:
        assert len(row.modules) == len(set(row.modules)), f"{row.folder} lists a module twice"
        on_disk = {p.name for p in (ROOT / row.folder).glob("*.py")} - NOT_IN_TABLE
        assert set(row.modules) == on_disk, row.folder


def test_the_layout_parser_reads_the_table() -> None:
    """The parser itself: a row it cannot read or a wrong header fails loudly."""
    readme = (
        "# x\n\n## Package layout\n\n| layer | folder | modules | what it holds |\n|---|---|---|"
        "---|\n| 3 | `akasa/backends/sql/` | `a.py`, `b.py` | words, with a comma |\n\n## Next\n"
        "| 9 | `akasa/elsewhere/` | `c.py` | not this section |\n"
    )
    assert layout_rows(readme) == [Row(3, "akasa/backends/sql/", ("a.py", "b.py"))]


def test_packaging_ships_every_package_folder() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = pyproject["tool"]["setuptools"]
    folders = {f.rstrip("/").replace("/", ".") for f in package_folders()}
    migrations = {"akasa.migrations", "akasa.migrations.versions"}
    packages = setuptools["packages"]
    assert len(packages) == len(set(packages))
    assert set(packages) == folders | migrations
    assert setuptools["package-dir"] == {"akasa.migrations": "alembic"}
    assert (ROOT / "alembic" / "env.py").is_file()
    assert list((ROOT / "alembic" / "versions").glob("*.py"))


# ---- (b) the imports follow the layers ----------------------------------------------------


def is_root(folder: str) -> bool:
    return folder == "akasa/"


def same_family(a: str, b: str) -> bool:
    """Two folders of one layer that may import each other: `backends/` and
    `backends/sql/load/`, yes; `backends/lake/` and `backends/sql/`, no; the top-level
    modules (`akasa/`, e.g. generate.py) and `report/` or `pipeline/`, no."""
    if is_root(a) or is_root(b):
        return False
    return a.startswith(b) or b.startswith(a)


def layer_violations(rows: list[Row]) -> list[str]:
    layers = {row.folder: row.layer for row in rows}
    found = []
    for path in package_files():
        if path.name == "__main__.py":
            continue  # the entry point, above every layer
        if path == PACKAGE / "__init__.py":
            continue  # the package root: checked to import nothing (below)
        mine = folder_of(path)
        where = path.relative_to(ROOT).as_posix()
        for imported in imports_of(path):
            if imported.target == "akasa":
                continue  # `akasa/__init__.py` (the version): every import loads it anyway
            target = module_files().get(imported.target)
            if target is None or target.name == "__main__.py":
                found.append(f"{where}:{imported.line} imports {imported.target}")
                continue
            theirs = folder_of(target)
            if theirs == mine:
                continue
            if mine not in layers or theirs not in layers:
                found.append(f"{where}:{imported.line}: {mine} or {theirs} has no layer")
                continue
            if layers[theirs] < layers[mine] or (
                layers[theirs] == layers[mine] and not same_family(mine, theirs)
            ):
                found.append(
                    f"{where}:{imported.line} (layer {layers[mine]}) imports "
                    f"{imported.target} (layer {layers[theirs]}, {theirs})"
                )
    return found


def test_imports_only_go_down_the_layers() -> None:
    assert layer_violations(layout_rows()) == []


def test_the_package_root_imports_nothing_of_akasa() -> None:
    assert list(imports_of(PACKAGE / "__init__.py")) == []


def test_the_import_scan_sees_lazy_imports() -> None:
    """`open.py` imports each mode's backend inside the function that needs it."""
    targets = {i.target for i in imports_of(PACKAGE / "backends" / "open.py")}
    assert {"akasa.backends.lake.backend", "akasa.backends.sql.backend"} <= targets


def test_the_layer_check_flags_upward_and_sideways_imports() -> None:
    """Each rule on today's imports with one layer moved: the check is not vacuous."""
    rows = layout_rows()

    def moved(folder: str, layer: int) -> list[Row]:
        return [Row(layer, r.folder, r.modules) if r.folder == folder else r for r in rows]

    upward = layer_violations(moved("akasa/core/", 3))  # kpi/ and ingest/ use core/
    assert any("(layer 4) imports akasa.core." in v for v in upward), upward
    sideways = layer_violations(moved("akasa/kpi/", 2))  # report/ uses kpi/
    assert any(v.startswith("akasa/report/") and "akasa.kpi." in v for v in sideways)
    assert not same_family("akasa/backends/lake/", "akasa/backends/sql/")
    assert same_family("akasa/backends/", "akasa/backends/sql/load/")
    assert same_family("akasa/backends/sql/load/", "akasa/backends/sql/")
    assert not same_family("akasa/", "akasa/report/")


# ---- (c) no cycles ------------------------------------------------------------------------


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_check_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c", "d"}, "c": {"a"}, "d": set(), "e": {"a"}}
    assert find_cycle(edges) == ["a", "b", "c", "a"]
    edges["c"] = {"d"}
    assert find_cycle(edges) is None


# ---- (d) one place looks at a dialect's name, one place maps a mode -----------------------


def test_only_dialects_looks_at_a_dialect_name() -> None:
    allowed = PACKAGE / "backends" / "sql" / "dialects.py"
    found = []
    for path in sorted(p for p in PACKAGE.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts or path == allowed:
            continue
        if "dialect.name" in path.read_text(encoding="utf-8", errors="replace"):
            found.append(path.relative_to(ROOT).as_posix())
    assert found == []
    assert "dialect.name" in allowed.read_text(encoding="utf-8")


MODE_NAMES = {"memory", "table"}


def names_a_mode(node: ast.expr) -> bool:
    """`"memory"`, `"table"`, `Mode.memory`, `IngestMode.table`, or a tuple, list or set
    holding one."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(names_a_mode(element) for element in node.elts)
    if isinstance(node, ast.Constant):
        return node.value in MODE_NAMES
    if isinstance(node, ast.Attribute) and node.attr in MODE_NAMES:
        owner = node.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        return name.endswith("Mode")
    return False


def mode_comparisons(source: str) -> list[int]:
    """Lines that compare a value with a mode name (==, is, in, ..., or a match case)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.MatchValue):
            operands = [node.value]
        else:
            continue
        if any(names_a_mode(operand) for operand in operands):
            lines.append(node.lineno)
    return sorted(lines)


def test_only_open_and_the_cli_branch_on_a_mode() -> None:
    allowed = {PACKAGE / "backends" / "open.py"}
    found = []
    for path in package_files():
        if path in allowed or path.is_relative_to(PACKAGE / "cli"):
            continue
        for line in mode_comparisons(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(ROOT).as_posix()}:{line}")
    assert found == []
    assert mode_comparisons((PACKAGE / "backends" / "open.py").read_text(encoding="utf-8"))


def test_the_mode_check_sees_each_form() -> None:
    source = (
        "if mode == 'memory': pass\n"
        "if x is Mode.table: pass\n"
        "ok = kind in ('table', 'both')\n"
        "match m:\n    case IngestMode.memory: pass\n"
        "if name == 'memoryless' or fmt is Format.rich or f('table') > 1: pass\n"
        "default = 'table'\n"
        "if mode.value != 'table' and m is akasa.backends.mode.Mode.memory: pass\n"
    )
    assert mode_comparisons(source) == [1, 2, 3, 5, 8, 8]
