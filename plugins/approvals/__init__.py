"""Approvals: document-approval routing (paraf chains) with Plh/Plt stand-ins, an approver inbox
and a gate before Done. See docs/approvals.md.

A head configures, per board and card type, a chain of steps (a named person, or "the head of
unit X" resolved when the step is reached). When a card of that type enters the chain's review
column, step 1 is requested; each approver (or their active Plh/Plt) approves, returns (the
card goes back to the return column; the next entry into review starts again at step 1) or
rejects. The card cannot reach a done column until every step approved.
"""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.routing import BuildError

from cergas.plugin import (
    Badge,
    MoveScope,
    NavItem,
    Panel,
    PluginInfo,
    Setting,
    Veto,
    hookimpl,
    plugin_settings,
)
from plugins.approvals import clock, delegations, documents, edits, inbox, paraf, posts
from plugins.approvals.chains import NAME, chain_setting, chains_of, same_column
from plugins.approvals.store import N_

# Who this plugin is (admin page, board settings, `cergas plugins`, the API) and the plugin API
# versions it is written for.
PLUGIN_INFO = PluginInfo(
    title=_l("Approvals (paraf)"),
    description=_l(
        "Routes letters and documents through a chain of paraf, with acting officials "
        "(Plh/Plt) and an approver inbox."
    ),
    api_range=">=1.0,<2",
    stylesheets=("approvals.css",),
)


@hookimpl
def cergas_settings():
    return [
        chain_setting(),
        Setting(
            "remind_after_days",
            "int",
            2,
            _l("Remind an approver after this many working days"),
            validate=_non_negative,
            minimum=0,
            maximum=365,
        ),
    ]


def _non_negative(value):
    from cergas.plugin import SettingError

    if value is None or value < 0 or value > 365:
        raise SettingError(_("Must be a whole number from 0 to 365."))
    return value


@hookimpl
def cergas_register_blueprints():
    from plugins.approvals.views import api_bp, bp

    return [bp, api_bp]


@hookimpl
def cergas_card_before_move(card, source, target, actor, board):
    """The gate (nothing of a chained type reaches a done column without an approval of its
    current content), the start of a round on entering review, and the end of a round on
    leaving it. `source` None: the card is being created in `target`."""
    chain = chains_of(plugin_settings(board, NAME)).get(card.type)
    if chain is None:
        return None
    state = paraf.state_of(card.id)
    if target.kind == "done":
        if paraf.approval_holds(state, card):
            return None
        if source is None:
            return Veto(
                _(
                    "A card of this type needs paraf before it is done: create it in another "
                    "column and move it to %(column)s.",
                    column=chain.review_column,
                )
            )
        return Veto(paraf.waiting_message(state, chain))
    if same_column(target.name, chain.review_column):
        if state and state.get("state") == "rejected":
            return Veto(_("The paraf chain rejected this card; make a new card for a new draft."))
        if state is None or state.get("state") != "pending":
            paraf.start_chain(card, chain, actor)
        return None
    leaving_review = source is not None and same_column(source.name, chain.review_column)
    if state and leaving_review and state.get("state") == "pending":
        paraf.withdraw(card, state, actor, target.name)
    elif state and leaving_review and state.get("state") == "approved":
        paraf.void(
            card,
            state,
            actor,
            N_("took the card out of paraf after approval (to %(column)s): the approval is void"),
            {"column": target.name},
        )
    return None


@hookimpl
def cergas_card_before_update(card, changes, reason, actor, board):
    """Edits of what a round approves void it; guarded type changes; assignees of a round."""
    chains = chains_of(plugin_settings(board, NAME))
    message = edits.before_update(card, changes, reason, actor, board, chains)
    return Veto(message) if message else None


@hookimpl
def cergas_attachment_before_change(card, change, actor, board):
    """A paraf vouches for the card's documents: a change of them voids a waiting or approved
    round (a new one starts in the review column); in a done column they do not change."""
    chain = chains_of(plugin_settings(board, NAME)).get(card.type)
    message = documents.before_change(card, change, actor, chain)
    return Veto(message) if message else None


