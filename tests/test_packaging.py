"""A wheel (not only an editable install) ships the top-level templates/ and migrations/, the
static files and compiled catalogs, so Cergas works when installed as a dependency.

Builds a real wheel from a copy of the checkout (a few seconds); `.ci/run` then installs such a
wheel in a fresh virtualenv and serves a page from it.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "instance", "__pycache__", "*.pyc",
    ".pytest_cache", ".ruff_cache", "node_modules", "*.mo", "results",
)  # fmt: skip


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory) -> set[str]:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--wheel-dir", str(tmp / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp / "dist").glob("cergas-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def files_under(folder: str) -> list[Path]:
    base = ROOT / folder
    return [
        path.relative_to(base)
        for path in base.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".mo")
    ]


@pytest.mark.slow
def test_wheel_ships_templates_migrations_static_files_and_catalogs(wheel_files):
    expected = {
        "app/templates/base.html",
        "app/migrations/env.py",
        "app/migrations/alembic.ini",
        "app/migrations/script.py.mako",
        "app/static/vendor/htmx-2.0.11.min.js",
        "app/cli.py",
    }
    expected |= {f"app/migrations/versions/{p.name}" for p in ROOT.glob("migrations/versions/*.py")}
    assert any(name.startswith("app/migrations/versions/0001_") for name in expected)
    assert expected <= wheel_files, sorted(expected - wheel_files)


@pytest.mark.slow
def test_wheel_ships_every_template_and_static_file_at_any_depth(wheel_files):
    expected = {f"app/templates/{p.as_posix()}" for p in files_under("templates")}
    expected |= {f"app/static/{p.as_posix()}" for p in files_under("app/static")}
    plugin_files = files_under("plugins")
    plugin_static = {f"plugins/{p.as_posix()}" for p in plugin_files if "static" in p.parts}
    assert "plugins/approvals/static/approvals.css" in plugin_static
    expected |= plugin_static
    assert any("/" in name.removeprefix("app/templates/") for name in expected), "nested templates"
    assert expected <= wheel_files, sorted(expected - wheel_files)


@pytest.mark.slow
def test_wheel_ships_compiled_catalogs_for_every_language(wheel_files):
    languages = [p.parent.parent.name for p in ROOT.glob("app/translations/*/LC_MESSAGES/*.po")]
    assert {"id", "en"} <= set(languages)
    for language in languages:
        assert f"app/translations/{language}/LC_MESSAGES/messages.mo" in wheel_files


@pytest.mark.slow
def test_wheel_ships_every_python_module_of_the_app_and_plugins(wheel_files):
    expected = {
        p.relative_to(ROOT).as_posix()
        for folder in ("app", "plugins")
        for p in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert "app/services/cards.py" in expected
    assert expected <= wheel_files, sorted(expected - wheel_files)
    assert not any(name.startswith(("tests/", "bench/")) for name in wheel_files)


@pytest.mark.slow
def test_wheel_ships_the_lists_of_common_passwords_and_their_licence(wheel_files):
    expected = {f"app/data/{path}" for path in files_under("app/data")}
    assert {"app/data/common-passwords.txt.gz", "app/data/LICENSE.django"} <= expected
    assert expected <= wheel_files, sorted(expected - wheel_files)
