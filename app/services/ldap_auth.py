"""Signing in with the password of an LDAP directory or Active Directory (LDAP_URL and the
other LDAP_* settings, app/config.py; docs/deploy.md).

Search, then bind: Cergas binds as the service account (LDAP_BIND_DN), searches the base DN for
the one entry the filter finds with the typed login (escaped, so `*)(uid=*` matches nobody),
then binds as that entry with the typed password. Zero or several entries, or a refused bind,
are "wrong NIP/username or password", like a wrong local password. The entry's attributes give
the NIP, name, email and unit code; the person in Cergas is found by NIP, then by username.

The password form tries, in this order (`password_or_directory`):
1. the local password, for an account that has one (so the administrator, and anyone the office
   keeps local, can sign in while the directory is down);
2. the directory, when LDAP is configured.
Both are one attempt, counted once by the rate limits (app/services/ratelimit.py).

A directory that cannot be reached (down, timeout, a certificate that does not verify against
LDAP_CA_FILE) is said so on the login page, not "wrong password", and logged without the
password. An empty password is refused before any bind: a bind with a DN and no password is
an unauthenticated bind, which many servers accept as anonymous."""

import logging
import ssl
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Unit, User
from app.services import access, accounts, admin_log, people, person_fields, signin, units
from app.services.errors import Invalid, Unauthorized
from app.services.tx import write_transaction

log = logging.getLogger(__name__)

# ldap3 is imported where it is used: most offices do not configure LDAP, and every process
# signs someone in (the import costs a tenth of a second).


class DirectoryUnavailable(Unauthorized):
    """The directory did not answer (or its certificate did not verify): nobody's fault at the
    login form, but counted as a failed attempt all the same, so that a directory outage does
    not lift the limits on guessing local passwords."""

    status = 503
    sign_in_method = signin.LDAP
    sign_in_outcome = "refused"

    def __init__(self):
        super().__init__(
            "directory_unavailable",
            _(
                "The directory (LDAP) cannot be reached, so your password cannot be checked. "
                "Try again in a few minutes; if it persists, tell the administrator."
            ),
        )


class UnknownPerson(Unauthorized):
    """The directory knows the person, Cergas does not (and may not add them)."""

    status = 403
    sign_in_method = signin.LDAP
    sign_in_outcome = "unknown_person"

    def __init__(self, message: str | None = None):
        super().__init__(
            "unknown_person",
            message
            or _(
                "Your directory password is right, but you have no account in Cergas yet. "
                "Ask your unit's head or the administrator to add you."
            ),
        )


@dataclass(frozen=True)
class DirectoryEntry:
    """What the directory says about the person who just proved their password."""

    dn: str
    nip: str | None
    name: str
    email: str | None
    unit_code: str | None


def enabled() -> bool:
    return bool(current_app.config.get("LDAP_URL"))


def user_filter(template: str, login: str) -> str:
    """The search filter for a typed login: every `{login}` in the template replaced by the
    login with the filter's special characters escaped (RFC 4515)."""
    from ldap3.utils.conv import escape_filter_chars

    return template.replace("{login}", escape_filter_chars(login))


def _server():
    from ldap3 import NONE, Server, Tls

    config = current_app.config
    url = config["LDAP_URL"]
    # The certificate is always verified (against LDAP_CA_FILE, else the system's CAs), with
    # its name checked against the URL's host.
    tls = Tls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_file=config.get("LDAP_CA_FILE") or None,
        version=ssl.PROTOCOL_TLS_CLIENT,
    )
    return Server(
        url,
        use_ssl=url.lower().startswith("ldaps://"),
        tls=tls,
        get_info=NONE,
        connect_timeout=int(config.get("LDAP_TIMEOUT") or 5),
    )


