"""The host honours pluggy's call order (tryfirst first, trylast last, otherwise the last
registered first, which the host turns into the order plugins are given or named) and refuses
hook wrappers at registration, as each plugin is called on its own (issue 20)."""

import pytest

from cergas.plugin import Veto, hookimpl
from tests.conftest import make_app


class Plain:
    def __init__(self, name):
        self.name = name

    @hookimpl
    def cergas_settings(self):
        return []

    @hookimpl
    def cergas_card_before_move(self, card):
        return Veto(self.name)


class First:
    @hookimpl(tryfirst=True)
    def cergas_settings(self):
        return []

    @hookimpl(tryfirst=True)
    def cergas_card_before_move(self, card):
        return Veto("first")


class Last:
    @hookimpl(trylast=True)
    def cergas_settings(self):
        return []

    @hookimpl(trylast=True)
    def cergas_card_before_move(self, card):
        return Veto("last")


class Wrapping:
    @hookimpl
    def cergas_settings(self):
        return []

    @hookimpl(wrapper=True)
    def cergas_card_badges(self, cards, board):
        result = yield
        return result


class OldWrapping:
    @hookimpl(hookwrapper=True)
    def cergas_board_warnings(self, board, cards):
        yield


def host_of(**plugins):
    app = make_app("sqlite://", CERGAS_PLUGIN_OBJECTS=plugins)
    return app, app.extensions["cergas_plugins"]


def test_tryfirst_trylast_and_the_given_order_are_honoured():
    # Given in an order that is neither the call order nor alphabetical.
    app, host = host_of(z_last=Last(), b=Plain("b"), a_first=First(), c=Plain("c"))
    with app.app_context():
        assert [name for name, _ in host.call("cergas_settings")] == ["a_first", "b", "c", "z_last"]
        refusals = host.vetoes(card=object(), source=None, target=None, actor=None, board=None)
        assert [r["message"] for r in refusals] == ["first", "b", "c", "last"]


def test_the_order_follows_pluggy_whatever_the_given_order():
    app, host = host_of(c=Plain("c"), z_last=Last(), b=Plain("b"), a_first=First())
    with app.app_context():
        assert [name for name, _ in host.call("cergas_settings")] == ["a_first", "c", "b", "z_last"]


@pytest.mark.parametrize("plugin", [Wrapping(), OldWrapping()], ids=["wrapper", "hookwrapper"])
def test_a_hook_wrapper_is_refused_at_registration_with_the_reason(plugin):
    app, host = host_of(wraps=plugin, other=Plain("other"))
    record = host.records["wraps"]
    assert record.status == "failed"
    assert "wrappers are not supported" in record.last_error
    assert "tryfirst or trylast" in record.last_error
    assert "wraps" not in host.loaded()
    # None of its hooks runs, not even the plain ones; the other plugin is unaffected.
    with app.app_context():
        assert [name for name, _ in host.call("cergas_settings")] == ["other"]
