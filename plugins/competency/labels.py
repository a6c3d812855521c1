"""Display names of the plugin's codes (English msgids, translated when shown)."""

from flask_babel import lazy_gettext as _l

ACTIVITY_NAMES = {
    "training": _l("Training"),
    "bimtek": _l("Technical guidance (bimtek)"),
    "e_learning": _l("E-learning"),
    "seminar": _l("Seminar or workshop"),
    "coaching": _l("Coaching"),
    "mentoring": _l("Mentoring"),
}
STATE_NAMES = {
    "expired": _l("Expired"),
    "expiring": _l("Expires soon"),
    "valid": _l("Valid"),
}
