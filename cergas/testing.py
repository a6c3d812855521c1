"""The Cergas test kit: pytest fixtures for plugin authors (and for Cergas itself).

Installed with Cergas and registered through the `pytest11` entry point `cergas`, so a plugin's
tests can use these fixtures without any conftest.py:

    import pytest
    from cergas_nomor_surat import NomorSurat

    @pytest.fixture
    def cergas_plugins():
        return {"nomor-surat": NomorSurat()}

    def test_badge(cergas_app, cergas_make, cergas_client, cergas_login):
        unit = cergas_make.unit("SETDA")
        ...

Time: `cergas_clock` freezes the clock (the core, local dates and the working-day calendar all
read it) and moves it; `cergas_tick(now)` runs the periodic work as `cergas tick --now` does;
`cergas_notifications(user)` reads what a person was told.

Each test gets an app on a fresh in-memory SQLite database. Only the plugins named by the
`cergas_plugins` fixture are registered (installed entry points are not loaded unless the
`cergas_config` fixture sets CERGAS_PLUGINS). Factories return plain records (ids, names,
logins), not database objects, so they can be used freely between requests.
Tutorial and reference: docs/plugins.md, section "Testing a plugin".
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

PASSWORD = "rahasia-uji-123"
KIT_ADMIN = "admin-uji"

__all__ = [
    "PASSWORD",
    "BoardRef",
    "CardRef",
    "Clock",
    "CommentRef",
    "Factories",
    "NotificationRecord",
    "TickResult",
    "UnitRef",
    "UserRef",
    "cergas_api",
    "cergas_app",
    "cergas_client",
    "cergas_clock",
    "cergas_config",
    "cergas_login",
    "cergas_make",
    "cergas_notifications",
    "cergas_plugins",
    "cergas_tick",
]

# A date given to the clock or a factory means this time of that day in WIB: inside working
# hours, and the same date in WIB, WITA and WIT.
DAY_TIME = time(9, 0)
WIB = ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class UserRef:
    """A person made by the kit; `login` (NIP or username) and `password` sign them in."""

    id: int
    name: str
    login: str
    password: str
    nip: str | None = None
    username: str | None = None
    admin: bool = False


@dataclass(frozen=True)
class BoardRef:
    id: int
    name: str
    unit: str
    columns: dict[str, int] = field(default_factory=dict)

    def column(self, name: str) -> int:
        """The id of the column with this name."""
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(
                f"board {self.name!r} has no column {name!r}: {list(self.columns)}"
            ) from None


@dataclass(frozen=True)
class CardRef:
    id: int
    title: str
    board_id: int
    column_id: int
    version: int
    created_at: datetime | None = None  # naive UTC, as Cergas stores it


@dataclass(frozen=True)
class CommentRef:
    """A comment made by `cergas_make.comment`; `at` is naive UTC."""

    id: int
    card_id: int
    author_id: int
    text: str
    at: datetime


@dataclass(frozen=True)
class NotificationRecord:
    """A notification as `cergas_notifications` reads it; `created_at` is naive UTC."""

    id: int
    title: str
    body: str
    link: str | None
    kind: str
    plugin: str | None
    card_id: int | None
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class TickResult:
    """What `cergas_tick` ran: the moment (aware UTC), the command's exit code and output."""

    now: datetime
    exit_code: int
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def moment(value) -> datetime:
    """An aware UTC datetime from a datetime (naive: UTC, as `cergas tick --now` reads it), an
    ISO-8601 text, or a date (09:00 WIB that day)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, DAY_TIME, tzinfo=WIB).astimezone(UTC)
    raise TypeError(f"not a moment: {value!r} (a datetime, a date or an ISO-8601 text)")


def _time_machine():
    try:
        import time_machine
    except ImportError:
        raise RuntimeError(
            "the Cergas test kit needs the time-machine package to freeze or move time "
            "(cergas_clock, created_at=, at=): pip install time-machine"
        ) from None
    return time_machine


@contextmanager
def _at(when):
    """Run the block with the clock at `when` (then back to where it was); no-op for None."""
    if when is None:
        yield
        return
    with _time_machine().travel(moment(when), tick=False):
        yield


class Clock:
    """`cergas_clock`: the frozen time of a test. Everything that reads the time sees it:
    `app.models.utcnow` (created and event times), local dates in each unit's zone, the
    working-day calendar, `cergas tick` without `--now`."""

    def __init__(self, traveller):
        self._traveller = traveller

    @property
    def now(self) -> datetime:
        """The frozen moment, aware UTC."""
        return datetime.now(UTC)

    def today(self, timezone: str = "Asia/Jakarta") -> date:
        """Today's date in a time zone (WIB by default)."""
        return datetime.now(ZoneInfo(timezone)).date()

    def move_to(self, when) -> datetime:
        """Freeze the clock at `when` (a datetime, naive is UTC; an ISO-8601 text; a date, 09:00
        WIB); returns the moment, aware UTC."""
        target = moment(when)
        self._traveller.move_to(target)
        return target

    def shift(self, delta: timedelta | None = None, **parts) -> datetime:
        """Move the clock forward (or back) by `delta` or `days=`, `hours=`, `minutes=`...;
        returns the new moment, aware UTC."""
        step = (delta or timedelta()) + timedelta(**parts)
        self._traveller.shift(step)
        return self.now


