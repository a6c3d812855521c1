"""Following a card: its comments reach the people who follow it (app/services/notify_events.py).

A card's creator and assignee follow it without asking; anyone who may see the card can follow
it, and anyone can unfollow it (the creator and assignee too: a `CardFollow` row with
`following` false remembers that they said no).
"""

from sqlalchemy import select

from app.extensions import db
from app.models import Card, CardFollow, User, utcnow
from app.services import tx
from app.services.access import visible_card


def _set(actor: User, card_id, following: bool) -> Card:
    with tx.write_transaction():
        card = visible_card(actor, card_id)
        row = db.session.get(CardFollow, (actor.id, card.id))
        if row is None:
            db.session.add(
                CardFollow(
                    user_id=actor.id, card_id=card.id, following=following, created_at=utcnow()
                )
            )
        elif row.following != following:
            row.following = following
    return card


def follow(actor: User, card_id) -> Card:
    """Follow a card the person may see (404 otherwise); following it again changes nothing."""
    return _set(actor, card_id, True)


def unfollow(actor: User, card_id) -> Card:
    """Stop following a card, also one the person created or is assigned to."""
    return _set(actor, card_id, False)


def _implicit(card: Card) -> set[int]:
    return {user_id for user_id in (card.created_by_id, card.assignee_id) if user_id is not None}


def is_following(user: User, card: Card) -> bool:
    """Whether comments on the card reach the person (one query)."""
    row = db.session.get(CardFollow, (user.id, card.id))
    if row is not None:
        return row.following
    return user.id in _implicit(card)


def followers_of(card_ids) -> dict[int, set[int]]:
    """card id -> ids of the people following it (creator and assignee unless they unfollowed,
    and everyone who followed), for many cards in one query."""
    ids = {card_id for card_id in card_ids if isinstance(card_id, int)}
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            Card.id, Card.created_by_id, Card.assignee_id, CardFollow.user_id, CardFollow.following
        )
        .outerjoin(CardFollow, CardFollow.card_id == Card.id)
        .where(Card.id.in_(ids))
    )
    implicit: dict[int, set[int]] = {}
    explicit: dict[int, dict[int, bool]] = {}
    for card_id, creator_id, assignee_id, user_id, following in rows:
        implicit.setdefault(card_id, {u for u in (creator_id, assignee_id) if u is not None})
        if user_id is not None:
            explicit.setdefault(card_id, {})[user_id] = following
    result = {}
    for card_id, people in implicit.items():
        said = explicit.get(card_id, {})
        result[card_id] = {u for u in people if said.get(u, True)} | {
            u for u, following in said.items() if following
        }
    return result
