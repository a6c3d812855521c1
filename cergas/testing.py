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

Each test gets an app on a fresh in-memory SQLite database. Only the plugins named by the
`cergas_plugins` fixture are registered (installed entry points are not loaded unless the
`cergas_config` fixture sets CERGAS_PLUGINS). Factories return plain records (ids, names,
logins), not database objects, so they can be used freely between requests.
Tutorial and reference: docs/plugins.md, section "Testing a plugin".
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

PASSWORD = "rahasia-uji-123"
KIT_ADMIN = "admin-uji"

__all__ = [
    "PASSWORD",
    "BoardRef",
    "CardRef",
    "Factories",
    "UnitRef",
    "UserRef",
    "cergas_api",
    "cergas_app",
    "cergas_client",
    "cergas_config",
    "cergas_login",
    "cergas_make",
    "cergas_plugins",
]


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
        from app.services import accounts

        parent_code = parent.code if isinstance(parent, UnitRef) else parent
        with self.app.app_context():
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
    ) -> BoardRef:
        """A board of `unit`. `columns`: names (first backlog, last done, others active) or
        column dicts; None gives Cergas' default columns."""
        from app.services import boards

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
            return BoardRef(board.id, board.name, unit_code, {c.name: c.id for c in board.columns})

    def card(
        self,
        board: BoardRef,
        title: str,
        column: str | int | None = None,
        *,
        actor: UserRef | None = None,
        due_date=...,
        **fields,
    ) -> CardRef:
        """A card on `board`, in `column` (a name or id; default the first column). `fields`
        are card fields (type, labels, assignee, priority, estimate, description). `due_date`
        defaults to a week from today, because active and done columns require one."""
        from app.services import cards

        if due_date is ...:
            due_date = date.today() + timedelta(days=7)
        if isinstance(due_date, date):
            due_date = due_date.isoformat()
        if isinstance(fields.get("assignee"), UserRef):
            fields["assignee"] = fields["assignee"].login
        column_id = board.column(column) if isinstance(column, str) else column
        with self.app.app_context():
            creator = self._user(actor.id) if actor else self._kit_admin()
            data = {"title": title, "due_date": due_date, **fields}
            result = cards.create_card(creator, board.id, data, column_id=column_id)
            card = result.card
            return CardRef(card.id, card.title, card.board_id, card.column_id, card.version)

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
    """Factories: unit(code), user(name, role, unit, admin), board(unit, columns), card(board,
    title, column, **fields), plugin_settings(board, plugin, enabled=, **settings). Everything
    goes through app.services, with its rules."""
    return Factories(cergas_app)


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
