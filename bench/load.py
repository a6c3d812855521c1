"""Load benchmark over the network (issues 8 and 18): Cergas under gunicorn
(deploy/gunicorn.conf.py, 2 workers) with a trivial Flask route (bench/floor.py) served the same
way as the floor.

    .venv/bin/python bench/load.py [--duration 20] [--rounds 2] [--subscribers 200] [--moves 40]
                                   [--pg postgresql+psycopg://postgres@127.0.0.1:5432/cergas_bench]
                                   [--redis redis://127.0.0.1:6379/13] [--json FILE]

Needs wrk (`apt-get install -y wrk`) and a Redis (live updates across the two workers); with
--pg the move load runs on PostgreSQL too (the database is emptied and migrated first). The
gunicorn it starts imports the code of the checkout this file is in (its cwd and PYTHONPATH).

Cergas runs as a user installs it, every built-in plugin loaded (CERGAS_PLUGINS unset), and,
for comparison, with no plugin (CERGAS_PLUGINS="", the "--no-plugins" figure):

1. Board page: 500 cards, wrk with 8 connections (`-c8`), logged-in session cookie: requests/s,
   p50, p99 (plugins as installed); the floor route measured with the same wrk settings.
2. Card moves: 8 connections POST /api/v1/cards/<random>/move to a random column and position
   (bench/move.lua), on SQLite and on PostgreSQL, with the default plugins and with none, in
   `--rounds` rounds of alternating order (the board is seeded afresh for each): successful
   moves/s, non-2xx by class; then the board's invariants: 500 cards, each in one column of the
   board, positions 0..n-1 per column.
3. Live (SQLite, default plugins): N SSE subscribers on the board (one asyncio process), then
   moves one at a time: the time from each move's response to the event's arrival at every
   subscriber (p50, p99) and the resident memory of each worker.

The verdict (exit status 0 when all hold): moves with the default plugins >= 90% of moves with
none on each database, 0 non-2xx, invariants intact, board page p99 < 250 ms.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.board import PASSWORD, seed  # noqa: E402

BIN = Path(sys.executable).parent
CARDS = 500


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, env: dict, app: str | None = None, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
        if app:
            command.append(app)
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={
                # Plugins as configured here, not by the caller's environment.
                **{k: v for k, v in os.environ.items() if not k.startswith("CERGAS_")},
                **env,
                "CERGAS_BIND": f"127.0.0.1:{self.port}",
                "CERGAS_WORKERS": str(workers),
                "CERGAS_LOG_LEVEL": "warning",
                "MALLOC_ARENA_MAX": "2",  # as make serve and deploy/cergas.env
                "PYTHONPATH": str(ROOT),
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        path = "/" if app else "/healthz"
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + path, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not start:\n{Path(self.log.name).read_text()}")

    def workers(self) -> list[str]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return children.read_text().split()

    def worker_cpu_s(self) -> float:
        """CPU time (user + system) the workers have used so far: under a load that other
        processes share, CPU per move varies less than moves per second."""
        ticks = 0
        for pid in self.workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(round(int(line.split()[1]) / 1024, 1))
        return sizes

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- wrk ----------------------------------------------------------------------------------------


def wrk(url: str, duration: int, headers: dict, script: Path | None = None, env=None) -> dict:
    command = ["wrk", "-t2", "-c8", f"-d{duration}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, env={**os.environ, **(env or {})}
    ).stdout
    return parse_wrk(output)


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 1)


def parse_wrk(output: str) -> dict:
    result = {"raw": output}
    result["requests_per_s"] = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    result["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", output, re.M)
        result[f"p{pct}_ms"] = _ms(match.group(1)) if match else None
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(match.group(1)) if match else 0
    errors = re.search(r"Socket errors: (.*)", output)
    result["socket_errors"] = errors.group(1) if errors else "none"
    statuses = re.search(r"STATUS (.*)", output)
    result["statuses"] = json.loads(statuses.group(1)) if statuses else {}
    return result


# --- data ---------------------------------------------------------------------------------------


def prepare(database_url: str) -> dict:
    """A migrated database with the 500-card board of bench/board.py; every card dated, so each
    random move is one the rules allow (no WIP limits on this board)."""
    import random

    from app import create_app

    if database_url.startswith("postgresql"):
        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        database = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "REDIS_URL": None,
            "CERGAS_PLUGINS": "",
        }
    )
    ids = seed(app, CARDS, random.Random(CARDS))
    from app.extensions import db

    with app.app_context():
        db.session.execute(text("UPDATE cards SET due_date = '2031-12-31'"))
        db.session.commit()
        columns = [
            row[0]
            for row in db.session.execute(
                text("SELECT id FROM board_columns WHERE board_id = :b ORDER BY position"),
                {"b": ids["board"]},
            )
        ]
        card_ids = [row[0] for row in db.session.execute(text("SELECT id FROM cards"))]
        db.session.remove()
        db.engine.dispose()
    return {**ids, "columns": columns, "cards": card_ids}


def invariants(database_url: str, board_id: int) -> dict:
    """Every card in exactly one column of its board; positions 0..n-1 in every column."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        total = conn.scalar(text("SELECT count(*) FROM cards WHERE board_id = :b"), {"b": board_id})
        stray = conn.scalar(
            text(
                "SELECT count(*) FROM cards c LEFT JOIN board_columns k ON k.id = c.column_id "
                "WHERE c.board_id = :b AND (k.id IS NULL OR k.board_id <> c.board_id)"
            ),
            {"b": board_id},
        )
        rows = conn.execute(
            text("SELECT column_id, position FROM cards WHERE board_id = :b"), {"b": board_id}
        ).all()
    engine.dispose()
    by_column: dict = {}
    for column_id, position in rows:
        by_column.setdefault(column_id, []).append(position)
    broken = [c for c, ps in by_column.items() if sorted(ps) != list(range(len(ps)))]
    return {
        "cards": total,
        "cards_outside_a_column": stray,
        "columns_with_gaps_or_duplicates": len(broken),
        "ok": total == CARDS and stray == 0 and not broken,
    }


