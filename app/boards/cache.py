"""The rendered columns of unfiltered board pages, shared by every viewer in this process.

Rendering a 500-card board takes about 30 ms of CPU; serving it from here takes a lookup. An
entry is keyed by everything the columns show that can change:

- the board's newest event id: every service write records an event, in any process or host;
- the board's live message number (`app.services.live`), which also counts changes that record
  no event (plugins call `live.refresh_board` when the data behind a badge changes);
- the language and today's date in the board's time zone (overdue and due-today colours);

and lives at most `BOARD_CACHE_SECONDS` (default 30; 0 switches the cache off), which bounds
what no key sees: badges that depend on the clock (SLA countdowns), a renamed person, a change
made straight in the database. Filtered pages and pages with form errors are rendered per
request. The add-card forms carry each viewer's own CSRF token: the cached HTML holds a random
marker in its place, replaced per response.
"""

import secrets
import threading
import time
from collections import OrderedDict

from flask import current_app

DEFAULT_SECONDS = 30
# Bytes of HTML kept per process (a 500-card board's columns are about 200 KB).
DEFAULT_BYTES = 8 * 1024 * 1024


class ColumnsCache:
    def __init__(self, seconds: float, max_bytes: int):
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.marker = secrets.token_hex(16)
        self.lock = threading.Lock()
        self.items: OrderedDict = OrderedDict()  # key -> (expires, html, extra)
        self.size = 0
        self.rendering: dict = {}  # key -> lock held by the request rendering it

    def get_or_render(self, key, render):
        """(html, extra) for the key; on a miss one request renders (`render()` returns the
        pair) while the others asking for the same key wait for it instead of rendering too."""
        hit = self.get(key)
        if hit is not None:
            return hit
        with self.lock:
            turn = self.rendering.setdefault(key, threading.Lock())
        try:
            with turn:
                hit = self.get(key)
                if hit is None:
                    hit = render()
                    self.put(key, *hit)
        finally:
            with self.lock:
                if self.rendering.get(key) is turn:
                    del self.rendering[key]
        return hit

    def get(self, key):
        with self.lock:
            item = self.items.get(key)
            if item is None:
                return None
            if item[0] <= time.monotonic():
                self._drop(key)
                return None
            self.items.move_to_end(key)
            return item[1], item[2]

    def put(self, key, html: str, extra) -> None:
        if len(html) > self.max_bytes:
            return
        with self.lock:
            if key in self.items:
                self._drop(key)
            self.items[key] = (time.monotonic() + self.seconds, html, extra)
            self.size += len(html)
            while self.size > self.max_bytes:
                self._drop(next(iter(self.items)))

    def _drop(self, key) -> None:
        self.size -= len(self.items.pop(key)[1])

    def unbind(self, html: str, token: str | None) -> str:
        """The HTML without the renderer's CSRF token (the marker in its place)."""
        return html.replace(token, self.marker) if token else html

    def bind(self, html: str, token: str | None) -> str:
        """The HTML with this viewer's CSRF token."""
        return html.replace(self.marker, token) if token else html


def columns_cache() -> ColumnsCache | None:
    """This app's cache in this process; None when switched off."""
    app = current_app._get_current_object()
    seconds = app.config.get("BOARD_CACHE_SECONDS", DEFAULT_SECONDS)
    if not seconds:
        return None
    cache = app.extensions.get("cergas_columns_cache")
    if cache is None:
        cache = app.extensions.setdefault(
            "cergas_columns_cache",
            ColumnsCache(seconds, app.config.get("BOARD_CACHE_BYTES", DEFAULT_BYTES)),
        )
    return cache
