"""The hook reference of docs/plugins.md, generated from the typed specs in app/hookspecs.py.

    python tools/hook_reference.py           # print the reference (Markdown)
    python tools/hook_reference.py --write   # replace it in docs/plugins.md (`make hook-reference`)
    python tools/hook_reference.py --check   # exit 1 when docs/plugins.md differs

The reference sits between the START and END markers; everything outside them is written by
hand. tests/test_hook_reference.py fails when the two differ.
"""

import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "plugins.md"
START = (
    "<!-- hook reference: generated from app/hookspecs.py by `make hook-reference`; "
    "edit the docstrings there -->"
)
END = "<!-- end of the hook reference -->"


def _specs() -> list:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from app import hookspecs

    source = inspect.getsource(hookspecs)
    functions = [
        function
        for name, function in vars(hookspecs).items()
        if name.startswith("cergas_") and inspect.isfunction(function)
    ]
    # In the order of the module (a reader meets them as app/hookspecs.py declares them).
    return sorted(functions, key=lambda function: source.index(f"def {function.__name__}("))


def _entry(function) -> str:
    signature = inspect.signature(function)  # annotations stay strings: no import of views
    names = ", ".join(signature.parameters)
    typed = ", ".join(
        f"{name}: {parameter.annotation}" for name, parameter in signature.parameters.items()
    )
    summary, _, body = inspect.getdoc(function).partition("\n")
    lines = [
        f"### `{function.__name__}({names})`",
        "",
        summary.strip(),
        "",
        f"`{function.__name__}({typed}) -> {signature.return_annotation}`",
        "",
    ]
    options = getattr(function, "cergas_spec", {}) or {}
    if options.get("warn_on_impl") is not None:
        lines += [f"**Deprecated**: {options['warn_on_impl']}", ""]
    for argument, warning in (options.get("warn_on_impl_args") or {}).items():
        lines += [f"**Deprecated argument** `{argument}`: {warning}", ""]
    lines.append(body.strip())
    return "\n".join(lines)


def reference() -> str:
    """The generated block, markers included."""
    return "\n".join([START, "", "\n\n".join(_entry(f) for f in _specs()), "", END])


def documented(text: str) -> str:
    """The block as docs/plugins.md has it now."""
    start, end = text.index(START), text.index(END) + len(END)
    return text[start:end]


def main(argv: list[str]) -> int:
    text = DOCS.read_text(encoding="utf-8")
    if "--write" in argv:
        DOCS.write_text(text.replace(documented(text), reference()), encoding="utf-8")
        return 0
    if "--check" in argv:
        if documented(text) != reference():
            print("docs/plugins.md: the hook reference is stale; run `make hook-reference`")
            return 1
        return 0
    print(reference())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
