"""The `cergas` command: Flask's CLI bound to the app, plus Cergas' own commands."""

import click
from flask.cli import FlaskGroup


def init_app(app):
    pass


def _create_app():
    from app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """Cergas: a work board for Indonesian regional government units."""
