"""Every route x every role: who may do what, and what the others get.

Levels: `login` needs any signed-in person; `board` needs someone who may see the board
(members of its unit, heads of it or an ancestor, admins), others get 404; `manage` is for the
heads and admins, members get 403; `create` is creating a board in the unit (heads, admins);
`admin` is for site administrators only, everyone else signed in gets 403; `own` is a
notification, an API token or a login session of staff: staff may act on it, everyone else
signed in gets 404;
`person` is staff's own profile or learning log: staff, the heads above and admins (others 404).
A new route without a row here fails `test_every_route_is_in_the_matrix`.
"""

import io
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Card
from app.services import accounts, cards, passwords, skills
from app.services.notifications import notify
from cergas.plugin import Setting, hookimpl
from tests import documents
from tests.conftest import (
    NIPS,
    PASSWORD,
    SeededApp,
    build_org,
    build_tokens,
    get_user,
    make_app,
)

ROLES = ["anonymous", "outsider", "staff", "kasi", "kabid", "kadis", "admin"]
VIEWERS = {"staff", "kasi", "kabid", "kadis", "admin"}
MANAGERS = {"kasi", "kabid", "kadis", "admin"}
# Who sees staff's performance records (issue 27): staff and the heads above, not an admin.
PERFORMANCE = {"staff", "kasi", "kabid", "kadis"}
PERFORMANCE_HEADS = PERFORMANCE - {"staff"}

