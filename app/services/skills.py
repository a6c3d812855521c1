"""Skills and competency development: the catalog, who holds what at which level, who verified
it, language certificates, and the learning log that counts toward the 20 JP a year.

Who may do what (decided here, for the profile page, the API and the plugins alike):

- see a person's profile: the person, colleagues in a unit the viewer can see (members of the
  same unit, heads of it or above), and admins; anyone else gets 404;
- change it (skills, certificates, learning): the person, a head of one of the person's units
  (or of a unit above it), and admins; a viewer who may not change it gets 403;
- verify a skill: a head or admin who may change the profile, never the person themself.

Every change writes a `SkillEvent` in the same transaction (append-only).
"""

import re
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.models import (
    LANGUAGE_TESTS,
    LEARNING_ACTIVITIES,
    SKILL_LEVELS,
    Certificate,
    LearningActivity,
    Skill,
    SkillEvent,
    Unit,
    User,
    UserSkill,
    utcnow,
)
from app.services import validation as v
from app.services.access import (
    can_edit_person,
    can_verify_skills,
    can_view_person,
    is_head_of,
    unit_ids_of,
    visible_unit_ids,
)
from app.services.errors import Forbidden, NotFound
from app.services.tx import write_transaction


def N_(message: str) -> str:
    """Marks a message for the catalogs without translating it (the title is stored in
    English and translated when shown, see `Skill.name`)."""
    return message


# The catalog a regional office starts with (slug, English title, kind, position). The migration
# that creates the table inserts a copy; `seed_catalog()` adds any that are missing.
SEED_CATALOG = [
    (
        "office-software",
        N_("Office software (documents, letters, presentations)"),
        "technical",
        10,
    ),
    ("spreadsheet-data-analysis", N_("Spreadsheets and data analysis"), "technical", 20),
    ("graphic-design", N_("Graphic design (e.g. Canva)"), "technical", 30),
    ("digital-promotion", N_("Digital promotion and social media"), "technical", 40),
    ("public-presentation", N_("Public presentation"), "managerial", 50),
    ("public-communication-writing", N_("Public communication and writing"), "managerial", 60),
    ("critical-thinking", N_("Critical thinking"), "managerial", 70),
    ("service-excellence", N_("Service excellence"), "social_cultural", 80),
    (
        "foreign-language",
        N_("Foreign language (TOEFL, IELTS, TOEIC, PTE, EPT)"),
        "language",
        90,
    ),
]

LEVEL_NAMES = {1: _l("Basic"), 2: _l("Intermediate"), 3: _l("Advanced"), 4: _l("Expert")}
KIND_NAMES = {
    "technical": _l("Technical"),
    "managerial": _l("Managerial"),
    "social_cultural": _l("Social and cultural"),
    "language": _l("Language"),
}
SKILL_LABEL_PREFIX = "skill:"
URL_PATTERN = re.compile(r"https?://[^\s]{1,490}", re.IGNORECASE)
MAX_LEARNING_HOURS = 1000


# --- reading ----------------------------------------------------------------------------------


def skill_catalog(include_inactive: bool = False) -> list[Skill]:
    """The catalog in display order. Each Skill has `.slug`, `.name` (translated), `.kind`."""
    query = select(Skill).order_by(Skill.position, Skill.id)
    if not include_inactive:
        query = query.where(Skill.active.is_(True))
    return list(db.session.scalars(query))


def skills_of_users(user_ids) -> dict[int, dict[str, int | None]]:
    """user id -> {skill slug: level or None}, in one query; every id asked for is a key."""
    ids = {int(uid) for uid in user_ids}
    result: dict[int, dict[str, int | None]] = {uid: {} for uid in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(UserSkill.user_id, Skill.slug, UserSkill.level)
        .join(Skill, Skill.id == UserSkill.skill_id)
        .where(UserSkill.user_id.in_(ids), Skill.active.is_(True))
    )
    for user_id, slug, level in rows:
        result[user_id][slug] = level
    return result


def required_skills(card) -> list[str]:
    """The skill slugs a card asks for through its `skill:<slug>` labels."""
    found = []
    for label in card.labels or []:
        if isinstance(label, str) and label.lower().startswith(SKILL_LABEL_PREFIX):
            slug = label[len(SKILL_LABEL_PREFIX) :].strip().lower()
            if slug and slug not in found:
                found.append(slug)
    return found


def user_skills(user: User) -> list[UserSkill]:
    """The person's skills with the skill and the verifier loaded, in catalog order."""
    return list(
        db.session.scalars(
            select(UserSkill)
            .join(Skill, Skill.id == UserSkill.skill_id)
            .where(UserSkill.user_id == user.id)
            .options(selectinload(UserSkill.skill), selectinload(UserSkill.verified_by))
            .order_by(Skill.position, Skill.id)
        )
    )