def login_cookie(url: str) -> str:
    session = requests.Session()
    page = session.get(f"{url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    session.post(
        f"{url}/login",
        data={"username": "kasi", "password": PASSWORD, "csrf_token": token},
        timeout=10,
    )
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items())


# --- live ---------------------------------------------------------------------------------------


async def subscriber(port, path, cookie, arrivals: dict, ready: asyncio.Event, counter: list):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    event = None
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            line = line.decode().rstrip("\r\n")
            if line.startswith("event: "):
                event = line[7:]
                if event == "hello":
                    counter[0] += 1
                    if counter[0] == counter[1]:
                        ready.set()
            elif line.startswith("id: ") and event == "columns":
                arrivals.setdefault(int(line[4:]), []).append(time.monotonic())
    finally:
        writer.close()


async def move_once(port, card_id, column_id, token) -> float:
    body = json.dumps({"column_id": column_id, "position": 0})
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST /api/v1/cards/{card_id}/move HTTP/1.0\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
    )
    await writer.drain()
    answer = await reader.read()
    done = time.monotonic()
    writer.close()
    status = int(answer.split(b" ", 2)[1])
    if status != 200:
        raise SystemExit(f"a live-test move answered {status}: {answer[-300:]!r}")
    return done


async def live_run(server: Gunicorn, ids: dict, cookie: str, subscribers: int, moves: int):
    arrivals: dict = {}
    ready = asyncio.Event()
    counter = [0, subscribers]
    path = f"/boards/{ids['board']}/stream"
    tasks = [
        asyncio.create_task(subscriber(server.port, path, cookie, arrivals, ready, counter))
        for _ in range(subscribers)
    ]
    await asyncio.wait_for(ready.wait(), timeout=120)
    base = requests.get(f"{server.url}/healthz", timeout=5) and None
    await asyncio.sleep(1)
    answered = {}
    card = ids["card"]
    columns = ids["columns"]
    start_seq = None
    for i in range(moves):
        before = set(arrivals)
        done = await move_once(server.port, card, columns[(i % 2) + 1], ids["token"])
        await asyncio.sleep(0.5)
        new = sorted(set(arrivals) - before)
        if new:
            answered[new[0]] = done
            start_seq = start_seq or new[0]
    await asyncio.sleep(2)
    rss = server.worker_rss_mb()
    for task in tasks:
        task.cancel()
    latencies = []
    missing = 0
    for seq, done in answered.items():
        seen = arrivals.get(seq, [])
        missing += subscribers - len(seen)
        latencies += [max(0.0, (at - done) * 1000) for at in seen]
    latencies.sort()
    del base
    return {
        "subscribers": subscribers,
        "moves": len(answered),
        "deliveries": len(latencies),
        "missing_deliveries": missing,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1) if latencies else None,
        "worker_rss_mb": rss,
    }