SPRINT_FORM = {
    "name": "Sprint 1",
    "goal": "Semua surat dijawab",
    "start": "2026-10-05",
    "end": "2026-10-16",
}
COLUMN = {"name": "Periksa", "wip_limit": "2", "wip_policy": "soft", "kind": "active"}
# A stand-in who is none of the roles (staff2), so every role may name them.
DELEGATION = {"to": NIPS["staff2"], "kind": "plh", "start": "2027-01-04", "end": "2027-01-05"}
LEARNING_FORM = {"activity": "seminar", "date": "2026-01-05", "hours": "1.5"}
FEEDBACK = {"period": "2026-Q4", "body": "Laporan tepat waktu"}
NEW_PASSWORD = "kuda-lari-di-sawah"
NEW_PASSWORD_FORM = {
    "current_password": PASSWORD,
    "new_password": NEW_PASSWORD,
    "confirm_password": NEW_PASSWORD,
}
# One new person in the unit the heads of the matrix share, and one new unit: files to import.
PEOPLE_CSV = "NIP,Nama,Kode Unit\n199503142020121003,Rudi Hartono,SEKSI-APL\n"
UNITS_CSV = "kode,nama,induk\nSEKSI-BARU,Seksi Baru,SEKSI-APL\n"
TEAM_FORM = {"code": "TIM-DATA", "name": "Tim Data", "unit": "SEKSI-APL", "leader": NIPS["staff2"]}
_TOMORROW = date.today() + timedelta(days=1)
ACTING_FORM = {
    "unit": "SEKSI-APL",
    "user": NIPS["staff2"],
    "kind": "plt",
    "starts_on": _TOMORROW.isoformat(),
    "ends_on": (_TOMORROW + timedelta(days=2)).isoformat(),
    "decree": "800/1/SPT",
}
# Who appoints a Plt/Plh of Seksi Aplikasi: the heads above it and admins (not its own head).
APPOINTERS = {"kabid", "kadis", "admin"}
# A card template (issue 23): the matrix's seeded one and the body of a new or changed one.
TEMPLATE = {"name": "Laporan bulanan", "title_pattern": "Laporan bulanan"}
# A recurring card (issue 23): the body of a new or changed rule.
RECURRENCE = {"template_id": "{template}", "kind": "monthly_last_working_day"}
# A document to upload (issue 23): a small PDF.
PDF = documents.pdf("Nota dinas")
# A webhook (issue 24): the body of a new one (a public address: nothing is sent in the matrix).
WEBHOOK = {"board_id": "{board}", "url": "https://93.184.215.14/cergas", "events": ["card.moved"]}
WEBHOOK_FORM = {"url": WEBHOOK["url"], "events": "card.moved"}
# A saved filter (issue 25): the body of a new one (the seeded one is staff's "Filter PPID").
SAVED_FILTER = {"name": "Surat saya", "query": "mine=1"}
# An RHK (issue 27): the body of a new or changed one, and a file of one to import.
RHK_BODY = {
    "text": "Terpeliharanya website dinas",
    "indicators": [{"aspect": "kuantitas", "text": "Jumlah pembaruan", "target": "24 kali"}],
}
RHK_FORM = {
    "year": str(date.today().year),
    "kind": "utama",
    "text": "Terpeliharanya website dinas",
    "indicator-0-aspect": "kuantitas",
    "indicator-0-text": "Jumlah pembaruan",
    "indicator-0-target": "24 kali",
}
RHK_CSV = f"NIP;RHK;Indikator;Target\n{NIPS['staff']};Terlayaninya helpdesk;Jumlah tiket;50\n"
# The built-in plugins whose routes are in the matrix (tests/test_api_permissions.py too).
PLUGINS = "workload,approvals,sla,competency"
MATRIX = [
    # endpoint, method, url, body, level
    ("home.index", "GET", "/", None, "login"),
    ("auth.login", "GET", "/login", None, "public"),
    ("auth.login", "POST", "/login", {"username": "{login}", "password": PASSWORD}, "login-form"),
    ("auth.logout", "POST", "/logout", None, "public"),
    ("auth.language", "POST", "/language", {"locale": "en"}, "public"),
    ("boards.index", "GET", "/boards", None, "login"),
    ("boards.index", "POST", "/boards", {"name": "Papan Baru", "unit": "SEKSI-APL"}, "create"),
    ("boards.board", "GET", "/boards/{board}", None, "board"),
    # Issue 25: swimlanes (a drop without htmx redirects back, saved or refused), the calendars
    # and the calendar address (each person's own; an unknown feed address is 404 for anyone).
    (
        "boards.lane_drop",
        "POST",
        "/boards/{board}/lanes/drop",
        {"lanes": "type", "card_id": "{card}", "lane": "rapat", "column_id": "{backlog}"},
        "board",
    ),
    ("calendar.board", "GET", "/boards/{board}/calendar", None, "board"),
    ("calendar.mine", "GET", "/calendar", None, "login"),
    ("calendar.feed", "GET", "/ical/tidak-ada.ics", None, "gone"),
    ("calendar.feed_settings", "GET", "/account/calendar", None, "login"),
    ("calendar.new_feed", "POST", "/account/calendar/new", None, "login"),
    ("calendar.revoke_feed", "POST", "/account/calendar/revoke", None, "login"),
    ("api.get_calendar_feed", "GET", "/api/v1/me/calendar-feed", None, "api-login"),
    ("api.create_calendar_feed", "POST", "/api/v1/me/calendar-feed", None, "api-login"),
    ("api.revoke_calendar_feed", "DELETE", "/api/v1/me/calendar-feed", None, "api-login"),
    (
        "boards.add_card",
        "POST",
        "/boards/{board}/cards",
        {"title": "Baru", "column_id": "{backlog}"},
        "board",
    ),
    ("boards.settings", "GET", "/boards/{board}/settings", None, "manage"),
    ("boards.people_suggestions", "GET", "/boards/{board}/settings/people?q=a", None, "manage"),
    (
        "boards.settings",
        "POST",
        "/boards/{board}/settings",
        {"name": "Papan", "personal_wip_limit": "2"},
        "manage",
    ),
    # The board's card types and labels (issue 26).
    (
        "boards.add_name",
        "POST",
        "/boards/{board}/names/type",
        {"name": "Rapat koordinasi", "colour": "blue"},
        "manage",
    ),
    (
        "boards.change_name",
        "POST",
        "/boards/{board}/names/type/{card_type}/save",
        {"name": "Tugas", "colour": "grey"},
        "manage",
    ),
    ("boards.add_column", "POST", "/boards/{board}/columns", {**COLUMN, "name": "Arsip"}, "manage"),
    ("boards.update_column", "POST", "/boards/{board}/columns/{review}", COLUMN, "manage"),
    (
        "boards.move_column",
        "POST",
        "/boards/{board}/columns/{review}/move",
        {"direction": "left"},
        "manage",
    ),
    ("boards.delete_column", "POST", "/boards/{board}/columns/{review}/delete", None, "manage"),
    ("cards.card", "GET", "/cards/{card}", None, "board"),
    (
        "cards.card",
        "POST",
        "/cards/{card}",
        {"title": "Judul baru", "version": "{card_version}"},
        "board",
    ),
    ("cards.add_comment", "POST", "/cards/{card}/comments", {"body": "Sudah dicek."}, "board"),
    # Notifications (issue 24): following a card, whom a comment may mention, the bell's stream.
    ("cards.follow", "POST", "/cards/{card}/follow", None, "board"),
    ("cards.unfollow", "POST", "/cards/{card}/unfollow", None, "board"),
    ("cards.mention_suggestions", "GET", "/cards/{card}/mentions?q=a", None, "board"),
    ("live.bell_stream", "GET", "/notifications/stream", None, "login"),
    ("cards.move", "GET", "/cards/{card}/move", None, "board"),
    ("cards.move", "POST", "/cards/{card}/move", {"column_id": "{review}"}, "board"),
    # Live updates (issue 8): the stream is for those who see the board; /healthz for all.
    ("live.stream", "GET", "/boards/{board}/stream", None, "board"),
    ("live.healthz", "GET", "/healthz", None, "public"),
    ("api.list_boards", "GET", "/api/v1/boards", None, "api-login"),
    (
        "api.create_board",
        "POST",
        "/api/v1/boards",
        {"name": "Papan API", "unit": "SEKSI-APL"},
        "api-create",
    ),
    ("api.get_board", "GET", "/api/v1/boards/{board}", None, "api-board"),
    ("api.create_card", "POST", "/api/v1/boards/{board}/cards", {"title": "Baru"}, "api-board"),
    ("api.get_card", "GET", "/api/v1/cards/{card}", None, "api-board"),
    (
        "api.update_card",
        "PATCH",
        "/api/v1/cards/{card}",
        {"version": "{card_version}", "title": "Baru"},
        "api-board",
    ),
    ("api.move_card", "POST", "/api/v1/cards/{card}/move", {"column_id": "{review}"}, "api-board"),
    ("api.add_comment", "POST", "/api/v1/cards/{card}/comments", {"body": "Oke"}, "api-board"),
    ("api.follow_card", "POST", "/api/v1/cards/{card}/follow", None, "api-board"),
    ("api.unfollow_card", "DELETE", "/api/v1/cards/{card}/follow", None, "api-board"),
    ("api.card_events", "GET", "/api/v1/cards/{card}/events", None, "api-board"),
    # The archive (issue 25): the matrix's card is not done, so only heads archive it (with a
    # reason); it is not archived, so a restore is refused for everyone who sees it.
    (
        "api.archive_card",
        "POST",
        "/api/v1/cards/{card}/archive",
        {"reason": "Ditarik pemohon"},
        "api-manage",
    ),
    ("api.restore_card", "POST", "/api/v1/cards/{card}/restore", None, "api-board-409"),
    (
        "api.update_board",
        "PATCH",
        "/api/v1/boards/{board}",
        {"archive_after_days": 30},
        "api-manage",
    ),
    ("cards.archive_card", "POST", "/cards/{card}/archive", {"reason": "Ditarik"}, "manage"),
    ("cards.restore_card", "POST", "/cards/{card}/restore", None, "board-409"),
    ("boards.archive", "GET", "/boards/{board}/archive", None, "board"),
    (
        "boards.plugin_settings",
        "POST",
        "/boards/{board}/plugins/matriks",
        {"enabled": "1", "setting-limit": "4"},
        "manage",
    ),
    ("admin.plugins", "GET", "/admin/plugins", None, "admin"),
    (
        "api.get_plugin_settings",
        "GET",
        "/api/v1/boards/{board}/plugins/matriks/settings",
        None,
        "api-board",
    ),
    (
        "api.put_plugin_settings",
        "PUT",
        "/api/v1/boards/{board}/plugins/matriks/settings",
        {"settings": {"limit": 4}},
        "api-manage",
    ),
    ("api.list_plugins", "GET", "/api/v1/plugins", None, "api-admin"),
    # A loaded plugin's static files (its stylesheets): public, like the core's /static/.
    ("plugin_files.static", "GET", "/plugins/approvals/static/approvals.css", None, "public"),
    # The API document and its page: public.
    ("api.openapi_document", "GET", "/api/v1/openapi.json", None, "public"),
    ("api_docs.reference", "GET", "/api/docs", None, "public"),
    (
        "api.create_token",
        "POST",
        "/api/v1/tokens",
        {"username": "{login}", "password": PASSWORD},
        "api-token",
    ),
    # Sessions and API tokens: each person's own; `own` rows act on staff's token or session.
    ("auth.sessions", "GET", "/account/sessions", None, "login"),
    ("auth.create_token", "POST", "/account/tokens", {"name": "Skrip", "days": "30"}, "login"),
    ("auth.revoke_token", "POST", "/account/tokens/{api_token}/revoke", None, "own"),
    ("auth.end_session", "POST", "/account/sessions/{login_session}/end", None, "own"),
    ("auth.sign_out_everywhere", "POST", "/account/sign-out-everywhere", None, "login"),
    ("api.list_tokens", "GET", "/api/v1/tokens", None, "api-login"),
    ("api.revoke_token", "DELETE", "/api/v1/tokens/{api_token}", None, "api-own"),
    ("api.sign_out_everywhere", "POST", "/api/v1/me/sign-out-everywhere", None, "api-login"),
    # Passwords (issue 21): one's own; "forgot" and the reset link's page are public (`{reset}`
    # is a live link for staff); a link is issued for staff by the heads above and admins
    # (`person-verify`: never by staff themself, 403; the outsider, 404).
    ("auth.change_password", "GET", "/account/password", None, "login"),
    ("auth.change_password", "POST", "/account/password", NEW_PASSWORD_FORM, "login"),
    ("auth.forgot_password", "GET", "/auth/forgot", None, "public"),
    ("auth.forgot_password", "POST", "/auth/forgot", {"login": "{login}"}, "public"),
    ("auth.reset_password", "GET", "/auth/reset/{reset}", None, "public"),
    ("auth.reset_password", "POST", "/auth/reset/{reset}", NEW_PASSWORD_FORM, "public"),
    ("auth.issue_reset_link", "POST", "/people/{staff}/reset-link", None, "person-verify"),
    (
        "api.change_password",
        "POST",
        "/api/v1/me/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        "api-login",
    ),
    (
        "api.issue_reset_link",
        "POST",
        "/api/v1/users/{staff}/reset-link",
        {"send_email": False},
        "api-person-verify",
    ),
    # Someone's sessions and sign-ins: administrators only (not their heads, not themselves).
    ("people.sessions", "GET", "/people/{staff}/sessions", None, "admin"),
    ("people.end_session", "POST", "/people/{staff}/sessions/1/end", {"reason": "Uji"}, "admin"),
    ("people.end_all_sessions", "POST", "/people/{staff}/sessions/end", {"reason": "Uji"}, "admin"),
    ("api.user_sessions", "GET", "/api/v1/users/{staff}/sessions", None, "api-admin"),
    (
        "api.end_user_sessions",
        "POST",
        "/api/v1/users/{staff}/sessions/end",
        {"reason": "Uji"},
        "api-admin",
    ),
    # Two-factor sign-in: the second step waits for a sign-in in progress (none here: back to
    # the login page); one's own authenticator; the office's rule and a reset by administrators.
    ("auth.second_factor", "GET", "/login/code", None, "public"),
    ("auth.second_factor", "POST", "/login/code", {"code": "000000"}, "public"),
    ("auth.two_factor_page", "GET", "/account/two-factor", None, "login"),
    ("auth.two_factor_start", "POST", "/account/two-factor/start", None, "login"),
    ("auth.two_factor_confirm", "POST", "/account/two-factor/confirm", {"code": "1"}, "login-409"),
    (
        "auth.two_factor_renew",
        "POST",
        "/account/two-factor/recovery-codes",
        {"password": PASSWORD},
        "login-409",
    ),
    ("auth.two_factor_off", "POST", "/account/two-factor/off", {"password": PASSWORD}, "login-409"),
    # Chat channels (issue 24): one's own links (nothing is configured in the matrix: linking is
    # refused with 409, nothing to unlink is 404); the office's settings for administrators.
    ("auth.channels", "GET", "/account/channels", None, "login"),
    ("auth.link_telegram", "POST", "/account/channels/telegram", None, "login-409"),
    ("auth.link_whatsapp", "POST", "/account/channels/whatsapp", {"number": "0812"}, "login-409"),
    ("auth.confirm_whatsapp", "POST", "/account/channels/whatsapp/confirm", None, "login-409"),
    ("auth.unlink_channel", "POST", "/account/channels/telegram/unlink", None, "missing"),
    ("admin.chat_channels", "GET", "/admin/chat-channels", None, "admin"),
    ("admin.chat_channels", "POST", "/admin/chat-channels", {}, "admin"),
    ("admin.chat_channels_test", "POST", "/admin/chat-channels/test", None, "admin-422"),
    ("admin.sign_in", "GET", "/admin/sign-in", None, "admin"),
    ("admin.sign_in", "POST", "/admin/sign-in", {"two_factor_required": "nobody"}, "admin"),
    ("people.reset_two_factor", "GET", "/people/{staff}/two-factor/reset", None, "admin"),
    (
        "people.reset_two_factor",
        "POST",
        "/people/{staff}/two-factor/reset",
        {"reason": "Uji"},
        "admin",
    ),
    # Single sign-on: not configured in the matrix app, so not there.
    ("auth.sso_start", "GET", "/login/sso", None, "gone"),
    ("auth.sso_callback", "GET", "/login/sso/callback", None, "gone"),
    # A plugin's sign-in method: the matrix app has none, so every name is unknown.
    ("auth.login_with", "GET", "/login/with/simpeg", None, "gone"),
    ("auth.login_with", "POST", "/login/with/simpeg", {"kode": "K-1", "pin": "1"}, "gone"),
    # Notifications: each person's own; `own` rows act on a notification addressed to staff.
    ("notifications.index", "GET", "/notifications", None, "login"),
    ("notifications.mark_read", "POST", "/notifications/{notification}/read", None, "own"),
    ("notifications.mark_all_read", "POST", "/notifications/read-all", None, "login"),
    ("api.list_notifications", "GET", "/api/v1/notifications", None, "api-login"),
    (
        "api.read_notification",
        "POST",
        "/api/v1/notifications/{notification}/read",
        None,
        "api-own",
    ),
    ("api.read_all_notifications", "POST", "/api/v1/notifications/read-all", None, "api-login"),
    # Notification preferences: each person's own; the dead-letter list: administrators.
    ("notification_preferences.page", "GET", "/account/notifications", None, "login"),
    (
        "notification_preferences.save",
        "POST",
        "/account/notifications",
        {"digest": "instant", "digest_hour": "7"},
        "login",
    ),
    (
        "api.get_notification_preferences",
        "GET",
        "/api/v1/me/notification-preferences",
        None,
        "api-login",
    ),
    (
        "api.put_notification_preferences",
        "PUT",
        "/api/v1/me/notification-preferences",
        {"digest": "instant"},
        "api-login",
    ),
    ("admin.deliveries", "GET", "/admin/deliveries", None, "admin"),
    ("admin.retry_delivery", "POST", "/admin/deliveries/999999/retry", None, "admin"),
    ("admin.retry_all_deliveries", "POST", "/admin/deliveries/retry-all", None, "admin"),
    # SKP planned work results (RHK, issue 27): `performance` is staff and the heads above
    # (not a site admin who heads nothing: 404); `performance-head` a unit's cascade tree, for
    # the heads of it and above.
    ("skp.own", "GET", "/skp", None, "login"),
    ("skp.person", "GET", "/people/{staff}/skp", None, "performance"),
    ("skp.person", "POST", "/people/{staff}/skp", RHK_FORM, "performance"),
    ("skp.edit", "GET", "/rhk/{rhk}/edit", None, "performance"),
    ("skp.edit", "POST", "/rhk/{rhk}/edit", RHK_FORM, "performance"),
    ("skp.withdraw", "POST", "/rhk/{rhk}/withdraw", None, "performance"),
    ("skp.restore", "POST", "/rhk/{rhk}/restore", None, "performance"),
    ("skp.unit_tree", "GET", "/units/{seksi}/skp", None, "performance-head"),
    ("skp.import_page", "GET", "/skp/import", None, "login"),
    ("skp.import_page", "POST", "/skp/import", {"file": RHK_CSV}, "login"),
    (
        "skp.link_card",
        "POST",
        "/cards/{card}/rhk",
        {"rhk_id": "", "version": "{card_version}"},
        "board",
    ),
    ("skp.sprint_goal", "POST", "/sprints/{sprint}/goal-rhk", {"goal_rhk_id": ""}, "manage"),
    ("api.list_rhk", "GET", "/api/v1/users/{staff}/rhk", None, "api-performance"),
    ("api.create_rhk", "POST", "/api/v1/users/{staff}/rhk", RHK_BODY, "api-performance"),
    ("api.get_rhk", "GET", "/api/v1/rhk/{rhk}", None, "api-performance"),
    ("api.update_rhk", "PATCH", "/api/v1/rhk/{rhk}", {"text": "Baru"}, "api-performance"),
    ("api.withdraw_rhk", "DELETE", "/api/v1/rhk/{rhk}", None, "api-performance"),
    # Profiles (skills, certificates) of staff: `person` is staff themself, the heads above and
    # admins (the outsider gets 404); `person-verify` is those heads and admins, staff gets 403.
    ("people.own_profile", "GET", "/profile", None, "login"),
    ("people.profile", "GET", "/people/{staff}", None, "person"),
    (
        "people.save_skills",
        "POST",
        "/people/{staff}/skills",
        {"skill-graphic-design": "2"},
        "person",
    ),
    (
        "people.verify_skill",
        "POST",
        "/people/{staff}/skills/graphic-design/verify",
        None,
        "person-verify",
    ),
    (
        "people.add_certificate",
        "POST",
        "/people/{staff}/certificates",
        {"test": "TOEFL", "score": "520", "taken_on": "2025-03-01", "expires_on": "2027-03-01"},
        "person",
    ),
    (
        "people.delete_certificate",
        "POST",
        "/people/{staff}/certificates/{certificate}/delete",
        None,
        "person",
    ),
    # People administration (issue 21): the list and new people for heads and admins
    # (`create`); editing staff: staff themself (own profile fields), the heads above, admins
    # (`person`); transfer and deactivation for the heads above and admins, not staff
    # themself (`person-verify`). Reactivating an active person is refused (back to the page).
    ("people.index", "GET", "/people", None, "create"),
    ("admin.index", "GET", "/admin/", None, "create"),
    ("people.new", "GET", "/people/new", None, "create"),
    (
        "people.new",
        "POST",
        "/people/new",
        {"nip": "199505052020121001", "name": "Rina Marlina", "unit": "SEKSI-APL"},
        "create",
    ),
    ("people.edit", "GET", "/people/{staff}/edit", None, "person"),
    ("people.edit", "POST", "/people/{staff}/edit", {"name": "Agus Pratama, S.T."}, "person"),
    ("people.transfer", "GET", "/people/{staff}/transfer", None, "person-verify"),
    (
        "people.transfer",
        "POST",
        "/people/{staff}/transfer",
        {"unit": "SEKSI-APL", "role": "head"},
        "person-above",
    ),
    ("people.deactivate", "GET", "/people/{staff}/deactivate", None, "person-verify"),
    (
        "people.deactivate",
        "POST",
        "/people/{staff}/deactivate",
        {"reason": "retired"},
        "person-verify",
    ),
    ("people.reactivate", "POST", "/people/{staff}/reactivate", None, "person-verify"),
    ("api.list_users", "GET", "/api/v1/users", None, "api-create"),
    (
        "api.create_user",
        "POST",
        "/api/v1/users",
        {"nip": "199505052020121001", "name": "Rina Marlina", "unit": "SEKSI-APL"},
        "api-create",
    ),
    ("api.get_user", "GET", "/api/v1/users/{staff}", None, "api-person"),
    ("api.update_user", "PATCH", "/api/v1/users/{staff}", {"position": "Analis"}, "api-person"),
    (
        "api.deactivate_user",
        "POST",
        "/api/v1/users/{staff}/deactivate",
        {"reason": "retired"},
        "api-person-manage",
    ),
    (
        "api.reactivate_user",
        "POST",
        "/api/v1/users/{staff}/reactivate",
        None,
        "api-person-manage-409",
    ),
    # Workload plugin: pages for whoever sees the board or unit, reassignment for heads.
    ("workload.index", "GET", "/plugins/workload/", None, "login"),
    ("workload.board", "GET", "/plugins/workload/boards/{board}", None, "board"),
    ("workload.unit", "GET", "/plugins/workload/units/SEKSI-APL", None, "board"),
    ("workload.board_trend", "GET", "/plugins/workload/boards/{board}/trend", None, "board"),
    ("workload.unit_trend", "GET", "/plugins/workload/units/SEKSI-APL/trend", None, "board"),
    (
        "workload.reassign_card",
        "POST",
        "/plugins/workload/cards/{card}/reassign",
        {"assignee": "{staff}", "version": "1"},
        "manage",
    ),
    ("workload_api.board_workload", "GET", "/api/v1/boards/{board}/workload", None, "api-board"),
    ("workload_api.unit_workload", "GET", "/api/v1/units/SEKSI-APL/workload", None, "api-board"),
    # Approvals plugin: the inbox and delegations are each person's own; a decision needs the
    # card (outsiders 404) and then a waiting step (none here: 409 / back to the card page).
    ("approvals.inbox", "GET", "/plugins/approvals/inbox", None, "login"),
    ("approvals.card", "GET", "/plugins/approvals/cards/{card}", None, "board"),
    ("approvals.delegations", "GET", "/plugins/approvals/delegations", None, "login"),
    ("approvals.delegations", "POST", "/plugins/approvals/delegations", DELEGATION, "login"),
    ("approvals.revoke", "POST", "/plugins/approvals/delegations/abc123/revoke", None, "missing"),
    (
        "approvals.decide",
        "POST",
        "/plugins/approvals/cards/{card}/decision",
        {"decision": "approve"},
        "board",
    ),
    ("approvals_api.api_inbox", "GET", "/api/v1/approvals/inbox", None, "api-login"),
    ("approvals_api.api_delegations", "GET", "/api/v1/delegations", None, "api-login"),
    ("approvals_api.api_create_delegation", "POST", "/api/v1/delegations", DELEGATION, "api-login"),
    (
        "approvals_api.api_revoke_delegation",
        "DELETE",
        "/api/v1/delegations/abc123",
        None,
        "api-missing",
    ),
    (
        "approvals_api.api_decide",
        "POST",
        "/api/v1/cards/{card}/approval",
        {"decision": "approve"},
        "api-board-409",
    ),
    # Competency plugin: a person's page and learning log are for them, the heads above and
    # admins (`person`: the outsider gets 404); a unit's JP progress, gaps and development plan
    # for its heads and admins (`manage`: its members 403, others 404).
    ("competency.index", "GET", "/plugins/competency/", None, "login"),
    ("competency.person", "GET", "/plugins/competency/people/{staff}", None, "person"),
    (
        "competency.add_learning",
        "POST",
        "/plugins/competency/people/{staff}/learning",
        LEARNING_FORM,
        "person",
    ),
    (
        "competency.remove_learning",
        "POST",
        "/plugins/competency/people/{staff}/learning/{learning}/delete",
        None,
        "person",
    ),
    ("competency.unit", "GET", "/plugins/competency/units/SEKSI-APL", None, "manage"),
    ("competency.plan_csv", "GET", "/plugins/competency/units/SEKSI-APL/plan.csv", None, "manage"),
    (
        "competency.plan_xlsx",
        "GET",
        "/plugins/competency/units/SEKSI-APL/plan.xlsx",
        None,
        "manage",
    ),
    (
        "competency_api.user_competency",
        "GET",
        "/api/v1/users/{staff}/competency",
        None,
        "api-person",
    ),
    (
        "competency_api.add_learning",
        "POST",
        "/api/v1/users/{staff}/learning",
        {**LEARNING_FORM, "hours": 1.5},
        "api-person",
    ),
    (
        "competency_api.unit_gaps",
        "GET",
        "/api/v1/units/SEKSI-APL/competency-gaps",
        None,
        "api-manage",
    ),
    # Performance records (issue 27): a person's evidence and feedback are for them and the
    # heads above them (`performance`: a colleague, an outsider and a site admin who heads
    # nobody get 404); heads write feedback (the person 403); only its author changes it; a
    # unit's coverage is for its heads; sprint dialogue notes are written by board managers.
    ("performance.index", "GET", "/performance", None, "login"),
    ("performance.person_evidence", "GET", "/people/{staff}/evidence", None, "performance"),
    ("performance.evidence_xlsx", "GET", "/people/{staff}/evidence.xlsx", None, "performance"),
    ("performance.evidence_csv", "GET", "/people/{staff}/evidence.csv", None, "performance"),
    (
        "performance.write_feedback",
        "POST",
        "/people/{staff}/feedback",
        FEEDBACK,
        "feedback-writer",
    ),
    (
        "performance.edit_feedback",
        "POST",
        "/feedback/{feedback}",
        {"body": "Sudah membaik"},
        "feedback-author",
    ),
    ("performance.coverage", "GET", "/units/{seksi}/skp/coverage", None, "performance-head"),
    (
        "performance.save_dialogue",
        "POST",
        "/sprints/{sprint}/dialogue",
        {"person": NIPS["staff"], "body": "Fokus ke laporan"},
        "manage",
    ),
    (
        "api.user_evidence",
        "GET",
        "/api/v1/users/{staff}/evidence?period=2026-Q4",
        None,
        "api-performance",
    ),
    ("api.user_feedback", "GET", "/api/v1/users/{staff}/feedback", None, "api-performance"),
    (
        "api.create_feedback",
        "POST",
        "/api/v1/users/{staff}/feedback",
        FEEDBACK,
        "api-performance-head",
    ),
    (
        "api.change_feedback",
        "PATCH",
        "/api/v1/feedback/{feedback}",
        {"body": "Sudah membaik"},
        "api-feedback-author",
    ),
    ("api.sprint_dialogue", "GET", "/api/v1/sprints/{sprint}/dialogue", None, "api-board"),
    (
        "api.save_sprint_dialogue",
        "POST",
        "/api/v1/sprints/{sprint}/dialogue",
        {"user": NIPS["staff"], "body": "Fokus ke laporan"},
        "api-manage-422",
    ),
    # SLA plugin (issue 4): reports for heads; unit working calendars for admins.
    ("sla.index", "GET", "/plugins/sla/", None, "login"),
    ("sla.report", "GET", "/plugins/sla/boards/{board}", None, "manage"),
    ("sla.report_csv", "GET", "/plugins/sla/boards/{board}/report.csv", None, "manage"),
    ("admin.calendars", "GET", "/admin/calendars", None, "admin"),
    ("admin.calendar", "GET", "/admin/calendars/SEKSI-APL", None, "admin"),
    (
        "admin.calendar_hours",
        "POST",
        "/admin/calendars/SEKSI-APL/hours",
        {"defaults": "1"},
        "admin",
    ),
    (
        "admin.calendar_add_day",
        "POST",
        "/admin/calendars/SEKSI-APL/days",
        {"day": "2026-12-28", "kind": "off"},
        "admin",
    ),
    (
        "admin.calendar_remove_day",
        "POST",
        "/admin/calendars/SEKSI-APL/days/999999/delete",
        None,
        "admin-missing",
    ),
    # Sprints (issue 7): `{sprint}` is planned with `{card}` committed; `{active}` runs on a
    # second board of the same unit, so starting one and closing the other both succeed.
    ("sprints.index", "GET", "/boards/{board}/sprints", None, "board"),
    ("sprints.index", "POST", "/boards/{board}/sprints", SPRINT_FORM, "manage"),
    ("sprints.sprint", "GET", "/sprints/{sprint}", None, "board"),
    ("sprints.add_cards", "POST", "/sprints/{sprint}/cards", {"card_ids": "{card}"}, "manage"),
    ("sprints.remove_card", "POST", "/sprints/{sprint}/cards/{card}/remove", None, "manage"),
    ("sprints.start", "POST", "/sprints/{sprint}/start", None, "manage"),
    ("sprints.close", "GET", "/sprints/{active}/close", None, "manage"),
    ("sprints.close", "POST", "/sprints/{active}/close", {"goal_met": "yes"}, "manage"),
    ("sprints.review", "GET", "/sprints/{sprint}/review", None, "board"),
    ("reports.board", "GET", "/boards/{board}/reports", None, "board"),
    ("reports.done_csv", "GET", "/boards/{board}/reports/done.csv", None, "board"),
    ("reports.done_xlsx", "GET", "/boards/{board}/reports/done.xlsx", None, "board"),
    ("api.list_sprints", "GET", "/api/v1/boards/{board}/sprints", None, "api-board"),
    ("api.create_sprint", "POST", "/api/v1/boards/{board}/sprints", SPRINT_FORM, "api-manage"),
    ("api.get_sprint", "GET", "/api/v1/sprints/{sprint}", None, "api-board"),
    (
        "api.add_sprint_cards",
        "POST",
        "/api/v1/sprints/{sprint}/cards",
        {"card_ids": ["{card}"]},
        "api-manage",
    ),
    (
        "api.remove_sprint_card",
        "DELETE",
        "/api/v1/sprints/{sprint}/cards/{card}",
        None,
        "api-manage",
    ),
    ("api.start_sprint", "POST", "/api/v1/sprints/{sprint}/start", None, "api-manage"),
    (
        "api.close_sprint",
        "POST",
        "/api/v1/sprints/{active}/close",
        {"goal_met": "yes"},
        "api-manage",
    ),
    ("api.board_metrics", "GET", "/api/v1/boards/{board}/metrics", None, "api-board"),
    # The staff-register import: a `file` field is uploaded as a file; a str body is sent to the
    # API as text/csv (`send`).
    ("admin.import_page", "GET", "/admin/import", None, "create"),
    (
        "admin.import_check",
        "POST",
        "/admin/import",
        {"kind": "people", "file": PEOPLE_CSV},
        "create",
    ),
    ("admin.import_apply", "POST", "/admin/import/apply", {"token": "x" * 32}, "create"),
    ("admin.import_example", "GET", "/admin/import/examples/contoh-pegawai.csv", None, "create"),
    ("api.import_people", "POST", "/api/v1/import/people?dry_run=1", PEOPLE_CSV, "api-create"),
    ("api.import_units", "POST", "/api/v1/import/units?dry_run=1", UNITS_CSV, "api-admin"),
    # First start (issue 21): gone for everyone once an administrator exists, except the unit
    # step, which sends an administrator on to the units page.
    ("setup.start", "GET", "/setup", None, "gone"),
    ("setup.start", "POST", "/setup", {"code": "AAAA-BBBB-CCCC"}, "gone"),
    ("setup.admin", "GET", "/setup/admin", None, "gone"),
    ("setup.admin", "POST", "/setup/admin", {"name": "X"}, "gone"),
    ("setup.unit", "GET", "/setup/unit", None, "admin"),
    ("setup.unit", "POST", "/setup/unit", {"code": "X", "name": "X"}, "admin"),
    # Units and the administration log (issue 21): administrators.
    ("admin.units", "GET", "/admin/units", None, "admin"),
    (
        "admin.create_unit",
        "POST",
        "/admin/units",
        {"code": "SEKSI-BARU", "name": "Seksi Baru", "parent": "BID-TIK"},
        "admin",
    ),
    ("admin.unit", "GET", "/admin/units/SEKSI-APL", None, "admin"),
    (
        "admin.edit_unit",
        "POST",
        "/admin/units/SEKSI-APL",
        {"name": "Seksi Aplikasi Baru", "parent": "BID-TIK", "timezone": "Asia/Jakarta"},
        "admin",
    ),
    ("admin.deactivate_unit", "POST", "/admin/units/BID-IKP/deactivate", None, "admin-409"),
    ("admin.reactivate_unit", "POST", "/admin/units/BID-IKP/reactivate", None, "admin"),
    ("admin.log", "GET", "/admin/log", None, "admin"),
    ("api.list_units", "GET", "/api/v1/units", None, "api-login"),
    (
        "api.create_unit",
        "POST",
        "/api/v1/units",
        {"code": "SEKSI-BARU", "name": "Seksi Baru", "parent": "BID-TIK"},
        "api-admin",
    ),
    ("api.update_unit", "PATCH", "/api/v1/units/SEKSI-APL", {"name": "Seksi Apl"}, "api-admin"),
    ("api.admin_log_entries", "GET", "/api/v1/admin/log", None, "api-admin"),
    # work teams: TIM-SPBE sits in Seksi Aplikasi, led by staff2 (none of the roles), with staff
    ("teams.index", "GET", "/teams", None, "login"),
    ("teams.create", "POST", "/teams", TEAM_FORM, "create"),
    ("teams.team", "GET", "/teams/{team}", None, "board"),
    ("teams.update", "POST", "/teams/{team}", {"name": "Tim SPBE Baru", "active": "1"}, "manage"),
    ("teams.leader", "POST", "/teams/{team}/leader", {"leader": NIPS["staff"]}, "manage"),
    ("teams.add_member", "POST", "/teams/{team}/members", {"user": NIPS["outsider"]}, "manage"),
    ("teams.remove_form", "GET", "/teams/{team}/members/{staff}/remove", None, "manage"),
    ("teams.remove_member", "POST", "/teams/{team}/members/{staff}/remove", None, "manage"),
    ("api.list_teams", "GET", "/api/v1/teams", None, "api-login"),
    ("api.create_team", "POST", "/api/v1/teams", TEAM_FORM, "api-create"),
    ("api.get_team", "GET", "/api/v1/teams/{team}", None, "api-board"),
    ("api.update_team", "PATCH", "/api/v1/teams/{team}", {"name": "Tim SPBE Baru"}, "api-manage"),
    (
        "api.add_team_member",
        "POST",
        "/api/v1/teams/{team}/members",
        {"user": NIPS["outsider"]},
        "api-manage",
    ),
    (
        "api.remove_team_member",
        "DELETE",
        "/api/v1/teams/{team}/members/{staff}",
        None,
        "api-manage",
    ),
    # acting heads: a Plh of Seksi Aplikasi (staff2) from tomorrow; appointed from above
    ("teams.acting_index", "GET", "/acting", None, "acting-list"),
    ("teams.appoint", "POST", "/acting", ACTING_FORM, "acting"),
    ("teams.end_acting", "POST", "/acting/{acting}/end", None, "acting-end"),
    ("api.list_acting_heads", "GET", "/api/v1/acting-heads", None, "api-login"),
    ("api.appoint_acting_head", "POST", "/api/v1/acting-heads", ACTING_FORM, "api-acting"),
    ("api.end_acting_head", "POST", "/api/v1/acting-heads/{acting}/end", None, "api-acting-end"),
    # search across boards (issue 25): everyone signed in; results are filtered per person
    ("search.results", "GET", "/search?q=laporan", None, "login"),
    ("api.search_cards", "GET", "/api/v1/search?q=laporan", None, "api-login"),
    # Card templates (issue 23): managers keep them, everyone on the board makes cards from them.
    ("boards.add_card_template", "POST", "/boards/{board}/card-templates", TEMPLATE, "manage"),
    (
        "boards.update_card_template",
        "POST",
        "/boards/{board}/card-templates/{template}",
        TEMPLATE,
        "manage",
    ),
    (
        "boards.change_card_template",
        "POST",
        "/boards/{board}/card-templates/{template}/archive",
        None,
        "manage",
    ),
    ("boards.card_from_template", "GET", "/boards/{board}/cards/from-template", None, "board"),
    (
        "boards.card_from_template",
        "POST",
        "/boards/{board}/cards/from-template",
        {"template_id": "{template}", "column_id": "{backlog}"},
        "board",
    ),
    ("api.list_card_templates", "GET", "/api/v1/boards/{board}/card-templates", None, "api-board"),
    (
        "api.create_card_template",
        "POST",
        "/api/v1/boards/{board}/card-templates",
        TEMPLATE,
        "api-manage",
    ),
    (
        "api.update_card_template",
        "PATCH",
        "/api/v1/card-templates/{template}",
        {"name": "Laporan triwulan"},
        "api-manage",
    ),
    (
        "api.archive_card_template",
        "DELETE",
        "/api/v1/card-templates/{template}",
        None,
        "api-manage",
    ),
    (
        "api.create_card_from_template",
        "POST",
        "/api/v1/card-templates/{template}/cards",
        {"column_id": "{backlog}"},
        "api-board",
    ),
    # Bulk actions and saved filters (issue 25): `{saved_filter}` is staff's own filter.
    ("boards.bulk_cards", "GET", "/boards/{board}/bulk", None, "board"),
    ("boards.bulk_actions", "GET", "/boards/{board}/bulk/actions", None, "board"),
    (
        "boards.bulk_cards",
        "POST",
        "/boards/{board}/bulk",
        {"action": "move", "card_ids": "{card}", "column_id": "{review}"},
        "board",
    ),
    ("boards.saved_filters_page", "GET", "/boards/{board}/filters", None, "board"),
    ("boards.save_filter", "POST", "/boards/{board}/filters", SAVED_FILTER, "board"),
    (
        "boards.rename_filter",
        "POST",
        "/boards/{board}/filters/{saved_filter}/rename",
        {"name": "Baru"},
        "own",
    ),
    (
        "boards.delete_filter",
        "POST",
        "/boards/{board}/filters/{saved_filter}/delete",
        None,
        "own",
    ),
    (
        "api.bulk_cards",
        "POST",
        "/api/v1/boards/{board}/cards/bulk",
        {"action": "move", "card_ids": ["{card}"], "column_id": "{review}"},
        "api-board",
    ),
    ("api.list_saved_filters", "GET", "/api/v1/boards/{board}/filters", None, "api-board"),
    (
        "api.create_saved_filter",
        "POST",
        "/api/v1/boards/{board}/filters",
        SAVED_FILTER,
        "api-board",
    ),
    (
        "api.rename_saved_filter",
        "PATCH",
        "/api/v1/filters/{saved_filter}",
        {"name": "Baru"},
        "api-own",
    ),
    ("api.delete_saved_filter", "DELETE", "/api/v1/filters/{saved_filter}", None, "api-own"),
    # Webhooks (issue 24): a board's managers keep its webhooks; `{webhook}` is one of the board,
    # `{all_webhook}` one for every board (the admin's page).
    ("boards.add_webhook", "POST", "/boards/{board}/webhooks", WEBHOOK_FORM, "manage"),
    ("boards.change_webhook", "POST", "/boards/{board}/webhooks/{webhook}/toggle", None, "manage"),
    ("admin.webhooks_page", "GET", "/admin/webhooks", None, "admin"),
    ("admin.add_webhook", "POST", "/admin/webhooks", WEBHOOK_FORM, "admin"),
    ("admin.change_webhook", "POST", "/admin/webhooks/{all_webhook}/toggle", None, "admin"),
    ("api.list_webhooks", "GET", "/api/v1/webhooks", None, "api-login"),
    ("api.create_webhook", "POST", "/api/v1/webhooks", WEBHOOK, "api-manage"),
    ("api.get_webhook", "GET", "/api/v1/webhooks/{webhook}", None, "api-manage"),
    (
        "api.update_webhook",
        "PATCH",
        "/api/v1/webhooks/{webhook}",
        {"events": ["card.created"]},
        "api-manage",
    ),
    ("api.rotate_webhook_secret", "POST", "/api/v1/webhooks/{webhook}/secret", {}, "api-manage"),
    ("api.delete_webhook", "DELETE", "/api/v1/webhooks/{webhook}", None, "api-manage"),
    # Recurring cards (issue 23): managers keep the rules, everyone on the board reads them;
    # `{recurrence}` is a rule made from `{template}`.
    ("boards.add_recurrence", "POST", "/boards/{board}/recurrences", RECURRENCE, "manage"),
    (
        "boards.update_recurrence",
        "POST",
        "/boards/{board}/recurrences/{recurrence}",
        RECURRENCE,
        "manage",
    ),
    (
        "boards.change_recurrence",
        "POST",
        "/boards/{board}/recurrences/{recurrence}/pause",
        None,
        "manage",
    ),
    ("api.list_recurrences", "GET", "/api/v1/boards/{board}/recurrences", None, "api-board"),
    (
        "api.create_recurrence",
        "POST",
        "/api/v1/boards/{board}/recurrences",
        RECURRENCE,
        "api-manage",
    ),
    (
        "api.update_recurrence",
        "PATCH",
        "/api/v1/recurrences/{recurrence}",
        {"paused": True},
        "api-manage",
    ),
    ("api.delete_recurrence", "DELETE", "/api/v1/recurrences/{recurrence}", None, "api-manage"),
    # Checklists (issue 23): whoever may see the card works on its checklist; `{checklist_item}`
    # is an item of `{card}`.
    ("cards.add_checklist_item", "POST", "/cards/{card}/checklist", {"text": "Draf"}, "board"),
    (
        "cards.edit_checklist_item",
        "POST",
        "/cards/{card}/checklist/{checklist_item}",
        {"text": "Draf surat"},
        "board",
    ),
    (
        "cards.tick_checklist_item",
        "POST",
        "/cards/{card}/checklist/{checklist_item}/tick",
        {"done": "1"},
        "board",
    ),
    (
        "cards.move_checklist_item",
        "POST",
        "/cards/{card}/checklist/{checklist_item}/move",
        {"position": "0"},
        "board",
    ),
    (
        "cards.delete_checklist_item",
        "POST",
        "/cards/{card}/checklist/{checklist_item}/delete",
        None,
        "board",
    ),
    # Documents (issue 23): `{document}` is on `{card}`, uploaded by admin (staff may not remove
    # it); `{removed_document}` was removed (only those who manage the board see and restore it).
    ("cards.upload_attachment", "POST", "/cards/{card}/documents", {"file": PDF}, "board"),
    (
        "cards.upload_attachment_version",
        "POST",
        "/cards/{card}/documents/{document}/versions",
        {"file": PDF},
        "board",
    ),
    ("cards.download_attachment", "GET", "/cards/{card}/documents/{document}", None, "board"),
    ("cards.view_attachment", "GET", "/cards/{card}/documents/{document}/view", None, "board"),
    (
        "cards.remove_attachment",
        "POST",
        "/cards/{card}/documents/{document}/remove",
        {"reason": "Salah berkas"},
        "manage",
    ),
    (
        "cards.restore_attachment",
        "POST",
        "/cards/{card}/documents/{removed_document}/restore",
        None,
        "manage-hidden",
    ),
    ("api.get_checklist", "GET", "/api/v1/cards/{card}/checklist", None, "api-board"),
    (
        "api.add_checklist_item",
        "POST",
        "/api/v1/cards/{card}/checklist",
        {"text": "Draf"},
        "api-board",
    ),
    (
        "api.update_checklist_item",
        "PATCH",
        "/api/v1/checklist-items/{checklist_item}",
        {"done": True},
        "api-board",
    ),
    (
        "api.delete_checklist_item",
        "DELETE",
        "/api/v1/checklist-items/{checklist_item}",
        None,
        "api-board",
    ),
    # Documents on cards (issue 23), API: `{attachment}` is a PDF the admin uploaded to `{card}`
    # (so a member may not remove it), `{removed_attachment}` one the admin removed (members no
    # longer see it); a bytes body is uploaded as the file `dokumen.pdf` (`send`).
    ("api.list_attachments", "GET", "/api/v1/cards/{card}/attachments", None, "api-board"),
    ("api.upload_attachment", "POST", "/api/v1/cards/{card}/attachments", PDF, "api-board"),
    ("api.get_attachment", "GET", "/api/v1/attachments/{attachment}", None, "api-board"),
    (
        "api.attachment_content",
        "GET",
        "/api/v1/attachments/{attachment}/content",
        None,
        "api-board",
    ),
    (
        "api.upload_attachment_version",
        "POST",
        "/api/v1/attachments/{attachment}/versions",
        PDF,
        "api-board",
    ),
    ("api.delete_attachment", "DELETE", "/api/v1/attachments/{attachment}", None, "api-manage"),
    (
        "api.restore_attachment",
        "POST",
        "/api/v1/attachments/{removed_attachment}/restore",
        None,
        "api-manage-removed",
    ),
]