def certificates_of_users(user_ids) -> dict[int, list[Certificate]]:
    """user id -> certificates, newest expiry first, in one query."""
    ids = {int(uid) for uid in user_ids}
    result: dict[int, list[Certificate]] = {uid: [] for uid in ids}
    if ids:
        rows = db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id.in_(ids))
            .order_by(Certificate.expires_on.desc(), Certificate.id)
        )
        for certificate in rows:
            result[certificate.user_id].append(certificate)
    return result


def certificates_expiring(until: date, since: date | None = None) -> list[Certificate]:
    """Certificates of active people that lapse by `until` (and not before `since`), with their
    holder loaded, soonest first; one query (plus one for the holders)."""
    query = (
        select(Certificate)
        .join(User, User.id == Certificate.user_id)
        .where(Certificate.expires_on <= until, User.active.is_(True))
        .options(selectinload(Certificate.user))
        .order_by(Certificate.expires_on, Certificate.id)
    )
    if since is not None:
        query = query.where(Certificate.expires_on >= since)
    return list(db.session.scalars(query))


def certificate_state(certificate: Certificate, today: date, warn_days: int = 90) -> str:
    """`expired`, `expiring` (within `warn_days`) or `valid`."""
    if certificate.expires_on < today:
        return "expired"
    if certificate.expires_on <= today + timedelta(days=warn_days):
        return "expiring"
    return "valid"


def learning_of_users(user_ids, start: date, end: date) -> dict[int, list[LearningActivity]]:
    """user id -> learning activities held in [start, end], oldest first, in one query."""
    ids = {int(uid) for uid in user_ids}
    result: dict[int, list[LearningActivity]] = {uid: [] for uid in ids}
    if ids:
        rows = db.session.scalars(
            select(LearningActivity)
            .where(
                LearningActivity.user_id.in_(ids),
                LearningActivity.held_on >= start,
                LearningActivity.held_on <= end,
            )
            .order_by(LearningActivity.held_on, LearningActivity.id)
        )
        for activity in rows:
            result[activity.user_id].append(activity)
    return result


def skill_events(user: User, limit: int = 50) -> list[SkillEvent]:
    return list(
        db.session.scalars(
            select(SkillEvent)
            .where(SkillEvent.user_id == user.id)
            .options(selectinload(SkillEvent.actor))
            .order_by(SkillEvent.at.desc(), SkillEvent.id.desc())
            .limit(limit)
        )
    )


# --- who may do what --------------------------------------------------------------------------


def may_see_competency(actor: User, person: User) -> bool:
    """Whether `actor` may see `person`'s skills, certificates and learning (issue 27): the
    person, the heads above them and admins always; a colleague only when one of the person's
    units lets colleagues see them (`Unit.colleagues_see_competency`, off by default) and the
    colleague sees that unit."""
    if actor.id == person.id or is_head_of(actor, person):
        return True
    shared = unit_ids_of(person) & visible_unit_ids(actor)
    if not shared:
        return False
    open_unit = select(Unit.id).where(Unit.id.in_(shared), Unit.colleagues_see_competency)
    return db.session.scalar(open_unit.limit(1)) is not None


def visible_person(actor: User, login) -> User:
    """The person with this NIP or username, if the actor may see their competency (skills,
    certificates, learning: `may_see_competency`); else 404. The profile page itself asks
    `people.visible_person` and shows these sections only where this rule allows."""
    user = None
    if isinstance(login, str) and login.strip():
        login = login.strip()
        user = db.session.scalar(select(User).where((User.nip == login) | (User.username == login)))
    if user is None or not can_view_person(actor, user) or not may_see_competency(actor, user):
        raise NotFound("not_found", _("Person not found."))
    return user


def editable_person(actor: User, login) -> User:
    user = visible_person(actor, login)
    if not can_edit_person(actor, user):
        raise Forbidden(
            "forbidden", _("Only the person, a head of their unit or an admin may change this.")
        )
    return user


def _check_editable(actor: User, user: User) -> None:
    if not can_view_person(actor, user):
        raise NotFound("not_found", _("Person not found."))
    if not can_edit_person(actor, user):
        raise Forbidden(
            "forbidden", _("Only the person, a head of their unit or an admin may change this.")
        )


# --- writing ----------------------------------------------------------------------------------


def _event(kind: str, actor: User | None, user: User, **data) -> None:
    db.session.add(
        SkillEvent(
            kind=kind,
            actor_id=actor.id if actor else None,
            user_id=user.id,
            data={k: (x.isoformat() if isinstance(x, date) else x) for k, x in data.items()},
        )
    )