@hookimpl
def cergas_move_scope(board):
    # The veto acts only on chained card types: into or out of their review column (start,
    # withdraw) and into a done column (the gate). Every other move takes the core's fast path.
    chains = chains_of(plugin_settings(board, NAME))
    return MoveScope(
        card_types=frozenset(chains),
        columns=frozenset(chain.review_column for chain in chains.values()),
        target_kinds=frozenset({"done"}) if chains else frozenset(),
    )


@hookimpl
def cergas_card_created(card, actor, board):
    chain = chains_of(plugin_settings(board, NAME)).get(card.type)
    if chain is not None and same_column(card.column.name, chain.review_column):
        with paraf.card_transaction(None, card.id) as locked:
            if paraf.state_of(locked.id) is None:
                paraf.start_chain(locked, chain, actor)


@hookimpl
def cergas_card_badges(cards, board):
    states = paraf.states_of([card.id for card in cards])
    # The documents of the approved cards (their stamps cover them), in two queries at most.
    approved = [card for card in cards if (states.get(card.id) or {}).get("state") == "approved"]
    files = paraf.documents_by_card(approved)
    badges = {}
    for card in cards:
        state = states.get(card.id)
        if not state:
            continue
        kind = state.get("state")
        if kind == "pending":
            step = paraf.current(state)
            badges[card.id] = [
                Badge(
                    _("Paraf %(n)d/%(total)d", n=state["current_step"], total=len(state["steps"])),
                    "warning",
                    title=_("Waiting for paraf of %(step)s", step=step["label"]),
                )
            ]
        elif kind == "approved" and not paraf.approval_holds(state, card, files.get(card.id, [])):
            badges[card.id] = [
                Badge(
                    _("Paraf outdated"),
                    "warning",
                    title=_("The card changed after its paraf; it needs a new round."),
                )
            ]
        elif kind == "approved":
            badges[card.id] = [Badge(_("Paraf complete"), "success")]
        elif kind == "returned":
            badges[card.id] = [Badge(_("Returned for revision"), "warning")]
        elif kind == "rejected":
            badges[card.id] = [Badge(_("Rejected"), "danger")]
    return badges


@hookimpl
def cergas_card_api(cards, board):
    states = paraf.states_of([card.id for card in cards])
    people = paraf.people_of(states.values())
    return {card.id: paraf.state_json(states.get(card.id), people) for card in cards}


@hookimpl
def cergas_card_panels(card, board):
    chain = chains_of(plugin_settings(board, NAME)).get(card.type)
    state = paraf.state_of(card.id)
    if chain is None and state is None:
        return []
    return [Panel(_("Paraf"), "approvals/_panel.html", panel_context(card, board, chain, state))]


def panel_context(card, board, chain, state, *, errors=None, note="") -> dict:
    people = paraf.people_of([state])
    user = current_user._get_current_object()
    step = paraf.current(state)
    day = clock.local_today(board.unit)
    how = (
        delegations.capacity(user, step["approver_id"], day, spec=step.get("spec"))
        if step
        else None
    )
    approver = people.get(step["approver_id"]) if step else None
    blocked = None
    if step and approver is not None and paraf.conflicted(card, state, approver.id):
        blocked = _(
            "%(name)s created or was assigned to this card during this round and may not give "
            "it paraf, nor may their Plh/Plt: someone above the post or an admin must reassign "
            "the step.",
            name=approver.name,
        )
    refusal = paraf.decision_refusal(card, state, user, how) if how else None
    files = paraf.documents_of(card)
    return {
        "card": card,
        "chain": chain,
        "state": state,
        "step": step,
        "people": people,
        "approver": approver,
        "can_decide": how is not None and refusal is None,
        "acting": how,
        "self_refusal": refusal[1] if refusal else None,
        "blocked": blocked,
        "outdated": bool(state)
        and state.get("state") == "approved"
        and not paraf.approval_holds(state, card, files),
        # The card's documents now (with their download links) and, per decided step of a
        # waiting or approved round, those it approved that changed since.
        "documents": [{**doc, "url": download_url(card, doc)} for doc in files],
        "seen": {
            number: versions_text(step["documents"])
            for number, step in enumerate((state or {}).get("steps", []), start=1)
            if step.get("documents")
        },
        "changed_since": {
            number: versions_text(paraf.changed_documents(step["documents"], files))
            for number, step in enumerate((state or {}).get("steps", []), start=1)
            if step.get("documents") is not None
        },
        "voided": voided_line(state, people),
        "can_reassign": step is not None and posts.above_step(user, step["spec"]),
        "errors": errors or {},
        "note": note,
        "decide_url": url_for("approvals.decide", card_id=card.id),
        "when": clock.naive_utc,
    }