def sprint_fixtures(org, card_id: int) -> tuple[int, int]:
    """A planned sprint holding `card_id`, and an active sprint on a second board of the unit."""
    from app.services import boards, sprints

    admin = get_user("admin", org)
    planned = sprints.create_sprint(admin, org.board_id, SPRINT_FORM)
    sprints.add_cards(admin, planned.id, [card_id])
    other = boards.create_board(admin, "Papan Kedua", "SEKSI-APL")
    other_card = cards.create_card(admin, other.id, {"title": "Kartu lain"}).card
    active = sprints.create_sprint(admin, other.id, SPRINT_FORM)
    sprints.add_cards(admin, active.id, [other_card.id])
    sprints.start_sprint(admin, active.id)
    return planned.id, active.id


def team_and_acting_fixtures(org) -> dict:
    """The team TIM-SPBE (Seksi Aplikasi, led by staff2, with staff) and an upcoming Plh of
    Seksi Aplikasi (staff2): ids for `{team}` and `{acting}`."""
    from app.services import acting, teams

    admin = get_user("admin", org)
    team = teams.create_team(
        admin, "TIM-SPBE", "Tim SPBE", "SEKSI-APL", NIPS["staff2"], [NIPS["staff"]]
    )
    item = acting.appoint(
        admin,
        "SEKSI-APL",
        NIPS["staff2"],
        "plh",
        _TOMORROW.isoformat(),
        (_TOMORROW + timedelta(days=2)).isoformat(),
        "800/0/SPT",
    )
    return {"team": team.code, "acting": item.id}


