"""Pages (inbox, delegations, the decision form of the card panel) and the JSON API."""

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from cergas.plugin import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    api_blueprint,
    api_caller,
    api_json_body,
    api_operation,
    ascii_int,
    can_view_card,
    cards_by_ids,
    plugin_settings,
    users_by_ids,
)
from plugins.approvals import api_models as m
from plugins.approvals import paraf
from plugins.approvals.chains import NAME, chains_of
from plugins.approvals.clock import iso, jakarta_today
from plugins.approvals.delegations import (
    MAX_DAYS,
    active_on,
    create_delegation,
    delegation_json,
    revoke_delegation,
    visible_delegations,
)
from plugins.approvals.inbox import waiting_on

bp = Blueprint("approvals", __name__, url_prefix="/plugins/approvals", template_folder="templates")
api_bp = api_blueprint("approvals_api", __name__)


def _user():
    return current_user._get_current_object()


def _visible_card(user, card_id: int):
    """The card, for whoever sees its board or takes part in its paraf chain; else 404."""
    card = cards_by_ids([card_id]).get(card_id)
    if card is None or not paraf.may_see(user, card):
        raise NotFound("not_found", _("Card not found."))
    return card


def card_link(user, card) -> str:
    """The core card page for those who see the board; the plugin's card page for approvers
    from other units."""
    if can_view_card(user, card):
        return url_for("cards.card", card_id=card.id)
    return url_for("approvals.card", card_id=card.id)


@bp.get("/cards/<id:card_id>")
@login_required
def card(card_id: int):
    """The card as its approvers see it: what the letter is, and the paraf panel."""
    from plugins.approvals import panel_context

    user = _user()
    card = _visible_card(user, card_id)
    board = card.board
    chain = chains_of(plugin_settings(board, NAME)).get(card.type)
    context = panel_context(card, board, chain, paraf.state_of(card.id))
    return render_template(
        "approvals/card.html", panel=context, core_link=can_view_card(user, card), **context
    )


# --- HTML -----------------------------------------------------------------------------------


@bp.get("/inbox")
@login_required
def inbox():
    user = _user()
    items = waiting_on(user)
    rows = []
    waited_texts: dict[int, str] = {}
    when = current_app.jinja_env.filters["fmt_when"]  # the filter every page uses
    for item in items:
        if item.waited not in waited_texts:  # formatting is the page's main cost: once per value
            waited_texts[item.waited] = ngettext(
                "%(num)d working day", "%(num)d working days", item.waited
            )
        rows.append(
            {
                "item": item,
                "link": card_link(user, item.card),
                "since": when(item.since, item.card.board.unit.timezone),
                "waited": waited_texts[item.waited],
            }
        )
    return render_template("approvals/inbox.html", rows=rows)


def _panel_response(card, status: int, errors=None, note="", alert=None):
    from plugins.approvals import panel_context

    board = card.board
    chain = chains_of(plugin_settings(board, NAME)).get(card.type)
    context = panel_context(card, board, chain, paraf.state_of(card.id), errors=errors, note=note)
    return render_template("approvals/_panel.html", alert=alert, **context), status


@bp.post("/cards/<id:card_id>/decision")
@login_required
def decide(card_id: int):
    user = _user()
    card = _visible_card(user, card_id)
    form = request.form
    decision = form.get("decision", "")
    note = form.get("note", "")
    raw_step = form.get("step", "").strip()
    step = ascii_int(raw_step, minimum=1, maximum=99_999)
    try:
        if raw_step and step is None:
            # A step written with other digits ("²", "٣") is refused, never read as "current".
            raise Invalid(
                "validation_error",
                _("Check the highlighted fields."),
                {"step": _("Must be a whole number.")},
            )
        if decision == "reassign":
            paraf.reassign(user, card.id, form.get("to", ""), step=step)
            message = _("Paraf step reassigned.")
        else:
            outcome = paraf.decide(user, card.id, decision, note or None, step=step)
            message = {
                "approved": _("Paraf given: the chain is complete."),
                "pending": _("Paraf given: the next step is requested."),
                "returned": _("The card was returned for revision."),
                "rejected": _("The card was rejected."),
            }[outcome.state["state"]]
    except (Invalid, Conflict, Forbidden) as exc:
        if request.headers.get("HX-Request"):
            card = _visible_card(user, card_id)
            return _panel_response(card, exc.status, exc.fields, note, exc.message)
        flash(exc.message, "danger")
        return redirect(card_link(user, card), code=303)
    flash(message, "success")
    target = card_link(user, card)
    if request.headers.get("HX-Request"):
        response = jsonify({})
        response.status_code = 200
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


