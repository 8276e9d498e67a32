"""The lark grammars of the output formats: found beside the code, compiled once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lark import Lark

_HERE = Path(__file__).resolve().parent

#: Which grammar file parses each format (JSON, CoT and R-CoT share the JSON-lines grammar).
GRAMMAR_OF_FORMAT = {
    "natural": "natural.lark",
    "lines": "lines.lark",
    "json": "json.lark",
    "cot": "json.lark",
    "rcot": "json.lark",
}


def grammar_dir() -> Path:
    """The folder of .lark files: inside the installed package, or top-level in a checkout."""
    for candidate in (_HERE / "grammars", _HERE.parent / "grammars"):
        if (candidate / "json.lark").is_file():
            return candidate
    raise FileNotFoundError(
        f"sdeparse grammars not found in {_HERE / 'grammars'} or {_HERE.parent / 'grammars'}"
    )


@cache
def parser_for(grammar_file: str) -> Lark:
    """An LALR parser with the basic lexer for one grammar file, built once and reused."""
    folder = grammar_dir()
    return Lark.open(
        str(folder / grammar_file),
        parser="lalr",
        lexer="basic",
        propagate_positions=False,
        maybe_placeholders=False,
        import_paths=[str(folder)],
    )


def grammar_text(grammar_file: str) -> str:
    """The source of a grammar file, for documentation and tests."""
    return (grammar_dir() / grammar_file).read_text(encoding="utf-8")
