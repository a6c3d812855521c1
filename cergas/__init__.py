"""The public names of Cergas for plugin authors.

- `cergas.plugin`: everything a plugin may import (hooks, data types, helpers); see
  docs/plugins.md. Its `API_VERSION` is the version of that contract.
- `cergas.testing`: the pytest fixtures of the test kit.

The application itself lives in the `app` package; nothing in it is public.
"""