@bp.route("/delegations", methods=["GET", "POST"])
@login_required
def delegations():
    user = _user()
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = {
            name: request.form.get(name, "") for name in ("from", "to", "kind", "start", "end")
        }
        data = dict(values)
        if not data["from"].strip():
            data["from"] = None
        try:
            create_delegation(user, data)
        except (Invalid, Conflict, Forbidden) as exc:
            errors = dict(exc.fields)
            if exc.message not in errors.values():
                errors["_"] = exc.message
            status = exc.status
        else:
            flash(_("Delegation saved."), "success")
            return redirect(url_for("approvals.delegations"), code=303)
    items = visible_delegations(user)
    people = users_by_ids(
        {i for d in items for i in (d["from_id"], d["to_id"], d["created_by_id"])}
    )
    return (
        render_template(
            "approvals/delegations.html",
            items=items,
            people=people,
            errors=errors,
            values=values,
            today=jakarta_today(),
            active_on=active_on,
            max_days=MAX_DAYS,
        ),
        status,
    )


@bp.post("/delegations/<string(maxlength=40):delegation_id>/revoke")
@login_required
def revoke(delegation_id: str):
    revoke_delegation(_user(), delegation_id)
    flash(_("Delegation ended."), "success")
    return redirect(url_for("approvals.delegations"), code=303)


# --- JSON API -------------------------------------------------------------------------------


TAGS = ("approvals",)


@api_bp.post("/cards/<id:card_id>/approval")
@api_operation(
    "Decide the waiting paraf step of a card: approve, return, reject (or reassign it)",
    description='Body: {"decision": "approve"|"return"|"reject", "note": text (required to '
    'return or reject), "step": the step decided (409 when it is no longer current)}, or '
    '{"decision": "reassign", "to": NIP, "step"} for someone above the step\'s post or an admin. '
    "Answers "
    '{"card_id", "approvals": the card\'s approval state}.',
    body=m.ApprovalDecision,
    responses={200: m.ApprovalDecisionResult},
    errors=(403, 409),
    tags=TAGS,
)
def api_decide(card_id: int):
    user = api_caller()
    card = _visible_card(user, card_id)
    body = api_json_body()
    if body["decision"] == "reassign":
        if "to" not in body:
            raise Invalid(
                "validation_error",
                _("Check the highlighted fields."),
                {"to": _("This field is required.")},
            )
        outcome = paraf.reassign(user, card.id, body["to"], step=body.get("step"))
    else:
        if "to" in body:
            raise Invalid(
                "validation_error",
                _("Check the highlighted fields."),
                {"to": _("Only a reassignment names a person.")},
            )
        outcome = paraf.decide(
            user, card.id, body["decision"], body.get("note"), step=body.get("step")
        )
    people = paraf.people_of([outcome.state])
    return jsonify({"card_id": card.id, "approvals": paraf.state_json(outcome.state, people)})


@api_bp.get("/approvals/inbox")
@api_operation(
    "Cards waiting for my paraf (directly or as Plh/Plt), oldest first, with working days waited",
    responses={200: m.ApprovalInbox},
    tags=TAGS,
)
def api_inbox():
    items = waiting_on(api_caller())
    return jsonify(
        {
            "items": [
                {
                    "card": {
                        "id": item.card.id,
                        "title": item.card.title,
                        "type": item.card.type,
                        "board_id": item.card.board_id,
                        "board": item.card.board.name,
                        "documents": item.card.attachment_count,
                    },
                    "step": item.step,
                    "label": item.label,
                    "since": iso(item.since),
                    "waited_working_days": item.waited,
                    "acting_as": item.kind,
                    "acting_for": item.acting_as.login if item.acting_as else None,
                }
                for item in items
            ]
        }
    )


@api_bp.get("/delegations")
@api_operation(
    "The Plh/Plt delegations I gave, received or may manage",
    responses={200: m.DelegationList},
    tags=TAGS,
)
def api_delegations():
    items = visible_delegations(api_caller())
    people = users_by_ids(
        {i for d in items for i in (d["from_id"], d["to_id"], d["created_by_id"])}
    )
    return jsonify({"delegations": [delegation_json(d, people) for d in items]})


@api_bp.post("/delegations")
@api_operation(
    "Name a Plh (absence) or Plt (vacant post) for an approver between two dates",
    description='Body: {"from": NIP (default: me), "to": NIP, "kind": "plh"|"plt", '
    '"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"} (at most 90 days). By the approver, their '
    "head or an admin; the stand-in works in the approver's own or a neighbouring unit.",
    body=m.NewDelegation,
    responses={201: m.Delegation},
    errors=(403, 409),
    tags=TAGS,
)
def api_create_delegation():
    user = api_caller()
    body = api_json_body()
    item = create_delegation(user, body)
    people = users_by_ids([item["from_id"], item["to_id"], item["created_by_id"]])
    return jsonify(delegation_json(item, people)), 201


@api_bp.delete("/delegations/<string(maxlength=40):delegation_id>")
@api_operation("End a delegation now", responses={200: m.Delegation}, tags=TAGS)
def api_revoke_delegation(delegation_id: str):
    item = revoke_delegation(api_caller(), delegation_id)
    people = users_by_ids([item["from_id"], item["to_id"], item["created_by_id"]])
    return jsonify(delegation_json(item, people))
