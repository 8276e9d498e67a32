"""Reader of the key-value layouts (Natural, Lines) for extraction tasks.

The tolerant grammar (``grammars/spanpairs.lark``) cuts the answer into pieces at the type
separator and at newlines, quoted strings being tokens of their own (a quoted span may hold a
separator, a colon or a comma). `_Reader` is a lark Transformer with one method per rule;
``read`` compares the pieces and their marks with the task's canonical punctuation. A record's
key is the decoded type; its value is the raw text after the colon, which the schema reads as
a span list (this reader never splits or unquotes spans).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from lark import Lark, Transformer
from lark.lexer import PatternRE, TerminalDef

from ..diagnostics import Code, Severity
from ..grammar import Tok, build_parser
from ..records import Diagnostics, Record, preview, record
from ..task import Quoting, Task
from .base import KeyKind, Reading, Shape, Vocabulary

GRAMMAR = "spanpairs.lark"
_BULLET = re.compile(r"^(?:[-*•·]+|\(?\d{1,3}[.)]|#+)\s+")
_STRINGS = frozenset(("STRING", "SQ_STRING"))


#: Bare spans (quoting none): quotes are text like any other character (a span may start with
#: one), so the string terminals are rebuilt to match nothing and text may start with a quote.
_BARE_TERMINALS = {
    "STRING": r"[^\s\S]",
    "SQ_STRING": r"[^\s\S]",
    "OPEN_STRING": r"[^\s\S]",
    "TEXT": r"[^\s:：;；,，](?:[^\n:：;；,，]*[^\s:：;；,，])?",
}


@cache
def spanpairs_parser(bare: bool = False) -> Lark:
    """The tolerant LALR parser of extraction answers in the pairs layouts, built once per
    kind of quoting (`bare`: spans without quotes, where a quote is text)."""
    if not bare:
        return build_parser(GRAMMAR, strict=True)

    def edit(terminal: TerminalDef) -> None:
        if terminal.name in _BARE_TERMINALS:
            terminal.pattern = PatternRE(_BARE_TERMINALS[terminal.name])

    return build_parser(GRAMMAR, edit_terminals=edit, strict=True)


@dataclass(slots=True)
class _Piece:
    """One piece: its rule (``item``, ``no_colon``, ``empty``), the tokens before the colon,
    the colon, the tokens of the value, its line and its span (empty pieces: None)."""

    rule: str
    words: list[Tok]
    colon: Tok | None = None
    value: list[Tok] | None = None
    line: int = 0

    @property
    def start(self) -> int:
        tokens = self.words or ([self.colon] if self.colon is not None else [])
        return tokens[0].start_pos if tokens else -1

    @property
    def end(self) -> int:
        if self.value:
            return self.value[-1].end_pos
        if self.colon is not None:
            return self.colon.end_pos
        return self.words[-1].end_pos if self.words else -1


class _Reader(Transformer[Any, Any]):
    """One method per grammar rule, applied bottom-up."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)

    def value(self, children: list[Tok]) -> list[Tok]:
        """The tokens after the first colon."""
        return children

    def item(self, children: list[Any]) -> _Piece:
        """``type: spans``."""
        value = children[-1]
        colon = children[-2]
        return _Piece("item", children[:-2], colon, value)

    def no_colon(self, children: list[Tok]) -> _Piece:
        """A piece without a colon."""
        return _Piece("no_colon", children)

    def empty(self, children: list[Tok]) -> _Piece:
        """Nothing between two breaks."""
        return _Piece("empty", [])

    def start(self, children: list[Any]) -> list[Any]:
        """Pieces and breaks, alternating."""
        return children


