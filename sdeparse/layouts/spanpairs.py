"""Reader of the key-value layouts (Natural, Lines) for extraction tasks.

The tolerant grammar (``grammars/spanpairs.lark``) cuts the answer into pieces at the type
separator and at newlines, quoted strings being tokens of their own (a quoted span may hold a
separator, a colon or a comma). `_Reader` is a lark Transformer with one method per rule;
``read`` compares the pieces and their marks with the task's canonical punctuation. A record's
key is the decoded type; its value is the raw text after the colon, which the schema reads as
a span list (this reader never splits or unquotes spans).

The language is regular, so `Scanner` (the hot path) reads each piece with one match of a
regex joined from the grammar's own terminals, each tried only where the lexer would take it;
a piece keeps only its first and last tokens of the type and of the value (all the reader
reads, but for a prefix, whose tokens are lexed again when it is asked about). Tests check
that it gives what lark's parse does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from lark import Lark, Transformer
from lark.lexer import PatternRE, TerminalDef

from ..diagnostics import Code, Severity
from ..grammar import RegexLexer, Tok, build_parser
from ..records import Diagnostics, Record, preview, record
from ..task import Quoting, Task
from .base import KeyKind, Reading, Shape, Vocabulary
from .pairs import _no_gc
from .tuples import _FastTok

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


def _ends(tokens: list[Any]) -> list[Any]:
    """The first and last of some tokens (one when there is one): what the reader reads."""
    return tokens if len(tokens) < 3 else [tokens[0], tokens[-1]]


@dataclass(slots=True)
class _Piece:
    """One piece: its rule (``item``, ``no_colon``, ``empty``), the first and last tokens
    before the colon (`_ends`), the colon, the first and last tokens of the value, its line
    and its span (empty pieces: None)."""

    rule: str
    words: list[Any]
    colon: Any = None
    value: list[Any] | None = None
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
        return _ends(children)

    def item(self, children: list[Any]) -> _Piece:
        """``type: spans``."""
        value = children[-1]
        colon = children[-2]
        return _Piece("item", _ends(children[:-2]), colon, value)

    def no_colon(self, children: list[Tok]) -> _Piece:
        """A piece without a colon."""
        return _Piece("no_colon", _ends(children))

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
        self._lexer = lexer(self.quoting is Quoting.NONE)

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
        per_line = Counter(pieces[i].line for i in items if i != lead)
        if len(per_line) > 1:
            reading.shapes.add(Shape.PAIRS_ON_LINES)
            reading.lines_with_pairs = len(per_line)
        if per_line and max(per_line.values()) > 1:
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
            words, colon, value = inner
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

    def _prefixed(
        self, key: str, value: list[Any]
    ) -> tuple[list[Any], Any, list[Any]] | None:
        """When the key names no type and the value starts with a type and a colon (``Output:
        Motion: flew``): the real item's type tokens (`_ends`), its colon and its value tokens
        (`_ends`); None otherwise. The value's tokens are lexed again, up to its first colon."""
        if not value or self.vocabulary.key_kind(_unquoted(key)) is not KeyKind.UNKNOWN:
            return None
        tokens = self._tokens(value[0].start_pos, value[-1].end_pos)
        words: list[Any] = []
        for tok in tokens:
            if tok.type == "COLON":
                if not words:
                    return None
                found = self.text[words[0].start_pos : words[-1].end_pos]
                if self.vocabulary.key_kind(_unquoted(found)) is KeyKind.UNKNOWN:
                    return None
                after = next(tokens, None)
                rest = [] if after is None else [after]
                if after is not None and after.end_pos < value[-1].end_pos:
                    rest.append(value[-1])  # the value's last token: the real item's too
                return _ends(words), tok, rest
            words.append(tok)
        return None

    def _tokens(self, start: int, end: int) -> Iterator[Any]:
        """The tokens of the text between two token boundaries, as the lexer reads them."""
        ignore = self._lexer.ignore
        for match in self._lexer.pattern.finditer(self.text, start, end):
            kind = match.lastgroup or ""
            if kind not in ignore:
                yield _FastTok(kind, match.group(), *match.span())

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


@cache
def lexer(bare: bool = False) -> RegexLexer:
    """The lexer of the span-pairs grammar for a kind of quoting."""
    return RegexLexer(spanpairs_parser(bare).lexer_conf)


