"""What an Indonesian user reads: the translation of an English msgid, from the compiled catalog.

Pages are in Bahasa Indonesia by default, so web tests name the English source string (the msgid)
and compare the page with its Indonesian translation. The catalog is the same compiled .mo file
the app loads, so a reworded translation keeps the tests green while a missing one fails them.
"""

from functools import cache

from babel.support import Translations
from markupsafe import Markup

from app.paths import PACKAGE_DIR

TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
LOCALE = "id"


@cache
def catalog() -> Translations:
    translations = Translations.load(str(TRANSLATIONS_DIR), [LOCALE])
    if not isinstance(translations, Translations):
        raise AssertionError(
            f"no compiled {LOCALE!r} catalog under {TRANSLATIONS_DIR}; "
            "run `.venv/bin/pybabel compile -d app/translations`"
        )
    return translations


def t(msgid: str, **params) -> str:
    """The Indonesian text for `msgid` with `params` filled in, HTML-escaped as Jinja renders it.

    Fails when the catalog has no translation for `msgid` (missing or fuzzy) or the translation is
    the English text itself, so an assertion can never pass on an untranslated string.
    """
    translated = catalog().gettext(msgid)
    if translated == msgid:
        raise AssertionError(f"no Indonesian translation for msgid {msgid!r}")
    # Markup % params escapes the values too, as Jinja's autoescaped gettext does.
    text = Markup.escape(translated) % params if params else Markup.escape(translated)
    return str(text)
