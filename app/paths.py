"""Where the top-level folders are, in a checkout and in an installed wheel.

The repository keeps templates/ and migrations/ at its top level; a wheel ships them inside the
package as app/templates and app/migrations. Look inside the package first, then beside it.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"Cergas cannot find its {name}/ folder next to {PACKAGE_DIR}")