def _connect(server, dn: str, password: str):
    """A connection bound as `dn` (StartTLS first when configured), or None when the directory
    refuses the credentials. LDAPException (the network, TLS) goes to the caller."""
    from ldap3 import Connection
    from ldap3.core.exceptions import LDAPException

    timeout = int(current_app.config.get("LDAP_TIMEOUT") or 5)
    connection = Connection(
        server,
        user=dn,
        password=password,
        receive_timeout=timeout,
        raise_exceptions=False,
        # A referral must not carry the password to another server (Active Directory answers
        # searches at the domain's root with some).
        auto_referrals=False,
    )
    try:
        connection.open()
        if current_app.config.get("LDAP_START_TLS") and not connection.start_tls():
            raise LDAPException(f"StartTLS refused: {connection.result.get('description')}")
    except LDAPException:
        connection.unbind()  # closes the socket a failed TLS handshake leaves open
        raise
    if not connection.bind():
        connection.unbind()
        return None
    return connection


def _first(attributes: dict, name: str) -> str | None:
    if not name:
        return None
    value = attributes.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = str(value).strip() if value is not None else ""
    return value or None


def find_and_bind(login: str, password: str) -> DirectoryEntry:
    """The directory entry `login` names, once `password` is proved to be its password;
    `wrong_credentials` otherwise, DirectoryUnavailable when the directory cannot be asked."""
    if not isinstance(password, str) or not password:
        raise accounts.wrong_credentials()
    from ldap3 import SUBTREE
    from ldap3.core.exceptions import LDAPException

    config = current_app.config
    mapped = [config.get(key) for key in ("LDAP_ATTR_NIP", "LDAP_ATTR_NAME", "LDAP_ATTR_EMAIL")]
    mapped.append(config.get("LDAP_ATTR_UNIT"))
    try:
        server = _server()
        service = _connect(server, config["LDAP_BIND_DN"], config["LDAP_BIND_PASSWORD"])
        if service is None:
            log.error("LDAP: the service account %s was refused", config["LDAP_BIND_DN"])
            raise DirectoryUnavailable()
        try:
            service.search(
                config["LDAP_BASE_DN"],
                user_filter(config["LDAP_USER_FILTER"], login),
                search_scope=SUBTREE,
                attributes=[name for name in mapped if name],
                size_limit=2,
            )
            found = [row for row in service.response or () if row.get("type") == "searchResEntry"]
            result = service.result.get("description")
        finally:
            service.unbind()
        if result not in ("success", "sizeLimitExceeded"):
            log.error("LDAP: the search failed (%s)", result)
            raise DirectoryUnavailable()
        if len(found) != 1:
            if len(found) > 1:
                log.warning("LDAP: the login %r matches several entries; refused", login)
            raise accounts.wrong_credentials()
        entry = found[0]
        own = _connect(server, entry["dn"], password)
        if own is None:
            raise accounts.wrong_credentials()
        own.unbind()
    except LDAPException as exc:
        # The exception names the server and the failure (refused, timeout, certificate), never
        # the password.
        log.error("LDAP: the directory cannot be reached: %s: %s", type(exc).__name__, exc)
        raise DirectoryUnavailable() from None
    attributes = entry.get("attributes") or {}
    return DirectoryEntry(
        dn=entry["dn"],
        nip=_first(attributes, config.get("LDAP_ATTR_NIP")),
        name=_first(attributes, config.get("LDAP_ATTR_NAME")) or login,
        email=_first(attributes, config.get("LDAP_ATTR_EMAIL")),
        unit_code=_first(attributes, config.get("LDAP_ATTR_UNIT")),
    )


def find_person(entry: DirectoryEntry, login: str) -> User | None:
    """The Cergas person of a directory entry: by its NIP, else the typed login as a username
    (only for an account with no NIP or the same one, so a directory entry can never sign in
    as a different civil servant)."""
    if entry.nip:
        user = db.session.scalar(select(User).where(User.nip == entry.nip))
        if user is not None:
            return user
    user = db.session.scalar(select(User).where(User.username == login.strip().lower()))
    if user is not None and user.nip not in (None, entry.nip):
        log.warning("LDAP: %s has a NIP other than its directory entry's; refused", user.login)
        return None
    return user


def directory_sign_in(login: str, password: str) -> User:
    """The active Cergas person who proved `password` against the directory: found, or added
    when LDAP_CREATE_USERS allows it, their details brought up to date when LDAP_SYNC asks."""
    entry = find_and_bind(login, password)
    user = find_person(entry, login)
    if user is None:
        if not current_app.config.get("LDAP_CREATE_USERS"):
            raise UnknownPerson()
        return create_person(entry, login)
    if not user.active:
        raise accounts.wrong_credentials()
    if current_app.config.get("LDAP_SYNC"):
        sync_person(user, entry)
    return user


