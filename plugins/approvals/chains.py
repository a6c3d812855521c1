"""The chain configuration of a board: which card types need paraf, in which columns, by whom.

Stored as the plugin's `chains` setting (a JSON list) per board:

    [{"type": "surat-keluar", "review_column": "Paraf", "return_column": "Dikerjakan",
      "steps": [{"head_of": "SEKSI-APL"}, {"head_of": "BID-TIK", "label": "Kabid TIK"},
                {"user": "<NIP or username>"}, {"team_lead": true}]}]

`{"team_lead": true}` is the leader (*ketua tim*) of the board's work team, resolved when the
step is reached; only a team's board may have it.
"""

import re
from dataclasses import dataclass

from flask_babel import gettext as _

from cergas.plugin import SettingError, configured_board, find_unit, find_user

NAME = "approvals"
MAX_CHAINS = 50
MAX_STEPS = 20
TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Chain:
    type: str
    review_column: str
    return_column: str
    steps: tuple[dict, ...]


def same_column(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def _text(value, where: str, max_length: int = 80) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise SettingError(
            _("%(where)s must be text of 1 to %(max)d characters.", where=where, max=max_length)
        )
    return value.strip()


def _given(step: dict) -> dict:
    """A step without its empty keys: the settings page sends every field of a step (no unit,
    no person, team leader unticked, no label); the stored form keeps only the one it names."""
    return {
        key: value
        for key, value in step.items()
        if value is not None and value is not False and value != ""
    }


def chain_setting():
    """The `chains` setting: a record list (one chain per card type) with a sub-list of steps,
    so the board settings page shows pickers and `PUT .../plugins/approvals/settings` takes the
    JSON shape in the module docstring."""
    from flask_babel import lazy_gettext as _l

    from cergas.plugin import Setting

    step = (
        Setting("head_of", "unit", None, _l("Head of the unit")),
        Setting(
            "user",
            "person",
            None,
            _l("Or a person"),
            help=_l("Type a name and choose from the suggestions."),
        ),
        Setting("team_lead", "bool", False, _l("Or the leader of this board's work team")),
        Setting("label", "str", "", _l("Name of the step (optional)")),
    )
    chain = (
        Setting("type", "card_type", None, _l("Card type"), required=True),
        Setting(
            "review_column",
            "column",
            None,
            _l("Paraf column"),
            help=_l("Entering it starts the paraf."),
            required=True,
        ),
        Setting(
            "return_column",
            "column",
            None,
            _l("Column for revision"),
            help=_l("A returned card goes back here."),
            required=True,
        ),
        Setting(
            "steps",
            "records",
            [],
            _l("Steps, in order"),
            fields=step,
            max_items=MAX_STEPS,
            add_label=_l("Add a step"),
            row_label=_l("Step %(n)d"),
        ),
    )
    return Setting(
        "chains",
        "records",
        [],
        _l("Paraf chains"),
        help=_l("One chain per card type: who gives paraf, in which order."),
        validate=validate_chains,
        fields=chain,
        max_items=MAX_CHAINS,
        add_label=_l("Add a chain"),
        row_label=_l("Chain %(n)d"),
    )


def validate_chains(value):
    """Check the `chains` setting (JSON from the API, or the rows of the settings page already
    cleaned field by field); raise SettingError naming the first problem and where it is."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_CHAINS:
        raise SettingError(_("Give a list of chains (at most %(max)d).", max=MAX_CHAINS))
    seen = set()
    cleaned = []
    for index, chain in enumerate(value):
        where = _("Chain %(n)d", n=index + 1)
        if not isinstance(chain, dict):
            raise SettingError(_("%(where)s must be an object.", where=where), (index,))
        unknown = set(chain) - {"type", "review_column", "return_column", "steps"}
        if unknown:
            raise SettingError(
                _(
                    "%(where)s has unknown keys: %(keys)s",
                    where=where,
                    keys=", ".join(sorted(unknown)),
                ),
                (index,),
            )
        card_type = chain.get("type")
        if not isinstance(card_type, str) or not TYPE.match(card_type):
            raise SettingError(
                _("%(where)s: type must be a card type such as surat-keluar.", where=where),
                (index, "type"),
            )
        if card_type in seen:
            raise SettingError(
                _("%(where)s: the type %(type)s has two chains.", where=where, type=card_type),
                (index, "type"),
            )
        seen.add(card_type)
        try:
            review = _text(chain.get("review_column"), f"{where}: review_column")
        except SettingError as exc:
            raise exc.within(index, "review_column") from None
        try:
            back = _text(chain.get("return_column"), f"{where}: return_column")
        except SettingError as exc:
            raise exc.within(index, "return_column") from None
        if same_column(review, back):
            raise SettingError(
                _("%(where)s: the return column must differ from the review column.", where=where),
                (index, "return_column"),
            )
        steps = chain.get("steps")
        if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
            raise SettingError(
                _("%(where)s: give 1 to %(max)d steps.", where=where, max=MAX_STEPS),
                (index, "steps"),
            )
        clean_steps = []
        for number, step in enumerate(steps):
            at = _("%(where)s, step %(n)d", where=where, n=number + 1)
            path = (index, "steps", number)
            try:
                clean_steps.append(_step(step, at))
            except SettingError as exc:
                raise exc.within(*path) from None
        cleaned.append(
            {
                "type": card_type,
                "review_column": review,
                "return_column": back,
                "steps": clean_steps,
            }
        )
    return cleaned


def _step(step, at: str) -> dict:
    """One step in its stored form; SettingError with the path of the offending field."""
    step = _given(step) if isinstance(step, dict) else step
    if not isinstance(step, dict) or len(set(step) & {"head_of", "user", "team_lead"}) != 1:
        raise SettingError(
            _(
                "%(where)s: choose one: the head of a unit, a person or the team leader "
                '({"head_of": unit code}, {"user": NIP} or {"team_lead": true}).',
                where=at,
            ),
            ("head_of",),
        )
    if set(step) - {"head_of", "user", "team_lead", "label"}:
        raise SettingError(_("%(where)s: unknown keys.", where=at))
    clean = {}
    if "label" in step:
        try:
            clean["label"] = _text(step["label"], f"{at}: label")
        except SettingError as exc:
            raise exc.within("label") from None
    if "team_lead" in step:
        if step["team_lead"] is not True:
            raise SettingError(_('%(where)s: write {"team_lead": true}.', where=at), ("team_lead",))
        board = configured_board()
        if board is not None and board.team_id is None:
            raise SettingError(
                _(
                    "%(where)s: this board belongs to a unit, not to a work team, so "
                    "it has no team leader (ketua tim). Use a head_of or user step.",
                    where=at,
                ),
                ("team_lead",),
            )
        clean["team_lead"] = True
    elif "head_of" in step:
        code = _text(step["head_of"], f"{at}: head_of", 40)
        if find_unit(code) is None:
            raise SettingError(
                _("%(where)s: no unit has the code %(code)s.", where=at, code=code),
                ("head_of",),
            )
        clean["head_of"] = code
    else:
        login = _text(step["user"], f"{at}: user", 60)
        if find_user(login) is None:
            raise SettingError(
                _(
                    "%(where)s: no active user has the NIP or username %(login)s.",
                    where=at,
                    login=login,
                ),
                ("user",),
            )
        clean["user"] = login
    # The stored order: who first, then the label (as chains were always written).
    return {key: clean[key] for key in ("head_of", "user", "team_lead", "label") if key in clean}


def chains_of(settings: dict) -> dict[str, Chain]:
    """card type -> Chain from a board's settings (already validated when saved)."""
    chains = {}
    for item in settings.get("chains") or []:
        if isinstance(item, dict) and isinstance(item.get("steps"), list):
            chains[item.get("type")] = Chain(
                item.get("type"),
                item.get("review_column") or "",
                item.get("return_column") or "",
                tuple(step for step in item["steps"] if isinstance(step, dict)),
            )
    return chains