def template_fixture(org) -> int:
    """A card template of the board (for `{template}`)."""
    from app.services import card_templates

    return card_templates.create_template(get_user("admin", org), org.board_id, TEMPLATE).id


def webhook_fixture(org, board_id: int | None = -1) -> int:
    """A webhook of the board, registered by the admin (for `{webhook}`); with `board_id`
    None, one for every board (for `{all_webhook}`)."""
    from app.services import webhooks

    body = {"url": WEBHOOK["url"], "events": WEBHOOK["events"]}
    board_id = org.board_id if board_id == -1 else board_id
    return webhooks.register(get_user("admin", org), board_id, body)[0].id


def recurrence_fixture(org, template_id: int) -> int:
    """A recurring card of the board made from `{template}` (for `{recurrence}`)."""
    from app.services import recurrences

    body = {"template_id": template_id, "kind": "monthly_last_working_day"}
    return recurrences.create_recurrence(get_user("admin", org), org.board_id, body).id


def checklist_fixture(org, card_id: int) -> int:
    """An item of the card's checklist (for `{checklist_item}`)."""
    from app.services import checklists

    return checklists.add_item(get_user("admin", org), card_id, {"text": "Draf"}).id


def attachment_fixture(org, card_id: int, *, removed: bool = False) -> int:
    """A PDF the admin uploaded to the card (for `{attachment}`), or removed again (for
    `{removed_attachment}`)."""
    from app.services import attachments

    admin = get_user("admin", org)
    doc = attachments.add(admin, card_id, documents.upload(PDF, "nota dinas.pdf"))
    if removed:
        attachments.remove(admin, doc.id, "Salah unggah")
    return doc.id


