"""Single sign-on with an OpenID Connect provider (Keycloak, a regional SSO), with Authlib.

On when OIDC_ISSUER is set (app/config.py; a bad combination of settings stops the server at
start with the reason). The login page then shows a button (`flow.option_source`):

- `/login/sso` sends the browser to the provider: the authorization code flow with PKCE (S256),
  a fresh `state` and `nonce` kept in the session, the provider's endpoints and keys found by
  discovery (issuer + /.well-known/openid-configuration). `next` is kept for afterwards.
- `/login/sso/callback` takes the code back: Authlib checks the state (once: a replayed callback
  finds none), exchanges the code (with the PKCE verifier), and checks the ID token's signature
  against the provider's keys (JWKS), its issuer, audience, expiry and nonce (so an ID token
  from an earlier sign-in is refused). The person is then found by OIDC_MATCH_CLAIM
  (app/services/oidc.py) and the sign-in ends like every other (`flow.finish`): a person with
  an authenticator, or whom the office requires to have one, is still asked for Cergas' code,
  unless OIDC_TRUST_PROVIDER_MFA is on and the ID token says the provider asked for a second
  factor (`amr` with "mfa", "otp", "hwk", "swk" or "sms").

Every failure (a bad or replayed state, an error from the provider, a bad signature, a replayed
nonce, the provider unreachable) shows a page saying so, is written to the application log
(what went wrong, never the code, a token or the state) and the sign-in log, and counts against
the client address under the same limits as wrong passwords (`ratelimit.counted`). People the
provider vouches for but Cergas does not know, and inactive people, get a page saying whom to
ask, with the claim value (their NIP) to quote.

Logging out of a single sign-on session sends the browser to the provider's end-session
endpoint, when its metadata has one, with our client id and the login page to come back to.
The pages' Content-Security-Policy allows forms to lead to the issuer's origin for that (the
logout form's redirect), so the end-session endpoint must be on the issuer's origin, as it is
with Keycloak.
"""

import logging
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import current_app, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from joserfc.errors import JoseError

from app import security
from app.auth import bp, flow
from app.config import oidc_problem
from app.home.templating import safe_next
from app.services import oidc as oidc_service
from app.services import ratelimit, signin
from app.services.errors import TooManyAttempts, Unauthorized

NAME = "oidc"
NEXT = "sso_next"
# What `amr` (RFC 8176) says when the provider asked for more than a password.
SECOND_FACTOR_AMR = frozenset({"mfa", "otp", "hwk", "swk", "sms"})
TIMEOUT_SECONDS = 10

log = logging.getLogger("cergas.sso")


@bp.record_once
def _set_up(state) -> None:
    """Check the settings and make the app's OpenID Connect client (when OIDC_ISSUER is set)."""
    app = state.app
    problem = oidc_problem(app.config)
    if problem:
        raise SystemExit(f"Single sign-on: {problem}")
    if not app.config.get("OIDC_ISSUER"):
        return
    # Authlib writes the PKCE verifier to its debug log; keep its loggers above debug whatever
    # the root level is, so no verifier reaches a log file.
    logging.getLogger("authlib").setLevel(logging.INFO)
    issuer = app.config["OIDC_ISSUER"].rstrip("/")
    client_kwargs = {
        "scope": app.config["OIDC_SCOPES"],
        "code_challenge_method": "S256",
        "default_timeout": TIMEOUT_SECONDS,
    }
    if app.config.get("OIDC_CA_FILE"):
        client_kwargs["verify"] = app.config["OIDC_CA_FILE"]
    if not app.config.get("OIDC_CLIENT_SECRET"):
        client_kwargs["token_endpoint_auth_method"] = "none"
    _allow_logout_at(app, issuer)
    oauth = OAuth(app)
    app.extensions["cergas_oidc"] = oauth.register(
        NAME,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config.get("OIDC_CLIENT_SECRET") or None,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )


