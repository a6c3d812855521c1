"""Live-update brokers: how a board change reaches every open board page.

A message is a small dict about one board (`{"board": id, "seq": n, "columns": [...], ...}`);
the page stream (`app/live`) renders the changed columns itself. Each board has a sequence
number that grows with every message, so a page that missed messages (a dropped connection,
a full queue, a broker outage) can tell and reload its columns.

- `LocalBroker`: one process. Serves `cergas run` and gunicorn with a single worker.
- `RedisBroker` (when `REDIS_URL` is set): messages travel by Redis pub/sub, so a change made in
  one worker process or host reaches pages connected to any other. Sequence numbers are Redis
  counters shared by every process. One listener thread per process receives every board's
  messages (one pattern subscription, and the control channel) and fans them out to the local
  subscribers, so 200 open pages cost one Redis connection, not 200.

Besides board messages, a broker carries control messages to every process (`publish_control`,
`on_control`): app/live/streams.py uses them to end a person's oldest stream on another worker.
"""

import contextlib
import json
import logging
import queue
import threading
import time

log = logging.getLogger(__name__)

# A page whose queue holds this many unsent messages is too slow; it gets a resync instead.
QUEUE_SIZE = 200
# The message a subscriber receives when messages may have been lost: reload the columns.
RESYNC = {"resync": True}


class Subscription:
    """One open board page in this process: a queue of messages for one board."""

    def __init__(self, fanout: "Fanout", board_id: int):
        self.fanout = fanout
        self.board_id = board_id
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)

    def deliver(self, message: dict) -> None:
        try:
            self.queue.put_nowait(message)
        except queue.Full:
            # Drop what is queued and ask the page to reload: cheaper than replaying.
            with self.queue.mutex:
                self.queue.queue.clear()
            self.queue.put_nowait(RESYNC)

    def get(self, timeout: float) -> dict | None:
        """The next message, or None after `timeout` seconds without one."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.fanout.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Fanout:
    """The subscribers of this process, by board."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_board: dict[int, set[Subscription]] = {}

    def add(self, board_id: int) -> Subscription:
        subscription = Subscription(self, board_id)
        with self._lock:
            self._by_board.setdefault(board_id, set()).add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        with self._lock:
            subscribers = self._by_board.get(subscription.board_id)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_board[subscription.board_id]

    def deliver(self, board_id: int, message: dict) -> None:
        with self._lock:
            subscribers = list(self._by_board.get(board_id, ()))
        for subscription in subscribers:
            subscription.deliver(message)

    def deliver_all(self, message: dict) -> None:
        with self._lock:
            subscribers = [s for group in self._by_board.values() for s in group]
        for subscription in subscribers:
            subscription.deliver(message)

    def count(self, board_id: int | None = None) -> int:
        with self._lock:
            if board_id is not None:
                return len(self._by_board.get(board_id, ()))
            return sum(len(group) for group in self._by_board.values())


class _ControlHandlers:
    """Who hears control messages in this process."""

    def __init__(self):
        self._control_handlers: list = []

    def on_control(self, handler) -> None:
        self._control_handlers.append(handler)

    def _deliver_control(self, message: dict) -> None:
        for handler in list(self._control_handlers):
            try:
                handler(message)
            except Exception:  # noqa: BLE001  (one handler's bug never stops the listener)
                log.exception("live updates: a control handler failed")


class LocalBroker(_ControlHandlers):
    """Messages within this process only."""

    kind = "local"

    def __init__(self):
        super().__init__()
        self.fanout = Fanout()
        self._lock = threading.Lock()
        self._seq: dict[int, int] = {}

    def publish(self, board_id: int, message: dict) -> int:
        with self._lock:
            seq = self._seq.get(board_id, 0) + 1
            self._seq[board_id] = seq
        self.fanout.deliver(board_id, {**message, "board": board_id, "seq": seq})
        return seq

    def current_seq(self, board_id: int) -> int:
        with self._lock:
            return self._seq.get(board_id, 0)

    def subscribe(self, board_id: int) -> Subscription:
        return self.fanout.add(board_id)

    def publish_control(self, message: dict) -> None:
        self._deliver_control(message)

    def close(self) -> None:
        pass


