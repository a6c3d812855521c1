"""Where the approvals plugin keeps its records: the plugin store, under these keys:

- `card/<card id>`: the chain state of one card (state, round, steps with their stamps);
- `pending/<card id>`: {"approver_id", "since", "board_id", "tz"} while a step waits (the inbox
  index);
- `delegation/<id>`: one Plh/Plt delegation.
"""

from cergas.plugin import plugin_store
from plugins.approvals.chains import NAME


def N_(text: str) -> str:
    """Mark a message for translation without translating it: history lines are stored as
    msgid + params and translated when shown, in the reader's language."""
    return text


def store():
    return plugin_store(NAME)
