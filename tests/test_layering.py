"""The house keeps its shape: layers import only downwards, nobody borrows another module's private names,
and rooms stay small. Read from the source with ast, so adding a forbidden import fails here at once.

    app.py, pages/        may import anything of ours; pages hold no NumPy
    lstm_viz/ui/          the only package that imports streamlit
    lstm_viz/figures/     plotly; never streamlit or ui
    lstm_viz/tables.py    pandas; never plotly, streamlit, figures or ui
    lstm_viz/words.py     never plotly, pandas, streamlit, tables, figures or ui (tour.py too: the tour's words)
    lstm_viz/<engine>.py  NumPy only: never plotly, pandas, streamlit, words, tables, figures or ui
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "lstm_viz"
UPPER = ("words", "tables", "figures", "ui")           # everything above the engine, inside the package
MAX_MODULE_LINES, MAX_FUNCTION_LINES, MAX_KERNEL_LINES, MAX_PAGE_LINES = 400, 60, 75, 120


def layer(path: Path) -> str:
    rel = path.relative_to(ROOT).parts
    if rel[0] != "lstm_viz":
        return "page"
    if rel[1] in ("ui", "figures"):
        return rel[1]
    return {"words.py": "words", "tour.py": "words", "tables.py": "tables"}.get(rel[1], "engine")


FORBIDDEN = {   # layer -> top-level packages and lstm_viz parts it may not import
    "engine": {"plotly", "pandas", "streamlit", *UPPER},
    "words": {"plotly", "pandas", "streamlit", "tables", "figures", "ui"},
    "tables": {"plotly", "streamlit", "figures", "ui"},
    "figures": {"streamlit", "ui"},
    "ui": set(),
    # pages read controls, call ui, show figures and words; of the engine only the stated limits and the tasks'
    # catalogue (what a select box lists)
    "page": {"numpy", "cells", "stack", "flow", "weights", "train", "fastfit", "jobs", "apart", "papers", "anbn",
             "code_text", "charlm", "influence", "sequences", "presets"},
}


def imports(tree: ast.AST, path: Path) -> list[tuple[str, list[str], int]]:
    """(what is imported as a dotted name under lstm_viz or a top-level package, names taken, line)."""
    out = []
    here = path.relative_to(ROOT).with_suffix("").parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:   # relative: resolve against this module's package
                base = list(here[:-node.level]) if here[-1] != "__init__" else list(here[:len(here) - node.level])
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((name, [a.name for a in node.names], node.lineno))
    return out


def problems(source: str, path: Path) -> list[str]:
    """Every layering or privacy rule this source breaks, one line each."""
    tree = ast.parse(source)
    lay, out = layer(path), []
    for name, names, line in imports(tree, path):
        parts = name.split(".")
        top = parts[1] if parts[0] == "lstm_viz" and len(parts) > 1 else parts[0]
        if top in FORBIDDEN[lay] or (parts[0] == "lstm_viz" and len(parts) == 1 and
                                      set(names) & FORBIDDEN[lay]):
            out.append(f"{path.name}:{line} ({lay}) imports {name}")
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        if name.startswith("lstm_viz") and private:
            out.append(f"{path.name}:{line} imports private {', '.join(private)} from {name}")
    aliases = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
               for a in node.names}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            out.append(f"{path.name}:{node.lineno} reaches into {node.value.id}.{node.attr}")
    return out


def sources() -> list[Path]:
    return sorted([*PKG.rglob("*.py"), ROOT / "app.py", *(ROOT / "pages").glob("*.py")])


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down_and_stay_public(path):
    assert problems(path.read_text(), path) == []


@pytest.mark.parametrize("where, source", [
    ("lstm_viz/cells.py", "import streamlit as st\n"),
    ("lstm_viz/flow.py", "import pandas\n"),
    ("lstm_viz/tasks.py", "from .figures import cell_diagram\n"),
    ("lstm_viz/words.py", "from .tables import step_table\n"),
    ("lstm_viz/figures/gates.py", "from streamlit import cache_data\n"),
    ("lstm_viz/figures/gates.py", "from ..ui import controls\n"),
    ("lstm_viz/tables.py", "import plotly.graph_objects as go\n"),
    ("lstm_viz/ui/models.py", "from ..cells import _sigmoid\n"),
    ("lstm_viz/ui/models.py", "from .. import cells\nx = cells._sigmoid\n"),
    ("pages/cell.py", "import numpy as np\n"),
    ("pages/apart.py", "from lstm_viz.apart import Change\n"),
    ("lstm_viz/stack.py", "from lstm_viz import ui\n"),
])
def test_the_checker_catches_each_forbidden_import(where, source):
    assert problems(source, ROOT / where), f"{where}: {source!r} should be refused"


def _long_functions(tree: ast.AST, limit: int) -> list[str]:
    return [f"{n.name} ({n.end_lineno - n.lineno + 1} lines)" for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > limit]


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_rooms_stay_small(path):
    text = path.read_text()
    lines = text.count("\n") + 1
    if path.parent.name == "pages":
        assert lines <= MAX_PAGE_LINES, f"{path.name} has {lines} lines: move what is not layout into the package"
    elif path.name != "cells.py":
        assert lines <= MAX_MODULE_LINES, f"{path.name} has {lines} lines"
    limit = MAX_KERNEL_LINES if path.name == "cells.py" else MAX_FUNCTION_LINES
    assert _long_functions(ast.parse(text), limit) == []


def test_every_module_says_its_layer():
    for path in PKG.rglob("*.py"):
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert "Layer:" in doc or path.name == "__init__.py" and path.parent == PKG, path