def performance_fixture(org) -> dict:
    """Kasi's feedback to staff (for `{feedback}`) and Seksi Aplikasi's id (for `{seksi}`)."""
    from app.models import Unit
    from app.services import feedback

    row = feedback.write_feedback(get_user("kasi", org), NIPS["staff"], "2026-10", "Pertahankan")
    seksi = db.session.scalar(select(Unit.id).where(Unit.code == "SEKSI-APL"))
    return {"feedback": row.id, "seksi": seksi}


def saved_filter_fixture(org) -> int:
    """Staff's own saved filter of the board (for `{saved_filter}`)."""
    from app.services import saved_filters

    staff = get_user("staff", org)
    return saved_filters.create_filter(staff, org.board_id, "Filter PPID", "label=ppid").id


def rhk_fixture(org) -> int:
    """An RHK of staff for this year (issue 27)."""
    from app.services import rhk

    staff = get_user("staff", org)
    return rhk.create_rhk(staff, staff, {**RHK_BODY, "year": date.today().year}).id


def unit_id(code: str) -> int:
    from sqlalchemy import select

    from app.models import Unit

    return db.session.scalar(select(Unit.id).where(Unit.code == code))


def learning_fixture(staff) -> int:
    """A learning activity in staff's log (for the row that removes one)."""
    return skills.record_learning(staff, staff, {**LEARNING_FORM, "hours": 2}).id


