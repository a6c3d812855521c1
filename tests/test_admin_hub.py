"""The administration hub: each person sees the parts of the administration they may use, and
the navigation offers it only to them."""

from tests.conftest import NIPS, PASSWORD


def login(client, who):
    response = client.post("/login", data={"username": NIPS.get(who, who), "password": PASSWORD})
    assert response.status_code == 302


ADMIN_ONLY = ("/admin/units", "/admin/log", "/admin/calendars", "/admin/plugins")
FOR_HEADS = ("/people", "/admin/import", "/teams", "/acting")


def test_an_admin_sees_every_section(client, org):
    login(client, "admin")
    page = client.get("/admin/").get_data(as_text=True)
    for href in ADMIN_ONLY + FOR_HEADS:
        assert f'href="{href}"' in page, href
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)


def test_a_head_sees_only_what_heads_may_use(client, org):
    login(client, "kasi")
    response = client.get("/admin/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for href in FOR_HEADS:
        assert f'href="{href}"' in page, href
    for href in ADMIN_ONLY:
        assert f'href="{href}"' not in page, href
    # Every section offered opens for them.
    for href in FOR_HEADS:
        assert client.get(href).status_code == 200, href


def test_a_member_gets_no_hub_and_no_link_to_it(client, org):
    login(client, "staff")
    assert client.get("/admin/").status_code == 403
    home = client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' not in home
    assert 'href="/teams"' in home  # work teams are for everyone
