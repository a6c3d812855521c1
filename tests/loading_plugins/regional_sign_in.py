"""A plugin with two regional sign-in methods (tests/test_auth_backends.py): a form that checks
a "kode pegawai" and PIN against the regional staff system (a dict here), and a button that goes
to a regional portal and comes back to the plugin's own page, which signs the person in."""

from flask import Blueprint, redirect, request, url_for

from cergas.plugin import AuthBackend, AuthField, hookimpl, sign_in_as

STAFF_NIP = "199001012015011004"  # Agus Pratama of the `org` fixture
ADMIN_LOGIN = "admin"
# kode pegawai -> (PIN, the login it proves)
REGISTER = {
    "K-0001": ("481516", STAFF_NIP),
    "K-0002": ("234234", ADMIN_LOGIN),
    "K-0404": ("000000", "199999999999999999"),  # the register knows a person Cergas does not
}
PIN_IN_FAILURE = "K-BOOM"


def verify(values):
    kode, pin = values["kode"], values["pin"]
    if kode == PIN_IN_FAILURE:
        raise RuntimeError(f"register unreachable while checking {kode} with PIN {pin}")
    known = REGISTER.get(kode)
    return known[1] if known and known[0] == pin else None


def start(next_path):
    # The "portal" answers at once with the person it vouches for (a real one asks first).
    return redirect(url_for("regional.portal_return", who=STAFF_NIP, next=next_path))


portal = Blueprint("regional", __name__, url_prefix="/plugins/regional")


@portal.get("/return")
def portal_return():
    return sign_in_as(request.args["who"], method="portal", next_path=request.args.get("next"))


@hookimpl
def cergas_register_blueprints():
    return [portal]


@hookimpl
def cergas_auth_backends():
    return [
        AuthBackend(
            name="simpeg",
            label="Kode pegawai dan PIN",
            description="Sign in with your SIMPEG employee code.",
            fields=(
                AuthField("kode", "Kode pegawai", autocomplete="username"),
                AuthField("pin", "PIN", kind="password", autocomplete="current-password"),
            ),
            verify=verify,
        ),
        AuthBackend(name="portal", label="Portal Pemda", start=start),
    ]
