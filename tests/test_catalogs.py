"""The translation catalogs against the source: complete in Indonesian and English, not stale.

The source is extracted exactly as the catalogs are made (babel.cfg, the `_l`/`lazy_gettext`
keywords) into a temporary .pot; its msgids are then compared with app/translations. When one of
these fails, regenerate the catalogs:

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
    .venv/bin/pybabel update -i app/translations/messages.pot -d app/translations
    (translate the new Indonesian entries), then make catalogs
"""

import fnmatch
from configparser import ConfigParser
from functools import cache
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
LANGUAGES = ("id", "en")
# Where strings for the user live; every such file must be covered by a babel.cfg section.
SOURCES = {"python": ("app", "plugins"), "jinja2": ("templates", "plugins", "app")}
SUFFIX = {"python": ".py", "jinja2": ".html"}


@cache
def extracted(tmp_dir: Path) -> dict:
    pot = tmp_dir / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k"]
        + ["lazy_gettext", "--omit-header", "-o", str(pot), str(ROOT)]
    )
    with pot.open("rb") as handle:
        return {message.id: message for message in read_po(handle) if message.id}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return extracted(tmp_path_factory.mktemp("pot"))


def strings(value) -> tuple:
    """A msgstr as a tuple of forms (a plural message has several)."""
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def key(message_id) -> str:
    """A message's msgid; a plural message is keyed by its singular form."""
    return message_id[0] if isinstance(message_id, tuple | list) else message_id


def read_catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def catalog_ids(catalog) -> set[str]:
    return {key(message.id) for message in catalog if message.id}


def shown(ids) -> str:
    ids = sorted(ids)
    return (
        f"{len(ids)}: " + "; ".join(repr(i) for i in ids[:15]) + (" ..." if len(ids) > 15 else "")
    )


def test_the_source_scan_finds_python_template_and_plugin_strings(source):
    ids = {key(i) for i in source}
    assert "Board not found." in ids  # app/*.py
    assert "Skip to content" in ids  # templates/base.html
    assert "%(num)d unread notification" in ids  # ngettext in a template
    assert len(ids) > 250


def test_babel_cfg_covers_every_file_that_can_hold_user_strings():
    config = ConfigParser()
    config.read(ROOT / "babel.cfg")
    patterns = {method: [] for method in SOURCES}
    for section in config.sections():
        method, _sep, pattern = section.partition(":")
        if method.strip() in patterns:
            patterns[method.strip()].append(pattern.strip().replace("**", "*"))
    uncovered = []
    for method, folders in SOURCES.items():
        for folder in folders:
            for path in (ROOT / folder).rglob(f"*{SUFFIX[method]}"):
                relative = path.relative_to(ROOT).as_posix()
                if "__pycache__" in relative:
                    continue
                if not any(fnmatch.fnmatch(relative, p) for p in patterns[method]):
                    uncovered.append(relative)
    assert not uncovered, f"babel.cfg extracts nothing from {shown(uncovered)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_source_message_is_in_the_catalog(source, language):
    catalog = read_catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    missing = {key(i) for i in source} - catalog_ids(catalog)
    assert not missing, f"missing from the {language} catalog, {shown(missing)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_holds_no_message_the_source_no_longer_has(source, language):
    catalog = read_catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    stale = catalog_ids(catalog) - {key(i) for i in source}
    assert not stale, f"stale in the {language} catalog (gone from the source), {shown(stale)}"


def test_the_template_pot_matches_the_source(source):
    pot = read_catalog(TRANSLATIONS / "messages.pot")
    ids = {key(i) for i in source}
    assert catalog_ids(pot) == ids, (
        f"messages.pot lacks {shown(ids - catalog_ids(pot))}; "
        f"has gone {shown(catalog_ids(pot) - ids)}"
    )


def test_every_indonesian_entry_is_translated_with_the_same_placeholders():
    catalog = read_catalog(TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po")
    untranslated = [key(m.id) for m in catalog if m.id and not all(strings(m.string))]
    assert not untranslated, f"untranslated in Indonesian, {shown(untranslated)}"
    # Babel's checkers: the same %(name)s placeholders, the right number of plural forms.
    problems = [f"{key(m.id)!r}: {errors}" for m, errors in catalog.check() if errors]
    assert not problems, problems[:10]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_entry_is_left_fuzzy(language):
    """A fuzzy entry is a guess pybabel made from a similar string; the app ignores it, so the
    page falls back to English, and the guess is often wrong (another message's words)."""
    catalog = read_catalog(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po")
    fuzzy = [key(m.id) for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy (unchecked) in the {language} catalog, {shown(fuzzy)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_as_new_as_the_po_file(language):
    """The app reads the .mo file: one compiled from an older .po shows stale text."""
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    if not (folder / "messages.mo").exists():
        pytest.skip(f"{language} catalog not compiled (make catalogs)")
    with (folder / "messages.mo").open("rb") as handle:
        compiled = {key(m.id): strings(m.string) for m in read_mo(handle) if m.id}
    po = read_catalog(folder / "messages.po")
    # pybabel compile leaves fuzzy entries out.
    written = {key(m.id): strings(m.string) for m in po if m.id and not m.fuzzy}
    written = {k: v for k, v in written.items() if all(v)}
    differ = sorted(k for k, v in written.items() if compiled.get(k) != v)
    assert not differ, f"the .mo file is stale (run `make catalogs`), {shown(differ)}"
