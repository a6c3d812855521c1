"""The files in deploy/ stay valid and agree with docs/deploy.md; no root needed.

- every file the guide names exists, and every file in deploy/ is in the guide's table;
- the systemd unit runs the gunicorn of the guide's virtualenv with its gunicorn.conf.py, as its
  user, with its environment file (`systemd-analyze verify` too, when installed);
- nginx accepts deploy/nginx.conf (`nginx -t` on a throw-away wrapper, when nginx is installed)
  and its stream location matches the app's stream route with buffering off;
- every variable in deploy/cergas.env is one Cergas or gunicorn.conf.py reads, on lines that
  systemd and sh read alike;
- the cron file is one cron accepts, and every `cergas` command in it and in the guide exists.

The systemd and nginx checks also run on a broken copy, which must be refused: a checker that
accepts anything would otherwise pass unnoticed.
"""

import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
GUIDE = (ROOT / "docs" / "deploy.md").read_text()
# Read by something other than Cergas' Python code, with where that is explained.
READ_ELSEWHERE = {
    "MALLOC_ARENA_MAX": ("deploy/gunicorn.conf.py", "glibc's malloc; the file explains why"),
    "AWS_ACCESS_KEY_ID": ("app/storage/s3.py", "boto3, the S3 client; the file names it"),
    "AWS_SECRET_ACCESS_KEY": ("app/storage/s3.py", "boto3, the S3 client; the file names it"),
}


# --- what the guide says -------------------------------------------------------------------------


def destinations() -> dict[str, str]:
    """The guide's table: deploy file name -> where it goes."""
    rows = re.findall(r"^\| `deploy/([^`]+)` \|[^|\n]+\| `([^`]+)`", GUIDE, re.M)
    return dict(rows)


def guide_commands() -> list[str]:
    """Every line of the guide's ```sh blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def guide_value(pattern: str) -> str:
    for line in guide_commands():
        found = re.search(pattern, line)
        if found:
            return found.group(1)
    raise AssertionError(f"docs/deploy.md has no command matching {pattern}")


def venv() -> str:
    return guide_value(r"^python3 -m venv (\S+)$")


def service_user() -> tuple[str, str]:
    """(home, name) of the guide's `adduser` line."""
    line = guide_value(r"^(adduser .*)$")
    found = re.fullmatch(r"adduser --system --group --home (\S+) (\w+)", line)
    assert found, line
    return found.group(1), found.group(2)


def created_folders() -> list[str]:
    return guide_value(r"^mkdir -p (.+)$").split()


# --- files ---------------------------------------------------------------------------------------


def test_every_file_the_guide_names_exists_and_every_deploy_file_is_in_its_table():
    named = set(re.findall(r"(?<![/\w])deploy/([\w.-]+)", GUIDE))
    assert named, "docs/deploy.md names no deploy/ file"
    missing = sorted(name for name in named if not (DEPLOY / name).is_file())
    assert not missing, f"named in docs/deploy.md but not in deploy/: {missing}"
    in_table = set(destinations())
    on_disk = {path.name for path in DEPLOY.iterdir() if path.is_file()}
    assert on_disk == in_table, (
        f"deploy/ files missing from the guide's table: {sorted(on_disk - in_table)}; "
        f"in the table but not in deploy/: {sorted(in_table - on_disk)}"
    )


def test_the_install_steps_put_the_files_where_the_table_says():
    table = destinations()
    commands = "\n".join(guide_commands())
    copied_deploy = guide_value(r"^cp -r deploy (\S+)$")
    assert table["gunicorn.conf.py"].rstrip("/") == copied_deploy
    for name in ("cergas.env", "cergas.service", "cergas.cron", "nginx.conf"):
        assert f"cp deploy/{name} {table[name]}" in commands, f"no step installs deploy/{name}"
    # cron skips files in /etc/cron.d whose name has a dot (Debian's run-parts naming rules)
    assert "." not in Path(table["cergas.cron"]).name
    # `make wheel` is how the guide gets the wheel
    assert "make wheel" in GUIDE
    assert re.search(r"^wheel:", (ROOT / "Makefile").read_text(), re.M)


# --- systemd unit --------------------------------------------------------------------------------


