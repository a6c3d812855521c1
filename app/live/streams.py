"""How many live streams may be open at once, and ending one early.

A stream holds one of the worker's threads for as long as its page is open (gthread workers,
deploy/gunicorn.conf.py), so streams must never take every thread: `/login`, `/healthz` and the
board pages themselves need some. Two limits keep that true whatever a client does:

- **per worker** (`LIVE_STREAMS_PER_WORKER`; by default three quarters of the worker's threads,
  leaving at least 4 to ordinary requests): one stream more is refused with 503 and
  `Retry-After`, and the page tries again later (the htmx sse extension waits longer after
  each refusal). Streams that were told to end but have not yet count until they have; the one
  exception is a person at their own limit, whose new page takes the place of their oldest
  (one thread more for the milliseconds the oldest takes to end, and only when none of their
  earlier superseded streams is still there).
- **per person** (`LIVE_STREAMS_PER_USER`, 4): a person's newest page wins. Opening one stream
  more ends their oldest with a `closed` event (`superseded`): that page stays quiet until it is
  shown again (app/static/live.js), instead of reconnecting at once and ending another. Someone
  whose ended streams do not go away (a client that stopped reading) is refused with 429 beyond
  twice the limit. With Redis the limit counts the person's streams on every worker and host
  (a sorted set per person; `closed` travels as a control message); without it, per worker.
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

PER_USER = 4
# Threads a worker keeps for ordinary requests at least, and the share streams may take.
RESERVED_THREADS = 4
STREAM_SHARE = 0.75
# Without a thread count from gunicorn (`cergas run`, tests): as for gunicorn's default 256.
DEFAULT_THREADS = 256

# The "board" of a bell stream (app/live/views.py): it counts against the worker's
# limit with the board streams, and against a per-person limit of its own.
BELL = 0

# Why a stream was ended early: the page's `closed` event says which.
SUPERSEDED = "superseded"
ENDED = "ended"
# The worker is stopping: the stream ends without `closed`, so the page reconnects elsewhere.
SHUTDOWN = "shutdown"


def per_worker_limit(config) -> int:
    """LIVE_STREAMS_PER_WORKER, else a share of the worker's threads (LIVE_WORKER_THREADS, set by
    deploy/gunicorn.conf.py) that leaves RESERVED_THREADS to ordinary requests."""
    explicit = config.get("LIVE_STREAMS_PER_WORKER")
    if explicit:
        return int(explicit)
    threads = int(config.get("LIVE_WORKER_THREADS") or DEFAULT_THREADS)
    return max(1, min(int(threads * STREAM_SHARE), threads - RESERVED_THREADS))


class StreamRefused(Exception):
    """No stream now: 503 (the worker is full) or 429 (this person has too many)."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


@dataclass(eq=False)
class OpenStream:
    user_id: int
    board_id: int
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    opened: float = field(default_factory=time.time)
    stop_reason: str | None = None
    _wake: object = None

    def stop(self, reason: str) -> None:
        """Ask the stream to end at once (it sends `closed` with the reason)."""
        if self.stop_reason is None:
            self.stop_reason = reason
            wake = self._wake
            if wake is not None:
                wake()

    def on_stop(self, wake) -> None:
        """`wake()` interrupts the stream's wait for messages."""
        self._wake = wake
        if self.stop_reason is not None:
            wake()


