"""The search index follows the stored data on every path (issue 25): the migration builds it for
existing cards, `cergas search reindex` rebuilds it, the staff-register import's bulk renames
reach it, a move leaves it alone, and the migration's copies of the index statements are the
models' own."""

import importlib.util
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.models import User
from app.models import search as search_model
from app.services import accounts, boards, cards, import_files, imports, search, search_index
from tests.conftest import NIPS, PASSWORD, get_user
from tests.conftest import test_config as config_for

pytestmark = pytest.mark.pg

MIGRATION = next((Path(__file__).parent.parent / "migrations/versions").glob("0018_search.py"))


def load_migration():
    spec = importlib.util.spec_from_file_location("revision_search", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def found(user, q) -> list[int]:
    return [result.card.id for result in search.search(user, q).results]


def test_the_migration_copies_the_index_statements_of_the_models():
    migration = load_migration()
    assert migration.SEARCH_INDEX_SQLITE == search_model.SEARCH_INDEX_SQLITE
    assert migration.SEARCH_INDEX_SQLITE_DROP == search_model.SEARCH_INDEX_SQLITE_DROP
    assert migration.SEARCH_INDEX_POSTGRESQL == search_model.SEARCH_INDEX_POSTGRESQL
    assert migration.SEARCH_INDEX_POSTGRESQL_DROP == search_model.SEARCH_INDEX_POSTGRESQL_DROP
    assert migration.PG_CONFIGURATION == search_model.PG_CONFIGURATION
    assert migration.PG_UNACCENT == search_model.PG_UNACCENT
    assert migration.INSERT_SQLITE == search_index.INSERT_SQLITE
    assert migration.INSERT_POSTGRESQL == search_index.INSERT_POSTGRESQL


def test_the_migration_indexes_the_cards_that_exist(tmp_path):
    app = create_app(config_for(f"sqlite:///{tmp_path / 'search.db'}"))
    with app.app_context():
        flask_migrate.upgrade()
        accounts.create_unit("SEKSI", "Seksi Pelayanan")
        head = accounts.create_user(
            "Kasi", PASSWORD, username="kasi", unit_code="SEKSI", role="head"
        )
        board = boards.create_board(head, "Pelayanan", "SEKSI")
        card_id = cards.create_card(head, board.id, {"title": "Izin reklame"}).card.id
        cards.add_comment(head, card_id, "Berkas lengkap")
        head_id = head.id
        db.session.remove()
        flask_migrate.downgrade(revision="0016_archive_views_rhk")
        flask_migrate.upgrade()
        head = db.session.get(User, head_id)
        assert found(head, "reklame") == [card_id]
        assert found(head, "lengkap") == [card_id]
        db.session.remove()
        db.engine.dispose()


def test_reindex_command_rebuilds_a_lost_index(app, org, runner):
    with app.app_context():
        kasi = get_user("kasi", org)
        card_id = cards.create_card(kasi, org.board_id, {"title": "Renstra dinas"}).card.id
        db.session.execute(text("DELETE FROM card_search"))
        db.session.commit()
        assert found(kasi, "renstra") == []
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert found(get_user("kasi", org), "renstra") == [card_id]


def test_a_name_changed_by_the_staff_import_is_found(app, org):
    header = "NIP,Nama,Jabatan,Kode Unit,Email,No HP,Peran\n"
    data = f"{NIPS['staff']},Agus Setiawan,,SEKSI-APL,,,\n"
    with app.app_context():
        kasi = get_user("kasi", org)
        card = cards.create_card(
            kasi, org.board_id, {"title": "Jaringan", "assignee": NIPS["staff"]}
        ).card
        table = import_files.read((header + data).encode("utf-8"), "people")
        imports.apply_people(get_user("admin", org), table, "simpeg.csv")
        assert found(kasi, "setiawan") == [card.id]
        assert found(kasi, "pratama") == []


def test_an_unchanged_card_write_does_not_touch_the_index(app, org):
    """A move changes nothing indexed: no index statement joins the move's transaction."""
    from tests.query_counter import count_queries

    with app.app_context():
        kasi = get_user("kasi", org)
        card_id = cards.create_card(kasi, org.board_id, {"title": "Pindah"}).card.id
        cards.create_card(kasi, org.board_id, {"title": "Kedua"})
    with app.app_context(), count_queries(app) as sent:
        cards.move_card(get_user("kasi", org), card_id, org.backlog, 1)
    assert not [sql for sql in sent if "card_search" in sql]
