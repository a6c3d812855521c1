"""Who sees a person's performance records (RHK, evidence, feedback, dialogue notes; issue 27).

The person sees their own; the heads of the units above them (acting heads while acting) see
those of everyone in their unit tree. Colleagues see none of each other's, and a site admin,
who keeps the server, sees them only where they are also a head. A record someone may not see
is answered as if it did not exist (404), so a colleague cannot even learn that it does.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, User
from app.services import access
from app.services.errors import NotFound


def units_led_by(viewer: User) -> set[int]:
    """The units whose people's performance records `viewer` sees as a head (their subtrees
    included), without the site admin's shortcut."""
    return access._managed_from(access._roles(viewer))


def person_unit_ids(person: User) -> set[int]:
    return set(
        db.session.scalars(select(Membership.unit_id).where(Membership.user_id == person.id))
    )


def leads(viewer: User, person: User) -> bool:
    """Whether `viewer` is a head over `person` (not the person themself)."""
    if viewer.id == person.id:
        return False
    return bool(units_led_by(viewer) & person_unit_ids(person))


def can_see_performance(viewer: User, person: User) -> bool:
    return viewer.id == person.id or leads(viewer, person)


def require_performance_view(viewer: User, person: User) -> None:
    """Refuse with 404 (not 403) when `viewer` may not see `person`'s performance records."""
    if not can_see_performance(viewer, person):
        raise NotFound("not_found", _("Person not found."))


def people_led_by(viewer: User) -> list[User]:
    """The active people in the units `viewer` heads (their subtrees included), by name."""
    units = units_led_by(viewer)
    if not units:
        return []
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id.in_(units), User.id != viewer.id)
        .distinct()
        .order_by(User.name)
    )
    return [user for user in db.session.scalars(query) if user.active]