class StreamRegistry:
    """The open streams of this process, oldest first."""

    def __init__(self):
        self._lock = threading.Lock()
        self._streams: list[OpenStream] = []

    def open(self, user_id: int, board_id: int, *, per_user: int, per_worker: int) -> OpenStream:
        with self._lock:
            # The bell's streams (board 0: app/live/views.py `bell_stream`) and the board
            # pages' streams are limited per person apart: every page has a bell.
            mine = [
                s
                for s in self._streams
                if s.user_id == user_id and (s.board_id == BELL) == (board_id == BELL)
            ]
            if len(mine) >= 2 * per_user:
                raise StreamRefused(429)
            running = [s for s in mine if s.stop_reason is None]
            superseded = running[: max(0, len(running) + 1 - per_user)]
            # On a full worker a person's newest page may still take the place of their oldest
            # (for the milliseconds that one takes to end), unless an earlier one has not ended.
            swap = bool(superseded) and len(running) == len(mine)
            if len(self._streams) - (1 if swap else 0) >= per_worker:
                raise StreamRefused(503)
            for old in superseded:
                old.stop(SUPERSEDED)
            stream = OpenStream(user_id, board_id)
            self._streams.append(stream)
            return stream

    def close(self, stream: OpenStream) -> None:
        with self._lock:
            if stream in self._streams:
                self._streams.remove(stream)

    def stop(self, tokens, reason: str) -> None:
        """End the streams of this process among `tokens` (a control message from any process)."""
        wanted = set(tokens)
        with self._lock:
            found = [s for s in self._streams if s.token in wanted]
        for stream in found:
            stream.stop(reason)

    def control(self, message: dict) -> None:
        """A control message from any process: `{"stop": [tokens], "reason": ...}`."""
        tokens = message.get("stop")
        if isinstance(tokens, list):
            reason = str(message.get("reason") or ENDED)
            self.stop([t for t in tokens if isinstance(t, str)], reason)

    def stop_all(self, reason: str) -> None:
        with self._lock:
            found = list(self._streams)
        for stream in found:
            stream.stop(reason)

    def count(self, user_id: int | None = None) -> int:
        with self._lock:
            return sum(1 for s in self._streams if user_id is None or s.user_id == user_id)


class SharedUserLimit:
    """The per-person limit across processes and hosts, in Redis: one sorted set per person of
    their open streams by opening time. Entries of a crashed worker vanish on their own: a stream
    never lives longer than `lifetime`."""

    def __init__(self, broker, lifetime: float):
        self.broker = broker
        self.redis = broker.redis
        self.lifetime = lifetime

    def _key(self, user_id: int) -> str:
        return f"{self.broker.prefix}:live:streams:{user_id}"

    def admit(self, stream: OpenStream, per_user: int) -> None:
        """Count `stream`; end this person's oldest streams elsewhere beyond the limit."""
        key = self._key(stream.user_id)
        try:
            pipe = self.redis.pipeline()
            pipe.zremrangebyscore(key, "-inf", stream.opened - self.lifetime - 60)
            pipe.zadd(key, {stream.token: stream.opened})
            pipe.expire(key, int(self.lifetime) + 60)
            pipe.zrange(key, 0, -1)
            tokens = [t.decode() if isinstance(t, bytes) else t for t in pipe.execute()[-1]]
            older = [t for t in tokens if t != stream.token][: max(0, len(tokens) - per_user)]
            if older:
                self.redis.zrem(key, *older)
                self.broker.publish_control({"stop": older, "reason": SUPERSEDED})
        except Exception as exc:  # noqa: BLE001  (Redis trouble: the per-worker limit still holds)
            log.warning("live streams: could not count a stream in Redis (%s)", exc)

    def release(self, stream: OpenStream) -> None:
        try:
            self.redis.zrem(self._key(stream.user_id), stream.token)
        except Exception as exc:  # noqa: BLE001
            log.warning("live streams: could not forget a stream in Redis (%s)", exc)


_create_lock = threading.Lock()


def registry(app) -> StreamRegistry:
    """The registry of the app's broker: a new broker (tests replace it) starts with no streams."""
    broker = app.extensions["cergas_broker"]
    streams = getattr(broker, "live_streams", None)
    if streams is None:
        with _create_lock:
            streams = getattr(broker, "live_streams", None)
            if streams is None:
                streams = StreamRegistry()
                broker.on_control(streams.control)
                broker.live_streams = streams
    return streams


def end_all(app) -> None:
    """End every open stream of this process at once (a quick stop of the worker): without this
    the process waits for each stream to notice its client went away."""
    broker = app.extensions.get("cergas_broker")
    streams = getattr(broker, "live_streams", None)
    if streams is not None:
        streams.stop_all(SHUTDOWN)
