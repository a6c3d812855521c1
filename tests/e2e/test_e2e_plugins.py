"""The flows of the sprint, approvals, SLA and workload features, end to end in a real browser:
closing a sprint with its review, a Plh giving paraf in the approver's place, SLA badges and the
report changing with a day off in the unit's calendar, and a head relieving an overloaded person.
Every page these flows open that the other tests do not is checked with axe-core on the way."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import card_in, drag_card, run_axe, wait_until_saved
from i18n_helpers import catalog, t
from markupsafe import Markup

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

RETNO = "Retno Widyaningsih, S.Kom."
FITRI = "Fitri Handayani, S.Sos."
HENDRA = "Hendra Wijaya, S.E."


def tn(singular: str, plural: str, num: int, **params) -> str:
    """The Indonesian text of a plural msgid for `num`, as the page renders it."""
    translated = catalog().ngettext(singular, plural, num)
    if translated in (singular, plural):
        raise AssertionError(f"no Indonesian translation for msgid {singular!r}")
    return str(Markup.escape(translated) % {"num": num, **params})


def shaped(text: str, numbers: dict[str, str]) -> re.Pattern:
    """A pattern for the start of a translated text whose numbers may differ: `numbers` maps
    each stand-in number put into the text to the pattern that replaces it (working time
    passes while a test runs)."""
    pattern = re.escape(text)
    for stand_in, replacement in numbers.items():
        pattern = pattern.replace(stand_in, replacement)
    return re.compile(f"^{pattern}")


def axe_clean(page) -> None:
    page.wait_for_load_state("networkidle")
    assert run_axe(page) == [], page.url


def jakarta_today():
    return datetime.now(ZoneInfo("Asia/Jakarta")).date()


# --- sprints --------------------------------------------------------------------------------


def figure(page, label: str):
    """The value of one of the sprint figures (committed, completed, added, removed)."""
    return page.locator(".sprint-numbers > div").filter(has_text=label).locator("dd")


def test_a_head_closes_a_sprint_and_reads_its_review(new_page, login, board, server):
    plan = board("sprint")
    sprint_id = server.seed["sprint"]["active"]
    cards = plan.cards
    page = login(new_page(bypass_csp=True), "head")
    page.goto(plan.url)
    bar = page.locator(".sprint-bar")
    expect(bar).to_contain_text("Sprint 7")
    expect(bar).to_contain_text(t("%(done)d of %(total)d cards done", done=0, total=3))

    # One committed card gets done on the board; the bar counts it.
    drag_card(page, cards["Verifikasi dokumen pemohon"], plan.columns["Selesai"])
    expect(
        card_in(page, plan.columns["Selesai"], cards["Verifikasi dokumen pemohon"])
    ).to_be_visible()
    wait_until_saved(page)
    page.reload()
    expect(bar).to_contain_text(t("%(done)d of %(total)d cards done", done=1, total=3))

    # A card added after the start is a scope change.
    bar.get_by_role("link", name="Sprint 7").click()
    expect(page.locator("h1")).to_contain_text("Sprint 7")
    expect(page.locator(".sprint-state")).to_have_text(t("Active"))
    page.get_by_label("Siapkan bahan rapat koordinasi PPID").check()
    page.get_by_role("button", name=t("Add to sprint")).click()
    expect(page.locator("#alerts")).to_contain_text(
        tn("%(num)d card added to the sprint.", "%(num)d cards added to the sprint.", 1)
    )
    expect(figure(page, t("Added after the start"))).to_have_text("1")

    page.get_by_role("link", name=t("Close sprint")).click()
    expect(page.locator("h1")).to_have_text(t("Close %(sprint)s", sprint="Sprint 7"))
    expect(page.locator("main")).to_contain_text(
        tn("%(num)d unfinished card", "%(num)d unfinished cards", 3)
    )
    expect(page.locator("main")).to_contain_text(
        t("“Next sprint” means %(name)s.", name="Sprint 8")
    )
    axe_clean(page)

    # A goal not met needs a note: refused, with the message by the field.
    page.get_by_label(t("Not met"), exact=True).check()
    if page.locator("#confirm-early").count():  # closing before its end date is confirmed
        page.locator("#confirm-early").check()
    page.get_by_role("button", name=t("Close sprint")).click()
    note = page.locator("#close-note")
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#close-note-error")).to_have_text(
        t("Say what slipped and why when the goal was not fully met.")
    )
    expect(page.locator("main [role=alert]")).to_have_text(t("Some fields are not valid."))
    expect(page.get_by_label(t("Not met"), exact=True)).to_be_checked()

    # Partly met, with the note; card by card: one goes on to the next sprint, two go back.
    page.get_by_label(t("Partly met"), exact=True).check()
    note.fill("Data DIP dari bidang lain belum lengkap")
    page.locator("#mode-each").check()
    page.locator(f"#carry-{cards['Balas surat permohonan data']}").select_option("next")
    page.locator(f"#carry-{cards['Unggah DIP semester II']}").select_option("backlog")
    page.locator(f"#carry-{cards['Siapkan bahan rapat koordinasi PPID']}").select_option("backlog")
    if page.locator("#confirm-early").count():  # closing before its end date is confirmed
        page.locator("#confirm-early").check()
    page.get_by_role("button", name=t("Close sprint")).click()

    # The review: the verdict, the note, the figures, where the unfinished cards went.
    expect(page).to_have_url(re.compile(rf"/sprints/{sprint_id}/review$"))
    expect(page.locator("#alerts")).to_contain_text(t("%(sprint)s closed.", sprint="Sprint 7"))
    expect(page.locator("h1")).to_contain_text(t("Sprint review: %(name)s", name="Sprint 7"))
    expect(page.locator("h1 .sprint-state")).to_have_text(t("Closed"))
    expect(page.locator(".goal-verdict")).to_contain_text(t("Partly met"))
    expect(page.locator(".review-note")).to_have_text("Data DIP dari bidang lain belum lengkap")
    expect(figure(page, t("Committed"))).to_contain_text(tn("%(num)d card", "%(num)d cards", 3))
    expect(figure(page, t("Completed"))).to_contain_text(tn("%(num)d card", "%(num)d cards", 1))
    expect(figure(page, t("Added after the start"))).to_have_text("1")
    expect(figure(page, t("Removed after the start"))).to_have_text("0")
    carried = page.locator("section[aria-labelledby=carried] li")
    expect(carried).to_have_count(3)
    expect(carried.filter(has_text="Balas surat permohonan data")).to_contain_text(
        "→ Sprint 8"  # the next sprint by its name (issue 26)
    )
    expect(carried.filter(has_text="Unggah DIP semester II")).to_contain_text(f"→ {t('backlog')}")
    expect(carried.filter(has_text="Siapkan bahan rapat koordinasi PPID")).to_contain_text(
        f"→ {t('backlog')}"
    )
    scope = page.locator("section[aria-labelledby=scope]")
    expect(scope).to_contain_text(f"{t('Added')}: Siapkan bahan rapat koordinasi PPID")
    dimas = page.locator("section[aria-labelledby=people] tbody tr").filter(
        has_text="Dimas Aditya Nugroho"
    )
    expect(dimas.locator("td").nth(1)).to_have_text("2")  # Balas, Verifikasi
    expect(dimas.locator("td").nth(2)).to_have_text("1")  # Verifikasi is done
    axe_clean(page)

    # The sprint list records the verdict; the carried card waits in the next sprint.
    page.locator(".breadcrumb").get_by_role("link", name=t("Sprints"), exact=True).click()
    closed_row = page.locator("tbody tr").filter(has_text="Sprint 7")
    expect(closed_row).to_contain_text(t("Closed"))
    expect(closed_row).to_contain_text(t("Partly met"))
    page.get_by_role("link", name="Sprint 8").click()
    committed = page.locator("section[aria-labelledby=sprint-cards]")
    expect(committed).to_contain_text("Balas surat permohonan data")
    expect(committed).not_to_contain_text("Unggah DIP semester II")

    # No sprint runs on the board any more.
    page.goto(plan.url)
    expect(page.locator(".column h2").first).to_be_visible()
    expect(page.locator(".sprint-bar")).to_have_count(0)


# --- approvals: a Plh gives paraf in the approver's place -----------------------------------


def test_a_plh_gives_paraf_for_the_head_and_the_history_says_so(new_page, login, board):
    letters = board("approval_plh")
    letter = letters.cards["Surat undangan rapat koordinasi PPID"]
    today = jakarta_today()

    # The Kasi names Fitri her Plh for three days, from her inbox page.
    head = login(new_page(bypass_csp=True), "head")
    head.goto("/plugins/approvals/inbox")
    head.get_by_role("link", name=t("Plh/Plt delegations")).click()
    expect(head.locator("h1")).to_have_text(t("Plh/Plt delegations"))
    axe_clean(head)
    head.get_by_label(t("Stand-in (NIP or username)")).fill("fitri")
    head.get_by_label(t("Kind")).select_option("plh")
    head.get_by_label(t("From"), exact=True).fill(today.isoformat())
    head.get_by_label(t("Until")).fill((today + timedelta(days=2)).isoformat())
    head.get_by_role("button", name=t("Save")).click()
    expect(head.locator("#alerts")).to_contain_text(t("Delegation saved."))
    given = head.locator("tbody tr").filter(has_text=FITRI)
    expect(given).to_have_count(1)
    expect(given.locator("td").nth(0)).to_have_text(RETNO)
    expect(given.locator("td").nth(2)).to_have_text("Plh")
    expect(given.locator("td").nth(4)).to_have_text(t("Active"))

    # The drafter sends the letter to Paraf: it waits on the Kasi's step.
    drafter = login(new_page(), "staff")
    drafter.goto(letters.url)
    drag_card(drafter, letter, letters.columns["Paraf"])
    expect(card_in(drafter, letters.columns["Paraf"], letter)).to_be_visible()
    expect(card_in(drafter, letters.columns["Paraf"], letter).locator(".badge")).to_contain_text(
        "Paraf 1/1"  # the same in both languages
    )

    # Fitri finds it in her inbox, marked as the Kasi's, and gives the paraf as her Plh.
    standin = login(new_page(bypass_csp=True), "polyglot")
    inbox_link = standin.locator('.site-nav a[data-plugin="approvals"]')
    expect(inbox_link.locator(".badge")).to_have_text("1")
    inbox_link.click()
    waiting = standin.locator(f'.approvals-inbox-item[data-card-id="{letter}"]')
    expect(waiting).to_contain_text(t("as %(kind)s of %(name)s", kind="Plh", name=RETNO))
    waiting.get_by_role("link", name="Surat undangan rapat koordinasi PPID").click()
    panel = standin.locator(f"#approvals-panel-{letter}")
    expect(panel.locator(".approvals-acting")).to_have_text(
        t("You decide as %(kind)s of %(name)s.", kind="Plh", name=RETNO)
    )
    axe_clean(standin)
    panel.get_by_role("button", name=t("Give paraf")).click()
    expect(panel.locator(".approvals-status")).to_contain_text(t("Paraf complete."))
    stamp = panel.locator(".approvals-step-approved .approvals-stamp")
    expect(stamp).to_contain_text(FITRI)
    expect(stamp).to_contain_text(t("as %(kind)s of %(name)s", kind="Plh", name=RETNO))
    expect(standin.locator("#history")).to_contain_text(
        t(
            "gave paraf for %(step)s as %(kind)s of %(name)s",
            step="Kasi PIP",
            kind="Plh",
            name=RETNO,
        )
    )
    expect(standin.locator("#history .event-approval_approved strong")).to_have_text(FITRI)

    # With the paraf the letter may go out.
    drafter.reload()
    drag_card(drafter, letter, letters.columns["Terkirim"])
    expect(card_in(drafter, letters.columns["Terkirim"], letter)).to_be_visible()
    expect(card_in(drafter, letters.columns["Terkirim"], letter).locator(".badge")).to_contain_text(
        t("Paraf complete")
    )

    # The Kasi is back early: she ends the delegation.
    head.reload()
    given.get_by_role("button", name=t("End")).click()
    expect(head.locator("#alerts")).to_contain_text(t("Delegation ended."))
    expect(given.locator("td").nth(4)).to_have_text(t("Ended"))


# --- SLA: badges, the report, and a day off that changes the outcome ------------------------


# "%(h)d h %(m)02d min" with stand-in numbers, and what each stands for.
HOURS, MINUTES = 7777, 55
HOURS_MINUTES = {str(HOURS): r"\d+", str(MINUTES): r"\d\d"}


def badge_of(page, card_id: int, tone: str):
    return page.locator(f'.card[data-card-id="{card_id}"] .badge-{tone}')


def sla_figures(page):
    """The "All" row of the report: met, missed, open, open and late, compliance."""
    return page.locator("tr.sla-total td")


def test_sla_badges_and_report_follow_the_units_working_calendar(new_page, login, board, server):
    desk = board("sla")
    cards = desk.cards
    day_off = server.seed["sla"]["day_off"]
    working_days = [tn("%(num)d working day", "%(num)d working days", n) for n in (1, 2)]
    hours_and_minutes = t("%(h)d h %(m)02d min", h=HOURS, m=MINUTES)
    late_by_hours = shaped(t("Late %(time)s", time=hours_and_minutes), HOURS_MINUTES)
    late_by_days = re.compile(
        "^(?:" + "|".join(re.escape(t("Late %(time)s", time=days)) for days in working_days) + ")"
    )
    left_hours = shaped(t("%(time)s left", time=hours_and_minutes), HOURS_MINUTES)

    kasi = login(new_page(bypass_csp=True), "kasi_pel")
    kasi.goto(desk.url)
    late_days = badge_of(kasi, cards["Pengaduan jalan berlubang di Jl. Kaliurang"], "danger")
    expect(late_days).to_have_text(late_by_days)
    expect(badge_of(kasi, cards["Permohonan salinan SK Bupati"], "danger")).to_have_text(
        late_by_hours
    )
    expect(badge_of(kasi, cards["Permohonan data kunjungan wisata"], "warning")).to_have_text(
        left_hours
    )
    expect(badge_of(kasi, cards["Permohonan profil desa"], "success")).to_contain_text(
        t("%(time)s left", time=working_days[1])
    )
    expect(badge_of(kasi, cards["Permohonan peta rawan bencana"], "success")).to_contain_text(
        t("SLA met")
    )
    expect(badge_of(kasi, cards["Pengaduan sampah menumpuk di pasar"], "danger")).to_contain_text(
        t("SLA missed")
    )
    warnings = kasi.locator("#board-warnings")
    expect(warnings).to_contain_text(
        tn(
            "%(num)d card is past its service time (SLA).",
            "%(num)d cards are past their service time (SLA).",
            2,
        )
    )
    expect(warnings).to_contain_text(
        tn(
            "%(num)d card is close to its service time (SLA).",
            "%(num)d cards are close to their service time (SLA).",
            1,
        )
    )

    # The head's report, reached from the menu.
    kasi.locator('.site-nav a[data-plugin="sla"]').click()
    expect(kasi.locator("h1")).to_have_text(t("SLA reports"))
    axe_clean(kasi)
    kasi.get_by_role("link", name="Papan SLA").click()
    expect(kasi.locator("h1")).to_have_text(t("SLA report: %(name)s", name="Papan SLA"))
    expect(sla_figures(kasi)).to_have_text(["1", "1", "4", "2", "50%"])
    breaches = kasi.locator("section[aria-labelledby=sla-breaches] tbody tr")
    expect(breaches).to_have_count(3)
    expect(breaches.filter(has_text="Permohonan salinan SK Bupati")).to_contain_text(
        t("Still open")
    )
    expect(breaches.filter(has_text="Pengaduan sampah menumpuk di pasar")).to_contain_text(
        t("Done late")
    )
    axe_clean(kasi)

    # The regency declares a local holiday on a day the late request was being worked on,
    # while the Kasi has the board open.
    with kasi.expect_response(lambda answer: answer.url.endswith(f"{desk.url}/stream")):
        kasi.goto(desk.url)
    admin = login(new_page(bypass_csp=True), "admin")
    admin.locator(".site-nav").get_by_role("link", name=t("Administration")).click()
    admin.get_by_role("link", name=t("Working calendars")).click()
    admin.get_by_role("link", name="SEKSI-PEL").click()
    expect(admin.locator("h1")).to_have_text(
        t("Working calendar: %(name)s", name="Seksi Pelayanan")
    )
    axe_clean(admin)
    admin.locator("#day").fill(day_off)
    admin.locator("#kind").select_option("off")
    admin.locator("#note").fill("Libur daerah: hari jadi kabupaten")
    admin.get_by_role("button", name=t("Add"), exact=True).click()
    expect(admin.locator("#alerts")).to_contain_text(t("Day saved."))
    added = admin.locator("section[aria-labelledby=cal-days] tbody tr").filter(has_text=day_off)
    expect(added).to_contain_text(t("Day off"))

    # That working day no longer counts: the request is back in time, one breach fewer. The
    # open board redraws by itself; a fresh load shows the same.
    back_in_time = kasi.locator(
        f'.card[data-card-id="{cards["Permohonan salinan SK Bupati"]}"] .badge'
    )
    expect(back_in_time).to_have_text(left_hours)
    expect(back_in_time).not_to_have_class(re.compile(r"badge-danger"))
    # The one late by days is a working day less late (which may leave hours only).
    expect(late_days).to_have_text(
        re.compile(f"(?:{late_by_days.pattern})|(?:{late_by_hours.pattern})")
    )
    expect(warnings).to_contain_text(
        tn(
            "%(num)d card is past its service time (SLA).",
            "%(num)d cards are past their service time (SLA).",
            1,
        )
    )
    kasi.reload()
    expect(back_in_time).to_have_text(left_hours)
    kasi.goto(f"/plugins/sla/boards/{desk.id}")
    expect(sla_figures(kasi)).to_have_text(["1", "1", "4", "1", "50%"])
    expect(breaches).to_have_count(2)
    expect(breaches.filter(has_text="Permohonan salinan SK Bupati")).to_have_count(0)


# --- workload: an overloaded person, and a head who gives one of their cards away ----------


def test_a_head_relieves_an_overloaded_member_from_the_workload_page(new_page, login, board):
    team = board("workload")
    card = "Perbaikan pendingin ruang rapat"
    overloaded = t(
        "Unbalanced load: %(name)s holds %(count)d active cards (team median %(median)s)",
        name="Budi Santoso",
        count=4,
        median="1,5",
    )
    head = login(new_page(bypass_csp=True), "kasubag")
    head.goto(team.url)
    expect(head.locator("#board-warnings")).to_contain_text(overloaded)

    head.locator('.site-nav a[data-plugin="workload"]').click()
    expect(head.locator("h1")).to_have_text(t("Workload"))
    axe_clean(head)
    head.get_by_role("link", name="Papan umum").click()
    expect(head.locator("h1")).to_have_text(t("Workload: %(name)s", name="Papan umum"))
    people = head.locator("section[aria-labelledby=wl-chart] .workload-table tbody tr")
    budi = people.filter(has_text="Budi Santoso")
    yoga = people.filter(has_text="Yoga Pratama")
    expect(budi.locator("td").nth(0)).to_have_text("4")
    expect(budi).to_contain_text(t("Overloaded"))
    expect(yoga.locator("td").nth(0)).to_have_text("1")
    expect(head.locator("section[aria-labelledby=wl-warnings]")).to_contain_text(overloaded)

    # Who could take it: the card's suggestion names the least-loaded members.
    suggestion = head.locator(".workload-suggestions > li").filter(
        has=head.get_by_role("link", name=card)
    )
    expect(suggestion).to_contain_text(t("held by %(name)s", name="Budi Santoso"))
    axe_clean(head)
    suggestion.get_by_role("button", name=t("Give to %(name)s", name="Yoga Pratama")).click()

    # Said once, in the page's alert region.
    given = t("“%(title)s” now belongs to %(name)s.", title=card, name="Yoga Pratama")
    expect(head.locator("#alerts")).to_contain_text(given)
    expect(head.locator(".alert").filter(has_text=given)).to_have_count(1)
    expect(budi.locator("td").nth(0)).to_have_text("3")
    expect(budi).to_contain_text(t("OK"))
    expect(yoga.locator("td").nth(0)).to_have_text("2")
    expect(head.locator("section[aria-labelledby=wl-warnings]")).to_have_count(0)
    expect(head.locator(".workload-suggestions")).to_have_count(0)

    # The board agrees: the card shows its new assignee, the warning is gone.
    head.goto(team.url)
    expect(head.locator("#board-warnings")).not_to_contain_text("Budi Santoso")
    moved = head.locator(f'.card[data-card-id="{team.cards[card]}"] abbr.avatar')
    expect(moved).to_have_attribute("title", "Yoga Pratama")
    head.goto(f"/cards/{team.cards[card]}")
    expect(head.locator("#history .event-assigned").last).to_contain_text(
        f"{HENDRA} {t('assigned it to %(person)s', person='Yoga Pratama')}"
    )
