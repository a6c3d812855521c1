"""Build hooks that setup.cfg cannot express.

1. The translation catalogs (.po) are compiled to .mo before the package data is collected, so
   every wheel (and `pip install .`) ships working translations; .mo files are not in git.
2. The package list is computed: the app's packages plus templates/ and migrations/, which sit
   at the top level of the repository and are shipped as app/templates and app/migrations
   (see package_dir in setup.cfg and app/paths.py).
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def compile_catalogs() -> list[Path]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = []
    for po_path in sorted((ROOT / "app" / "translations").glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog)
        compiled.append(mo_path)
    return compiled


class BuildWithCatalogs(build_py):
    def run(self):
        compile_catalogs()
        # The list of data files may have been computed before the .mo files existed.
        self.__dict__.pop("data_files", None)
        super().run()


# Namespace packages count too: not every folder of modules has an __init__.py.
PACKAGES = find_namespace_packages(
    include=["app", "app.*", "cergas", "cergas.*", "plugins", "plugins.*"],
    exclude=[
        "app.static",
        "app.static.*",
        "app.translations",
        "app.translations.*",
        "*__pycache__*",
    ],
)

setup(
    packages=PACKAGES + ["app.templates", "app.migrations"],
    cmdclass={"build_py": BuildWithCatalogs},
)