class SpanPairsReading:
    """Records and syntax diagnostics of a Natural or Lines answer to an extraction task."""

    def __init__(
        self,
        text: str,
        fmt: str,
        task: Task,
        vocabulary: Vocabulary,
        diags: Diagnostics,
        expected: bool,
    ) -> None:
        self.text = text
        self.natural = fmt == "natural"
        self.task = task
        self.vocabulary = vocabulary
        self.diags = diags
        self.expected = expected
        self.quoting = task.spans.quoting
        self.content_end = len(text.rstrip())

    def read(self, children: list[Any]) -> Reading:
        """Pieces to records; the marks between them compared with the canonical ones."""
        text, diags = self.text, self.diags
        reading = Reading([])
        pieces: list[_Piece] = []
        breaks: list[Tok] = []
        line = 0
        for child in children:
            if isinstance(child, _Piece):
                child.line = line
                pieces.append(child)
            else:
                breaks.append(child)
                if child.type == "NEWLINE":
                    line += 1
        items = [i for i, p in enumerate(pieces) if p.rule == "item"]
        first = items[0] if items else len(pieces)
        last = items[-1] if items else -1
        lead = self._lead_in(pieces, items)
        lines_with_items = {pieces[i].line for i in items if i != lead}
        if len(lines_with_items) > 1:
            reading.shapes.add(Shape.PAIRS_ON_LINES)
            reading.lines_with_pairs = len(lines_with_items)
        if any(
            sum(1 for i in items if i != lead and pieces[i].line == ln) > 1
            for ln in lines_with_items
        ):
            reading.shapes.add(Shape.PAIRS_JOINED)
        for index, sep in enumerate(breaks):
            self._break(sep, pieces[index], pieces[index + 1], first, last, index)
        for index, piece in enumerate(pieces):
            if piece.rule == "empty":
                continue
            at_end = piece.end >= self.content_end
            if index == lead:
                diags.add(
                    Code.EXTRA_TEXT,
                    piece.start,
                    piece.end,
                    f"lead-in {preview(text[piece.start : piece.end])!r} before the answer",
                    "removed",
                )
                continue
            if piece.rule == "no_colon":
                self._no_colon(piece, index < first or index > last, at_end)
                continue
            found = self._item(piece, at_end)
            if found is not None:
                reading.records.append(found)
        if self.expected and text != text.strip() and text.strip():
            diags.add(Code.PUNCTUATION, 0, len(text), "whitespace around the answer", "ignored")
        return reading

    def _lead_in(self, pieces: list[_Piece], items: list[int]) -> int | None:
        """A first item such as ``Output:`` alone (naming no type, with no value), when real
        items follow; None otherwise."""
        if len(items) < 2:
            return None
        piece = pieces[items[0]]
        if piece.value or not piece.words:
            return None
        key = self.text[piece.words[0].start_pos : piece.words[-1].end_pos]
        if self.vocabulary.key_kind(_unquoted(key)) is KeyKind.UNKNOWN:
            return items[0]
        return None

    def _break(
        self, sep: Tok, before: _Piece, after: _Piece, first: int, last: int, index: int
    ) -> None:
        """A separator or newline between two pieces, compared with the canonical one."""
        diags = self.diags
        s, e = sep.start_pos, sep.end_pos
        written = str(sep)
        if sep.type == "NEWLINE":
            if written.count("\n") > 1 and first <= index < last:
                diags.add(Code.EMPTY_ITEM, s, e, "blank line between items", "skipped")
            return
        marks = "".join(written.split())
        if len(marks) > 1:
            diags.add(
                Code.EMPTY_ITEM, s, e, f"empty piece between separators ({marks!r})", "skipped"
            )
            return
        if before.rule == "empty":
            diags.add(Code.EMPTY_ITEM, s, e, f"{marks!r} with no item before it", "skipped")
            return
        if after.rule == "empty":
            diags.add(Code.PUNCTUATION, s, e, f"{marks!r} with no item after it", "ignored")
            return
        if not self.expected:
            return
        canonical = self.task.punctuation.pair_separator
        if self.natural and written != canonical:
            diags.add(
                Code.PUNCTUATION,
                s,
                e,
                f"{written!r} between types instead of {canonical!r}",
                "read as the separator",
            )

    def _no_colon(self, piece: _Piece, outside: bool, at_end: bool) -> None:
        """A piece without a colon: a cut-off type at the end, text around the answer, or a
        malformed item."""
        text, diags = self.text, self.diags
        s, e = piece.start, piece.end
        word = _unquoted(text[s:e])
        cut = word.lstrip("'\"")  # a quoted type cut off keeps its opening quote
        if at_end and cut and (
            self.vocabulary.key_kind(word) is not KeyKind.UNKNOWN
            or any(k.startswith(cut) for k in self.vocabulary.key_spellings)
        ):
            diags.add(
                Code.TRUNCATED,
                s,
                len(text),
                f"the output ends inside an item: {preview(word)!r} has no spans",
                "read as no span",
            )
            return
        if outside:
            diags.add(
                Code.EXTRA_TEXT, s, e, f"text outside the answer: {preview(word)!r}", "removed"
            )
        else:
            diags.add(
                Code.MALFORMED_ITEM,
                s,
                e,
                f"{preview(word)!r} has no type/spans split",
                "dropped",
            )

    def _item(self, piece: _Piece, at_end: bool) -> Record | None:
        """An item: its type decoded (list markers and quoting slips reported), its value
        handed on as written."""
        text, diags = self.text, self.diags
        colon = piece.colon
        assert colon is not None and piece.value is not None
        start, end = piece.start, piece.end
        if not piece.words:
            diags.add(
                Code.MALFORMED_ITEM,
                start,
                end,
                f"no type before the colon in {preview(text[start:end])!r}",
                "dropped",
            )
            return None
        ks, ke = piece.words[0].start_pos, piece.words[-1].end_pos
        key = text[ks:ke]
        bullet = _BULLET.match(key)
        if bullet and bullet.end() < len(key):
            diags.add(
                Code.EXTRA_TEXT,
                ks,
                ks + bullet.end(),
                f"list marker {bullet.group().strip()!r} before the type",
                "removed",
            )
            key, ks = key[bullet.end() :], ks + bullet.end()
        value = piece.value
        inner = self._prefixed(key, value)
        if inner is not None:  # "Output: Motion: flew": the item starts after the prefix
            diags.add(
                Code.EXTRA_TEXT,
                ks,
                value[0].start_pos,
                f"prefix {preview(text[ks : value[0].start_pos])!r} before the item",
                "removed",
            )
            words, colon, value = value[:inner], value[inner], value[inner + 1 :]
            ks, ke = words[0].start_pos, words[-1].end_pos
            key = text[ks:ke]
            bullet = None
            piece = _Piece("item", words, colon, value, piece.line)
        key = self._key(key, ks, ke, len(piece.words) == 1 and not bullet)
        if self.expected and str(colon) != self.task.punctuation.key_value:
            diags.add(
                Code.PUNCTUATION,
                colon.start_pos,
                colon.end_pos,
                f"{str(colon)!r} between type and spans instead of "
                f"{self.task.punctuation.key_value!r}",
                "read as the colon",
            )
        if piece.value:
            vs, ve = piece.value[0].start_pos, piece.value[-1].end_pos
            return record(key, ks, ke, text[vs:ve], vs, ve, start, end)
        if at_end:
            diags.add(
                Code.TRUNCATED,
                start,
                len(text),
                f"the output ends after {preview(key)!r}: its spans are cut off",
                "read as no span",
            )
            return record(key, ks, ke, None, colon.end_pos, colon.end_pos, start, end)
        return record(key, ks, ke, "", colon.end_pos, colon.end_pos, start, end)

    def _prefixed(self, key: str, value: list[Tok]) -> int | None:
        """Where the real item's colon stands in the value when the key names no type and the
        value starts with a type and a colon (``Output: Motion: flew``); None otherwise."""
        if self.vocabulary.key_kind(_unquoted(key)) is not KeyKind.UNKNOWN:
            return None
        for index, tok in enumerate(value):
            if tok.type == "COLON":
                if index == 0:
                    return None
                words = self.text[value[0].start_pos : value[index - 1].end_pos]
                if self.vocabulary.key_kind(_unquoted(words)) is KeyKind.UNKNOWN:
                    return None
                return index
        return None

    def _key(self, key: str, start: int, end: int, one_token: bool) -> str:
        """The type a key spells: quotes taken off (the task's quoting says whether they
        belong there; a difference is reported)."""
        quoted = one_token and len(key) >= 2 and key[0] in "'\"" and key[-1] == key[0]
        name = key[1:-1] if quoted else key
        if not self.expected:
            return name
        if self.quoting is Quoting.NONE:
            if quoted:
                self.diags.add(Code.SPAN_QUOTING, start, end, "quotes around the type", "removed")
            return name
        canonical = repr(name) if self.quoting is Quoting.PYTHON else f'"{name}"'
        if key != canonical:
            self.diags.add(
                Code.SPAN_QUOTING,
                start,
                end,
                f"the type is written {key!r} where {canonical!r} is canonical",
                "read as the type",
                severity=Severity.WARNING,
            )
        return name


def _unquoted(word: str) -> str:
    """A word without the quotes around it."""
    if len(word) >= 2 and word[0] in "'\"" and word[-1] == word[0]:
        return word[1:-1]
    return word


def read_span_pairs(
    text: str,
    fmt: str,
    task: Task,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    expected: bool = True,
) -> Reading:
    """Records of a Natural (`fmt` "natural") or Lines answer to an extraction task."""
    parser = spanpairs_parser(task.spans.quoting is Quoting.NONE)
    children = _Reader().transform(parser.parse(text))
    return SpanPairsReading(text, fmt, task, vocabulary, diags, expected).read(children)