def unit() -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in (DEPLOY / "cergas.service").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        assert current is not None and "=" in line, f"not a unit file line: {raw!r}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_the_unit_runs_the_guides_gunicorn_as_its_user_with_its_environment_file():
    service = unit()["Service"]
    home, user = service_user()
    table = destinations()
    assert service["User"] == [user] and service["Group"] == [user]
    assert service["WorkingDirectory"] == [home]
    assert service["EnvironmentFile"] == [table["cergas.env"]]
    (start,) = service["ExecStart"]
    argv = shlex.split(start)
    assert argv[0] == f"{venv()}/bin/gunicorn", start
    assert argv[1:] == ["-c", table["gunicorn.conf.py"].rstrip("/") + "/gunicorn.conf.py"], start
    (pre,) = service["ExecStartPre"]
    assert shlex.split(pre) == [f"{venv()}/bin/cergas", "db", "upgrade"], pre
    # The SQLite database (deploy/cergas.env) must stay writable under ProtectSystem.
    database = Path(env_file()["DATABASE_URL"].removeprefix("sqlite:///"))
    assert str(database.parent) in service["ReadWritePaths"][0].split()
    assert str(database.parent) in created_folders()


def systemd_verify(text: str, tmp_path: Path) -> tuple[bool, str]:
    """Run `systemd-analyze verify` on the unit with the guide's virtualenv replaced by this one
    (verify checks that the commands exist). (accepted, output)."""
    here = Path(sys.executable).parent
    for command in ("gunicorn", "cergas"):
        if not (here / command).exists():
            pytest.skip(f"{command} is not installed next to {sys.executable}")
    path = tmp_path / "cergas.service"
    path.write_text(text.replace(f"{venv()}/bin/", f"{here}/"))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )
    output = done.stdout + done.stderr
    about_unit = [line for line in output.splitlines() if "cergas.service" in line]
    if done.returncode != 0 and not about_unit:
        pytest.skip(f"systemd-analyze cannot verify units here: {output.strip()}")
    return done.returncode == 0 and not about_unit, output


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_systemd_accepts_the_unit_and_refuses_a_broken_copy(tmp_path):
    text = (DEPLOY / "cergas.service").read_text()
    accepted, output = systemd_verify(text, tmp_path)
    assert accepted, output
    broken = text.replace("\nExecStart=", "\nExecStrat=")
    assert broken != text
    accepted, output = systemd_verify(broken, tmp_path)
    assert not accepted, f"systemd-analyze accepted a unit without ExecStart:\n{output}"