class MatrixPlugin:
    """A plugin with one setting, so the plugin routes have something to show and change."""

    @hookimpl
    def cergas_settings(self):
        return [Setting("limit", "int", 3, "Limit")]


def matrix_app(database_url):
    """An app with the built-in plugins of the matrix and the plugin above (it changes nothing
    else any route does)."""
    return make_app(
        database_url,
        CERGAS_PLUGINS=PLUGINS,
        CERGAS_PLUGIN_OBJECTS={"matriks": MatrixPlugin()},
    )


def seed_matrix(app) -> SimpleNamespace:
    """What every row may name: the org, a token each, and a card, a notification for staff,
    staff's skill, certificate and learning, a planned and an active sprint."""
    org = build_org(app)
    tokens = build_tokens(app, org)
    with app.app_context():
        card = cards.create_card(
            get_user("admin", org),
            org.board_id,
            {"title": "Permohonan data", "due_date": "2026-12-01"},
        ).card
        card_id = card.id
        notification_id = notify(get_user("staff", org), "Kartu baru untuk Anda").id
        staff = get_user("staff", org)
        skills.seed_catalog()
        skills.set_user_skills(staff, staff, {"graphic-design": 1})
        certificate_id = skills.add_certificate(
            staff,
            staff,
            {"test": "TOEIC", "score": "700", "taken_on": "2025-01-01", "expires_on": "2027-01-01"},
        ).id
        sprint_id, active_id = sprint_fixtures(org, card_id)
        learning_id = learning_fixture(staff)
        api_token_id = accounts.issue_token(staff, "matriks")[0].id
        accounts.start_session(staff)
        login_session_id = accounts.list_sessions(staff)[0].id
        reset = passwords.issue_link(None, staff.login).path.rsplit("/", 1)[1]
        team_ids = team_and_acting_fixtures(org)
        template_id = template_fixture(org)
        checklist_item_id = checklist_fixture(org, card_id)
        recurrence_id = recurrence_fixture(org, template_id)
        webhook_id = webhook_fixture(org)
        all_webhook_id = webhook_fixture(org, None)
        attachment_id = attachment_fixture(org, card_id)
        saved_filter_id = saved_filter_fixture(org)
        removed_attachment_id = attachment_fixture(org, card_id, removed=True)
        performance_ids = performance_fixture(org)
        rhk_id = rhk_fixture(org)
        seksi_id = unit_id("SEKSI-APL")
        # The card as its edit forms know it, after the fixtures that changed it.
        card_version = db.session.get(Card, card_id).version
        from app.models import CardType

        card_type_id = db.session.scalar(
            select(CardType.id).where(CardType.board_id == org.board_id, CardType.key == "tugas")
        )
    ids = {
        "rhk": rhk_id,
        "seksi": seksi_id,
        "board": org.board_id,
        "card": card_id,
        "backlog": org.backlog,
        "review": org.review,
        "notification": notification_id,
        "staff": NIPS["staff"],
        "certificate": certificate_id,
        "sprint": sprint_id,
        "active": active_id,
        "learning": learning_id,
        "api_token": api_token_id,
        "login_session": login_session_id,
        "reset": reset,
        **team_ids,
        "template": template_id,
        "checklist_item": checklist_item_id,
        "recurrence": recurrence_id,
        "webhook": webhook_id,
        "all_webhook": all_webhook_id,
        # The HTML rows call them documents, the API rows attachments: the same two.
        "attachment": attachment_id,
        "removed_attachment": removed_attachment_id,
        "document": attachment_id,
        "removed_document": removed_attachment_id,
        "card_version": card_version,
        "card_type": card_type_id,
        **performance_ids,
        "saved_filter": saved_filter_id,
    }
    return SimpleNamespace(org=org, tokens=tokens, ids=ids)


