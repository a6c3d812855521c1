"""What an edit of a card does to its paraf (asked by `cergas_card_before_update`, inside the
edit's transaction, with the card's old values).

- An approval vouches for the card's content (`paraf.STAMPED_FIELDS`: title, description,
  type). Changing any of them voids a waiting or approved round (`approval_voided` in the
  history); in the review column a new round starts at step 1.
- In a done column, a card of a chained type keeps its content: the letter has gone out (make a
  new card for a new version), and a card there cannot take a chained type.
- The type of a card whose chain is waiting, approved or rejected is changed only by a head of
  the board's unit or an admin, and only with a reason (kept in the history).
- Every assignee of a waiting (or withdrawn) round is remembered for that round: none of them
  decides a step.
"""

from flask_babel import gettext as _

from cergas.plugin import can_manage_board, find_user
from plugins.approvals import paraf
from plugins.approvals.chains import Chain, same_column
from plugins.approvals.store import N_

GUARDED_TYPE_STATES = ("pending", "approved", "rejected")


class AfterEdit:
    """The card as it will be once the edit is written (the edit's new values over the old
    card), for a round that starts inside the edit."""

    def __init__(self, card, values: dict):
        self._card = card
        self._values = values

    def __getattr__(self, name):
        values = self.__dict__["_values"]
        if name in values:
            return values[name]
        return getattr(self.__dict__["_card"], name)


def _user_id(login) -> int | None:
    if not login:
        return None
    person = find_user(login)
    return person.id if person is not None else None


def refusal(card, changes: dict, reason: str, actor, board, old_chain, new_chain, state):
    """The message refusing the edit, or None when it may go ahead."""
    stamped = [name for name in paraf.STAMPED_FIELDS if name in changes]
    kind = state.get("state") if state else None
    if card.column.kind == "done" and stamped:
        if "type" in changes and old_chain is None:
            return _(
                "A card in a done column cannot take a type that needs paraf: make a new card "
                "for the letter and send it through %(column)s.",
                column=new_chain.review_column,
            )
        return _(
            "A card that needs paraf cannot change its title, description or type once it is "
            "in a done column: the letter has gone out. Make a new card for a new version."
        )
    if "type" in changes and old_chain is not None and kind in GUARDED_TYPE_STATES:
        if not can_manage_board(actor, board):
            return _(
                "Only a head of this unit or an admin may change the type of a card whose paraf "
                "is under way, complete or rejected."
            )
        if not reason:
            return _(
                "Say why the type of a card under paraf changes: write it in the reason for "
                "this change."
            )
    return None


def apply(card, changes: dict, reason: str, actor, old_chain, new_chain, state) -> None:
    """Write what the (accepted) edit does to the paraf state."""
    kind = state.get("state") if state else None
    if kind in ("pending", "none") and "assignee" in changes:
        paraf.note_assignee(card.id, state, card.assignee_id, _user_id(changes["assignee"][1]))
        state = paraf.state_of(card.id)
    stamped = [name for name in paraf.STAMPED_FIELDS if name in changes]
    if not stamped:
        return
    voided = kind in ("pending", "approved")
    if voided:
        text = (
            N_("changed the card under paraf: round %(round)d is void")
            if kind == "pending"
            else N_("changed the card after its paraf: the approval of round %(round)d is void")
        )
        paraf.void(card, state, actor, text, fields=stamped, note=reason or None)
    in_review = new_chain is not None and same_column(card.column.name, new_chain.review_column)
    if in_review and kind != "rejected" and (voided or "type" in changes):
        values = {name: new for name, (_old, new) in changes.items() if name != "assignee"}
        if "assignee" in changes:
            values["assignee_id"] = _user_id(changes["assignee"][1])
        paraf.start_chain(AfterEdit(card, values), new_chain, actor)


def before_update(card, changes, reason, actor, board, chains: dict[str, Chain]):
    old_chain = chains.get(card.type)
    new_chain = chains.get(changes["type"][1]) if "type" in changes else old_chain
    if old_chain is None and new_chain is None:
        return None
    state = paraf.state_of(card.id)
    message = refusal(card, changes, reason, actor, board, old_chain, new_chain, state)
    if message:
        return message
    apply(card, changes, reason, actor, old_chain, new_chain, state)
    return None
