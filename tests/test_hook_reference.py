"""The hook specs are typed and documented, and the hook reference of docs/plugins.md is
generated from them (tools/hook_reference.py, `make hook-reference`)."""

import inspect
import sys
from pathlib import Path

import pytest

from app import hookspecs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import hook_reference  # noqa: E402

SPECS = [
    function
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("cergas_")
]


def test_the_reference_in_the_docs_is_the_generated_one():
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert hook_reference.documented(docs) == hook_reference.reference(), (
        "docs/plugins.md: the hook reference differs from app/hookspecs.py; "
        "run `make hook-reference`"
    )


def test_the_check_fails_on_a_stale_reference(monkeypatch, tmp_path, capsys):
    docs = tmp_path / "plugins.md"
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    docs.write_text(text.replace("React to a committed move.", "Something else."))
    monkeypatch.setattr(hook_reference, "DOCS", docs)
    assert hook_reference.main(["--check"]) == 1
    assert hook_reference.main(["--write"]) == 0
    assert hook_reference.main(["--check"]) == 0
    assert docs.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_every_spec_is_typed(spec):
    signature = inspect.signature(spec)
    assert signature.return_annotation is not inspect.Signature.empty
    for name, parameter in signature.parameters.items():
        assert parameter.annotation is not inspect.Parameter.empty, f"{spec.__name__}: {name}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_every_spec_has_a_one_line_summary_then_when_transaction_returns(spec):
    summary, _, rest = inspect.getdoc(spec).partition("\n")
    assert summary.endswith(".") and len(summary) <= 90
    assert rest.startswith("\n"), "a blank line after the summary"
    for part in ("**When**", "**Transaction**", "**Returns**", "```python"):
        assert part in rest, f"{spec.__name__}: no {part}"


def test_a_deprecated_spec_is_marked_in_the_reference():
    @hookspecs.hookspec(warn_on_impl=hookspecs.deprecated("1.1", "use cergas_card_moved"))
    def cergas_old(card: "CardView") -> None:  # noqa: F821 - a string, never evaluated
        """Old.

        **When**: never.
        """

    entry = hook_reference._entry(cergas_old)
    head = "### `cergas_old(card)`\n\nOld.\n\n`cergas_old(card: CardView) -> None`"
    assert entry.startswith(head)
    assert "**Deprecated**: deprecated since plugin API 1.1, removed in 2.0: use" in entry