def versions_text(docs) -> str:
    """ "surat.pdf version 2, lampiran.xlsx version 1" ("" for none)."""
    return ", ".join(
        _("%(name)s version %(n)d", name=doc["name"], n=doc["version"]) for doc in docs
    )


def download_url(card, doc) -> str | None:
    """The link to a document's latest version (the core's card pages), or None when this
    Cergas has no such page."""
    try:
        return url_for("cards.download_attachment", card_id=card.id, attachment_id=doc["id"])
    except BuildError:
        return None


def voided_line(state, people) -> str | None:
    """While a round waits: what voided the round before it (a new version, an edit), as the
    history says it, e.g. "Agus Pratama uploaded a new version of “surat.pdf”: the approval of
    round 1 is void"."""
    voided = (state or {}).get("voided")
    if not voided or state.get("state") != "pending":
        return None
    by = people.get(voided.get("by_id"))
    text = _(voided["text"], **(voided.get("params") or {}))
    return f"{by.name} {text}" if by else text


@hookimpl
def cergas_nav_items(user):
    return [
        NavItem(
            _("Awaiting my paraf"),
            url_for("approvals.inbox"),
            count=inbox.inbox_count(user),
            endpoint="approvals.",
        )
    ]


@hookimpl
def cergas_board_plugin_before_change(board, plugin, enabled, settings, actor):
    """While letters wait for paraf on the board, the plugin stays on and the chains of their
    types stay as they are: switching it off (or changing a chain) would let a head move a
    waiting letter to done, or strand its round. Finish or withdraw the rounds first."""
    if plugin != NAME:
        return None
    waiting = paraf.open_rounds(board.id)
    if not waiting:
        return None
    old = chains_of(plugin_settings(board, NAME))
    if not enabled:
        total = sum(waiting.values())
        return Veto(
            ngettext(
                "%(num)d letter on this board is waiting for paraf. Finish or withdraw its "
                "round first (the approvers decide it, or move the letter out of the review "
                "column), then switch approvals off.",
                "%(num)d letters on this board are waiting for paraf. Finish or withdraw their "
                "rounds first (the approvers decide them, or move the letters out of the review "
                "column), then switch approvals off.",
                total,
            )
        )
    new = chains_of(settings)
    changed = sorted(kind for kind in waiting if old.get(kind) != new.get(kind))
    if not changed:
        return None
    total = sum(waiting[kind] for kind in changed)
    columns = ", ".join(sorted({old[kind].review_column for kind in changed if kind in old}))
    columns = columns or _("the review column")
    return Veto(
        ngettext(
            "%(num)d letter of type %(types)s is waiting for paraf under its chain. Finish or "
            "withdraw its round first (the approvers decide it, or move the letter out of "
            "%(columns)s), then change or remove the chain.",
            "%(num)d letters of type %(types)s are waiting for paraf under their chain. Finish "
            "or withdraw their rounds first (the approvers decide them, or move the letters out "
            "of %(columns)s), then change or remove the chain.",
            total,
            types=", ".join(changed),
            columns=columns,
        )
    )


@hookimpl
def cergas_periodic(now):
    inbox.remind(now)


@hookimpl
def cergas_demo_content(office):
    from plugins.approvals.demo import add_demo_content

    add_demo_content(office)
