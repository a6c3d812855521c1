"""`cergas plugin new NAME`: write the folder of a new plugin package whose tests pass as
generated: `cergas-NAME/` with the module (one hook), setup.cfg and pyproject.toml (the
`cergas` entry point, the plugin API range it supports), a test using the test kit, a README.
The tutorial in docs/plugins.md starts from it.
"""

import json
import re
from importlib.metadata import entry_points
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
MAX_NAME = 40


class ScaffoldError(ValueError):
    """A name or a place the scaffold refuses; the message says why (translated)."""


def api_range() -> str:
    """The versions of the plugin API a new plugin supports: the current major version
    (`cergas.plugin.API_VERSION`), as a Requires-Dist on `cergas`."""
    from cergas.plugin import API_VERSION

    major = int(API_VERSION.split(".")[0])
    return f">={major}.0,<{major + 1}"


def built_in_names() -> set[str]:
    """The names of the plugins that ship with Cergas (a new one must not take them)."""
    return {
        ep.name
        for ep in entry_points(group="cergas")
        if ep.dist is not None and (ep.dist.metadata["Name"] or "").lower() == "cergas"
    }


def check_name(name) -> str:
    """The plugin's name when it can be one (lower-case letters, digits and single hyphens,
    starting with a letter, at most 40 characters, not a built-in plugin's), else ScaffoldError."""
    name = name.strip() if isinstance(name, str) else ""
    if not NAME.match(name) or len(name) > MAX_NAME:
        raise ScaffoldError(
            _(
                "A plugin name is lower-case letters, digits and single hyphens, starts with a "
                "letter and has at most %(max)d characters, e.g. nomor-surat.",
                max=MAX_NAME,
            )
        )
    if name == "cergas" or name.startswith("cergas-"):
        raise ScaffoldError(
            _("Leave out the cergas- prefix: the folder and the package get it already.")
        )
    if name in built_in_names():
        raise ScaffoldError(_("%(name)s is the name of a built-in plugin.", name=name))
    return name


def module_name(name: str) -> str:
    """The module of the plugin `name`: cergas_ and the name with underscores."""
    return "cergas_" + name.replace("-", "_")


def files(name: str, description: str | None = None) -> dict[str, str]:
    """path inside the package folder -> content, for the plugin `name` (already checked)."""
    module = module_name(name)
    title = name.replace("-", " ").capitalize()
    description = (description or f"Cergas plugin: {title}").strip().replace("\n", " ")
    return {
        "setup.cfg": SETUP_CFG.format(
            name=name, module=module, description=description, api=api_range()
        ),
        "pyproject.toml": PYPROJECT,
        f"{module}.py": MODULE.format(
            name=name,
            title=title,
            title_text=json.dumps(title, ensure_ascii=False),
            description_text=json.dumps(description, ensure_ascii=False),
            api_text=json.dumps(api_range()),
        ),
        f"tests/test_{module[len('cergas_') :]}.py": TEST.format(name=name, module=module),
        "README.md": README.format(name=name, module=module, title=title),
    }


def write_plugin(name, parent: Path, description: str | None = None) -> Path:
    """Write `cergas-NAME/` into `parent`; returns its path. Refuses a bad name, or a folder
    that exists already (nothing is overwritten)."""
    name = check_name(name)
    parent = Path(parent)
    if not parent.is_dir():
        raise ScaffoldError(_("%(path)s is not a folder.", path=parent))
    folder = parent / f"cergas-{name}"
    if folder.exists():
        raise ScaffoldError(
            _("%(path)s exists already: choose another name or move it away.", path=folder)
        )
    for path, content in files(name, description).items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    return folder


plugin_cli = AppGroup("plugin", help="Write a new plugin.")


@plugin_cli.command("new")
@click.argument("name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to write the cergas-NAME folder.",
)
@click.option("--description", help="One line for the package's description.")
def new_command(name, directory, description):
    """Write cergas-NAME/: a plugin package with one hook, a test using the test kit and a
    README, whose tests pass as written."""
    try:
        folder = write_plugin(name, directory, description)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(_("Plugin %(name)s written to %(path)s.", name=name.strip(), path=folder))
    click.echo(_("Next: pip install -e %(path)s, then python -m pytest %(path)s", path=folder))


SETUP_CFG = """\
[metadata]
name = cergas-{name}
version = 0.1.0
description = {description}
license = MIT

[options]
py_modules = {module}
python_requires = >=3.11
# The plugin API versions this plugin supports (cergas.plugin.API_VERSION): Cergas refuses
# to load it under another major version.
install_requires =
    cergas{api}

[options.extras_require]
test =
    pytest>=8

# The plugin's name in Cergas is the entry point's name: {name}.
[options.entry_points]
cergas =
    {name} = {module}
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=70.1"]
build-backend = "setuptools.build_meta"
"""

MODULE = '''\
"""{title}: a Cergas plugin.

Written by `cergas plugin new {name}`: it shows a badge on every card nobody has taken yet.
Replace that with your own rule; every hook, helper and fixture is in Cergas' docs/plugins.md.
"""

from cergas.plugin import Badge, PluginInfo, hookimpl

NAME = "{name}"  # the entry point name in setup.cfg; settings and data are stored under it

# Who the plugin is (shown instead of its name) and the plugin API versions it is written for:
# Cergas refuses to load it under another major version.
PLUGIN_INFO = PluginInfo(
    title={title_text},
    description={description_text},
    api_range={api_text},
)


@hookimpl
def cergas_card_badges(cards, board):
    return {{
        card.id: [
            Badge(
                "Belum ada penanggung jawab",
                "warning",
                title="Kartu ini belum diberikan kepada siapa pun.",
            )
        ]
        for card in cards
        if card.assignee_id is None
    }}
'''

TEST = '''\
"""The {name} plugin, tested with Cergas' test kit (cergas.testing): its fixtures come with
Cergas, no conftest.py needed."""

import pytest

import {module}


@pytest.fixture
def cergas_plugins():
    return {{{module}.NAME: {module}}}


def test_a_card_without_assignee_shows_the_badge(cergas_make, cergas_client, cergas_login):
    unit = cergas_make.unit("SETDA", "Sekretariat Daerah")
    clerk = cergas_make.user("Agus Pratama", unit=unit)
    board = cergas_make.board(unit, ["Draf", "Diproses", "Selesai"])
    cergas_make.card(board, "Surat undangan")
    cergas_make.card(board, "Laporan bulanan", assignee=clerk)
    cergas_login(cergas_client, clerk)

    page = cergas_client.get(f"/boards/{{board.id}}").get_data(as_text=True)

    assert page.count("Belum ada penanggung jawab") == 1
'''

README = """\
# cergas-{name}

{title}: a plugin for Cergas. Written by `cergas plugin new {name}`; it shows a badge on every
card nobody has taken yet, until you give it your own rule.

Install it next to Cergas (`-e`: your edits take effect when Cergas restarts), then see it in
`cergas plugins`:

    pip install -e cergas-{name}
    cergas plugins

Test it (the fixtures come with Cergas: `cergas_make`, `cergas_client`, `cergas_clock`,
`cergas_tick`, ...):

    python -m pytest cergas-{name}/tests

The plugin's name in Cergas is `{name}` (the entry point in `setup.cfg`); the hooks are in
`{module}.py`. Every hook, helper and fixture: `docs/plugins.md` in Cergas.
"""
