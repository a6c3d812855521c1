"""Meta-tests: every hook is documented in docs/plugins.md and exercised by a test, and the
tutorial's listings agree with the example package they describe."""

import inspect
import re
from pathlib import Path

import pytest

from app import hookspecs
from cergas import plugin as plugin_api

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "examples" / "cergas-nomor-surat"
HOOKS = [
    name
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("cergas_")
]


def signature(name: str) -> str:
    parameters = inspect.signature(getattr(hookspecs, name)).parameters
    return f"{name}({', '.join(parameters)})"


def test_there_are_hooks_to_check():
    assert len(HOOKS) >= 15
    assert "cergas_card_before_move" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_reference_entry_with_its_signature(hook):
    assert f"\n### `{signature(hook)}`\n" in DOCS, f"docs/plugins.md lacks ### `{signature(hook)}`"


def test_reference_entries_follow_the_order_of_the_hookspecs():
    documented = re.findall(r"^### `(cergas_\w+)\(", DOCS, flags=re.MULTILINE)
    source = (ROOT / "app" / "hookspecs.py").read_text(encoding="utf-8")
    declared = re.findall(r"^def (cergas_\w+)\(", source, flags=re.MULTILINE)
    assert documented == declared


def test_every_reference_entry_says_when_transaction_and_returns():
    entries = re.split(r"^### ", DOCS, flags=re.MULTILINE)
    for entry in entries:
        if entry.startswith("`cergas_"):
            head = entry.splitlines()[0]
            for part in ("**When**", "**Transaction**", "**Returns**", "```python"):
                assert part in entry, f"{head}: no {part}"


def hook_is_tested(hook: str) -> list[Path]:
    this = Path(__file__).resolve()
    return [
        path
        for path in sorted((ROOT / "tests").rglob("test_*.py"))
        if path.resolve() != this and re.search(rf"\b{hook}\b", path.read_text(encoding="utf-8"))
    ]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    assert hook_is_tested(hook), f"no test under tests/ implements or calls {hook}"


@pytest.mark.parametrize("name", plugin_api.__all__)
def test_every_public_name_is_documented(name):
    assert re.search(rf"`@?{name}\b", DOCS), f"docs/plugins.md never names {name}"


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOCS, flags=re.DOTALL)


def test_the_whole_plugin_listing_is_the_example_module():
    module = (EXAMPLE / "cergas_nomor_surat.py").read_text(encoding="utf-8")
    assert module in code_blocks("python")


def test_the_packaging_listings_are_the_example_files():
    assert (EXAMPLE / "setup.cfg").read_text(encoding="utf-8") in code_blocks("ini")
    assert (EXAMPLE / "pyproject.toml").read_text(encoding="utf-8") in code_blocks("toml")


def test_tutorial_steps_are_pieces_of_the_example_module():
    """Each step's listing appears in the module (steps 1 to 4 build it up)."""
    module = (EXAMPLE / "cergas_nomor_surat.py").read_text(encoding="utf-8")
    steps = DOCS.split("### Step 5")[0]
    listings = re.findall(r"```python\n(.*?)```", steps, flags=re.DOTALL)
    assert len(listings) == 4
    for listing in listings:
        for block in listing.strip().split("\n\n\n"):
            assert block.strip() in module, block


def test_docs_list_the_pytest11_entry_point_fixtures():
    import cergas.testing

    fixtures = [name for name in cergas.testing.__all__ if name.startswith("cergas_")]
    assert fixtures
    for name in fixtures:
        assert f"`{name}`" in DOCS, name