def seed_catalog() -> int:
    """Add the seeded skills that are missing; returns how many were added."""
    with write_transaction():
        have = set(db.session.scalars(select(Skill.slug)))
        added = 0
        for slug, title, kind, position in SEED_CATALOG:
            if slug not in have:
                db.session.add(
                    Skill(slug=slug, title=title, kind=kind, position=position, description="")
                )
                added += 1
    return added


def _clean_level(value) -> int | None:
    if value is None or value == "":
        return None
    level = v.optional_int(value, minimum=1, maximum=4)
    if level not in SKILL_LEVELS:
        raise v.FieldError(_("Choose a level from 1 to 4."))
    return level


def set_user_skills(actor: User, user: User, levels: dict, *, replace: bool = True) -> list[str]:
    """Set the person's skills from {slug: level (1-4) or None}; with `replace`, skills not named
    are removed (the profile form sends every skill). Returns the slugs that changed.

    When the person changes a level, its verification lapses; a head or admin who sets a level
    verifies it by doing so."""
    _check_editable(actor, user)
    catalog = {skill.slug: skill for skill in skill_catalog()}
    fields = v.Fields()
    wanted: dict[str, int | None] = {}
    if not isinstance(levels, dict):
        raise v.invalid({"skills": _("Must be an object of skill codes and levels.")})
    for slug, level in levels.items():
        if slug not in catalog:
            fields.errors[f"skill-{slug}"] = _("No skill in the catalog has this code.")
            continue
        wanted[slug] = fields.clean(f"skill-{slug}", _clean_level, level)
    fields.raise_if_any()
    verifies = can_verify_skills(actor, user)
    changed: list[str] = []
    with write_transaction():
        held = {
            row.skill.slug: row
            for row in db.session.scalars(
                select(UserSkill)
                .where(UserSkill.user_id == user.id)
                .options(selectinload(UserSkill.skill))
            )
        }
        for slug, level in wanted.items():
            row = held.get(slug)
            if row is not None and row.level == level:
                continue
            if row is None:
                row = UserSkill(user_id=user.id, skill_id=catalog[slug].id)
                db.session.add(row)
            old = row.level
            row.level = level
            row.updated_at = utcnow()
            if verifies:
                row.verified_by_id, row.verified_at = actor.id, utcnow()
            else:
                row.verified_by_id, row.verified_at = None, None
            _event("skill_set", actor, user, skill=slug, old=old, new=level, verified=verifies)
            changed.append(slug)
        if replace:
            for slug, row in held.items():
                if slug not in wanted and row.skill.active:
                    db.session.delete(row)
                    _event("skill_removed", actor, user, skill=slug, old=row.level)
                    changed.append(slug)
    return changed


def set_user_skill(actor: User, user: User, slug: str, level: int | None) -> list[str]:
    return set_user_skills(actor, user, {slug: level}, replace=False)


def verify_user_skill(actor: User, user: User, slug: str) -> UserSkill:
    """A head (or admin) confirms the level the person recorded."""
    if not can_view_person(actor, user):
        raise NotFound("not_found", _("Person not found."))
    if not can_verify_skills(actor, user):
        raise Forbidden(
            "forbidden", _("Only a head of the person's unit or an admin may verify a skill.")
        )
    with write_transaction():
        row = db.session.scalar(
            select(UserSkill)
            .join(Skill, Skill.id == UserSkill.skill_id)
            .where(UserSkill.user_id == user.id, Skill.slug == slug)
        )
        if row is None:
            raise NotFound("not_found", _("This person has not recorded that skill."))
        row.verified_by_id, row.verified_at = actor.id, utcnow()
        _event("skill_verified", actor, user, skill=slug, level=row.level)
    return row


def _clean_url(value) -> str | None:
    value = v.text(value, field_max=500)
    if not value:
        return None
    if not URL_PATTERN.fullmatch(value):
        raise v.FieldError(_("Use a web address starting with http:// or https://."))
    return value


def _required_date(value) -> date:
    parsed = v.optional_date(value)
    if parsed is None:
        raise v.FieldError(_("This field is required."))
    return parsed


