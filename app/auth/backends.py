"""Sign-in methods added by plugins (`cergas_auth_backends`): a regional employee-number-and-PIN
check, a button to the province's own single sign-on, and the like.

A plugin proves "this is person X" and nothing more; everything after that is the core's, the
same as for passwords (app/auth/flow.py): the second factor, the login session, the sign-in log,
and the rate limits. A form backend's `verify` runs under `ratelimit.counted`, so wrong values
are slowed down like wrong passwords; a button backend's `start` sends the browser to the
regional service, whose answer the plugin's own blueprint checks before calling `sign_in_as`.

The backends are collected once, when the plugins are loaded (`collect`); a second backend with
a name already taken (by the core or another plugin) is refused there, with a warning shown
with the plugin's other warnings (`cergas plugins`, /admin/plugins)."""

import logging
import re
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from flask import (
    abort,
    current_app,
    has_request_context,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from app.auth import bp, flow
from app.home.templating import safe_next
from app.services import accounts, ratelimit, signin
from app.services.errors import TooManyAttempts, Unauthorized

log = logging.getLogger("cergas.auth")

NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
CORE_METHODS = (
    signin.PASSWORD,
    signin.LDAP,
    signin.OIDC,
    signin.TOTP,
    signin.RECOVERY_CODE,
    signin.API_TOKEN,
)
FIELD_KINDS = ("text", "password")


@dataclass(frozen=True)
class AuthField:
    """One field of a form backend. `kind` is `text` or `password` (never shown again, never
    logged); `autocomplete` is the HTML attribute (e.g. `username`, `current-password`, `off`)."""

    name: str
    label: str
    kind: str = "text"
    autocomplete: str = "off"

    def __post_init__(self):
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FIELD_KINDS)}, not {self.kind!r}")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", self.name):
            raise ValueError(f"field name {self.name!r}: lower-case letters, digits, _")


@dataclass(frozen=True)
class AuthBackend:
    """A sign-in method offered by a plugin (`cergas_auth_backends`). `name` (lower-case, at
    most 40 characters) is recorded in login sessions and the sign-in log; `label` is the
    button's or form's title and `description` a line under it, both seen by people.

    Either a form: `fields` (a tuple of `AuthField`) and `verify(values) -> login | None`,
    which gets the submitted values by field name and returns the NIP or username of the person
    they prove, or None when they are wrong. Or a button: `start(next_path) -> response` (e.g.
    a redirect to the regional service); the plugin's blueprint handles the way back and calls
    `sign_in_as(login, method=name, next_path=...)`."""

    name: str
    label: str
    description: str = ""
    fields: tuple[AuthField, ...] = ()
    verify: Callable[[Mapping[str, str]], str | None] | None = None
    start: Callable[[str | None], object] | None = None

    def __post_init__(self):
        if not NAME.fullmatch(self.name or ""):
            raise ValueError(
                f"backend name {self.name!r}: 1 to 40 lower-case letters, digits, - or _"
            )
        object.__setattr__(self, "fields", tuple(self.fields))
        is_form, is_button = self.verify is not None, self.start is not None
        if is_form == is_button:
            raise ValueError(f"backend {self.name}: give either verify (a form) or start")
        if is_form and not self.fields:
            raise ValueError(f"backend {self.name}: a form needs fields")
        if any(not isinstance(f, AuthField) for f in self.fields):
            raise ValueError(f"backend {self.name}: fields must be AuthField objects")

    @property
    def is_form(self) -> bool:
        return self.verify is not None


def collect(host) -> dict[str, tuple[str, AuthBackend]]:
    """name -> (plugin, backend) of every plugin's backends. A name already taken is refused,
    with a warning against the plugin that came second."""
    found: dict[str, tuple[str, AuthBackend]] = {}
    for plugin, backend in host._typed("cergas_auth_backends", AuthBackend):
        taken = backend.name in CORE_METHODS or backend.name in found
        if taken:
            owner = found[backend.name][0] if backend.name in found else "Cergas"
            line = f"cergas_auth_backends: sign-in method {backend.name!r} refused, {owner} has it"
            host.records[plugin].warnings.append(line)
            log.warning("plugin %s: %s", plugin, line)
            continue
        found[backend.name] = (plugin, backend)
    return found


def backends() -> dict[str, tuple[str, AuthBackend]]:
    host = current_app.extensions.get("cergas_plugins")
    return getattr(host, "auth_backends", {}) if host is not None else {}


@flow.option_source
def _plugin_options() -> list[flow.SignInOption]:
    return [
        flow.SignInOption(
            name,
            str(backend.label),
            url_for("auth.login_with", name=name, next=_next()),
            str(backend.description or ""),
        )
        for name, (_plugin, backend) in backends().items()
    ]