@pytest.fixture(scope="module")
def matrix(database_url):
    """The matrix app, kept for the module; every test starts from the seeded world."""
    yield from SeededApp.kept(matrix_app(database_url), seed_matrix)


@pytest.fixture
def seeded(matrix):
    return matrix.restore()


@pytest.fixture
def app(matrix, seeded):
    return matrix.app


def expected(level: str, role: str) -> set[int]:
    """The statuses a role may get at a level."""
    ok_html, ok_api = {200, 302, 303}, {200, 201}
    if level == "public":
        return ok_html
    if level == "gone":
        return {404}
    if level == "login-form":
        return {401} if role == "anonymous" else {302}
    if level.startswith("api-"):
        if level == "api-token":
            return {401} if role == "anonymous" else {201}
        if role == "anonymous":
            return {401}
        if level == "api-login":
            return ok_api
        if level == "api-create":
            return ok_api if role in MANAGERS else {403}
        if level == "api-manage":
            return ok_api if role in MANAGERS else ({403} if role in VIEWERS else {404})
        if level == "api-admin":
            return ok_api if role == "admin" else {403}
        if level == "api-own":
            return ok_api if role == "staff" else {404}
        if level == "api-person":
            return ok_api if role in MANAGERS | {"staff"} else {404}
        if level == "api-person-manage":
            return ok_api if role in MANAGERS else ({403} if role == "staff" else {404})
        if level == "api-person-manage-409":
            return {409} if role in MANAGERS else ({403} if role == "staff" else {404})
        if level == "api-person-verify":
            return ok_api if role in MANAGERS else ({403} if role == "staff" else {404})
        if level == "api-performance":
            return ok_api if role in PERFORMANCE else {404}
        if level == "api-missing":
            return {404}
        if level == "api-performance":
            return ok_api if role in PERFORMANCE else {404}
        if level == "api-performance-head":
            return ok_api if role in PERFORMANCE_HEADS else ({403} if role == "staff" else {404})
        if level == "api-feedback-author":
            return ok_api if role == "kasi" else ({403} if role in PERFORMANCE else {404})
        if level == "api-manage-422":
            return {422} if role in MANAGERS else ({403} if role in VIEWERS else {404})
        if level == "api-acting":
            return {201} if role in APPOINTERS else {403}
        if level == "api-acting-end":
            if role in APPOINTERS:
                return ok_api
            return {403} if role == "kasi" else {404}
        if level == "api-manage-removed":
            # A removed document: those who manage the board; members see it no longer.
            return ok_api if role in MANAGERS else {404}
        if level == "api-board-409":
            return {409} if role in VIEWERS else {404}
        return ok_api if role in VIEWERS else {404}
    if role == "anonymous":
        return {302}  # to the login page
    if level == "login":
        return ok_html
    if level == "login-409":
        # Allowed, but refused for what the person's account is (nothing to renew or turn off,
        # no enrolment begun): the refusal, not a 403 or 404.
        return {409}
    if level == "create":
        return ok_html if role in MANAGERS else {403}
    if level == "board":
        return ok_html if role in VIEWERS else {404}
    if level == "board-409":
        return {409} if role in VIEWERS else {404}
    if level == "admin":
        return ok_html if role == "admin" else {403}
    if level == "admin-missing":
        return {404} if role == "admin" else {403}
    if level == "admin-422":
        return {422} if role == "admin" else {403}
    if level == "admin-409":
        return {409} if role == "admin" else {403}
    if level == "own":
        return ok_html if role == "staff" else {404}
    if level == "missing":
        return {404}
    if level == "manage":
        return ok_html if role in MANAGERS else ({403} if role in VIEWERS else {404})
    if level == "manage-hidden":
        # What only those who manage the board see (a removed document): others get 404.
        return ok_html if role in MANAGERS else {404}
    if level == "person":
        return ok_html if role in MANAGERS | {"staff"} else {404}
    if level == "performance":
        return ok_html if role in PERFORMANCE else {404}
    if level == "feedback-writer":
        return ok_html if role in PERFORMANCE_HEADS else ({403} if role == "staff" else {404})
    if level == "feedback-author":
        return ok_html if role == "kasi" else ({403} if role in PERFORMANCE else {404})
    if level == "performance-head":
        # A unit's performance records (its coverage): its heads only; anyone else 404.
        return ok_html if role in PERFORMANCE - {"staff"} else {404}
    if level == "acting":
        return ok_html if role in APPOINTERS else {403}
    if level == "acting-list":
        return ok_html if role in MANAGERS else {403}
    if level == "acting-end":
        if role in APPOINTERS:
            return ok_html
        return {403} if role == "kasi" else {404}
    if level == "person-verify":
        return ok_html if role in MANAGERS else ({403} if role == "staff" else {404})
    if level == "person-above":
        # Making someone head of a unit: from a unit above it (or an admin), not its own head.
        return (
            ok_html
            if role in MANAGERS - {"kasi"}
            else ({403} if role in {"staff", "kasi"} else {404})
        )
    raise AssertionError(level)


def fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    return value


def send(client, url: str, method: str, body, headers: dict):
    """An API request: a str body is a CSV file (text/csv), bytes a file uploaded as
    multipart/form-data (field `file`), anything else JSON."""
    if isinstance(body, bytes):
        data = {"file": (io.BytesIO(body), "dokumen.pdf")}
        return client.open(
            url, method=method, data=data, content_type="multipart/form-data", headers=headers
        )
    if isinstance(body, str):
        return client.open(url, method=method, data=body, content_type="text/csv", headers=headers)
    return client.open(url, method=method, json=typed(body) if body else None, headers=headers)


def form(body):
    """An HTML form's fields; a `file` field is uploaded as a CSV file (bytes: a PDF)."""
    if not body or "file" not in body:
        return body
    if isinstance(body["file"], bytes):
        return {**body, "file": (io.BytesIO(body["file"]), "surat.pdf")}
    return {**body, "file": (io.BytesIO(body["file"].encode()), "pegawai.csv")}


def typed(body: dict) -> dict:
    """JSON bodies carry numbers as numbers."""
    numbers = ("column_id", "template_id", "version", "board_id")
    typed_body = {key: int(value) if key in numbers else value for key, value in body.items()}
    if "card_ids" in typed_body and isinstance(typed_body["card_ids"], list):
        typed_body["card_ids"] = [int(item) for item in typed_body["card_ids"]]
    return typed_body


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "endpoint,method,url,body,level",
    MATRIX,
    ids=[f"{method} {url}" for _e, method, url, _b, _l in MATRIX],
)
def test_route_gives_each_role_what_it_may(
    client, seeded, role, endpoint, method, url, body, level
):
    tokens = seeded.tokens
    login = "admin" if role == "admin" else NIPS.get(role, "nobody")
    ids = {**seeded.ids, "login": login}
    url, body = fill(url, ids), fill(body, ids)
    headers = {}
    if url.startswith("/api/"):
        if role != "anonymous" and level != "api-token":
            headers["Authorization"] = f"Bearer {tokens[role]}"
        if role == "anonymous" and level == "api-token":
            body = {**body, "password": "salah-sekali"}
        response = send(client, url, method, body, headers)
    else:
        if role != "anonymous":
            client.post("/login", data={"username": login, "password": PASSWORD})
        response = client.open(url, method=method, data=form(body))
    assert response.status_code in expected(level, role), response.get_data(as_text=True)[:300]
    if (
        role == "anonymous"
        and not url.startswith("/api/")
        and level not in ("public", "login-form", "gone")
    ):
        assert "/login" in response.headers["Location"]


def test_every_route_is_in_the_matrix(app):
    covered = {(endpoint, method) for endpoint, method, *_ in MATRIX}
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set(), "routes without a permission row"
    assert covered - routes == set(), "rows for routes that no longer exist"
