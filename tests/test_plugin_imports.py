"""Plugins are written against the public contract only: no module under plugins/ or examples/
imports `app` (only `cergas.plugin`, `cergas.testing`, their own modules and third parties)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    path
    for folder in ("plugins", "examples")
    for path in (ROOT / folder).rglob("*.py")
    if "__pycache__" not in path.parts
)


def imports_of_app(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name) for name in names if name == "app" or name.startswith("app.")]
    return found


def test_there_are_plugin_modules_to_check():
    names = {path.relative_to(ROOT).as_posix() for path in MODULES}
    assert "plugins/approvals/__init__.py" in names
    assert "examples/cergas-nomor-surat/cergas_nomor_surat.py" in names


def test_the_check_sees_every_form_of_import():
    source = "import app\nimport app.models as m\nfrom app.services import x\ndef f():\n"
    source += "    from app import db\nfrom cergas.plugin import Badge\nfrom . import app\n"
    assert [name for _, name in imports_of_app(source)] == [
        "app",
        "app.models",
        "app.services",
        "app",
    ]


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_plugin_module_imports_app(path):
    assert imports_of_app(path.read_text(encoding="utf-8")) == []
