"""Card pages: view and edit a card, comment on it, and move it (with or without JavaScript)."""

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup, escape

from app.cards import bp
from app.extensions import htmx
from app.home.templating import fmt_number
from app.models import Card, User
from app.services import access, attachments, audit, cards, checklists, follows, work
from app.services import validation as v
from app.services.errors import Conflict, Forbidden, Invalid, Vetoed
from app.services.notify_events import MENTION
from app.views_common import actor, columns_update, form_int, message, plugin_host
from app.web import local_today

WIP_REFUSALS = ("wip_limit_reached", "personal_wip_limit_reached")


def priority_labels() -> dict[str, str]:
    return {"low": _("Low"), "normal": _("Normal"), "high": _("High"), "urgent": _("Urgent")}


def values_of(card: Card) -> dict:
    """The edit form's values for a card as stored."""
    return {
        "title": card.title,
        "description": card.description or "",
        "type": card.type,
        "assignee": card.assignee.login if card.assignee else "",
        "due_date": card.due_date.isoformat() if card.due_date else "",
        "priority": card.priority,
        "estimate": fmt_number(card.estimate),
        "labels": list(card.labels or []),
        "version": card.version,
        "deadline_reason": "",
        "reason": "",
    }


@bp.app_template_filter("mentions")
def with_mentions(body: str | None, names: dict) -> Markup:
    """A comment as escaped text in which `@login` of a board viewer reads as their name."""
    body = body or ""
    parts, last = [], 0
    for match in MENTION.finditer(body):
        login = match.group(1).rstrip(".-_")
        if login not in names:
            continue
        end = match.start(1) + len(login)
        parts.append(escape(body[last : match.start()]))
        parts.append(
            Markup('<span class="mention" title="@{login}">@{name}</span>').format(
                login=login, name=names[login]
            )
        )
        last = end
    parts.append(escape(body[last:]))
    return Markup("").join(parts)


def plugin_panels(card: Card, board) -> list[dict]:
    """The plugins' panels, each rendered from its template with its context, escaped like every
    page. A panel that fails to render is left out and counted against its plugin."""
    host = plugin_host()
    rendered = []
    for plugin, panel in host.card_panels(card, board):
        try:
            if not current_app.select_jinja_autoescape(panel.template):
                raise ValueError(
                    f"panel template {panel.template!r} must end in .html so that it is escaped"
                )
            html = render_template(panel.template, **panel.context)
        except Exception as exc:  # noqa: BLE001 - a broken panel never breaks the card page
            host.failed(plugin, "panel", exc)
            continue
        rendered.append({"plugin": plugin, "title": panel.title, "html": Markup(html)})
    return rendered


def card_page(user: User, card_id, *, status=200, **extra):
    from app.cards.archive import archive_context  # the archive box (issue 25)
    from app.cards.attachments import documents_context  # as the checklist: refusals re-render
    from app.cards.checklists import checklist_context  # it renders its refusals with this page

    card, events = audit.card_events(user, card_id)
    board = card.board
    people = access.board_viewers(board)
    timezone = board.unit.timezone
    items = checklists.items_of(card.id)
    refusal = extra.get("checklist_refusal") or {}
    _card, documents = attachments.attachments_of(user, card.id, include_removed=True)
    documents_refusal = extra.get("documents_refusal") or {}
    page = render_template(
        "cards/card.html",
        **checklist_context(card, items, people=people, **refusal),
        **documents_context(user, card, documents, **documents_refusal),
        card=card,
        board=board,
        column=card.column,
        events=events,
        comments=work.card_comments(card.id),
        following=follows.is_following(user, card),
        people=people,
        names={person.login: person.name for person in people},
        priorities=priority_labels(),
        timezone=timezone,
        today=local_today(timezone),
        values=extra.get("values") or values_of(card),
        errors=extra.get("errors") or {},
        alert=extra.get("alert"),
        conflict=extra.get("conflict", False),
        comment_value=extra.get("comment_value", ""),
        comment_errors=extra.get("comment_errors") or {},
        badges=plugin_host().card_badges([card], board).get(card.id, []),
        panels=plugin_panels(card, board),
        archive_box=archive_context(user, card, **(extra.get("archive_refusal") or {})),
    )
    return page, status


