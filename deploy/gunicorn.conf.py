"""Gunicorn settings for Cergas (`make serve`, or `gunicorn -c deploy/gunicorn.conf.py`).

Why threaded workers (`gthread`): every open board page holds one Server-Sent Events connection
(GET /boards/<id>/stream) for minutes. A sync worker serves one request at a time, so a handful
of open boards would block it. gevent/eventlet would serve thousands of streams, but they
monkey-patch the standard library under SQLAlchemy, psycopg and sqlite3, where a missed patch
blocks the whole worker. A gthread worker runs each connection in a plain OS thread: a waiting
stream costs one sleeping thread (a few tens of KB), the database code stays ordinary blocking
code, and requests keep being served by the other threads. Size it so that
workers x threads >= open board pages + concurrent requests, e.g. 2 x 256 = 512 (the kernel
spreads connections over workers unevenly, so leave room).

Streams never take every thread: a worker admits at most CERGAS_LIVE_STREAMS_PER_WORKER of them
(by default three quarters of its threads, leaving at least 4 to ordinary requests, so `/login`
and `/healthz` answer whatever the streams do) and a person at most CERGAS_LIVE_STREAMS_PER_USER
(4; their oldest page stops live updates when they open one more). See app/live/streams.py.
`post_worker_init` below tells the app its worker's thread count.

Every setting can be changed from the environment:

| variable | default | meaning |
|---|---|---|
| CERGAS_BIND | 127.0.0.1:8000 | address to listen on (nginx proxies to it) |
| CERGAS_WORKERS | 2 with REDIS_URL, else 1 | worker processes |
| CERGAS_THREADS | 256 | threads per worker (= concurrent connections, SSE included) |
| CERGAS_LIVE_STREAMS_PER_WORKER | 3/4 of threads, at most threads - 4 | board pages per worker |
| CERGAS_LIVE_STREAMS_PER_USER | 4 | board pages per person (on all workers with Redis) |

Each worker listens on a socket of its own (`reuse_port`, SO_REUSEPORT) and the kernel spreads new
connections over them. With one shared socket, whichever worker woke first accepted a whole burst
of connections: 8 keep-alive clients (or nginx's upstream keep-alive pool) all landed on one worker
in about one run in three, which then did all the work on one core (moves: 237/s instead of 340/s
on this 2-core machine). The flip side: two gunicorns started on the same port both bind without
an error, so stop the old one before starting another (systemd's restart does).

Start it with MALLOC_ARENA_MAX=2 in the environment (make serve and deploy/cergas.env do): with
hundreds of threads glibc would otherwise grow one malloc arena per thread and the worker's memory
with them.

Without Redis, live updates only reach pages connected to the worker that made the change, so
more than one worker needs REDIS_URL (a warning is logged otherwise).
"""

import gc
import os
import signal

bind = os.environ.get("CERGAS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CERGAS_WORKERS") or (2 if os.environ.get("REDIS_URL") else 1))
worker_class = "gthread"
threads = int(os.environ.get("CERGAS_THREADS", "256"))
# The app factory; the same from a checkout or an installed wheel.
wsgi_app = "app:create_app()"

# gthread: `timeout` is how long a worker may stay silent to the arbiter, not a request limit, so
# long-lived streams are fine. Streams end on their own after 10 minutes (the page reconnects);
# on restart, workers get `graceful_timeout` to finish before streams are cut (pages reconnect).
timeout = 30
graceful_timeout = 15
keepalive = 5
reuse_port = True
# Never recycle workers on a request count: that would cut every stream of the worker at once.
max_requests = 0

accesslog = "-"
errorlog = "-"
# Access-log lines with the secrets of sign-in addresses (the single sign-on callback's `code`
# and `state`, reset-link tokens, ...) replaced by "[redacted]" (app/logsafe.py).
logger_class = "app.logsafe.GunicornLogger"
loglevel = os.environ.get("CERGAS_LOG_LEVEL", "info")
# Behind nginx, trust its X-Forwarded-* headers (set CERGAS_PROXY_COUNT=1 for the app as well).
forwarded_allow_ips = os.environ.get("CERGAS_FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server):
    if server.cfg.workers > 1 and not os.environ.get("REDIS_URL"):
        server.log.warning(
            "%d workers without REDIS_URL: live board updates reach only pages served by the "
            "worker that made the change. Set REDIS_URL or run one worker.",
            server.cfg.workers,
        )


def post_worker_init(worker):
    # How many threads this worker has, so that the app keeps some of them away from live
    # streams (app/live/streams.py: per_worker_limit). `worker.wsgi` is the Flask app.
    flask_app = worker.wsgi
    config = getattr(flask_app, "config", None)
    if config is not None:
        _end_streams_on_stop(flask_app)
        config["LIVE_WORKER_THREADS"] = worker.cfg.threads
        limit = config.get("LIVE_STREAMS_PER_WORKER")
        if limit and int(limit) >= worker.cfg.threads:
            worker.log.warning(
                "CERGAS_LIVE_STREAMS_PER_WORKER=%s leaves none of the %d threads to other "
                "requests: open board pages can then block logins and /healthz.",
                limit,
                worker.cfg.threads,
            )
    # The app is loaded: move its long-lived objects (modules, templates, metadata) out of the
    # cyclic garbage collector's reach, which takes the collector's pauses out of the p99.
    gc.collect()
    gc.freeze()


def _end_streams_on_stop(flask_app):
    """On SIGTERM (a stop or restart), end the worker's open live streams at once: the pages
    reconnect (to another worker, or this one restarted) instead of the worker waiting
    `graceful_timeout` for them. Gunicorn has no hook there, so its handler is wrapped."""
    stop = signal.getsignal(signal.SIGTERM)

    def end_streams_then_stop(signum, frame):
        from app.live.streams import end_all

        end_all(flask_app)
        if callable(stop):
            stop(signum, frame)

    signal.signal(signal.SIGTERM, end_streams_then_stop)