def build_app(plugins: dict | None = None, **config):
    """A Cergas app on a fresh in-memory SQLite database, tables created, CSRF off, fast
    password hashing; only `plugins` ({name: object}) are registered unless `config` says
    otherwise (e.g. CERGAS_PLUGINS="nomor-surat" loads that installed entry point too)."""
    from app import create_app

    settings = {
        "TESTING": True,
        "SECRET_KEY": "cergas-test-kit",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "REDIS_URL": None,
        "CERGAS_PLUGINS": "",
        "CERGAS_DISABLED_PLUGINS": "",
        "CERGAS_PLUGIN_OBJECTS": dict(plugins or {}),
        **config,
    }
    app = create_app(settings)
    with app.app_context():
        from app.plugin_schema import create_schema

        create_schema()  # the core's tables and every plugin's own (cergas.plugin_model_base)
        from app.services.skills import seed_catalog

        seed_catalog()  # the migration seeds it on a real database
    return app


def _columns(columns) -> list[dict] | None:
    """Column names become columns: the first is the backlog, the last is done, the rest active."""
    if columns is None:
        return None
    built = []
    for index, column in enumerate(columns):
        if isinstance(column, dict):
            built.append({"wip_limit": None, "wip_policy": "hard", **column})
            continue
        kind = "active"
        if index == 0:
            kind = "backlog"
        elif index == len(columns) - 1:
            kind = "done"
        built.append({"name": column, "kind": kind, "wip_limit": None, "wip_policy": "hard"})
    return built


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "user"
    return slug if slug[0].isalpha() else f"u-{slug}"


