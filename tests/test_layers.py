"""The layers of docs/architecture.md hold: services know nothing of HTTP, and blueprints share
view helpers through `app/views_common.py`, not through each other's views.

`app/services/` is shared by the HTML blueprints, the JSON API, the CLI and plugins, so a
service that imports one of them would tie every other caller to it (and to its import order).
Imports inside functions count too: they are how such a dependency usually sneaks in.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import app

APP_DIR = Path(app.__file__).parent
SERVICES = APP_DIR / "services"
# Packages of `app` that are not web code; every other package is a blueprint or the API.
NOT_WEB = {
    "models",
    "services",
    "storage",
    "static",
    "translations",
    "templates",
    "migrations",
}
WEB_MODULES = {"app.web", "app.views_common", "app.cli", "app.security"}
# Built on the services for plugins; importing either from a service pulls in the web layer.
PLUGIN_FACADES = {"cergas.plugin", "app.plugins"}


def web_layer() -> set[str]:
    packages = {
        f"app.{path.parent.name}"
        for path in APP_DIR.glob("*/__init__.py")
        if path.parent.name not in NOT_WEB
    }
    return packages | WEB_MODULES


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) for every import anywhere in the tree; `from app import web` names
    `app.web`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer_violations(source: str, forbidden: set[str]) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    return [
        (line, module)
        for line, module in imported_modules(tree)
        if any(is_within(module, package) for package in forbidden)
    ]


def test_the_web_layer_is_found():
    found = web_layer()
    for package in ("app.api", "app.boards", "app.cards", "app.auth", "app.live", "app.admin"):
        assert package in found
    assert "app.services" not in found and "app.models" not in found


def test_the_check_sees_imports_inside_functions_and_from_app():
    source = (
        "from app.services import access\n"
        "def f():\n"
        "    from app.api.auth import caller\n"
        "    import app.boards.views\n"
        "    from app import web\n"
    )
    assert layer_violations(source, web_layer()) == [
        (3, "app.api.auth"),
        (3, "app.api.auth.caller"),
        (4, "app.boards.views"),
        (5, "app.web"),
    ]


def test_no_service_imports_a_blueprint_or_the_api():
    forbidden = web_layer() | PLUGIN_FACADES
    offences = [
        f"{path.relative_to(APP_DIR.parent)}:{line} imports {module}"
        for path in sorted(SERVICES.rglob("*.py"))
        for line, module in layer_violations(path.read_text(encoding="utf-8"), forbidden)
    ]
    assert offences == []


def test_no_blueprint_imports_another_blueprints_views():
    packages = web_layer() - WEB_MODULES
    offences = []
    for package in sorted(packages):
        folder = APP_DIR / package.removeprefix("app.")
        others = {f"{other}.views" for other in packages if other != package}
        for path in sorted(folder.rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            offences += [
                f"{path.relative_to(APP_DIR.parent)}:{line} imports {module}"
                for line, module in layer_violations(source, others)
            ]
    assert offences == []


def test_importing_every_service_loads_no_web_module():
    """Direct imports are not the whole story: a service importing `cergas.plugin` would pull
    in the API package through it. A fresh interpreter shows what really gets loaded."""
    script = (
        "import importlib, pkgutil, sys\n"
        "import app.services as services\n"
        "for module in pkgutil.iter_modules(services.__path__):\n"
        "    importlib.import_module('app.services.' + module.name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=APP_DIR.parent,
        env={**os.environ, "PYTHONPATH": str(APP_DIR.parent)},
    ).stdout.split()
    forbidden = web_layer() | PLUGIN_FACADES
    assert [m for m in loaded if any(is_within(m, p) for p in forbidden)] == []
