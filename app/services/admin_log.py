"""The administrative audit log: every change to units, people, roles, teams, acting heads,
imports and password resets is recorded here, in the transaction that makes it, with who, when,
and the record before and after. Card events live in app/services/audit.py; this log is about
the organisation itself. Append-only (app/models/admin.py)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import AdminEvent, Unit, User, utcnow

# What the log's filters offer: the kinds of target.
TARGET_KINDS = (
    "unit",
    "user",
    "team",
    "acting_head",
    "import",
    "setup",
    "setting",
    "webhook",
    "delivery",
    "feedback",
    "rhk",
)


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    return value


def record(
    kind: str,
    actor: User | None,
    target_kind: str,
    target=None,
    *,
    label: str = "",
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
) -> AdminEvent:
    """Add a row to the current transaction; it commits (or rolls back) with the change.
    `target` is the changed row (its id is read after a flush) or None; `label` defaults to
    how the target names itself (`user_label`, `unit_label`)."""
    if target is not None and getattr(target, "id", None) is None:
        db.session.flush()
    if not label and target is not None:
        label = describe(target)
    row = AdminEvent(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        kind=kind,
        target_kind=target_kind,
        target_id=getattr(target, "id", None),
        target_label=label[:300],
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        note=(note or "")[:500],
    )
    db.session.add(row)
    return row


def describe(target) -> str:
    if isinstance(target, User):
        return user_label(target)
    if isinstance(target, Unit):
        return unit_label(target)
    code, name = getattr(target, "code", None), getattr(target, "name", None)
    if code and name:
        return f"{code} {name}"
    return str(name or code or getattr(target, "id", ""))


def user_label(user: User) -> str:
    return f"{user.login} {user.name}"


def unit_label(unit: Unit) -> str:
    return f"{unit.code} {unit.name}"


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, from both sides (what the log keeps for an edit)."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def _utc_midnight(day: date, zone: str | None) -> datetime:
    """The start of `day` in `zone` as a naive UTC time (how the log stores times)."""
    start = datetime.combine(day, datetime.min.time())
    if zone is None:
        return start
    local = start.replace(tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC).replace(tzinfo=None)


def entries(
    *,
    kind_prefix: str | None = None,
    target_kind: str | None = None,
    target_id: int | None = None,
    actor_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    query: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
    zone: str | None = None,
) -> list[AdminEvent]:
    """Rows of the log, newest first, filtered; page with `before_id` (the last id shown).
    `since` and `until` are days in `zone` (e.g. Asia/Jakarta), in UTC without one."""
    statement = select(AdminEvent).options(selectinload(AdminEvent.actor))
    if kind_prefix:
        statement = statement.where(AdminEvent.kind.startswith(kind_prefix, autoescape=True))
    if target_kind:
        statement = statement.where(AdminEvent.target_kind == target_kind)
    if target_id is not None:
        statement = statement.where(AdminEvent.target_id == target_id)
    if actor_id is not None:
        statement = statement.where(AdminEvent.actor_id == actor_id)
    if since is not None:
        statement = statement.where(AdminEvent.at >= _utc_midnight(since, zone))
    if until is not None:
        statement = statement.where(AdminEvent.at < _utc_midnight(until + timedelta(days=1), zone))
    if query:
        pattern = f"%{query.strip().lower()}%"
        statement = statement.where(
            or_(
                func.lower(AdminEvent.target_label).like(pattern),
                func.lower(AdminEvent.note).like(pattern),
            )
        )
    if before_id is not None:
        statement = statement.where(AdminEvent.id < before_id)
    statement = statement.order_by(AdminEvent.id.desc()).limit(limit)
    return list(db.session.scalars(statement))