class Factories:
    """`cergas_make`: units, users, boards and cards, each written through app.services."""

    password = PASSWORD

    def __init__(self, app):
        self.app = app
        self._taken: set[str] = set()

    def _user(self, user_id: int):
        from app.extensions import db
        from app.models import User

        return db.session.get(User, user_id)

    def _kit_admin(self):
        """The site admin that creates boards and cards when no actor is given."""
        from app.services import accounts
        from app.services.cards import find_user

        admin = find_user(KIT_ADMIN)
        if admin is None:
            admin = accounts.create_user("Admin Uji", PASSWORD, username=KIT_ADMIN, admin=True)
        return admin

    def unit(self, code: str, name: str | None = None, *, parent=None, timezone="Asia/Jakarta"):
        """The unit with this code: made (under `parent`, a code or record) when it does not
        exist yet, else the existing one, unchanged."""
        from app.services import accounts
        from app.services.plugin_cards import find_unit

        parent_code = parent.code if isinstance(parent, UnitRef) else parent
        with self.app.app_context():
            unit = find_unit(code)
            if unit is None:
                unit = accounts.create_unit(code, name or code, parent_code, timezone)
            return UnitRef(unit.id, unit.code, unit.name)

    def user(
        self,
        name: str,
        role: str = "member",
        unit=None,
        admin: bool = False,
        *,
        nip: str | None = None,
        username: str | None = None,
        password: str = PASSWORD,
        **extra,
    ) -> UserRef:
        """A person with a known password (`user.password`), a member or head of `unit`."""
        from app.services import accounts

        if not nip and not username:
            base = _slug(name)[:50]
            username, n = base, 1
            while username in self._taken or len(username) < 3:
                n += 1
                username = f"{base}-{n}"
        self._taken.add(username or nip)
        unit_code = unit.code if isinstance(unit, UnitRef) else unit
        with self.app.app_context():
            user = accounts.create_user(
                name,
                password,
                nip=nip,
                username=username,
                unit_code=unit_code,
                role=role,
                admin=admin,
                **extra,
            )
            return UserRef(user.id, user.name, user.login, password, nip, username, admin)

    def board(
        self,
        unit,
        columns=None,
        *,
        name: str = "Papan Uji",
        personal_wip_limit: int | None = None,
        actor: UserRef | None = None,
        card_types=(),
        labels=(),
    ) -> BoardRef:
        """A board of `unit`. `columns`: names (first backlog, last done, others active) or
        column dicts; None gives Cergas' default columns. The board has Cergas' default card
        types; `card_types` and `labels` (keys such as "izin-usaha", named from them) are added
        to its lists, as its manager would on the settings page."""
        from app.services import boards
        from app.services import card_types as lists
        from app.services.tx import write_transaction

        unit_code = unit.code if isinstance(unit, UnitRef) else unit
        with self.app.app_context():
            creator = self._user(actor.id) if actor else self._kit_admin()
            board = boards.create_board(
                creator,
                name,
                unit_code,
                columns=_columns(columns),
                personal_wip_limit=personal_wip_limit,
            )
            if card_types or labels:
                with write_transaction():
                    lists.ensure(board.id, types=tuple(card_types), labels=tuple(labels))
            return BoardRef(board.id, board.name, unit_code, {c.name: c.id for c in board.columns})

    def card(
        self,
        board: BoardRef,
        title: str,
        column: str | int | None = None,
        *,
        actor: UserRef | None = None,
        due_date=...,
        created_at=None,
        **fields,
    ) -> CardRef:
        """A card on `board`, in `column` (a name or id; default the first column). `fields`
        are card fields (type, labels, assignee, priority, estimate, description). `due_date`
        defaults to a week from today, because active and done columns require one.
        `created_at` (a datetime, naive is UTC, or a date: 09:00 WIB) creates the card at that
        moment, as if it had been made then (its `created` event too). A `type` or `labels`
        not yet on the board's lists are added to them first (keys, as cards store them), so a
        test names the keys its plugin's rules use."""
        from app.services import card_types as lists
        from app.services import cards
        from app.services.tx import write_transaction

        if due_date is ...:
            due_date = date.today() + timedelta(days=7)
        if isinstance(due_date, date):
            due_date = due_date.isoformat()
        if isinstance(fields.get("assignee"), UserRef):
            fields["assignee"] = fields["assignee"].login
        column_id = board.column(column) if isinstance(column, str) else column
        with self.app.app_context(), _at(created_at):
            creator = self._user(actor.id) if actor else self._kit_admin()
            wanted_types = (fields["type"],) if isinstance(fields.get("type"), str) else ()
            wanted_labels = [x for x in fields.get("labels") or () if isinstance(x, str)]
            if wanted_types or wanted_labels:
                with write_transaction():
                    lists.ensure(board.id, types=wanted_types, labels=wanted_labels)
            data = {"title": title, "due_date": due_date, **fields}
            result = cards.create_card(creator, board.id, data, column_id=column_id)
            card = result.card
            return CardRef(
                card.id, card.title, card.board_id, card.column_id, card.version, card.created_at
            )

    def comment(self, card, text: str, *, author: UserRef | None = None, at=None) -> CommentRef:
        """A comment on `card` (a record or id) by `author` (default the kit's admin), written
        as on the card page; `at` (a datetime, naive is UTC, or a date: 09:00 WIB) writes it
        at that moment."""
        from app.services import cards

        card_id = card.id if isinstance(card, CardRef) else card
        with self.app.app_context(), _at(at):
            writer = self._user(author.id) if author else self._kit_admin()
            comment = cards.add_comment(writer, card_id, text)
            return CommentRef(
                comment.id, comment.card_id, comment.author_id, comment.body, comment.created_at
            )

    def plugin_settings(
        self, board: BoardRef, plugin: str, *, enabled: bool | None = None, **settings
    ) -> dict:
        """Switch a plugin on or off on a board and/or save some of its settings, as a head
        would on the board settings page; returns the plugin's settings on the board."""
        from app.services import plugins

        with self.app.app_context():
            state = plugins.set_board_plugin(
                self._kit_admin(),
                board.id,
                plugin,
                enabled=enabled,
                settings=settings or None,
            )
            return dict(state.values)

    def skills(self, user: UserRef, levels: dict, *, actor: UserRef | None = None) -> dict:
        """Record skills for a person ({slug: level 1-4 or None}) as they would on their
        profile (or as `actor`, e.g. their head); returns {slug: level} they then hold."""
        from app.services import skills

        with self.app.app_context():
            person = self._user(user.id)
            editor = self._user(actor.id) if actor else person
            skills.set_user_skills(editor, person, levels, replace=False)
            return skills.skills_of_users([person.id])[person.id]


