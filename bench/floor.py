"""The framework floor: a trivial Flask route served exactly like Cergas (same gunicorn config).

gunicorn -c deploy/gunicorn.conf.py bench.floor:app
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "ok"
