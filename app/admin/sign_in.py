"""The office's sign-in rules, for administrators (`/admin/sign-in`): who must use two-factor
sign-in (app/services/site_settings.py `TWO_FACTOR_REQUIRED`). People the rule newly covers
set up two-factor sign-in at their next sign-in; sessions already open are left alone."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.admin import bp
from app.admin.views import require_admin
from app.services import site_settings
from app.services.errors import Invalid


@dataclass(frozen=True)
class Method:
    """A way to sign in, as the page lists it: whether it is on, and where it leads."""

    label: str
    on: bool
    detail: str = ""


def methods() -> list[Method]:
    """Every way to sign in this server offers. The password form always; LDAP and single
    sign-on where the server's environment configures them (docs/deploy.md, Sign-in); the
    methods of plugins, with the plugin that offers each."""
    from app.auth import oidc
    from app.auth.backends import backends

    config = current_app.config
    found = [Method(_("Password (NIP or username)"), True, _("Always available."))]
    ldap_url = config.get("LDAP_URL")
    found.append(
        Method(
            _("LDAP / Active Directory"),
            bool(ldap_url),
            _("Directory %(host)s, behind the password form.", host=urlsplit(ldap_url).hostname)
            if ldap_url
            else _("Off: set LDAP_URL and the other LDAP_* settings on the server."),
        )
    )
    issuer = config.get("OIDC_ISSUER")
    found.append(
        Method(
            _("Single sign-on (SSO)"),
            bool(issuer),
            _('Provider %(issuer)s, the button "%(label)s".', issuer=issuer, label=oidc.label())
            if issuer
            else _("Off: set OIDC_ISSUER and the other OIDC_* settings on the server."),
        )
    )
    host = current_app.extensions.get("cergas_plugins")
    for plugin, backend in backends().values():
        title = host.title_of(plugin) if host is not None else plugin
        found.append(Method(str(backend.label), True, _("From the plugin %(title)s.", title=title)))
    return found


def _page(errors=None, chosen=None, status=200):
    declared = site_settings.DECLARED[site_settings.TWO_FACTOR_REQUIRED]
    current = site_settings.get(site_settings.TWO_FACTOR_REQUIRED)
    page = render_template(
        "admin/sign_in.html",
        choices=list(declared.choices.items()),
        chosen=chosen or current,
        errors=errors or {},
        methods=methods(),
    )
    return page, status


@bp.route("/sign-in", methods=["GET", "POST"])
@login_required
def sign_in():
    require_admin()
    if request.method == "GET":
        return _page()
    value = request.form.get("two_factor_required", "")
    try:
        changed = site_settings.change(
            current_user._get_current_object(), site_settings.TWO_FACTOR_REQUIRED, value
        )
    except Invalid as exc:
        errors = {"two_factor_required": exc.fields.get(site_settings.TWO_FACTOR_REQUIRED, "")}
        return _page(errors=errors, status=422)
    flash(_("Saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("admin.sign_in"), code=303)