class ApiCaller:
    """HTTP methods of a test client that send one person's bearer token."""

    def __init__(self, client, token: str):
        self.client = client
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, url: str, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(url, headers=headers, **kwargs)

    def get(self, url, **kwargs):
        return self._call("get", url, **kwargs)

    def post(self, url, **kwargs):
        return self._call("post", url, **kwargs)

    def put(self, url, **kwargs):
        return self._call("put", url, **kwargs)

    def patch(self, url, **kwargs):
        return self._call("patch", url, **kwargs)

    def delete(self, url, **kwargs):
        return self._call("delete", url, **kwargs)


@pytest.fixture
def cergas_plugins():
    """Override in your tests: {name: plugin object} to register on `cergas_app`. Default: none."""
    return {}


@pytest.fixture
def cergas_config():
    """Override to add Flask config to `cergas_app`, e.g. {"CERGAS_PLUGINS": "nomor-surat"} to
    load that installed plugin through its entry point, exactly as a server would."""
    return {}


@pytest.fixture
def cergas_app(cergas_plugins, cergas_config):
    """A Cergas app on a fresh in-memory SQLite database with the chosen plugins."""
    from app.extensions import db

    app = build_app(cergas_plugins, **cergas_config)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def cergas_client(cergas_app):
    """A browser-like test client (cookies kept between requests)."""
    return cergas_app.test_client()


@pytest.fixture
def cergas_make(cergas_app):
    """Factories: unit(code) (get or create), user(name, role, unit, admin), board(unit,
    columns), card(board, title, column, created_at=, **fields), comment(card, text, author=,
    at=), plugin_settings(board, plugin, enabled=, **settings), skills(user, levels).
    Everything goes through app.services, with its rules."""
    return Factories(cergas_app)


@pytest.fixture
def cergas_clock():
    """The frozen clock of a test: starts at the moment the test starts; `move_to(when)`,
    `shift(days=1)`, `now`, `today(timezone)`. Needs the time-machine package."""
    time_machine = _time_machine()
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture
def cergas_tick(cergas_app):
    """cergas_tick(now=None, *, check=True): run every plugin's periodic work once, exactly as
    `cergas tick --now NOW` does (lock, once-a-minute guard, session clean-up); `now` defaults
    to the clock's time. Returns a `TickResult`; with `check` a failed tick fails the test."""

    def tick(now=None, *, check: bool = True) -> TickResult:
        when = moment(now) if now is not None else datetime.now(UTC)
        result = cergas_app.test_cli_runner().invoke(args=["tick", "--now", when.isoformat()])
        ran = TickResult(when, result.exit_code, result.output)
        if check and not ran.ok:
            raise AssertionError(f"cergas tick --now {when.isoformat()} failed:\n{ran.output}")
        return ran

    return tick


@pytest.fixture
def cergas_notifications(cergas_app):
    """cergas_notifications(user, *, unread_only=False, kind=None, plugin=None): what a person
    made by `cergas_make.user` was told, oldest first, as `NotificationRecord`s."""

    def read(user: UserRef, *, unread_only=False, kind=None, plugin=None):
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Notification

        query = select(Notification).where(Notification.user_id == user.id)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        if kind is not None:
            query = query.where(Notification.kind == kind)
        if plugin is not None:
            query = query.where(Notification.plugin == plugin)
        with cergas_app.app_context():
            rows = db.session.scalars(query.order_by(Notification.created_at, Notification.id))
            return [
                NotificationRecord(
                    row.id,
                    row.title,
                    row.body,
                    row.link,
                    row.kind,
                    row.plugin,
                    row.card_id,
                    row.created_at,
                    row.read_at is not None,
                )
                for row in rows
            ]

    return read


@pytest.fixture
def cergas_login():
    """cergas_login(client, user): sign the client in as a user made by `cergas_make.user`."""

    def login(client, user: UserRef):
        response = client.post("/login", data={"username": user.login, "password": user.password})
        assert response.status_code == 302, f"login as {user.login} failed: {response.status}"
        return response

    return login


@pytest.fixture
def cergas_api(cergas_app):
    """cergas_api(user): an API client (get/post/put/patch/delete) with that user's token."""
    from app.extensions import db
    from app.models import User
    from app.services import accounts

    def caller(user: UserRef) -> ApiCaller:
        with cergas_app.app_context():
            token = accounts.create_token(db.session.get(User, user.id), "cergas test kit")
        return ApiCaller(cergas_app.test_client(), token)

    return caller
