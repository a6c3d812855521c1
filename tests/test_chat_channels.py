"""Telegram and WhatsApp channels (app/services/channel_chat.py, chat_links.py) against local
servers standing in for api.telegram.org and graph.facebook.com (tests/chat_servers.py):
sending a delivery, failures and retries, linking by a /start code and by a WhatsApp code,
unlinking, and the administrator's page with the environment's precedence and a test message."""

import re
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, ChannelLink, Delivery, SiteSetting, utcnow
from app.services import channel_chat, chat_links
from app.services.channels import DeliveryFailed, sender_for
from app.services.notifications import notify
from tests.chat_servers import FakeMeta, FakeTelegram
from tests.conftest import NIPS, PASSWORD, build_org, get_user, make_app

BASE_URL = "https://cergas.example.go.id"
TOKEN = "123456789:AAF-uji_token_yang_cukup_panjang"
TELEGRAM = {"CERGAS_TELEGRAM_BOT_TOKEN": TOKEN, "CERGAS_TELEGRAM_BOT_NAME": "cergas_uji_bot"}
WHATSAPP = {"CERGAS_WHATSAPP_TOKEN": "EAAGuji123token", "CERGAS_WHATSAPP_PHONE_ID": "1098765"}
ENV_NAMES = [*TELEGRAM, *WHATSAPP, "CERGAS_WHATSAPP_TEMPLATE", "CERGAS_WHATSAPP_LANGUAGE"]


