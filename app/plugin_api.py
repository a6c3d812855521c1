"""Deprecated: the plugin API moved to `cergas.plugin` (API 1.0). This alias stays for one
release so that a plugin written against it keeps loading; it warns when imported."""

import logging
import warnings

from cergas.plugin import *  # noqa: F403 - the alias re-exports the whole public API
from cergas.plugin import __all__  # noqa: F401

MESSAGE = (
    "app.plugin_api is deprecated since Cergas plugin API 1.0 and will be removed in 2.0: "
    "import from cergas.plugin instead"
)
warnings.warn(MESSAGE, DeprecationWarning, stacklevel=2)
logging.getLogger("cergas.plugins").warning(MESSAGE)
