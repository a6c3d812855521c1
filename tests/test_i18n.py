"""Every user-facing string has an Indonesian translation, and the language really switches."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def source_messages() -> set[str]:
    found = set()
    for folder, method in (("app", "python"), ("plugins", "python"), ("templates", "jinja2")):
        if not (ROOT / folder).is_dir():
            continue
        pattern = "**.html" if method == "jinja2" else "**.py"
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[(pattern, method)], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_code_has_an_indonesian_translation():
    with open(ROOT / "app/translations/id/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    missing = sorted(
        msgid
        for msgid in source_messages()
        if not (catalog.get(msgid) and catalog.get(msgid).string and not catalog.get(msgid).fuzzy)
    )
    assert not missing, f"{len(missing)} messages lack an Indonesian translation: {missing[:10]}"


def test_source_scan_finds_the_known_strings():
    messages = source_messages()
    assert "Board not found." in messages
    assert "Column %(column)s is full: WIP limit %(limit)d" in messages
