"""Deprecated: the test kit moved to `cergas.testing` (plugin API 1.0). This alias stays for one
release; it warns when imported."""

import warnings

from cergas.testing import *  # noqa: F403 - the alias re-exports the whole kit
from cergas.testing import __all__  # noqa: F401

warnings.warn(
    "app.testing is deprecated since Cergas plugin API 1.0: use cergas.testing",
    DeprecationWarning,
    stacklevel=2,
)