@bp.route("/<id:card_id>", methods=["GET", "POST"])
@login_required
def card(card_id):
    user = actor()
    if request.method == "GET":
        return card_page(user, card_id)
    form = request.form
    data = {name: form[name] for name in cards.CARD_FIELDS if name in form}
    if "labels_picker" in form:  # the label checkboxes (templates/_names.html)
        data["labels"] = form.getlist("labels")
    if "description" in data:
        # Browsers send textarea lines with CRLF; store them as the API does.
        data["description"] = data["description"].replace("\r\n", "\n").replace("\r", "\n")
    try:
        cards.update_card(
            user,
            card_id,
            data,
            version=form.get("version"),
            deadline_reason=form.get("deadline_reason"),
            reason=form.get("reason"),
        )
    except (Invalid, Conflict, Forbidden) as exc:
        values = {
            **data,
            "version": form.get("version", ""),
            "deadline_reason": form.get("deadline_reason", ""),
            "reason": form.get("reason", ""),
        }
        return card_page(
            user,
            card_id,
            status=exc.status,
            values=values,
            errors=exc.fields,
            alert=exc.message,
            conflict=exc.code == "version_conflict",
        )
    flash(_("Card saved."), "success")
    return redirect(url_for("cards.card", card_id=card_id))


@bp.post("/<id:card_id>/comments")
@login_required
def add_comment(card_id):
    user = actor()
    body = request.form.get("body", "")
    try:
        cards.add_comment(user, card_id, body)
    except Invalid as exc:
        return card_page(
            user,
            card_id,
            status=exc.status,
            comment_value=body,
            comment_errors=exc.fields,
        )
    flash(_("Comment added."), "success")
    return redirect(url_for("cards.card", card_id=card_id, _anchor="comments"))


# --- following, and whom a comment may mention ----------------------------------------------


def _follow_answer(card_id, following: bool):
    card = access.visible_card(actor(), card_id)
    if htmx:
        return render_template("cards/_follow.html", card=card, following=following)
    if following:
        flash(_("You follow this card: new comments reach you."), "success")
    else:
        flash(_("You no longer follow this card."), "success")
    return redirect(url_for("cards.card", card_id=card.id))


@bp.post("/<id:card_id>/follow")
@login_required
def follow(card_id):
    follows.follow(actor(), card_id)
    return _follow_answer(card_id, True)


@bp.post("/<id:card_id>/unfollow")
@login_required
def unfollow(card_id):
    follows.unfollow(actor(), card_id)
    return _follow_answer(card_id, False)


MAX_SUGGESTIONS = 8


@bp.get("/<id:card_id>/mentions")
@login_required
def mention_suggestions(card_id):
    """`?q=` a prefix of a name (or a word of it), NIP or username: at most 8 people who see the
    card's board, as JSON for the comment box's suggestions."""
    card = access.visible_card(actor(), card_id)
    needle = " ".join((request.args.get("q") or "").split())[:60].casefold()
    found = []
    for person in access.board_viewers(card.board):
        words = person.name.casefold().split()
        logins = [login.casefold() for login in (person.nip, person.username) if login]
        if (
            not needle
            or person.name.casefold().startswith(needle)
            or any(word.startswith(needle) for word in words)
            or any(login.startswith(needle) for login in logins)
        ):
            found.append({"login": person.login, "name": person.name})
            if len(found) >= MAX_SUGGESTIONS:
                break
    return jsonify({"people": found})


# --- moving ----------------------------------------------------------------------------------


def in_dialog() -> bool:
    return bool(htmx) and htmx.target == "dialog-body"


def move_form(
    user: User,
    card: Card,
    *,
    selected,
    place="",
    override="",
    due="",
    error=None,
    errors=None,
    vetoes=None,
    status=200,
):
    board = card.board
    page = render_template(
        "cards/_move_form.html" if in_dialog() else "cards/move.html",
        card=card,
        board=board,
        current_column=card.column,
        columns=sorted(board.columns, key=lambda c: c.position),
        counts=work.column_card_counts(board.id),
        selected_column=selected,
        place=place,
        override_reason=override,
        due=due,
        can_override=access.can_manage_board(user, board),
        in_dialog=in_dialog(),
        error=error,
        errors=errors or {},
        vetoes=vetoes or [],
    )
    return page, status


