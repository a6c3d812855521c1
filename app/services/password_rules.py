"""What a new password must be: long enough (PASSWORD_MIN_LENGTH, at least 8), at most 200
characters, not the person's NIP, username or a part of their name, and not in the list of
common passwords shipped with Cergas (app/data: Django's 20,000 plus Indonesian ones). Every
path that sets a password (creating a person, changing one's own, a reset link, the CLI)
checks it here; comparisons ignore case and surrounding spaces."""

import gzip
import re
from functools import cache

from flask import current_app
from flask_babel import gettext as _

from app.paths import PACKAGE_DIR
from app.services import validation as v

MAX_LENGTH = 200
DATA_DIR = PACKAGE_DIR / "data"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped lists, lowercased, read once per process."""
    with gzip.open(DATA_DIR / "common-passwords.txt.gz", "rt", encoding="utf-8") as handle:
        words = {line.strip().lower() for line in handle}
    local = (DATA_DIR / "common-passwords-id.txt").read_text(encoding="utf-8")
    words |= {line.strip().lower() for line in local.splitlines() if not line.startswith("#")}
    words.discard("")
    return frozenset(words)


def min_length() -> int:
    return max(8, int(current_app.config.get("PASSWORD_MIN_LENGTH", 8)))


def personal_words(*, name=None, nip=None, username=None) -> set[str]:
    """What a person's password may not be: their NIP, username, each word of their name and
    each run of its words written together (spaces and punctuation dropped)."""
    words = {str(value).strip().lower() for value in (nip, username) if value}
    if name:
        parts = [part for part in re.split(r"[^\w]+", str(name).lower()) if part][:20]
        # Each word and each run of words written together ("hendrawijaya").
        words |= {
            "".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)
        }
    return {word for word in words if word}


def check(password, *, name=None, nip=None, username=None) -> str:
    """`password` when it may be used by this person; else FieldError saying why."""
    if not isinstance(password, str) or not password:
        raise v.FieldError(_("This field is required."))
    shortest = min_length()
    if len(password) < shortest:
        raise v.FieldError(_("A password has at least %(n)d characters.", n=shortest))
    if len(password) > MAX_LENGTH:
        raise v.FieldError(_("At most %(n)d characters.", n=MAX_LENGTH))
    folded = password.strip().lower()
    personal = personal_words(name=name, nip=nip, username=username)
    if folded in personal or re.sub(r"[\W_]+", "", folded) in personal:
        raise v.FieldError(_("A password may not be your NIP, username or name."))
    if folded in common_passwords():
        raise v.FieldError(
            _("This password is among the most common ones and easy to guess. Choose another.")
        )
    return password


def check_for(user, password) -> str:
    """`check` for an existing person."""
    return check(password, name=user.name, nip=user.nip, username=user.username)


def check_person(password, person: tuple) -> str:
    """`check` for a person being created: `person` is (name, nip, username)."""
    name, nip, username = person
    return check(password, name=name, nip=nip, username=username)