def create_person(entry: DirectoryEntry, login: str) -> User:
    """A person the directory knows and Cergas did not, added as a member of the unit the
    directory names, without a local password (they sign in with the directory's)."""
    nip = entry.nip if _valid(person_fields.nip, entry.nip) else None
    username = None if nip else _valid(person_fields.username, login.strip().lower())
    unit_code = (entry.unit_code or "").strip()
    if not (nip or username) or not unit_code:
        log.warning("LDAP: %s cannot be added: no NIP/username or no unit", entry.dn)
        raise UnknownPerson(
            _(
                "Your directory password is right, but Cergas cannot add you by itself (your "
                "directory entry lacks a NIP or a unit). Ask the administrator to add you."
            )
        )
    try:
        with write_transaction():
            user = accounts.create_user(
                entry.name,
                None,
                nip=nip,
                username=username,
                unit_code=unit_code,
                role="member",
                email=_valid(person_fields.email, entry.email),
            )
            admin_log.record(
                "user.created_at_sign_in",
                None,
                "user",
                user,
                after=people.state(user),
                note=_("From the directory (LDAP)"),
            )
    except Invalid as exc:
        log.warning("LDAP: %s cannot be added: %s", entry.dn, exc.fields or exc.message)
        raise UnknownPerson(
            _(
                "Your directory password is right, but Cergas cannot add you by itself (your "
                "unit in the directory is not a unit of Cergas). Ask the administrator to add "
                "you."
            )
        ) from None
    access.forget_unit_tree()
    return user


def _valid(cleaner, value):
    """`value` cleaned, or None when it is empty or not acceptable."""
    try:
        return cleaner(value) if value else None
    except (person_fields.v.FieldError, Invalid):
        return None


def sync_person(user: User, entry: DirectoryEntry) -> None:
    """Bring the name and email up to date from the directory, and place a person who has no
    unit in the directory's unit; recorded in the administrative log when something changes.
    A person already in another unit is not moved: a transfer (*mutasi*) decides about their
    open cards, which is an administrator's business, so it is only logged here."""
    name = _valid(person_fields.name, entry.name)
    email = _valid(person_fields.email, entry.email)
    with write_transaction(keep=(user,)):
        person = db.session.get(User, user.id)
        before = people.state(person)
        if name and name != person.name:
            person.name = name
        if email and email != person.email:
            person.email = email
        member = people.membership_of(person)
        unit_code = (entry.unit_code or "").strip()
        if unit_code and member is None:
            unit = _active_unit(unit_code)
            if unit is not None:
                person.memberships.append(Membership(unit=unit, role="member"))
                db.session.flush()
        elif unit_code and member is not None and member.unit.code != unit_code:
            log.info("LDAP: %s is in unit %s in the directory", person.login, unit_code)
        old, new = admin_log.changed(before, people.state(person))
        if old or new:
            admin_log.record(
                "user.updated",
                None,
                "user",
                person,
                before=old,
                after=new,
                note=_("From the directory (LDAP) at sign-in"),
            )
    access.forget_unit_tree()


def _active_unit(code: str) -> Unit | None:
    try:
        return units.active_unit_by_code(code)
    except Invalid:  # an unknown or closed unit: nothing to place them in
        return None


def password_or_directory(user: User | None, login: str, password) -> tuple[User, str]:
    """The password form's check: (person, method) for the local password of an account that
    has one, else the directory's password when LDAP is configured; `wrong_credentials` (or
    the directory's own refusals) otherwise. One call is one attempt for the rate limits."""
    if not enabled():
        return accounts.check_password(user, password), signin.PASSWORD
    if user is not None and user.password_hash != person_fields.UNUSABLE_PASSWORD:
        try:
            return accounts.check_password(user, password), signin.PASSWORD
        except Unauthorized:
            pass
    if not isinstance(password, str) or not password:
        raise accounts.wrong_credentials()
    return directory_sign_in(login, password), signin.LDAP