def _allow_logout_at(app, issuer: str) -> None:
    """Let pages send the browser on to the provider after the logout form (POST /logout
    answers with a redirect to the provider's end-session page): the policy's `form-action
    'self'` covers the redirects that follow a form too, so the provider's origin is added
    to it, and to nothing else."""
    parts = urlsplit(issuer)
    origin = f"{parts.scheme}://{parts.netloc}"

    @app.after_request
    def provider_logout_allowed(response):
        policy = response.headers.get("Content-Security-Policy", security.CSP)
        if "form-action 'self';" in policy:
            policy = policy.replace("form-action 'self';", f"form-action 'self' {origin};")
        response.headers["Content-Security-Policy"] = policy
        return response


def _client():
    return current_app.extensions.get("cergas_oidc")


def label() -> str:
    return current_app.config.get("OIDC_LABEL") or _("Sign in with SSO")


@flow.option_source
def _button() -> list[flow.SignInOption]:
    if _client() is None:
        return []
    next_path = safe_next(request.values.get("next"))
    return [flow.SignInOption(NAME, label(), url_for("auth.sso_start", next=next_path))]


@flow.logout_handler(signin.OIDC)
def _end_provider_session() -> str | None:
    """The provider's end-session URL (RP-initiated logout), coming back to the login page;
    None when single sign-on is off, the provider has none, or cannot be reached."""
    client = _client()
    if client is None:
        return None
    try:
        metadata = client.load_server_metadata()
        if not metadata.get("end_session_endpoint"):
            return None
        return client.create_logout_url(
            post_logout_redirect_uri=url_for("auth.login", _external=True),
            client_id=client.client_id,
        )["url"]
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        log.warning("Single sign-on: no provider logout (%s)", type(exc).__name__)
        return None


def problem_page(kind: str, status: int, value: str = ""):
    """The page for a sign-on that did not end in a session, in the reader's language."""
    claim = current_app.config.get("OIDC_MATCH_CLAIM")
    page = render_template(
        "auth/sso_problem.html",
        kind=kind,
        value=value,
        titles=TITLES,
        claim_name=CLAIM_NAMES.get(claim, CLAIM_NAMES["nip"]),
    )
    return page, status


@bp.get("/login/sso")
def sso_start():
    client = _client()
    if client is None:
        return problem_page("off", 404)
    session[NEXT] = safe_next(request.args.get("next"))
    try:
        metadata = client.load_server_metadata()
        if not _same_issuer(metadata.get("issuer")):
            # RFC 8414: a discovery document for another issuer is not this provider's.
            _log_failure(f"the discovery document names another issuer: {metadata.get('issuer')!r}")
            return problem_page("unreachable", 502)
        return client.authorize_redirect(url_for("auth.sso_callback", _external=True))
    except (requests.RequestException, ValueError, RuntimeError, KeyError) as exc:
        # Discovery failed: the provider is down, unreachable or not an OpenID Provider.
        _log_failure("provider unreachable", exc)
        return problem_page("unreachable", 502)


def _same_issuer(issuer) -> bool:
    return isinstance(issuer, str) and issuer.rstrip("/") == current_app.config[
        "OIDC_ISSUER"
    ].rstrip("/")


# Not a translated message: the Unauthorized raised inside the check carries only this code
# and is turned into the page below.
class _Failed(Unauthorized):
    def __init__(self, reason: str, status: int = 400):
        super().__init__("sso_failed", reason)
        self.page_status = status


def _log_failure(reason: str, exc: BaseException | None = None) -> None:
    """One line for the operator: what went wrong and Authlib's own words for it (an error code
    and description, e.g. "invalid_claim: Invalid claim 'nonce'"), never the query string."""
    detail = ""
    if exc is not None:
        error = getattr(exc, "error", None)
        description = getattr(exc, "description", None)
        detail = ": ".join(str(part) for part in (error, description) if part) or ""
        detail = f"{type(exc).__name__}" + (f" ({detail[:200]!r})" if detail else "")
    address, _browser = flow.client()
    log.warning("Single sign-on failed from %s: %s %s", address, reason, detail)


