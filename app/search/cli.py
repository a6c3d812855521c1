"""`cergas search reindex`: rebuild the search index from the stored cards (after restoring a
backup made elsewhere, or when in doubt). Ordinary changes keep it current by themselves."""

import time

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.cli import _require_schema, _service_errors
from app.services import search_index

search_cli = AppGroup("search", help="Search across boards: the full-text index of cards.")


@search_cli.command("reindex")
@_service_errors
def reindex():
    """Rebuild the search index of every card."""
    _require_schema()
    started = time.monotonic()
    count = search_index.reindex()
    click.echo(
        _(
            "Search index rebuilt: %(num)d cards in %(seconds).1f s.",
            num=count,
            seconds=time.monotonic() - started,
        )
    )
