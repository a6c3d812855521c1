"""Search across boards (issue 25): every indexed field is findable, the index follows every
change, archived cards only on request, ranking, filters, hostile queries, and a fixed number of
queries per page. Visibility (people never find what they may not see) is in
tests/test_search_visibility.py."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import Card
from app.services import archive, attachments, cards, checklists, people, search, search_index
from app.services.errors import Invalid
from tests.conftest import get_user
from tests.documents import pdf, upload
from tests.query_counter import count_queries

pytestmark = pytest.mark.pg


def new_card(org, title="Surat edaran", who="kasi", **data):
    return cards.create_card(get_user(who, org), org.board_id, {"title": title, **data}).card.id


def found(org, q, who="kasi", **filters) -> list[int]:
    page = search.search(get_user(who, org), q, **filters)
    return [result.card.id for result in page.results]


def test_every_indexed_field_is_findable(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        card_id = new_card(
            org,
            "Rekapitulasi anggaran",
            description="Mohon disiapkan **lampiran** triwulan",
            type="surat-keluar",
            labels=["mendesak"],
            assignee=org.nips["staff"],
        )
        checklists.add_item(kasi, card_id, {"text": "Tandatangan sekretaris"})
        attachments.add(kasi, card_id, upload(pdf(), "notulen_rapat-koordinasi.pdf"))
        for q in (
            "rekapitulasi",  # title
            "lampiran",  # description
            "tandatangan",  # checklist item
            "mendesak",  # label
            "keluar",  # type
            "Agus Pratama",  # assignee's name
            org.nips["staff"],  # assignee's NIP
            "notulen",  # document name
            "koordinasi",
        ):
            assert found(org, q) == [card_id], q


def test_a_comment_added_later_is_found(app, org):
    with app.app_context():
        card_id = new_card(org, "Rapat evaluasi")
        assert found(org, "kuorum") == []
        cards.add_comment(get_user("staff", org), card_id, "Peserta belum kuorum")
        assert found(org, "kuorum") == [card_id]


def test_an_edited_card_no_longer_matches_its_old_title(app, org):
    with app.app_context():
        card_id = new_card(org, "Pengadaan laptop")
        card = db.session.get(Card, card_id)
        cards.update_card(
            get_user("kasi", org), card_id, {"title": "Pengadaan printer"}, version=card.version
        )
        assert found(org, "laptop") == []
        assert found(org, "printer") == [card_id]


def test_a_renamed_assignee_is_found_by_the_new_name(app, org):
    with app.app_context():
        card_id = new_card(org, "Pemeliharaan server", assignee=org.nips["staff"])
        people.update_person(get_user("admin", org), org.nips["staff"], {"name": "Agus Wibowo"})
        assert found(org, "wibowo") == [card_id]
        assert found(org, "pratama") == []


def test_a_removed_document_no_longer_matches(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        card_id = new_card(org, "Kontrak")
        document = attachments.add(kasi, card_id, upload(pdf(), "kwitansi.pdf"))
        assert found(org, "kwitansi") == [card_id]
        attachments.remove(kasi, document.id, "salah unggah")
        assert found(org, "kwitansi") == []


def test_archived_cards_are_found_only_on_request(app, org):
    with app.app_context():
        kept = new_card(org, "Arsip surat masuk")
        gone = new_card(org, "Arsip surat lama")
        archive.archive_card(get_user("kasi", org), gone, reason="Tidak jadi dikirim")
        assert found(org, "arsip") == [kept]
        assert sorted(found(org, "arsip", archived=True)) == sorted([kept, gone])
        assert found(org, "arsip", status="archived") == [gone]
        assert sorted(found(org, "arsip", status="all")) == sorted([kept, gone])
        page = search.search(get_user("kasi", org), "arsip", status="archived")
        assert page.total == 1 and page.results[0].archived


def test_the_last_word_matches_as_a_prefix_and_accents_are_folded(app, org):
    with app.app_context():
        card_id = new_card(org, "Sosialisasi perizinan café daerah")
        assert found(org, "sosialisasi periz") == [card_id]
        assert found(org, "cafe") == [card_id]
        assert found(org, "periz sosialisasi") == []  # only the last word is a prefix


def test_a_title_match_ranks_above_a_comment_match(app, org):
    with app.app_context():
        in_comment = new_card(org, "Laporan bulanan")
        cards.add_comment(get_user("kasi", org), in_comment, "Termasuk data retribusi")
        in_title = new_card(org, "Retribusi pasar")
        assert found(org, "retribusi") == [in_title, in_comment]


def test_matches_are_highlighted_on_escaped_text(app, org):
    with app.app_context():
        card_id = new_card(org, "<script>alert(1)</script> jadwal piket")
        cards.add_comment(get_user("kasi", org), card_id, "Jadwal <b>baru</b> sudah dikirim")
        [result] = search.search(get_user("kasi", org), "jadwal").results
        assert "<script>" not in result.title_html
        assert "&lt;script&gt;" in result.title_html
        assert "<mark>jadwal</mark>" in result.title_html
        assert result.snippet_field == "comments"
        assert "<mark>Jadwal</mark> &lt;b&gt;baru" in result.snippet_html


def test_a_matching_title_shows_no_snippet_of_its_type_or_labels(app, org):
    with app.app_context():
        new_card(org, "Balas surat keluar", type="surat-keluar", labels=["surat"])
        [result] = search.search(get_user("kasi", org), "surat").results
        assert "<mark>surat</mark>" in result.title_html
        assert result.snippet_html is None


@pytest.mark.parametrize(
    "q",
    ['"', "*", "AND OR NOT", "a:b", "^x", "NEAR(a b)", "'; DROP TABLE cards; --", "(((", "-x"],
)
def test_engine_syntax_in_a_query_never_raises(app, org, q):
    with app.app_context():
        new_card(org, "Biasa saja")
        page = search.search(get_user("kasi", org), q)
        assert page.total == 0 and page.results == []


def test_operator_words_are_searched_as_words(app, org):
    with app.app_context():
        card_id = new_card(org, "Rapat NEAR kantor OR gudang")
        assert found(org, "near or") == [card_id]


def test_filters_by_status_due_dates_and_overdue(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        today = date.today()
        late = new_card(org, "Berkas terlambat", due_date=(today - timedelta(days=3)).isoformat())
        later = new_card(org, "Berkas nanti", due_date=(today + timedelta(days=10)).isoformat())
        done = new_card(org, "Berkas selesai", due_date=(today - timedelta(days=3)).isoformat())
        cards.move_card(kasi, done, org.done, 0)
        assert found(org, "berkas", overdue=True) == [late]
        assert found(org, "berkas", status="done") == [done]
        assert sorted(found(org, "berkas", status="open")) == sorted([late, later])
        assert found(org, "berkas", due_from=today.isoformat()) == [later]
        assert sorted(found(org, "berkas", due_to=today.isoformat())) == sorted([late, done])
        tomorrow = (today + timedelta(days=1)).isoformat()
        assert found(org, "berkas", created_from=tomorrow) == []
        assert len(found(org, "berkas", created_to=tomorrow)) == 3


def test_bad_filters_are_refused_naming_each_field(app, org):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            search.search(
                get_user("kasi", org),
                "x",
                status="lost",
                due_from="kemarin",
                page="0",
                boards=["abc"],
            )
        assert set(refused.value.fields) == {"status", "due_from", "page", "board"}


def test_pages_and_the_total(app, org):
    with app.app_context():
        ids = [new_card(org, f"Nota dinas {n}") for n in range(5)]
        first = search.search(get_user("kasi", org), "nota", per_page=2)
        third = search.search(get_user("kasi", org), "nota", per_page=2, page=3)
        beyond = search.search(get_user("kasi", org), "nota", per_page=2, page=4)
        assert (first.total, first.pages, len(first.results)) == (5, 3, 2)
        assert (third.total, len(third.results)) == (5, 1)
        assert (beyond.total, beyond.results) == (5, [])
        second = search.search(get_user("kasi", org), "nota", per_page=2, page=2)
        shown = {r.card.id for p in (first, second, third) for r in p.results}
        assert shown == set(ids)


def test_queries_per_page_do_not_grow_with_the_results(app, org):
    with app.app_context():
        for n in range(12):
            card_id = new_card(org, f"Disposisi {n}", assignee=org.nips["staff"])
            cards.add_comment(get_user("kasi", org), card_id, "disposisi diteruskan")
        kasi_id = org.users["kasi"]

    def statements(per_page):
        with app.test_request_context(), count_queries(app) as sent:
            search.search(get_user(kasi_id), "disposisi", per_page=per_page)
        return len(sent)

    assert statements(2) == statements(12)


def test_reindex_rebuilds_the_same_rows(app, org):
    with app.app_context():
        card_id = new_card(org, "Telaah staf", labels=["hukum"])
        cards.add_comment(get_user("kasi", org), card_id, "sudah dibaca")
        before = db.session.execute(text("SELECT * FROM card_search")).all()
        db.session.execute(text("DELETE FROM card_search"))
        db.session.commit()
        assert found(org, "telaah") == []
        assert search_index.rebuild() == 1
        db.session.commit()
        assert db.session.execute(text("SELECT * FROM card_search")).all() == before
        assert found(org, "hukum") == [card_id]
