"""WSGI entry point: `gunicorn wsgi:app`."""

from app import create_app
from app.services.setup import announce

app = create_app()
# On a database without an administrator, print a one-time code for /setup to the log.
announce(app)