def _exchange() -> dict:
    """The code for tokens and the ID token's claims, every check done; _Failed otherwise."""
    client = _client()
    # RFC 9207: a provider that names itself in the answer must be ours (no mix-up).
    if "iss" in request.args and not _same_issuer(request.args["iss"]):
        _log_failure(f"the answer names another issuer: {request.args['iss'][:200]!r}")
        raise _Failed("refused")
    try:
        token = client.authorize_access_token()
    except AuthlibBaseError as exc:
        # The provider's error (access_denied...), a missing or replayed state, a refused code.
        _log_failure("refused by the provider or a bad state", exc)
        raise _Failed("refused") from None
    except JoseError as exc:
        # A bad signature, an unknown key, a wrong issuer or audience, expiry, a wrong nonce.
        _log_failure("ID token rejected", exc)
        raise _Failed("rejected") from None
    except requests.RequestException as exc:
        _log_failure("provider unreachable", exc)
        raise _Failed("unreachable", 502) from None
    except (ValueError, KeyError, TypeError, RuntimeError) as exc:
        # A malformed answer (not JSON, no keys...).
        _log_failure("malformed answer from the provider", exc)
        raise _Failed("rejected") from None
    claims = token.get("userinfo")
    if not claims:
        _log_failure("no ID token in the provider's answer")
        raise _Failed("rejected")
    return dict(claims)


@bp.get("/login/sso/callback")
def sso_callback():
    if _client() is None:
        return problem_page("off", 404)
    address, browser = flow.client()
    next_path = safe_next(session.get(NEXT))
    try:
        # Counted per client address: the login is the address itself, since until the checks
        # pass nobody is named.
        claims = ratelimit.counted(address, f"sso@{address}", None, _exchange)
    except TooManyAttempts as exc:
        signin.record(signin.OIDC, "too_many_attempts", address=address, user_agent=browser)
        page, status = problem_page("throttled", 429)
        return page, status, {"Retry-After": str(exc.retry_after or 60)}
    except _Failed as exc:
        signin.record(signin.OIDC, "wrong_credentials", address=address, user_agent=browser)
        return problem_page(exc.message, exc.page_status)
    session.pop(NEXT, None)
    claim = current_app.config["OIDC_MATCH_CLAIM"]
    match = oidc_service.find_person(claims, claim)
    user = match.user
    if user is None:
        user = oidc_service.create_at_sign_in(claims, claim)
    if user is None:
        signin.record(
            signin.OIDC, "unknown_person", login=match.value, address=address, user_agent=browser
        )
        return problem_page("unknown", 403, match.value)
    if not user.active:
        signin.record(signin.OIDC, "refused", user=user, address=address, user_agent=browser)
        return problem_page("inactive", 403, match.value)
    if current_app.config.get("OIDC_TRUST_PROVIDER_MFA") and _provider_mfa(claims):
        return flow.complete(
            user, signin.OIDC, next_path=next_path, two_factor=True, login=match.value
        )
    return flow.finish(user, signin.OIDC, next_path=next_path, login=match.value)


def _provider_mfa(claims: dict) -> bool:
    amr = claims.get("amr")
    return isinstance(amr, list) and bool(SECOND_FACTOR_AMR.intersection(map(str, amr)))


# The problem page's headings, by kind.
TITLES = {
    "off": _l("Single sign-on is not set up"),
    "unreachable": _l("The single sign-on service cannot be reached"),
    "refused": _l("Single sign-on did not finish"),
    "rejected": _l("Single sign-on did not finish"),
    "throttled": _l("Too many failed sign-ins"),
    "unknown": _l("Your SSO account is not known to Cergas"),
    "inactive": _l("Your Cergas account is deactivated"),
}

# How the "unknown" page names the claim people were looked up by.
CLAIM_NAMES = {
    "nip": _l("NIP"),
    "email": _l("email address"),
    "preferred_username": _l("NIP or username"),
}