@pytest.fixture
def telegram():
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture
def meta():
    fake = FakeMeta().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def no_chat_environment(monkeypatch):
    """The machine's own environment configures nothing here."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def chat_app(database_url, telegram, meta, **settings):
    return make_app(
        database_url,
        CHAT_TELEGRAM_API=telegram.url,
        CHAT_WHATSAPP_API=meta.url,
        BASE_URL=BASE_URL,
        **settings,
    )


@pytest.fixture
def app(database_url, telegram, meta):
    """Telegram and WhatsApp configured (as by the environment) and pointed at the fakes."""
    app = chat_app(database_url, telegram, meta, **TELEGRAM, **WHATSAPP)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def login(client, key):
    client.post("/login", data={"username": NIPS.get(key, key), "password": PASSWORD})


def link(user_id, channel, address):
    db.session.add(
        ChannelLink(user_id=user_id, channel=channel, address=address, verified_at=utcnow())
    )
    db.session.commit()


def delivery_for(user, channel, title="Kartu baru untuk Anda", body="Permohonan data"):
    notification = notify(user, title, body, link="/cards/7")
    row = Delivery(notification_id=notification.id, user_id=user.id, channel=channel)
    db.session.add(row)
    db.session.commit()
    return row


# Sending ---------------------------------------------------------------------------------------


def test_telegram_delivery_sends_title_body_and_link_to_the_linked_chat(app, org, telegram):
    with app.app_context():
        staff = get_user("staff", org)
        link(staff.id, "telegram", "555001")
        sender_for("telegram")(delivery_for(staff, "telegram"))
    (sent,) = telegram.sent("sendMessage")
    assert str(sent["chat_id"]) == "555001"
    assert "Kartu baru untuk Anda" in sent["text"]
    assert "Permohonan data" in sent["text"]
    assert f"{BASE_URL}/cards/7" in sent["text"]
    assert all(TOKEN in row["path"] for row in telegram.requests)


def test_whatsapp_delivery_goes_to_the_linked_number(app, org, meta):
    with app.app_context():
        staff = get_user("staff", org)
        link(staff.id, "whatsapp", "+6281234567890")
        sender_for("whatsapp")(delivery_for(staff, "whatsapp"))
    (request,) = meta.requests
    assert request["path"] == "/v21.0/1098765/messages"
    assert request["headers"]["Authorization"] == "Bearer EAAGuji123token"
    assert request["body"]["to"] == "+6281234567890"
    text = request["body"]["text"]["body"]
    assert "Kartu baru untuk Anda" in text and f"{BASE_URL}/cards/7" in text


@pytest.mark.parametrize("channel", ["telegram", "whatsapp"])
@pytest.mark.parametrize("status", [400, 500])
def test_remote_error_fails_the_delivery_for_a_retry_with_what_the_service_said(
    app, org, telegram, meta, channel, status
):
    fake = telegram if channel == "telegram" else meta
    fake.fail_with = status
    with app.app_context():
        staff = get_user("staff", org)
        link(staff.id, channel, "555001" if channel == "telegram" else "+6281234567890")
        with pytest.raises(DeliveryFailed) as failed:
            sender_for(channel)(delivery_for(staff, channel))
    assert failed.value.retry is True
    said = "chat not found" if channel == "telegram" else "Recipient not in allowed list"
    assert said in failed.value.message


def test_unreachable_service_fails_for_a_retry(app, org):
    with app.app_context():
        app.config["CHAT_TELEGRAM_API"] = f"http://127.0.0.1:{free_port()}"
        staff = get_user("staff", org)
        link(staff.id, "telegram", "555001")
        with pytest.raises(DeliveryFailed) as failed:
            sender_for("telegram")(delivery_for(staff, "telegram"))
    assert failed.value.retry is True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("channel", ["telegram", "whatsapp"])
def test_person_without_a_link_fails_without_retry(app, org, telegram, meta, channel):
    with app.app_context():
        staff = get_user("staff", org)
        with pytest.raises(DeliveryFailed) as failed:
            sender_for(channel)(delivery_for(staff, channel))
    assert failed.value.retry is False
    assert telegram.requests == [] and meta.requests == []


def test_channel_not_configured_fails_without_retry(database_url, telegram, meta):
    app = chat_app(database_url, telegram, meta)
    org = build_org(app)
    with app.app_context():
        staff = get_user("staff", org)
        link(staff.id, "telegram", "555001")
        with pytest.raises(DeliveryFailed) as failed:
            sender_for("telegram")(delivery_for(staff, "telegram"))
    assert failed.value.retry is False
    assert telegram.requests == []


def test_usable_for_is_the_configured_channels_the_person_linked(database_url, telegram, meta):
    app = chat_app(database_url, telegram, meta, **TELEGRAM)
    org = build_org(app)
    with app.app_context():
        staff, kasi = get_user("staff", org), get_user("kasi", org)
        assert channel_chat.usable_for(staff) == []
        link(staff.id, "telegram", "555001")
        link(staff.id, "whatsapp", "+6281234567890")  # linked, but WhatsApp is not configured
        db.session.add(ChannelLink(user_id=kasi.id, channel="telegram", code="c-pending"))
        db.session.commit()
        assert channel_chat.usable_for(staff) == ["telegram"]
        assert channel_chat.usable_for(kasi) == []


# Telegram: the /start code ----------------------------------------------------------------------


def test_connect_telegram_links_the_chat_that_sent_the_start_code(app, org, client, telegram):
    login(client, "staff")
    response = client.post("/account/channels/telegram")
    assert response.status_code == 303
    page = client.get("/account/channels").get_data(as_text=True)
    code = re.search(r"https://t\.me/cergas_uji_bot\?start=([\w-]+)", page).group(1)
    assert f"/start {code}" in page
    telegram.start_message("/start nonsense", chat_id=777)
    telegram.start_message(f"/start {code}", chat_id=555001)
    with app.app_context():
        assert chat_links.poll_telegram() == 1
        staff = get_user("staff", org)
        row = chat_links.link_of(staff, "telegram")
        assert (row.address, row.code) == ("555001", None)
        assert row.verified_at is not None
        assert channel_chat.usable_for(staff) == ["telegram"]
    replies = {str(body["chat_id"]): body["text"] for body in telegram.sent("sendMessage")}
    assert "Terhubung dengan Cergas sebagai Agus Pratama" in replies["555001"]
    assert "kedaluwarsa" in replies["777"]
    # The next poll asks only for newer updates, and links nothing twice.
    with app.app_context():
        assert chat_links.poll_telegram() == 0
    offsets = [body.get("offset") for body in telegram.sent("getUpdates")]
    assert offsets == [None, 9002]
    page = client.get("/account/channels").get_data(as_text=True)
    assert 'id="telegram-status">Terhubung' in page or 'id="telegram-status">Linked' in page
    assert "555001" not in page


def test_an_expired_start_code_links_nothing(app, org, client, telegram):
    login(client, "staff")
    client.post("/account/channels/telegram")
    with app.app_context():
        row = chat_links.link_of(get_user("staff", org), "telegram")
        code = row.code
        row.code_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    telegram.start_message(f"/start {code}")
    with app.app_context():
        assert chat_links.poll_telegram() == 0
        assert not chat_links.is_linked(chat_links.link_of(get_user("staff", org), "telegram"))
    assert "kedaluwarsa" in telegram.sent("sendMessage")[0]["text"]


def test_a_start_code_from_a_group_chat_links_nothing(app, org, client, telegram):
    login(client, "staff")
    client.post("/account/channels/telegram")
    with app.app_context():
        code = chat_links.link_of(get_user("staff", org), "telegram").code
    telegram.start_message(f"/start {code}", chat_id=-100123, chat_type="group")
    with app.app_context():
        assert chat_links.poll_telegram() == 0


def test_tick_reads_the_bots_updates(app, org, client, telegram):
    login(client, "staff")
    client.post("/account/channels/telegram")
    with app.app_context():
        code = chat_links.link_of(get_user("staff", org), "telegram").code
    telegram.start_message(f"/start {code}")
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert chat_links.is_linked(chat_links.link_of(get_user("staff", org), "telegram"))


# WhatsApp: a code typed back -------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed,e164",
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("812 3456 7890", "+6281234567890"),
        ("(0812) 3456.789", "+628123456789"),
        ("+31 6 12345678", "+31612345678"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(typed, e164):
    assert chat_links.normalise_phone(typed) == e164


@pytest.mark.parametrize("typed", ["", "021 123", "0812-abc", "+62 21 555 1234", "٠٨١٢٣٤٥٦٧٨٩"])
def test_what_is_no_mobile_number_is_refused(typed):
    from app.services.validation import FieldError

    with pytest.raises(FieldError):
        chat_links.normalise_phone(typed)


def sent_code(meta) -> str:
    return re.search(r"\b(\d{6})\b", meta.texts()[-1]).group(1)


def test_whatsapp_code_round_trip_links_the_number(app, org, client, meta):
    login(client, "staff")
    response = client.post("/account/channels/whatsapp", data={"number": "0812-3456-7890"})
    assert response.status_code == 303
    assert meta.requests[-1]["body"]["to"] == "+6281234567890"
    code = sent_code(meta)
    with app.app_context():
        assert code not in chat_links.link_of(get_user("staff", org), "whatsapp").code
    page = client.get("/account/channels").get_data(as_text=True)
    assert 'id="whatsapp-code"' in page
    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/account/channels/whatsapp/confirm", data={"code": wrong})
    assert response.status_code == 422
    assert "4" in response.get_data(as_text=True)
    response = client.post("/account/channels/whatsapp/confirm", data={"code": code})
    assert response.status_code == 303
    with app.app_context():
        assert channel_chat.usable_for(get_user("staff", org)) == ["telegram", "whatsapp"][1:]


def test_a_bad_number_is_refused_next_to_the_field(app, org, client, meta):
    login(client, "staff")
    response = client.post("/account/channels/whatsapp", data={"number": "021 123"})
    assert response.status_code == 422
    assert 'id="whatsapp-number-error"' in response.get_data(as_text=True)
    assert meta.requests == []


def test_too_many_wrong_codes_void_the_code(app, org, client, meta):
    login(client, "staff")
    client.post("/account/channels/whatsapp", data={"number": "081234567890"})
    code = sent_code(meta)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [
        client.post("/account/channels/whatsapp/confirm", data={"code": wrong}).status_code
        for _ in range(chat_links.MAX_ATTEMPTS)
    ]
    assert statuses == [422] * (chat_links.MAX_ATTEMPTS - 1) + [429]
    response = client.post("/account/channels/whatsapp/confirm", data={"code": code})
    assert response.status_code == 409
    with app.app_context():
        assert channel_chat.usable_for(get_user("staff", org)) == []


def test_an_expired_whatsapp_code_is_refused(app, org, client, meta):
    login(client, "staff")
    client.post("/account/channels/whatsapp", data={"number": "081234567890"})
    code = sent_code(meta)
    with app.app_context():
        row = chat_links.link_of(get_user("staff", org), "whatsapp")
        row.code_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.post("/account/channels/whatsapp/confirm", data={"code": code})
    assert response.status_code == 409
    with app.app_context():
        assert not chat_links.is_linked(chat_links.link_of(get_user("staff", org), "whatsapp"))


def test_a_number_whatsapp_refuses_gets_a_clear_message(app, org, client, meta):
    meta.fail_with = 400
    login(client, "staff")
    response = client.post("/account/channels/whatsapp", data={"number": "081234567890"})
    assert response.status_code == 409
    assert 'id="channels-alert"' in response.get_data(as_text=True)
    with app.app_context():
        assert chat_links.link_of(get_user("staff", org), "whatsapp") is None


def test_unlink_forgets_the_address(app, org, client):
    with app.app_context():
        link(org.users["staff"], "telegram", "555001")
    login(client, "staff")
    response = client.post("/account/channels/telegram/unlink")
    assert response.status_code == 303
    with app.app_context():
        assert chat_links.link_of(get_user("staff", org), "telegram") is None
    assert client.post("/account/channels/telegram/unlink").status_code == 404


def test_others_never_see_a_persons_chat_addresses(app, org, client):
    with app.app_context():
        link(org.users["staff"], "telegram", "555001")
        link(org.users["staff"], "whatsapp", "+6281234567890")
    for who in ("admin", "kasi"):
        login(client, who)
        for url in ("/account/channels", "/admin/chat-channels", f"/people/{NIPS['staff']}"):
            page = client.get(url).get_data(as_text=True)
            assert "555001" not in page and "81234567890" not in page, (who, url)
        client.post("/logout")


def test_without_configuration_the_page_says_so_and_connect_is_refused(
    database_url, telegram, meta
):
    app = chat_app(database_url, telegram, meta)
    build_org(app)
    client = app.test_client()
    login(client, "staff")
    assert 'id="channels-none"' in client.get("/account/channels").get_data(as_text=True)
    assert client.post("/account/channels/telegram").status_code == 409


# The administrator's page ----------------------------------------------------------------------


@pytest.fixture
def bare_app(database_url, telegram, meta):
    """Nothing configured by the environment: the page decides."""
    app = chat_app(database_url, telegram, meta)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_admin_saves_settings_and_secrets_are_never_shown_back(bare_app, telegram):
    build_org(bare_app)
    client = bare_app.test_client()
    login(client, "admin")
    form = {"telegram_bot_token": TOKEN, "telegram_bot_name": "cergas_uji_bot"}
    assert client.post("/admin/chat-channels", data=form).status_code == 303
    page = client.get("/admin/chat-channels").get_data(as_text=True)
    assert TOKEN not in page and TOKEN[-4:] in page
    assert 'id="telegram-status"' in page
    with bare_app.app_context():
        assert channel_chat.configured_channels() == ["telegram"]
        event = db.session.scalar(select(AdminEvent).where(AdminEvent.kind == "setting.changed"))
        assert TOKEN not in str(event.after) and event.target_label == "chat_channels"
    # An empty secret keeps the stored one.
    client.post("/admin/chat-channels", data={"telegram_bot_name": "kantor_bot"})
    with bare_app.app_context():
        stored = db.session.get(SiteSetting, "chat_channels").value
        assert stored["telegram_bot_token"] == TOKEN
        assert stored["telegram_bot_name"] == "kantor_bot"
    # Removing the settings turns the channel off.
    client.post("/admin/chat-channels", data={"clear_telegram": "1"})
    with bare_app.app_context():
        assert channel_chat.configured_channels() == []


def test_bad_settings_are_refused_next_to_the_field(bare_app):
    build_org(bare_app)
    client = bare_app.test_client()
    login(client, "admin")
    response = client.post(
        "/admin/chat-channels", data={"telegram_bot_token": "nope", "whatsapp_phone_id": "12345"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="telegram-bot-token-error"' in page
    assert 'id="whatsapp-token-error"' in page  # the phone id alone is not enough
    with bare_app.app_context():
        assert db.session.get(SiteSetting, "chat_channels") is None


def test_the_environment_wins_over_the_page(bare_app, monkeypatch):
    build_org(bare_app)
    client = bare_app.test_client()
    login(client, "admin")
    client.post(
        "/admin/chat-channels",
        data={"telegram_bot_token": TOKEN, "telegram_bot_name": "dari_halaman"},
    )
    monkeypatch.setenv("CERGAS_TELEGRAM_BOT_TOKEN", "987654321:env_token_yang_juga_panjang")
    monkeypatch.setenv("CERGAS_TELEGRAM_BOT_NAME", "dari_server_bot")
    with bare_app.app_context():
        config = channel_chat.config_for("telegram")
        assert config.source == "environment"
        assert config.values["telegram_bot_name"] == "dari_server_bot"
    page = client.get("/admin/chat-channels").get_data(as_text=True)
    assert 'id="telegram-environment"' in page
    assert "env_token_yang_juga_panjang" not in page
    client.post("/admin/chat-channels", data={"telegram_bot_name": "diabaikan"})
    with bare_app.app_context():
        assert channel_chat.config_for("telegram").values["telegram_bot_name"] == "dari_server_bot"


def test_test_message_checks_the_bot_or_reaches_the_admins_own_chat(
    app, org, client, telegram, meta
):
    login(client, "admin")
    response = client.post("/admin/chat-channels/test", data={"channel": "telegram"})
    assert response.status_code == 303
    assert telegram.sent("getMe") and not telegram.sent("sendMessage")
    assert "@cergas_uji_bot" in client.get("/admin/chat-channels").get_data(as_text=True)
    with app.app_context():
        link(org.users["admin"], "telegram", "424242")
    client.post("/admin/chat-channels/test", data={"channel": "telegram"})
    assert str(telegram.sent("sendMessage")[-1]["chat_id"]) == "424242"
    response = client.post(
        "/admin/chat-channels/test", data={"channel": "whatsapp", "to": "0812 1111 2222"}
    )
    assert response.status_code == 303
    assert meta.requests[-1]["body"]["to"] == "+6281211112222"
    with app.app_context():
        kinds = db.session.scalars(select(AdminEvent.kind)).all()
        assert kinds.count("chat.test_sent") == 3


def test_a_failed_test_message_says_why(app, org, client, meta):
    meta.fail_with = 400
    login(client, "admin")
    response = client.post(
        "/admin/chat-channels/test", data={"channel": "whatsapp", "to": "0812 1111 2222"}
    )
    assert response.status_code == 502
    assert "Recipient not in allowed list" in response.get_data(as_text=True)


def test_test_message_without_a_number_asks_for_one(app, org, client, meta):
    login(client, "admin")
    response = client.post("/admin/chat-channels/test", data={"channel": "whatsapp"})
    assert response.status_code == 422
    assert 'id="test-whatsapp-error"' in response.get_data(as_text=True)
    assert meta.requests == []