# --- the run ------------------------------------------------------------------------------------


MOVES_RATIO = 0.9
PAGE_P99_MS = 250


def server_env(url: str, redis_url: str, plugins: bool) -> dict:
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"cergas-bench-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": "bench-secret",
    }
    if not plugins:
        env["CERGAS_PLUGINS"] = ""
    return env


def run_database(
    name: str, url: str, redis_url: str, args, *, plugins: bool, page: bool, live: bool
) -> dict:
    """One configuration on one database, on a freshly seeded board."""
    label = f"{name}, {'default plugins' if plugins else 'no plugins'}"
    print(f"[{label}] preparing {CARDS} cards...", file=sys.stderr)
    ids = prepare(url)
    server = Gunicorn(server_env(url, redis_url, plugins))
    result: dict = {"database": name, "plugins": "default" if plugins else "none"}
    try:
        cookie = login_cookie(server.url)
        if page:
            print(f"[{label}] board page...", file=sys.stderr)
            result["board_page"] = wrk(
                f"{server.url}/boards/{ids['board']}", args.duration, {"Cookie": cookie}
            )
        print(f"[{label}] moves...", file=sys.stderr)
        cpu_before = server.worker_cpu_s()
        result["moves"] = wrk(
            f"{server.url}/api/v1/cards/0/move",
            args.duration,
            {"Authorization": f"Bearer {ids['token']}", "Content-Type": "application/json"},
            ROOT / "bench" / "move.lua",
            env={
                "CARD_IDS": ",".join(map(str, ids["cards"])),
                "COLUMN_IDS": ",".join(map(str, ids["columns"])),
            },
        )
        moves = result["moves"]
        moved = moves["requests"] - moves["non_2xx"]
        cpu = server.worker_cpu_s() - cpu_before
        moves["worker_cpu_ms_per_move"] = round(cpu * 1000 / moved, 2) if moved else None
        result["invariants"] = invariants(url, ids["board"])
        if live and args.subscribers:
            print(f"[{label}] live, {args.subscribers} subscribers...", file=sys.stderr)
            result["live"] = asyncio.run(
                live_run(server, ids, cookie, args.subscribers, args.moves)
            )
    finally:
        server.stop()
    return result


