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


def validate_chains(value):
    """Check the `chains` setting; raise SettingError naming the first problem."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_CHAINS:
        raise SettingError(_("Give a list of chains (at most %(max)d).", max=MAX_CHAINS))
    seen = set()
    cleaned = []
    for index, chain in enumerate(value, start=1):
        where = _("Chain %(n)d", n=index)
        if not isinstance(chain, dict):
            raise SettingError(_("%(where)s must be an object.", where=where))
        unknown = set(chain) - {"type", "review_column", "return_column", "steps"}
        if unknown:
            raise SettingError(
                _(
                    "%(where)s has unknown keys: %(keys)s",
                    where=where,
                    keys=", ".join(sorted(unknown)),
                )
            )
        card_type = chain.get("type")
        if not isinstance(card_type, str) or not TYPE.match(card_type):
            raise SettingError(
                _("%(where)s: type must be a card type such as surat-keluar.", where=where)
            )
        if card_type in seen:
            raise SettingError(
                _("%(where)s: the type %(type)s has two chains.", where=where, type=card_type)
            )
        seen.add(card_type)
        review = _text(chain.get("review_column"), f"{where}: review_column")
        back = _text(chain.get("return_column"), f"{where}: return_column")
        if same_column(review, back):
            raise SettingError(
                _("%(where)s: the return column must differ from the review column.", where=where)
            )
        steps = chain.get("steps")
        if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
            raise SettingError(_("%(where)s: give 1 to %(max)d steps.", where=where, max=MAX_STEPS))
        clean_steps = []
        for number, step in enumerate(steps, start=1):
            at = _("%(where)s, step %(n)d", where=where, n=number)
            if not isinstance(step, dict) or len(set(step) & {"head_of", "user", "team_lead"}) != 1:
                raise SettingError(
                    _(
                        '%(where)s: a step is {"head_of": unit code}, {"user": NIP} or '
                        '{"team_lead": true}.',
                        where=at,
                    )
                )
            if set(step) - {"head_of", "user", "team_lead", "label"}:
                raise SettingError(_("%(where)s: unknown keys.", where=at))
            clean = {}
            if "label" in step:
                clean["label"] = _text(step["label"], f"{at}: label")
            if "team_lead" in step:
                if step["team_lead"] is not True:
                    raise SettingError(_('%(where)s: write {"team_lead": true}.', where=at))
                board = configured_board()
                if board is not None and board.team_id is None:
                    raise SettingError(
                        _(
                            "%(where)s: this board belongs to a unit, not to a work team, so "
                            "it has no team leader (ketua tim). Use a head_of or user step.",
                            where=at,
                        )
                    )
                clean["team_lead"] = True
            elif "head_of" in step:
                code = _text(step["head_of"], f"{at}: head_of", 40)
                if find_unit(code) is None:
                    raise SettingError(
                        _("%(where)s: no unit has the code %(code)s.", where=at, code=code)
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
                        )
                    )
                clean["user"] = login
            clean_steps.append(clean)
        cleaned.append(
            {
                "type": card_type,
                "review_column": review,
                "return_column": back,
                "steps": clean_steps,
            }
        )
    return cleaned


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