def add_certificate(actor: User, user: User, data: dict) -> Certificate:
    """Record a language test result: test, score (within the test's range), taken, expires."""
    _check_editable(actor, user)
    fields = v.Fields()
    test = data.get("test")
    test = test.strip().upper() if isinstance(test, str) else test
    test = fields.clean("test", v.choice, test, tuple(LANGUAGE_TESTS))
    score = fields.clean("score", v.optional_number, data.get("score"), minimum=0, maximum=990)
    if score is None and "score" not in fields.errors:
        fields.errors["score"] = _("This field is required.")
    elif test and score is not None:
        low, high = LANGUAGE_TESTS[test]
        if not low <= score <= high:
            fields.errors["score"] = _(
                "A %(test)s score is between %(lo)s and %(hi)s.", test=test, lo=low, hi=high
            )
    taken = fields.clean("taken_on", _required_date, data.get("taken_on"))
    expires = fields.clean("expires_on", _required_date, data.get("expires_on"))
    if taken and expires and expires <= taken:
        fields.errors["expires_on"] = _("The expiry date comes after the test date.")
    url = fields.clean("evidence_url", _clean_url, data.get("evidence_url"))
    fields.raise_if_any()
    with write_transaction():
        certificate = Certificate(
            user_id=user.id,
            test=test,
            score=score,
            taken_on=taken,
            expires_on=expires,
            evidence_url=url,
        )
        db.session.add(certificate)
        _event("certificate_added", actor, user, test=test, score=score, expires_on=expires)
    return certificate


def _owned_row(model, row_id, user: User, not_found: str):
    """The user's row of `model` with this id, or NotFound (also for someone else's row)."""
    row = db.session.get(model, row_id) if isinstance(row_id, int) else None
    if row is None or row.user_id != user.id:
        raise NotFound("not_found", not_found)
    return row


def delete_certificate(actor: User, user: User, certificate_id) -> None:
    _check_editable(actor, user)
    with write_transaction():
        certificate = _owned_row(Certificate, certificate_id, user, _("Certificate not found."))
        _event(
            "certificate_removed",
            actor,
            user,
            test=certificate.test,
            score=certificate.score,
            expires_on=certificate.expires_on,
        )
        db.session.delete(certificate)


def hours_to_minutes(hours: float) -> int:
    """Hours as whole minutes (to the nearest minute): 1.5 -> 90, 0.75 -> 45."""
    return int(round(hours * 60))


def _clean_skill_slugs(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [item.strip() for item in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise v.FieldError(_("Must be a list of skill codes."))
    known = {skill.slug for skill in skill_catalog()}
    slugs: list[str] = []
    for item in value:
        item = item.strip().lower()
        if item.startswith(SKILL_LABEL_PREFIX):
            item = item[len(SKILL_LABEL_PREFIX) :]
        if not item:
            continue
        if item not in known:
            raise v.FieldError(_("No skill in the catalog has the code %(code)s.", code=item))
        if item not in slugs:
            slugs.append(item)
    return slugs


def record_learning(actor: User, user: User, data: dict) -> LearningActivity:
    """Log a competency-development activity: activity kind, date, hours, evidence link, skills
    (and an optional title). Hours are kept as whole minutes."""
    _check_editable(actor, user)
    fields = v.Fields()
    activity = fields.clean("activity", v.choice, data.get("activity"), LEARNING_ACTIVITIES)
    held_on = fields.clean("date", _required_date, data.get("date"))
    hours = fields.clean(
        "hours", v.optional_number, data.get("hours"), minimum=0, maximum=MAX_LEARNING_HOURS
    )
    if "hours" not in fields.errors and (hours is None or hours_to_minutes(hours) < 1):
        fields.errors["hours"] = _("Give the length in hours, e.g. 1.5 for 90 minutes.")
    title = fields.clean("title", v.text, data.get("title"), field_max=200)
    url = fields.clean("evidence_url", _clean_url, data.get("evidence_url"))
    slugs = fields.clean("skills", _clean_skill_slugs, data.get("skills"))
    if held_on and held_on > clock.today() + timedelta(days=1):
        fields.errors["date"] = _("Log an activity once it has taken place.")
    fields.raise_if_any()
    with write_transaction():
        row = LearningActivity(
            user_id=user.id,
            activity=activity,
            title=title or "",
            held_on=held_on,
            minutes=hours_to_minutes(hours),
            evidence_url=url,
            skills=slugs or [],
            created_by_id=actor.id,
        )
        db.session.add(row)
        db.session.flush()
        _event(
            "learning_recorded",
            actor,
            user,
            learning_id=row.id,
            activity=activity,
            date=held_on,
            minutes=row.minutes,
            skills=row.skills,
        )
    return row


def delete_learning(actor: User, user: User, learning_id) -> None:
    _check_editable(actor, user)
    with write_transaction():
        row = _owned_row(LearningActivity, learning_id, user, _("Learning activity not found."))
        _event(
            "learning_removed",
            actor,
            user,
            learning_id=row.id,
            activity=row.activity,
            date=row.held_on,
            minutes=row.minutes,
        )
        db.session.delete(row)


def when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