def requested_position(form):
    """0-based `position` (drag and drop, as in the API) or 1-based `place` (the form)."""
    if form.get("position", "") != "":
        return form["position"]
    try:
        place = v.optional_int(form.get("place"), minimum=1, maximum=100_001)
    except v.FieldError as exc:
        raise Invalid(
            "validation_error", _("Some fields are not valid."), {"place": str(exc)}
        ) from None
    return None if place is None else place - 1


@bp.route("/<id:card_id>/move", methods=["GET", "POST"])
@login_required
def move(card_id):
    user = actor()
    card = access.visible_card(user, card_id)
    if request.method == "GET":
        place = request.args.get("place", "")
        return move_form(
            user,
            card,
            selected=form_int(request.args.get("column_id")) or card.column_id,
            place=place if v.ascii_int(place, minimum=1, maximum=100_001) else "",
        )
    form = request.form
    board_id, source_id = card.board_id, card.column_id
    target_id = form_int(form.get("column_id"))
    override = (form.get("override_reason") or "").strip()
    due = (form.get("due_date") or "").strip()
    try:
        position = requested_position(form)
        if due and card.due_date is None:
            # The move form offers a due date to a card without one (a column may need it).
            result = cards.move_with_due_date(
                user,
                card_id,
                form.get("column_id"),
                due,
                version=form.get("version"),
                position=position,
                override_reason=override or None,
            )
        else:
            result = cards.move_card(
                user, card_id, form.get("column_id"), position, override_reason=override or None
            )
    except (Invalid, Conflict, Forbidden) as exc:
        if htmx and not in_dialog():
            alerts = refusal_messages(user, card, exc, target_id, position=form.get("position"))
            return columns_update(user, board_id, [source_id, target_id], alerts, status=exc.status)
        return move_form(
            user,
            card,
            selected=target_id or source_id,
            place=form.get("place", ""),
            override=override,
            due=due,
            error=exc.message,
            errors=exc.fields,
            vetoes=getattr(exc, "vetoes", None),
            status=exc.status,
        )
    moved = result.card
    messages = [
        message(
            "success",
            _("Moved “%(title)s” to %(column)s.", title=moved.title, column=moved.column.name),
        )
    ]
    messages += [message("warning", text) for text in result.warnings]
    if result.overridden:
        messages.append(
            message(
                "warning", _("The WIP limit was overridden; the reason is in the card's history.")
            )
        )
    if htmx:
        return columns_update(
            user, board_id, [source_id, moved.column_id], messages, dialog=in_dialog()
        )
    for each in messages:
        flash(each["text"], each["category"])
    return redirect(url_for("boards.board", board_id=board_id))


def refusal_messages(user: User, card: Card, exc, target_id, position=None) -> list[dict]:
    """The refusal of a drag and drop: one line per plugin veto, each naming its plugin; a head
    is offered the move form to override a WIP limit."""
    if isinstance(exc, Vetoed):
        return [message("error", f"{veto['plugin']}: {veto['message']}") for veto in exc.vetoes]
    if exc.code == "due_date_required" and target_id:
        # Offer the move form, which has a due date field for a card without one.
        return [
            message(
                "error",
                exc.message,
                link=url_for("cards.move", card_id=card.id, column_id=target_id),
                link_label=_("Set a due date and move…"),
            )
        ]
    if exc.code in WIP_REFUSALS and target_id and access.can_manage_board(user, card.board):
        args = {"card_id": card.id, "column_id": target_id}
        position = v.ascii_int(position, maximum=100_000)
        if position is not None:
            args["place"] = position + 1
        override = message(
            "error",
            exc.message,
            link=url_for("cards.move", **args),
            link_label=_("Override with a reason…"),
        )
        return [override]
    return [message("error", exc.message)]
