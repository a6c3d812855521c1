"""What a change of a card's documents does to its paraf (asked by
`cergas_attachment_before_change`, inside the change's transaction, after its rows are flushed).

- An approval vouches for the latest version of each document on the card (the content stamp,
  `paraf.content_of`). A document added, a new version, a removal or a restore voids a waiting
  or approved round (`approval_voided` in the history); in the review column a new round starts
  at step 1, about the documents as they are now.
- In a done column, the documents of a card of a chained type do not change: the letter has gone
  out (make a new card for a new version).
"""

from flask_babel import gettext as _

from plugins.approvals import paraf
from plugins.approvals.chains import Chain, same_column
from plugins.approvals.store import N_

# The history line of a void, per change and per state of the round voided.
VOID_TEXTS = {
    ("added", "pending"): N_(
        "added the document “%(name)s” to the card under paraf: round %(round)d is void"
    ),
    ("added", "approved"): N_(
        "added the document “%(name)s” after the paraf: the approval of round %(round)d is void"
    ),
    ("version", "pending"): N_(
        "uploaded a new version of “%(name)s” during paraf: round %(round)d is void"
    ),
    ("version", "approved"): N_(
        "uploaded a new version of “%(name)s”: the approval of round %(round)d is void"
    ),
    ("removed", "pending"): N_(
        "removed the document “%(name)s” during paraf: round %(round)d is void"
    ),
    ("removed", "approved"): N_(
        "removed the document “%(name)s” after the paraf: the approval of round %(round)d is void"
    ),
    ("restored", "pending"): N_(
        "restored the document “%(name)s” during paraf: round %(round)d is void"
    ),
    ("restored", "approved"): N_(
        "restored the document “%(name)s” after the paraf: the approval of round %(round)d is void"
    ),
}


def refusal(card) -> str | None:
    if card.column.kind == "done":
        return _(
            "The documents of a card that needs paraf cannot change once it is in a done column: "
            "the letter has gone out. Make a new card for a new version."
        )
    return None


def before_change(card, change, actor, chain: Chain | None) -> str | None:
    """The message refusing the change, or None when it may go ahead (and what it does to the
    round is written)."""
    if chain is None:
        return None
    message = refusal(card)
    if message:
        return message
    state = paraf.state_of(card.id)
    kind = state.get("state") if state else None
    if kind not in ("pending", "approved"):
        # No round stands (none yet, withdrawn, returned, rejected): the next round stamps the
        # documents as they are when it starts.
        return None
    paraf.void(
        card,
        state,
        actor,
        VOID_TEXTS[(change.change, kind)],
        {"name": change.name},
        fields=["documents"],
        document=change.attachment_id,
        version=change.version,
        change=change.change,
    )
    if same_column(card.column.name, chain.review_column):
        paraf.start_chain(card, chain, actor)
    return None