# --- nginx ---------------------------------------------------------------------------------------


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/sbin/nginx") if Path(path).exists()), None
    )


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: nginx -t needs a certificate to load")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=cergas.test", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_test(site: str, folder: Path, certificate: tuple[Path, Path]) -> tuple[bool, str]:
    """`nginx -t` on a minimal main configuration that includes `site` as the guide's
    /etc/nginx/conf.d/cergas.conf would be; certificate paths point at a throw-away pair and
    the listen ports at free high ones."""
    cert, key = certificate
    # nginx -t binds the listen ports: free high ports, so that no root is needed.
    site = re.sub(
        r"(?m)^(\s*listen\s+)\d+\b", lambda m: f"{m.group(1)}127.0.0.1:{free_port()}", site
    )
    site = site.replace("/etc/ssl/cergas/fullchain.pem", str(cert))
    site = site.replace("/etc/ssl/cergas/privkey.pem", str(key))
    folder.mkdir()
    (folder / "cergas.conf").write_text(site)
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (folder / "nginx.conf").write_text(
        f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\nevents {{}}\n"
        f"http {{\n    access_log off;\n{temp}\n    include {folder / 'cergas.conf'};\n}}\n"
    )
    done = subprocess.run(
        [nginx_binary(), "-t", "-p", str(folder), "-e", str(folder / "error.log"),
         "-c", str(folder / "nginx.conf")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    log = folder / "error.log"
    output = done.stdout + done.stderr + (log.read_text() if log.exists() else "")
    return done.returncode == 0, output


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (apt-get install nginx)")
def test_nginx_accepts_the_site_and_refuses_a_broken_copy(tmp_path, certificate):
    site = (DEPLOY / "nginx.conf").read_text()
    accepted, output = nginx_test(site, tmp_path / "good", certificate)
    assert accepted, output
    broken = site.replace("proxy_buffering off;", "proxy_buffering of;")
    assert broken != site
    accepted, output = nginx_test(broken, tmp_path / "broken", certificate)
    assert not accepted, f"nginx -t accepted `proxy_buffering of;`:\n{output}"


def location_blocks(site: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*location\s+([^{]+?)\s*\{(.*?)\}", site, re.S | re.M))


def test_the_stream_location_matches_the_apps_stream_route_and_passes_events_at_once():
    from app import create_app
    from app.live.views import MAX_STREAM_SECONDS

    app = create_app(
        {
            "SECRET_KEY": "t",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "REDIS_URL": None,
            "CERGAS_PLUGINS": "",
        }
    )
    with app.test_request_context():
        from flask import url_for

        stream_path = url_for("live.stream", board_id=12)
        board_path = url_for("boards.board", board_id=12)
    site = (DEPLOY / "nginx.conf").read_text()
    regex_locations = {
        spec.split(None, 1)[1]: body
        for spec, body in location_blocks(site).items()
        if spec.startswith("~ ")
    }
    streams = [body for pattern, body in regex_locations.items() if re.search(pattern, stream_path)]
    assert len(streams) == 1, f"no (or more than one) nginx location matches {stream_path}"
    assert not any(re.search(pattern, board_path) for pattern in regex_locations)
    (body,) = streams
    directives = dict(
        line.strip().rstrip(";").split(None, 1) for line in body.splitlines() if line.strip()
    )
    assert directives.get("proxy_buffering") == "off"
    assert directives.get("proxy_pass") == "http://cergas"
    timeout = directives.get("proxy_read_timeout", "60s")
    number, unit_name = re.fullmatch(r"(\d+)([smh]?)", timeout).groups()
    seconds = int(number) * {"": 1, "s": 1, "m": 60, "h": 3600}[unit_name]
    assert seconds > MAX_STREAM_SECONDS, f"proxy_read_timeout {timeout} cuts streams short"


def test_the_stream_location_limits_open_streams_per_client_address():
    site = (DEPLOY / "nginx.conf").read_text()
    zones = dict(re.findall(r"(?m)^limit_conn_zone\s+(\S+)\s+zone=(\w+):\w+;", site))
    assert zones.get("$binary_remote_addr"), "no per-address limit_conn_zone in deploy/nginx.conf"
    (body,) = [
        body
        for spec, body in location_blocks(site).items()
        if spec.startswith("~ ") and "stream" in spec
    ]
    directives = dict(
        line.strip().rstrip(";").split(None, 1) for line in body.splitlines() if line.strip()
    )
    zone, number = directives["limit_conn"].split()
    assert zone == zones["$binary_remote_addr"] and int(number) > 0
    # A refused stream is "too many", which the page's EventSource treats like any refusal.
    assert directives.get("limit_conn_status") == "429"
    assert "limit_conn" in GUIDE


def test_the_one_machine_address_is_the_one_gunicorn_listens_on():
    bind = env_file()["CERGAS_BIND"]
    assert f"curl -fsS http://{bind}/healthz" in "\n".join(guide_commands())
    assert f"`server {bind};`" in GUIDE


# --- environment file ----------------------------------------------------------------------------


def env_lines() -> list[str]:
    return (DEPLOY / "cergas.env").read_text().splitlines()


def env_file() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in env_lines() if line and not line.startswith("#"))
    return dict(pairs)


def env_names() -> set[str]:
    """Every variable set, or offered commented out, in deploy/cergas.env."""
    return {
        found.group(1)
        for line in env_lines()
        if (found := re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line))
    }


def test_every_line_of_the_environment_file_reads_the_same_in_systemd_and_sh():
    for line in env_lines():
        if not line or line.startswith("#"):
            continue
        # Plain: nothing sh treats specially. Quoted: double quotes, which both drop, around
        # anything but the characters they read differently inside them.
        plain = r"[^\s'\"#\\$`()&|;<>]*"
        quoted = r'"[^"\\$`]*"'
        assert re.fullmatch(rf"[A-Z][A-Z0-9_]*=(?:{plain}|{quoted})", line), (
            f"{line!r}: write NAME=value with no spaces, quotes, $, `, ( ) & | ; < > or "
            'trailing comment, or NAME="value" for such values, or systemd and sh read it '
            "differently"
        )


def read_by_the_code() -> dict[str, str]:
    """Python files that read the environment, by path: app/, plugins/, gunicorn.conf.py."""
    files = [*ROOT.glob("app/**/*.py"), *ROOT.glob("plugins/**/*.py"), DEPLOY / "gunicorn.conf.py"]
    texts = {str(path.relative_to(ROOT)): path.read_text() for path in files}
    return {path: text for path, text in texts.items() if re.search(r"os\.environ|getenv", text)}


def test_every_variable_of_the_environment_file_is_read_by_cergas_or_gunicorn():
    sources = read_by_the_code()
    names = env_names()
    assert {"DATABASE_URL", "SECRET_KEY"} <= names
    unread = sorted(
        name
        for name in names - set(READ_ELSEWHERE)
        if not any(re.search(rf"[\"']{name}[\"']", text) for text in sources.values())
    )
    assert not unread, f"deploy/cergas.env sets variables nothing reads: {unread}"
    for name in READ_ELSEWHERE.keys() & names:
        path, reader = READ_ELSEWHERE[name]
        assert name in (ROOT / path).read_text(), f"{name}: read by {reader}"


def test_every_variable_the_guide_sets_is_offered_in_the_environment_file():
    set_in_guide = {
        found.group(1)
        for line in guide_commands()
        if (found := re.match(r"^([A-Z][A-Z0-9_]*)=", line))
    }
    assert set_in_guide, "the guide's environment lines were not found"
    assert set_in_guide <= env_names(), sorted(set_in_guide - env_names())
    assert f"DATABASE_URL={env_file()['DATABASE_URL']}" in GUIDE


# --- cron ----------------------------------------------------------------------------------------


def cron_jobs(include_commented: bool) -> list[list[str]]:
    """[minute, hour, day, month, weekday, user, command] of each job line."""
    jobs = []
    for line in (DEPLOY / "cergas.cron").read_text().splitlines():
        if include_commented and re.match(r"^#\s*[\d*]", line):
            line = line.lstrip("#").strip()
        if not line or line.startswith("#") or re.match(r"^[A-Z_]+=", line):
            continue
        jobs.append(line.split(None, 6))
    return jobs


def test_the_cron_file_is_one_cron_runs_as_the_guide_installs_it():
    text = (DEPLOY / "cergas.cron").read_text()
    assert text.endswith("\n"), "cron ignores a last line without a newline"
    _home, user = service_user()
    env_path = destinations()["cergas.env"]
    jobs = cron_jobs(include_commented=True)
    assert len(cron_jobs(include_commented=False)) >= 2
    for job in jobs:
        assert len(job) == 7, job
        for field in job[:5]:
            assert re.fullmatch(r"[\d*/,-]+", field), job
        assert job[5] == user, f"job runs as {job[5]}, not {user}: {job}"
        command = job[6]
        assert re.search(r"(?<!\\)%", command) is None, f"unescaped % (a newline to cron): {job}"
        assert command.startswith(f"set -a; . {env_path}; "), command
        for target in re.findall(r">>(\S+)", command) + re.findall(r"--file=(\S+)", command):
            assert str(Path(target).parent) in created_folders(), target


def cergas_invocations() -> set[tuple[str, ...]]:
    """The subcommand words of every `<venv>/bin/cergas ...` in the cron file, the unit and the
    guide, e.g. ("users", "create")."""
    binary = re.escape(f"{venv()}/bin/cergas")
    texts = [
        (DEPLOY / "cergas.cron").read_text(),
        (DEPLOY / "cergas.service").read_text(),
        "\n".join(guide_commands()),
    ]
    found = set()
    for text in texts:
        for rest in re.findall(rf"{binary} ([^;'\n]*)", text):
            words = []
            for word in rest.split():
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                words.append(word)
            found.add(tuple(words))
    return found


def cli_help(words: tuple[str, ...], tmp_path: Path):
    from app.cli import main

    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "SECRET_KEY": "deploy-files-test",
        "REDIS_URL": "",
    }
    return CliRunner().invoke(main, [*words, "--help"], env=env, prog_name="cergas")


def test_every_cergas_command_of_the_cron_file_unit_and_guide_exists(tmp_path):
    invocations = cergas_invocations()
    assert {("tick",), ("backup",), ("restore",), ("db", "upgrade"), ("users", "create")} <= (
        invocations
    ), invocations
    for words in sorted(invocations):
        result = cli_help(words, tmp_path)
        assert result.exit_code == 0, f"cergas {' '.join(words)}: {result.output}"
        assert f"Usage: cergas {' '.join(words)}" in result.output, result.output
    refused = cli_help(("no-such-command",), tmp_path)
    assert refused.exit_code != 0, "the CLI check would accept any command"


def test_the_nginx_upload_location_covers_every_document_upload_route(app):
    """The 26 MB location matches each route that takes a document (the card page's and the
    API's), and nothing else that takes a body gets its limit."""
    site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    pattern = next(
        line.split("~", 1)[1].strip().rstrip("{").strip()
        for line in site.splitlines()
        if "location ~" in line and "documents" in line
    )
    uploads = {
        "cards.upload_attachment": "/cards/12/documents",
        "cards.upload_attachment_version": "/cards/12/documents/3/versions",
        "api.upload_attachment": "/api/v1/cards/12/attachments",
        "api.upload_attachment_version": "/api/v1/attachments/3/versions",
    }
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    for endpoint, path in uploads.items():
        assert endpoint in rules, f"{endpoint} is not a route (renamed?)"
        assert "POST" in rules[endpoint].methods
        assert re.match(pattern, path), f"nginx sends {path} through the 2 MB default"
    for other in ("/cards/12", "/cards/12/documents/3/remove", "/api/v1/cards/12/move"):
        assert not re.match(pattern, other)
