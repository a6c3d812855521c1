"""A plugin whose sign-in methods take names already taken (tests/test_auth_backends.py)."""

from cergas.plugin import AuthBackend, AuthField, hookimpl


@hookimpl
def cergas_auth_backends():
    fields = (AuthField("kode", "Kode"),)
    return [
        AuthBackend(name="simpeg", label="Another SIMPEG", fields=fields, verify=lambda v: None),
        AuthBackend(
            name="password", label="Not the password", fields=fields, verify=lambda v: None
        ),
    ]