def _next() -> str | None:
    return safe_next(request.values.get("next"))


def _page(backend: AuthBackend, *, error: str | None = None, values=None, status=200, headers=None):
    page = render_template(
        "auth/login_with.html",
        backend=backend,
        next_path=_next(),
        error=error,
        values=values or {},
    )
    return page, status, headers or {}


def _scrub(text: str, values: Mapping[str, str]) -> str:
    """`text` without any submitted value in it (a plugin may echo them in its exception)."""
    for value in sorted(values.values(), key=len, reverse=True):
        if len(value) >= 3:
            text = text.replace(value, "[redacted]")
    return text


def _plugin_failed(plugin: str, backend: AuthBackend, exc: Exception, values) -> None:
    host = current_app.extensions["cergas_plugins"]
    record = host.records.get(plugin)
    summary = _scrub(f"sign-in method {backend.name}: {exc!r}", values)
    if record is not None:
        host._note_error(record, summary)
    log.error(
        "plugin %s: sign-in method %s failed\n%s",
        plugin,
        backend.name,
        _scrub("".join(traceback.format_exception(exc)), values),
    )


class _PluginFailed(Unauthorized):
    """The plugin's check raised: counted as a failure, answered with its own message."""


@bp.route("/login/with/<string(maxlength=40):name>", methods=["GET", "POST"])
def login_with(name: str):
    found = backends().get(name)
    if found is None:
        abort(404)
    plugin, backend = found
    if not backend.is_form:
        response = _start(plugin, backend)
        if response is not None:
            return response
        return _page(backend, error=_failure_message(), status=502)
    if request.method == "GET":
        return _page(backend)
    values = {f.name: str(request.form.get(f.name, ""))[:200] for f in backend.fields}
    visible = {f.name: values[f.name] for f in backend.fields if f.kind == "text"}
    typed = next(iter(visible.values()), "").strip()
    address, browser = flow.client()

    def check() -> str:
        try:
            proved = backend.verify(MappingProxyType(dict(values)))
        except Exception as exc:  # noqa: BLE001 - a plugin's failure is a failed sign-in
            _plugin_failed(plugin, backend, exc, values)
            raise _PluginFailed("sign_in_failed", _failure_message()) from None
        if not isinstance(proved, str) or not proved.strip():
            raise Unauthorized("invalid_credentials", _("These details are not correct."))
        return proved.strip()

    try:
        proved = ratelimit.counted(address, f"{name}:{typed.lower()}", None, check)
    except (Unauthorized, TooManyAttempts) as exc:
        if isinstance(exc, TooManyAttempts):
            outcome = "too_many_attempts"
        else:  # the plugin's own failure is no proof of a wrong guess: "refused"
            outcome = "refused" if isinstance(exc, _PluginFailed) else "wrong_credentials"
        signin.record(
            name,
            outcome,
            login=typed,
            address=address,
            user_agent=browser,
        )
        retry = getattr(exc, "retry_after", None)
        status = 502 if isinstance(exc, _PluginFailed) else exc.status
        headers = {"Retry-After": str(retry)} if retry else {}
        return _page(backend, error=exc.message, values=visible, status=status, headers=headers)
    return sign_in_as(proved, method=name, next_path=_next())


def _failure_message() -> str:
    return _("This sign-in method is not working right now. Try again later or use another way.")


def _start(plugin: str, backend: AuthBackend):
    try:
        return make_response(backend.start(_next()))
    except Exception as exc:  # noqa: BLE001 - shown as a clear error, never a 500
        _plugin_failed(plugin, backend, exc, {})
        return None


def sign_in_as(login: str, *, method: str, next_path: str | None = None):
    """End a plugin's sign-in: the person with this NIP or username has proved who they are by
    `method` (a backend's name). Returns the response to send: the second-factor step when
    due, else the signed-in redirect to `next_path`; for an unknown or inactive person, the
    login page with a refusal (and a line in the sign-in log). Only inside a request."""
    if not has_request_context():
        raise RuntimeError("sign_in_as works only while answering a request")
    found = backends().get(method)
    if found is None:
        raise ValueError(f"{method!r} is not a sign-in method of a loaded plugin")
    address, browser = flow.client()
    login = login.strip()[:200] if isinstance(login, str) else ""
    user = accounts.find_login(login)
    if user is None or not user.active:
        outcome = "unknown_person" if user is None else "refused"
        signin.record(method, outcome, user=user, login=login, address=address, user_agent=browser)
        log.warning("sign-in by %s refused: %s", method, outcome)
        message = _(
            "You proved who you are, but there is no active Cergas account for you. Ask your "
            "administrator."
        )
        return make_response(_page(found[1], error=message, status=403))
    return flow.finish(user, method, next_path=safe_next(next_path), login=login)
