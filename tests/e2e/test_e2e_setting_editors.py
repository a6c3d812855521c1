"""A head configures a two-step paraf chain and an SLA policy on the board settings page with
its editors (no JSON typed), the rules act on the board, and a chain naming a column the board
no longer has (a page left open while the column was renamed) is refused next to the field;
renaming the column takes the chain along. Screenshots of the settings page (desktop, phone)
go to the test's temporary folder."""

import re

import pytest
from helpers import card_in, run_axe
from i18n_helpers import t

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

DIMAS = "Dimas Aditya Nugroho, S.I.Kom."
PIP = "Seksi Pengelolaan Informasi Publik"


def plugin_form(page, name):
    return page.locator(f"form#plugin-{name}")


def click_and_wait(page, button):
    with page.expect_navigation():
        button.click()


def test_a_head_sets_a_paraf_chain_and_an_sla_policy_without_json(
    new_page, login, server, tmp_path
):
    page = login(new_page(bypass_csp=True), "head")  # axe-core is injected below
    page.goto("/boards")
    page.fill("#board-name", "Papan editor pengaturan")
    click_and_wait(page, page.get_by_role("button", name=t("Create board")))
    board_id = int(re.search(r"/boards/(\d+)", page.url).group(1))
    settings = f"/boards/{board_id}/settings"

    # A column for the paraf.
    page.goto(settings)
    page.fill("#new-name", "Paraf")
    page.select_option("#new-kind", "active")
    click_and_wait(page, page.get_by_role("button", name=t("Add column")))
    names = page.locator("li.column-setting input[name=name]").evaluate_all(
        "els => els.map(e => e.value)"
    )
    ids = page.locator("li.column-setting").evaluate_all(
        "els => els.map(e => Number(e.dataset.columnId))"
    )
    column = dict(zip(names, ids, strict=True))
    backlog, working = names[0], names[1]

    # The paraf chain: one chain, two steps (the head of the Seksi, then a person by name).
    approvals = plugin_form(page, "approvals")
    click_and_wait(page, approvals.get_by_role("button", name=t("Add a chain")))
    approvals = plugin_form(page, "approvals")
    approvals.locator("#plugin-approvals-chains-0-type").select_option("tugas")
    approvals.locator("#plugin-approvals-chains-0-review_column").select_option("Paraf")
    approvals.locator("#plugin-approvals-chains-0-return_column").select_option(working)
    click_and_wait(page, approvals.get_by_role("button", name=t("Add a step")))
    approvals = plugin_form(page, "approvals")
    # What was picked before the page came back stays.
    expect(approvals.locator("#plugin-approvals-chains-0-review_column")).to_have_value("Paraf")
    click_and_wait(page, approvals.get_by_role("button", name=t("Add a step")))
    approvals = plugin_form(page, "approvals")
    expect(approvals.locator("fieldset.record fieldset.record")).to_have_count(2)
    approvals.locator("#plugin-approvals-chains-0-steps-0-head_of").select_option(label=PIP)
    person = approvals.locator("#plugin-approvals-chains-0-steps-1-user")
    person.press_sequentially("Dimas", delay=30)
    suggestion = f"{DIMAS} · {PIP}"
    expect(page.locator("#plugin-approvals-chains-0-steps-1-user-list option")).to_have_attribute(
        "value", suggestion
    )
    person.fill(suggestion)
    click_and_wait(page, approvals.get_by_role("button", name=t("Save plugin")).last)
    expect(page.locator(".alert-success")).to_contain_text(
        t("Plugin %(name)s saved.", name=t("Approvals (paraf)"))
    )
    approvals = plugin_form(page, "approvals")
    expect(approvals.locator("#plugin-approvals-chains-0-steps-1-user")).to_have_value(suggestion)

    # The SLA policy: three working days for a task, the clock waiting in the backlog.
    sla = plugin_form(page, "sla")
    click_and_wait(page, sla.get_by_role("button", name=t("Add a policy")))
    sla = plugin_form(page, "sla")
    sla.locator("#plugin-sla-policies-0-type").select_option("tugas")
    sla.locator("#plugin-sla-policies-0-duration").fill("3")
    sla.locator("#plugin-sla-policies-0-unit").select_option("working_days")
    sla.get_by_label(backlog, exact=True).check()
    click_and_wait(page, sla.get_by_role("button", name=t("Save plugin")).last)
    expect(page.locator(".alert-success")).to_contain_text(
        t("Plugin %(name)s saved.", name=t("Service time standards (SLA)"))
    )

    # The editors with their rows pass axe-core (labels, groups, described errors).
    page.wait_for_load_state("networkidle")
    assert run_axe(page) == []
    for name, viewport in (
        ("desktop", {"width": 1280, "height": 900}),
        ("phone", {"width": 375, "height": 812}),
    ):
        page.set_viewport_size(viewport)
        page.locator("#plugins").screenshot(path=str(tmp_path / f"settings-{name}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # The rules act: a new task shows its SLA badge; in the Paraf column it waits for step 1.
    page.goto(f"/boards/{board_id}")
    page.fill(f"#add-{column[working]}-title", "Telaah permohonan data statistik")
    due = page.locator(f"#add-{column[working]}-due")
    due.fill("2030-01-31")
    page.locator(f"#add-{column[working]}-title").press("Enter")
    card = page.locator(".card", has_text="Telaah permohonan data statistik")
    expect(card.locator('.badge[title*="SLA tugas"]')).to_be_visible()
    card_id = int(card.get_attribute("data-card-id"))
    # Moved with the keyboard's move dialog (the Paraf column sits after Done, off screen).
    page.locator(f'.card[data-card-id="{card_id}"] a.move').focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#dialog")
    dialog.locator("#move-column").select_option(str(column["Paraf"]))
    dialog.get_by_role("button", name=t("Move"), exact=True).press("Enter")
    expect(dialog).to_be_hidden()
    card = card_in(page, column["Paraf"], card_id)
    expect(card.locator(".badge", has_text="Paraf 1/2")).to_be_visible()

    # A second tab keeps the settings page as it was; in this one the Paraf column is renamed.
    # The chain follows the new name (so the letter keeps waiting for its paraf), ...
    stale = login(new_page(), "head")
    stale.goto(settings)
    page.goto(settings)
    page.fill(f"#col-{column['Paraf']}-name", "Paraf Kasi")
    form = page.locator(f'li.column-setting[data-column-id="{column["Paraf"]}"] form').first
    click_and_wait(page, form.get_by_role("button", name=t("Save column")))
    approvals = plugin_form(page, "approvals")
    expect(approvals.locator("#plugin-approvals-chains-0-review_column")).to_have_value(
        "Paraf Kasi"
    )
    page.goto(f"/boards/{board_id}")
    expect(
        card_in(page, column["Paraf"], card_id).locator(".badge", has_text="Paraf 1/2")
    ).to_be_visible()

    # ... and the old tab's chain, which still names "Paraf", is refused next to the field.
    approvals = plugin_form(stale, "approvals")
    click_and_wait(stale, approvals.get_by_role("button", name=t("Save plugin")).last)
    error = stale.locator("#plugin-approvals-chains-0-review_column-error")
    expect(error).to_have_text(t("This board has no column named %(name)s.", name="Paraf"))
    expect(stale.locator("#plugin-approvals-chains-0-review_column")).to_have_attribute(
        "aria-invalid", "true"
    )
