"""The lark grammars of the output formats: found beside the code, compiled once per process."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token
from lark.common import LexerConf
from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, TerminalDef

_HERE = Path(__file__).resolve().parent

def grammar_dir() -> Path:
    """The folder of .lark files: inside the installed package, or top-level in a checkout."""
    for candidate in (_HERE / "grammars", _HERE.parent / "grammars"):
        if (candidate / "json.lark").is_file():
            return candidate
    raise FileNotFoundError(
        f"sdeparse grammars not found in {_HERE / 'grammars'} or {_HERE.parent / 'grammars'}"
    )


class Tok(Token):
    """A lark Token whose positions are always set: `RegexLexer` makes only these, so readers
    can rely on `start_pos`, `end_pos` and `line` being ints."""

    start_pos: int
    end_pos: int
    line: int


class RegexLexer(Lexer):
    """Lark's basic lexer, run by one compiled alternation of the grammar's own terminals.

    The terminals are tried in the order lark's basic lexer tries them (priority, then width,
    then pattern length, then name), so the tokens are the same; but the whole text is
    scanned by ``finditer`` in C instead of a Python call per token, which halves the cost of
    a parse. A character no terminal matches raises lark's UnexpectedCharacters, as lark does.
    """

    def __init__(self, lexer_conf: LexerConf) -> None:
        terminals = sorted(
            lexer_conf.terminals,
            key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name),
        )
        self.ignore = frozenset(lexer_conf.ignore)
        self.pattern = re.compile(
            "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals),
            lexer_conf.g_regex_flags,
        )

    def lex(self, lexer_state: Any, parser_state: Any = None) -> Iterator[Token]:
        """Lark's entry point: it hands a str, or a LexerState / TextSlice holding the text."""
        text = lexer_state
        while not isinstance(text, str):
            text = text.text
        return self.scan(text)

    def scan(self, text: str, offset: int = 0, first_line: int = 1) -> Iterator[Tok]:
        """The tokens of `text`, positioned as if it started at `offset` on line `first_line`."""
        ignore = self.ignore
        position = 0
        line = first_line
        line_start = 0
        for match in self.pattern.finditer(text):
            start, end = match.span()
            if start != position or start == end:
                break
            position = end
            kind = match.lastgroup or ""
            if kind in ignore:
                continue
            newlines = text.count("\n", line_start, start)
            if newlines:
                line += newlines
            line_start = start
            yield Tok(kind, match.group(), start + offset, line, None, None, None, end + offset)
        if position != len(text):
            raise UnexpectedCharacters(text, position, line, 0)


@cache
def parser_for(grammar_file: str) -> Lark:
    """An LALR parser with the basic lexer for one grammar file, built once and reused."""
    return build_parser(grammar_file)


def build_parser(
    grammar_file: str,
    edit_terminals: Callable[[TerminalDef], Any] | None = None,
    strict: bool = False,
) -> Lark:
    """A new LALR parser for one grammar file; `edit_terminals` may adjust terminal patterns
    (lark's hook, run after the grammar is compiled), `strict` makes LALR conflicts errors."""
    folder = grammar_dir()
    return Lark.open(
        str(folder / grammar_file),
        parser="lalr",
        lexer=RegexLexer,
        propagate_positions=False,
        maybe_placeholders=False,
        import_paths=[str(folder)],
        edit_terminals=edit_terminals,
        strict=strict,
    )


@cache
def lexer_for(grammar_file: str) -> RegexLexer:
    """The lexer of one grammar, for reading a stretch of text without the parser."""
    return RegexLexer(parser_for(grammar_file).lexer_conf)


def grammar_text(grammar_file: str) -> str:
    """The source of a grammar file, for documentation and tests."""
    return (grammar_dir() / grammar_file).read_text(encoding="utf-8")
