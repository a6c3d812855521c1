"""Names, not codes (issue 26): the main pages of the demo office, read in Indonesian by a head, a
staff member and the admin, show no stored key, event kind, plugin package name, column kind or
English priority, and no kebab-case or snake_case identifier, in their visible text (tags,
<script>, <style>, attribute values and URLs are not read)."""

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import Board, Card, CardType, Event, Label, Skill, Sprint
from tests.conftest import make_app

# The demo office is built once for the module (a few seconds): the full run only.
pytestmark = pytest.mark.slow

HEAD = "198204182006042012"  # kasi_pip, head of Seksi PIP
STAFF = "199101052015031002"  # dimas
PASSWORD = demo.PASSWORD

# English words that are codes when they stand alone on an Indonesian screen.
ENGLISH = {
    # priorities (the Indonesian UI says rendah, biasa, tinggi, mendesak)
    "low",
    "high",
    "urgent",
    # column kinds
    "backlog",
    "active",
    "done",
    # plugin package names
    "workload",
    "approvals",
    "competency",
    "sla",
    # event kinds that are plain words
    "created",
    "moved",
    "assigned",
    "updated",
    "comment",
    "added",
    "removed",
    "carried",
}
IDENTIFIER = re.compile(r"(?<![\w./@:-])[a-z][a-z0-9]*(?:[-_][a-z0-9]+)+(?![\w/@-])")
# Indonesian words written with a hyphen that are not identifiers.
WORDS = {"s.d", "e-mail", "non-asn"}


def indonesian_word(token: str) -> bool:
    """Reduplication (kartu-kartu, masing-masing, sehari-hari, berhari-hari) and words of the
    allow-list are language, not codes."""
    if token in WORDS or re.fullmatch(r"ke-[0-9]+", token):  # ordinals: persentil ke-85
        return True
    if "_" in token:
        return False
    if token.startswith(("sub-", "non-")):  # sub-unitnya, non-ASN
        return True
    parts = token.split("-")
    if len(parts) != 2:
        return False
    a, b = parts
    stems = {b, b.removesuffix("nya"), b.removesuffix("an"), b.removesuffix("i")}
    return any(a == s or a.endswith(s) for s in stems if len(s) >= 3)


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    return re.sub(r"https?://\S+", " ", text)


@pytest.fixture(scope="module")
def office():
    app = make_app("sqlite://")
    with app.app_context():
        demo.create_demo()
        boards = list(db.session.scalars(select(Board).order_by(Board.id)))
        codes = set()
        for model in (CardType, Label):
            codes |= {key for key in db.session.scalars(select(model.key)) if not key.isalpha()}
        codes |= {f"skill:{slug}" for slug in db.session.scalars(select(Skill.slug))}
        codes |= {slug for slug in db.session.scalars(select(Skill.slug)) if "-" in slug}
        codes |= {kind for kind in db.session.scalars(select(Event.kind).distinct())}
        codes |= set(app.extensions["cergas_plugins"].loaded())
        cards = {}
        for card in db.session.scalars(select(Card).order_by(Card.id)):
            cards.setdefault((card.board_id, card.type), card.id)
        sprints = list(db.session.scalars(select(Sprint.id)))
        pages = {
            "head": [
                "/",
                *(f"/boards/{b.id}" for b in boards),
                *(f"/cards/{card_id}" for card_id in cards.values()),
                *(f"/boards/{b.id}/reports" for b in boards),
                *(f"/boards/{b.id}/sprints" for b in boards),
                *(f"/sprints/{sprint_id}" for sprint_id in sprints),
                *(f"/sprints/{sprint_id}/review" for sprint_id in sprints),
                *(f"/boards/{b.id}/settings" for b in boards),
                "/plugins/workload/",
                "/plugins/sla/",
                "/plugins/approvals/inbox",
                "/plugins/competency/",
                "/profile",
                "/notifications",
            ],
            "staff": ["/", "/boards/1", "/profile", "/notifications", "/plugins/approvals/inbox"],
            "admin": ["/admin", "/admin/plugins", "/people", "/admin/log", "/admin/units"],
        }
    yield app, codes, pages
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def findings(client, paths, codes) -> dict:
    found = {}
    for path in paths:
        response = client.get(path, follow_redirects=True)
        if response.status_code == 404:  # a plugin page of a plugin that is not loaded
            continue
        assert response.status_code == 200, path
        assert response.request.path != "/login", path  # signed in
        text = visible_text(response.get_data(as_text=True))
        if path == "/admin/plugins":
            # The admin's technical page names each plugin's package next to its title.
            text = re.sub(r"\b(?:approvals|competency|sla|workload|email)\b", " ", text)
        words = set(re.findall(r"[\w:-]+", text))
        bad = sorted(
            {w for w in words if w in codes and not w.isalpha() or w in ENGLISH}
            | {m for m in IDENTIFIER.findall(text) if not indonesian_word(m)}
        )
        if bad:
            found[path] = bad
    return found


@pytest.mark.parametrize(
    "who,login", [("head", HEAD), ("staff", STAFF), ("admin", "admin")], ids=str
)
def test_main_pages_show_names_not_codes(office, who, login):
    app, codes, pages = office
    client = app.test_client()
    client.post("/login", data={"username": login, "password": PASSWORD})
    assert findings(client, pages[who], codes) == {}