class Scanner:
    """Reads a text into what `_Reader` makes of lark's parse (pieces and breaks, alternating),
    one regex match per piece. The regex is joined from the grammar's own terminals: a piece
    is ``words? (COLON value)? break?`` over them, and each terminal is tried only where the
    lexer would take it (no terminal tried before it by the lexer matches there), so the
    tokens are the lexer's. Groups keep the first and last tokens of the words and of the
    value (a repeated group holds its last capture)."""

    def __init__(self, bare: bool) -> None:
        lexer_ = lexer(bare)
        index = lexer_.pattern.groupindex
        self._order = sorted(index, key=index.__getitem__)
        self._patterns = {
            t.name: t.pattern.to_regexp() for t in spanpairs_parser(bare).lexer_conf.terminals
        }
        ignore = next(iter(lexer_.ignore))
        words = ["STRING", "SQ_STRING", "OPEN_STRING", "TEXT", "COMMA"]
        value = [*words, "COLON"]
        breaks = ["SEMI", "NEWLINE"]
        space = self._choice([ignore])
        word_run = self._choice(words, [*words, ignore])
        word_space = self._choice([ignore], [*words, ignore])
        value_run = self._choice(value, [*value, ignore])
        value_space = self._choice([ignore], [*value, ignore])
        piece = (
            f"{space}?"
            f"(?:(?P<w1>{self._choice(words)})(?:(?P<wn>{word_run})|{word_space})*)?"
            f"(?:(?P<c>{self._choice(['COLON'])}){space}?"
            f"(?:(?P<v1>{self._choice(value)})(?:(?P<vn>{value_run})|{value_space})*)?)?"
            f"(?P<b>{self._choice(breaks)})?"
        )
        self._piece = re.compile(piece)

    def _choice(self, names: list[str], among: list[str] | None = None) -> str:
        """The alternation of some terminals, in the lexer's order, each guarded against the
        terminals the lexer tries before it that are not `among` (default: `names`)."""
        among = names if among is None else among
        out = []
        for name in self._order:
            if name not in names:
                continue
            earlier = self._order[: self._order.index(name)]
            before = [self._patterns[o] for o in earlier if o not in among]
            guard = f"(?!{'|'.join(before)})" if before else ""
            out.append(f"{guard}(?:{self._patterns[name]})")
        return "(?:" + "|".join(out) + ")"

    def children(self, text: str) -> list[Any] | None:
        """Pieces and breaks, alternating; None if the text were not read to its end (which
        the grammar's totality rules out)."""
        out: list[Any] = []
        append = out.append
        piece_at = self._piece.match
        pos, size = 0, len(text)
        while True:
            m = piece_at(text, pos)
            if m is None:
                return None
            w1, c, v1, b = m.start("w1"), m.start("c"), m.start("v1"), m.start("b")
            words: list[Any] = []
            if w1 >= 0:
                words.append(_FastTok("WORD", m.group("w1"), w1, m.end("w1")))
                if m.start("wn") >= 0:
                    words.append(_FastTok("WORD", m.group("wn"), *m.span("wn")))
            if c >= 0:
                value: list[Any] = []
                if v1 >= 0:
                    value.append(_FastTok("VALUE", m.group("v1"), v1, m.end("v1")))
                    if m.start("vn") >= 0:
                        value.append(_FastTok("VALUE", m.group("vn"), *m.span("vn")))
                colon = _FastTok("COLON", m.group("c"), c, m.end("c"))
                append(_Piece("item", words, colon, value))
            elif words:
                append(_Piece("no_colon", words))
            else:
                append(_Piece("empty", []))
            end = m.end()
            if b < 0:
                return out if end == size else None
            sep = m.group("b")
            append(_FastTok("NEWLINE" if "\n" in sep else "SEMI", sep, b, end))
            pos = end


@cache
def scanner(bare: bool = False) -> Scanner:
    """The span-pairs scanner for a kind of quoting, built once."""
    return Scanner(bare)


def read_span_pairs(
    text: str,
    fmt: str,
    task: Task,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    expected: bool = True,
    engine: str = "scanner",
) -> Reading:
    """Records of a Natural (`fmt` "natural") or Lines answer to an extraction task, read by
    the `Scanner` or, with `engine` "lark", by lark's parse (the same result, slower)."""
    bare = task.spans.quoting is Quoting.NONE
    with _no_gc(len(text)):
        children = scanner(bare).children(text) if engine == "scanner" else None
        if children is None:
            children = _Reader().transform(spanpairs_parser(bare).parse(text))
        return SpanPairsReading(text, fmt, task, vocabulary, diags, expected).read(children)