def compare(runs: list[dict]) -> list[dict]:
    """Per database: successful moves/s with the default plugins over those with none (sums of
    the rounds), and the verdict."""
    verdicts = []
    for database in dict.fromkeys(run["database"] for run in runs):
        mine = [run for run in runs if run["database"] == database]

        def rate(plugins, mine=mine):
            rates = [r["moves"]["requests_per_s"] for r in mine if r["plugins"] == plugins]
            return round(sum(rates) / len(rates), 1)

        default, none = rate("default"), rate("none")

        def cpu(plugins, mine=mine):
            costs = [r["moves"]["worker_cpu_ms_per_move"] for r in mine if r["plugins"] == plugins]
            return round(sum(costs) / len(costs), 2)

        pages = [r["board_page"]["p99_ms"] for r in mine if "board_page" in r]
        verdict = {
            "database": database,
            "moves_default_plugins": default,
            "moves_no_plugins": none,
            "ratio": round(default / none, 3),
            "worker_cpu_ms_per_move_default_plugins": cpu("default"),
            "worker_cpu_ms_per_move_no_plugins": cpu("none"),
            "non_2xx": sum(r["moves"]["non_2xx"] for r in mine),
            "invariants_ok": all(r["invariants"]["ok"] for r in mine),
            "board_page_p99_ms": max(pages) if pages else None,
        }
        verdict["ok"] = (
            verdict["ratio"] >= MOVES_RATIO
            and verdict["non_2xx"] == 0
            and verdict["invariants_ok"]
            and (not pages or max(pages) < PAGE_P99_MS)
        )
        verdicts.append(verdict)
    return verdicts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--moves", type=int, default=40, help="moves timed in the live test")
    parser.add_argument("--rounds", type=int, default=2, help="move runs per configuration")
    parser.add_argument("--pg", help="PostgreSQL URL for the move load (emptied first!)")
    parser.add_argument("--page-on-pg", action="store_true", help="board page on PG too")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    print("[floor] trivial Flask route...", file=sys.stderr)
    floor = Gunicorn({"REDIS_URL": args.redis}, app="bench.floor:app")
    try:
        floor_result = wrk(floor.url + "/", args.duration, {})
    finally:
        floor.stop()
    results = {"floor": floor_result, "runs": []}
    databases = []
    tmp = tempfile.TemporaryDirectory()
    databases.append(("sqlite", f"sqlite:///{tmp.name}/bench.db"))
    if args.pg:
        databases.append(("postgresql", args.pg))
    try:
        for name, url in databases:
            for round_number in range(args.rounds):
                # Alternate the order (none, default, default, none, ...): the machine's load
                # drifts during a run, and the ratio is what counts.
                order = (False, True) if round_number % 2 == 0 else (True, False)
                for plugins in order:
                    first = plugins and round_number == 0
                    page = first and (name == "sqlite" or args.page_on_pg)
                    live = first and name == "sqlite"
                    run = run_database(
                        name, url, args.redis, args, plugins=plugins, page=page, live=live
                    )
                    results["runs"].append(run)
    finally:
        tmp.cleanup()
    results["verdict"] = compare(results["runs"])

    def line(label, r):
        return (
            f"{label:<46} {r['requests_per_s']:>9.1f} req/s  p50 {r['p50_ms']:>7} ms  "
            f"p99 {r['p99_ms']:>7} ms  non-2xx {r['non_2xx']}  {r.get('statuses') or ''}"
            + (
                f"  workers' CPU {r['worker_cpu_ms_per_move']} ms/move"
                if "worker_cpu_ms_per_move" in r
                else ""
            )
        )

    print(line("floor: trivial Flask route", floor_result))
    for run in results["runs"]:
        label = f"{run['database']}, {run['plugins']} plugins"
        if "board_page" in run:
            print(line(f"{label}: board page (500 cards)", run["board_page"]))
        print(line(f"{label}: card moves", run["moves"]))
        print(f"{label}: invariants after the moves: {run['invariants']}")
        if "live" in run:
            print(f"{label}: live: {run['live']}")
    for verdict in results["verdict"]:
        print(
            f"{verdict['database']}: moves/s default plugins {verdict['moves_default_plugins']} / "
            f"no plugins {verdict['moves_no_plugins']} = {verdict['ratio']:.0%} "
            f"(target >= {MOVES_RATIO:.0%}); workers' CPU per move "
            f"{verdict['worker_cpu_ms_per_move_default_plugins']} / "
            f"{verdict['worker_cpu_ms_per_move_no_plugins']} ms; non-2xx {verdict['non_2xx']}; "
            "invariants "
            f"{'intact' if verdict['invariants_ok'] else 'BROKEN'}; board page p99 "
            f"{verdict['board_page_p99_ms']} ms (target < {PAGE_P99_MS}): "
            f"{'ok' if verdict['ok'] else 'FAILED'}"
        )
    if args.json:
        for item in [results["floor"], *[r for run in results["runs"] for r in run.values()]]:
            if isinstance(item, dict):
                item.pop("raw", None)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(verdict["ok"] for verdict in results["verdict"]) else 1


if __name__ == "__main__":
    sys.exit(main())
