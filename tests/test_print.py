"""Print (issue 25): every page links the paper stylesheet for print media only, and the board,
card and calendar pages offer a "Print" button."""

from app.services import cards
from tests.conftest import get_user


def test_pages_link_the_print_stylesheet_for_print_only_and_offer_a_print_button(
    app, client, auth, org
):
    with app.app_context():
        card_id = cards.create_card(
            get_user("staff", org), org.board_id, {"title": "Surat"}
        ).card.id
    auth.login(org.nips["staff"])
    for path in (
        f"/boards/{org.board_id}",
        f"/cards/{card_id}",
        f"/boards/{org.board_id}/calendar",
    ):
        html = client.get(path).get_data(as_text=True)
        assert '<link rel="stylesheet" href="/static/print.css" media="print">' in html, path
        assert 'class="js-print' in html, path
    assert client.get("/static/print.css").status_code == 200