class RedisBroker(_ControlHandlers):
    """Messages through Redis pub/sub, shared by every process and host using the same Redis."""

    kind = "redis"

    def __init__(self, url: str, prefix: str = "cergas"):
        import redis

        super().__init__()
        self.url = url
        self.prefix = prefix
        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.fanout = Fanout()
        self._listener: threading.Thread | None = None
        self._listener_lock = threading.Lock()
        self._ready = threading.Event()
        self._stop = threading.Event()

    def _seq_key(self, board_id: int) -> str:
        return f"{self.prefix}:live:seq:{board_id}"

    def _channel(self, board_id: int) -> str:
        return f"{self.prefix}:live:board:{board_id}"

    def publish(self, board_id: int, message: dict) -> int:
        seq = int(self.redis.incr(self._seq_key(board_id)))
        payload = json.dumps({**message, "board": board_id, "seq": seq})
        self.redis.publish(self._channel(board_id), payload)
        return seq

    def current_seq(self, board_id: int) -> int:
        value = self.redis.get(self._seq_key(board_id))
        return int(value) if value is not None else 0

    def _control_channel(self) -> str:
        return f"{self.prefix}:live:control"

    def publish_control(self, message: dict) -> None:
        """To every process on this Redis, this one included (its listener hears it too)."""
        self._start_listener()
        self.redis.publish(self._control_channel(), json.dumps(message))

    def subscribe(self, board_id: int) -> Subscription:
        self._start_listener()
        return self.fanout.add(board_id)

    # --- the listener thread ------------------------------------------------------------------

    def _start_listener(self) -> None:
        # Started on first use, never at import or app creation: gunicorn forks workers after
        # the app may have been created, and threads do not survive a fork.
        with self._listener_lock:
            if self._listener is None or not self._listener.is_alive():
                self._ready.clear()
                self._listener = threading.Thread(
                    target=self._listen, name="cergas-live-redis", daemon=True
                )
                self._listener.start()
        # Wait (briefly) until the pattern subscription is active, so a page that connects and
        # then sees a change made right after does not miss it.
        self._ready.wait(timeout=5)

    def _listen(self) -> None:
        pattern = f"{self.prefix}:live:board:*"
        control = self._control_channel().encode()
        delay = 0.5
        first = True
        while not self._stop.is_set():
            pubsub = self.redis.pubsub()
            try:
                pubsub.psubscribe(pattern, self._control_channel())
                # Wait for both confirmations, so `_ready` means "subscribed".
                for _ in range(2):
                    confirmation = pubsub.get_message(timeout=5)
                    if confirmation is None or confirmation.get("type") != "psubscribe":
                        raise ConnectionError("no psubscribe confirmation from Redis")
                self._ready.set()
                if not first:
                    # Messages published while we were away are lost: pages must catch up.
                    self.fanout.deliver_all(RESYNC)
                first = False
                delay = 0.5
                while not self._stop.is_set():
                    item = pubsub.get_message(timeout=1.0)
                    if item is None or item.get("type") != "pmessage":
                        continue
                    if item.get("channel") == control:
                        self._dispatch_control(item["data"])
                    else:
                        self._dispatch(item["data"])
            except Exception as exc:  # noqa: BLE001  (any Redis failure: retry with back-off)
                if self._stop.is_set():
                    break
                log.warning("live updates: Redis listener failed (%s); retrying", exc)
                time.sleep(delay)
                delay = min(delay * 2, 10)
            finally:
                with contextlib.suppress(Exception):
                    pubsub.close()

    def _dispatch(self, data) -> None:
        try:
            message = json.loads(data)
            board_id = int(message["board"])
        except (ValueError, TypeError, KeyError):
            log.warning("live updates: ignoring a malformed message")
            return
        self.fanout.deliver(board_id, message)

    def _dispatch_control(self, data) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            log.warning("live updates: ignoring a malformed control message")
            return
        self._deliver_control(message)

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=3)
        self.redis.close()


def make_broker(config) -> LocalBroker | RedisBroker:
    url = config.get("REDIS_URL")
    if url:
        return RedisBroker(url, prefix=config.get("REDIS_PREFIX") or "cergas")
    return LocalBroker()


def init_app(app) -> None:
    app.extensions["cergas_broker"] = make_broker(app.config)
