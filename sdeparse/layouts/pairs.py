"""Reader of the key-value layouts (Natural, Lines).

The tolerant grammars (``grammars/natural.lark``, ``lines.lark``, sharing ``pairs.lark``) name
every piece of an answer: an item, an item with extra colons, a piece without a colon, an empty
piece, and the separators and stray spaces around them. `PairsReader` is a lark Transformer
with one method per rule: the pieces are built bottom-up, and ``start``, which sees them all,
compares them with the task's canonical punctuation to give records and syntax diagnostics.

The grammars are specialised to a task's own colon and separators through lark's
``edit_terminals`` (`Marks`). Their language is regular, so `Scanner`, compiled from the
grammar's own terminals, reads the same pieces with one regex match per piece; it is the hot
path, and tests check that it hands ``start`` what lark's parse does.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Any, NamedTuple

from lark import Lark, Token, Transformer
from lark.lexer import PatternRE, TerminalDef

from ..diagnostics import Code, Severity
from ..fold import FoldRules
from ..grammar import build_parser
from ..records import Diagnostics, Field, Record, preview, record
from ..task import Punctuation, Task
from .base import KeyKind, Reading, Shape, ValueKind, Vocabulary

_BULLET = re.compile(r"^(?:[-*•·]+|\(?\d{1,3}\)|#+)\s*")
_BULLET_STARTS = frozenset("-*•·(#")  # and digits: a key starting otherwise has no marker
_NUMBERING = re.compile(r"^(?:\(?\d{1,3}\)?|[-*•·]+|#+)$")
_TERMINATOR_MARKS = frozenset("。．.")

#: (text, start, end) of a token or of a field between colons.
Span = tuple[str, int, int]


class Piece(NamedTuple):
    """What stands between two separators, named by the grammar rule it matched (``item``,
    ``extra_colons``, ``no_colon`` or ``empty``): its fields around the colons (one more than
    the colons; none when empty), the colons, the index of its line, and the stray spaces at
    the ends of the output that touch it. Tuples of strings and ints all the way down, which
    the cycle collector soon stops tracking (a long output has many pieces)."""

    rule: str
    parts: tuple[Span, ...]
    colons: tuple[Span, ...] = ()
    line: int = 0
    spaces: tuple[Span, ...] = ()

    @property
    def start(self) -> int:
        return self.parts[0][1]

    @property
    def end(self) -> int:
        return self.parts[-1][2]


#: What the reader reads: pieces and the separators between them, alternating.
Child = Piece | Span


# ---- specialising the grammar to a task's marks ----------------------------------------------

#: The spaces other than the newline (what ``[^\S\n]`` matches), as the inside of a class.
SPACES = "\t\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_STOCK_COLONS = "：:"
_STOCK_SEPARATORS = "，,；;、。．."


def _char_class(chars: str) -> str:
    return "".join("\\" + ch if ch in "\\]^-[" else ch for ch in chars)


@dataclass(frozen=True)
class Marks:
    """The characters the tolerant grammar reads as colons and separators: the stock ones plus
    the task's own (a one-character colon such as ``=``, separators such as ``|``), and colons
    of several characters (``->``, ``=>``), which text may then not contain."""

    colons: str = _STOCK_COLONS
    colon_words: tuple[str, ...] = ()
    separators: str = _STOCK_SEPARATORS

    @classmethod
    def of(cls, task: Task) -> Marks:
        """The marks of a task's punctuation."""
        return _marks_of(task.punctuation)

    @property
    def clash(self) -> bool:
        """Whether a colon shares a character with the separators (a task's colon ``.``): the
        lexer's order of terminals then decides which one a mark is."""
        return bool(set(self.colons + "".join(self.colon_words)) & set(self.separators + "\n"))

    def patterns(self) -> dict[str, str]:
        """The regexps of the terminals that depend on the marks (TEXT, COLON, SEPARATOR);
        for the stock marks, exactly those written in ``grammars/pairs.lark``."""
        colons, seps = _char_class(self.colons), _char_class(self.separators)
        # Raw newlines, as lark makes of the grammar's \n: the stock patterns compare equal.
        space = "[^\\S\n]"
        edge = f"[^\\s{colons}{seps}]"
        inner = f"[^\n{colons}{seps}]"
        colon = f"[{colons}]"
        colon_run = f"[{SPACES}{colons}]*"
        if self.colon_words:
            words = "|".join(re.escape(word) for word in self.colon_words)
            colon = f"(?:{colon}|{words})"
            colon_run = f"(?:[{SPACES}{colons}]|{words})*"
            edge = f"(?!{words}){edge}"
            inner = f"(?:(?!{words}){inner})"
        return {
            "TEXT": f"{edge}(?:{inner}*{edge})?",
            "COLON": f"{space}*{colon}{colon_run}",
            "SEPARATOR": f"{space}*[{seps}][{SPACES}{seps}]*",
        }


@lru_cache(maxsize=64)
def _marks_of(punct: Punctuation) -> Marks:
    """`Marks.of`, once per punctuation: every read asks."""
    separators = _STOCK_SEPARATORS + "".join(
        dict.fromkeys(
            ch
            for mark in (punct.pair_separator, punct.terminator)
            for ch in mark.strip()
            if ch not in _STOCK_SEPARATORS
        )
    )
    colon = punct.key_value.strip()
    if len(colon) > 1:
        return Marks(_STOCK_COLONS, (colon,), separators)
    extra = "".join(ch for ch in colon if ch not in _STOCK_COLONS)
    return Marks(_STOCK_COLONS + extra, (), separators)


@lru_cache(maxsize=64)
def pairs_fold_rules(task: Task) -> FoldRules:
    """Where a long pairs output may be cut: pieces end at a separator or a line break; colons,
    separators and spaces carry the structure."""
    marks = Marks.of(task)
    colons = marks.colons + "".join(marks.colon_words)
    return FoldRules(
        "\n" + marks.separators, f"\\s{SPACES}{_char_class(colons + marks.separators)}"
    )


@lru_cache(maxsize=32)
def pairs_parser(fmt: str, marks: Marks = Marks()) -> Lark:
    """The tolerant LALR parser of a layout ("natural" or "lines"), its colon and separator
    terminals rebuilt for `marks`; built once per (layout, marks), conflicts being errors."""
    patterns = marks.patterns() if marks != Marks() else {}

    def edit(terminal: TerminalDef) -> None:
        if terminal.name in patterns:
            terminal.pattern = PatternRE(patterns[terminal.name])

    from . import LAYOUTS  # the registry imports this module: look the layout up when called

    return build_parser(LAYOUTS[fmt].grammar, edit_terminals=edit, strict=True)


# ---- the scanner: the same pieces, one regex match per piece ---------------------------------


class Scanner:
    """Reads a text into what ``start`` makes of lark's parse (pieces and separators,
    alternating), with regexes joined from the grammar's own terminals.

    The lexer's tokens are decided by character classes alone, so a piece is the regular
    expression ``TEXT? (COLON TEXT?)? (COLON TEXT?)* TRAILING_SPACE? (SEPARATOR | NEWLINE)?``
    over them. One match reads the usual piece (an item, a piece without a colon, an empty
    one); extra colons, where there are any, are found by one split of the rest of the piece
    at COLON. No regex repeats a group (Python's engine keeps a backtracking entry per turn of
    one, which made long runs slow)."""

    def __init__(self, parser: Lark, marks: Marks) -> None:
        pattern = {t.name: t.pattern.to_regexp() for t in parser.terminals}
        text, colon = pattern["TEXT"], pattern["COLON"]
        end = f"({pattern['TRAILING_SPACE']})?({pattern['SEPARATOR']}|{pattern['NEWLINE']})?"
        # Spaces at the start are stray only where no colon, separator or newline (tried first
        # by the lexer, being of higher priority) absorbs them.
        self._lead = re.compile(
            f"(?:{colon}|{pattern['SEPARATOR']}|{pattern['NEWLINE']})|({pattern['LEADING_SPACE']})"
        )
        self._piece = re.compile(f"({text})?(?:({colon})({text})?)?{end}")
        self._end = re.compile(end)
        self._colons = re.compile(f"({colon})")
        # The first character of a separator or a newline: no other token holds one.
        self._stop = re.compile(f"[\n{_char_class(marks.separators)}]")

    def children(self, text: str) -> list[Child] | None:
        """Pieces and separators, alternating, as ``start`` makes them of lark's parse; None
        if the text were not read to its end (which the grammar's totality rules out)."""
        out: list[Child] = []
        pos, line, size = 0, 0, len(text)
        spaces: tuple[Span, ...] = ()
        lead = self._lead.match(text)
        if lead is not None and lead.group(1) is not None:
            pos = lead.end()
            spaces = ((lead.group(), 0, pos),)
        piece_at, end_at = self._piece.match, self._end.match
        stop_at, split_colons = self._stop.search, self._colons.split
        # One str object per distinct text: answers repeat a few keys, labels and marks, and a
        # long output's pieces then take a third less memory (and are read faster).
        known: dict[str, str] = {}
        same = known.setdefault
        new_piece = tuple.__new__  # a Piece without the Python-level __new__ of NamedTuple
        while True:
            match = piece_at(text, pos)
            if match is None:  # cannot happen: every part of the pattern is optional
                return None
            key, colon, value, trail, sep = match.groups()
            # All spans at once (`regs`: the match's, then each group's; (-1, -1) if unset).
            regs = match.regs
            pos, ends = regs[0][1], 4  # `ends`: the group of the trailing space, then sep
            if colon is None:
                rule = "empty" if key is None else "no_colon"
                parts: tuple[Span, ...] = () if key is None else ((same(key, key), *regs[1]),)
                colons: tuple[Span, ...] = ()
            else:
                c_start, c_end = regs[2]
                key_part = ("", c_start, c_start) if key is None else (same(key, key), *regs[1])
                value_part = ("", c_end, c_end) if value is None else (same(value, value), *regs[3])
                parts, colons = (key_part, value_part), ((same(colon, colon), c_start, c_end),)
                rule = "item"
                if pos < size and trail is None and sep is None:  # a colon follows the value
                    # The rest of the piece, up to the next separator mark or newline (no token
                    # crosses one), split at its colons in one call: ["", colon, text, ...].
                    rule = "extra_colons"
                    stop = stop_at(text, pos)
                    limit = stop.start() if stop else size
                    rest = split_colons(text[pos:limit])
                    rest = list(map(same, rest, rest))  # one str per distinct text, as above
                    if rest[0] or len(rest) < 3:  # cannot happen: a colon starts the rest
                        return None
                    last = rest[-1]
                    if last:  # spaces after a text belong to the separator, or end the output
                        rest[-1] = last.rstrip()
                        limit -= len(last) - len(rest[-1])
                    at = list(accumulate(map(len, rest), initial=pos))
                    colons += tuple(zip(rest[1::2], at[1:-1:2], at[2::2], strict=True))
                    parts += tuple(zip(rest[2::2], at[2::2], at[3::2], strict=True))
                    match = end_at(text, limit)
                    if match is None:  # cannot happen, as above
                        return None
                    trail, sep = match.groups()
                    regs = match.regs
                    pos, ends = regs[0][1], 1
            if trail is not None:
                spaces = (*spaces, (trail, *regs[ends]))
            out.append(new_piece(Piece, (rule, parts, colons, line, spaces)))
            if sep is None:
                return out if pos == size else None
            spaces = ()
            out.append((same(sep, sep), *regs[ends + 1]))
            if "\n" in sep:
                line += 1


@lru_cache(maxsize=32)
def scanner(fmt: str, marks: Marks = Marks()) -> Scanner | None:
    """The scanner of a layout's tolerant grammar for `marks`, built once; None when the marks
    clash (lark's parse then reads every text)."""
    return None if marks.clash else Scanner(pairs_parser(fmt, marks), marks)


# ---- the reader ------------------------------------------------------------------------------


class _Memo:
    """What a reader learns about words, fields and keys of one vocabulary, kept across
    outputs. Bounded: emptied after a read once it holds more than `_MEMO_LIMIT` answers."""

    __slots__ = (
        "vocabulary", "words", "proses", "joins", "merges", "plains", "patterns", "anchors"
    )

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary  # kept, so that its id is not reused while cached
        self.words: dict[str, tuple[bool, str | None, bool, bool, bool]] = {}
        self.proses: dict[str, tuple[int, int, int] | None] = {}
        self.joins: tuple[dict[str, tuple[tuple[int, int], ...]], ...] = ({}, {}, {}, {})
        self.merges: dict[str, tuple[int, int, int, int] | None] = {}
        self.plains: dict[tuple[str, str], bool] = {}
        spellings = getattr(vocabulary, "anchor_spellings", ())  # tests read with no vocabulary
        self.patterns = prose_patterns(tuple(spellings))
        self.anchors = _longest_first(tuple(a.casefold() for a in spellings if a))

    def size(self) -> int:
        return (
            len(self.words)
            + len(self.proses)
            + len(self.merges)
            + len(self.plains)
            + sum(map(len, self.joins))
        )

    def trim(self) -> None:
        """Forget everything once the memo outgrows its bound (memory stays flat)."""
        if self.size() > _MEMO_LIMIT:
            self.words.clear()
            self.proses.clear()
            self.merges.clear()
            self.plains.clear()
            for cache in self.joins:
                cache.clear()


#: The longest item (key to value) `PairsReader._plain` is asked about; longer ones take the
#: general path, so that a memo never keeps a long text alive.
_PLAIN_SIZE = 256
#: The most answers a memo keeps between outputs, and the most vocabularies memoized.
_MEMO_LIMIT = 20_000
_MEMO_VOCABULARIES = 32
_memos: dict[int, _Memo] = {}


def _memo_for(vocabulary: Vocabulary) -> _Memo:
    """The memo of one vocabulary (by identity), made on first use; the oldest is dropped
    when more than `_MEMO_VOCABULARIES` are kept."""
    memo = _memos.get(id(vocabulary))
    if memo is None or memo.vocabulary is not vocabulary:
        if len(_memos) >= _MEMO_VOCABULARIES:
            del _memos[next(iter(_memos))]
        memo = _memos[id(vocabulary)] = _Memo(vocabulary)
    return memo


def _span(token: Token) -> Span:
    return (str(token), token.start_pos or 0, token.end_pos or 0)


def _is_prefix_of(word: str, candidates) -> bool:
    return bool(word) and any(c != word and c.startswith(word) for c in candidates)


class PairsReader(Transformer):
    """Records and syntax diagnostics of a Natural or Lines answer, one method per grammar rule.

    The rule methods build `Piece`s bottom-up; ``start`` sees every piece with its separators,
    so it decides what needs context (a lead-in such as ``输出：``, where the answer begins and
    ends, which separators sit at a line's end) and reads each piece by its rule. With
    `expected` False (the design was trained on another layout) punctuation is not compared
    with a canonical spelling."""

    def __init__(
        self,
        text: str,
        fmt: str,
        task: Task,
        vocabulary: Vocabulary,
        diags: Diagnostics,
        expected: bool = True,
    ) -> None:
        super().__init__()
        self.text = text
        self.natural = fmt == "natural"
        self.task = task
        self.vocabulary = vocabulary
        self.diags = diags
        self.expected = expected
        #: Indices of the first and last pieces that look like pairs (set by ``read``).
        self.first_item = 0
        self.last_item = -1
        # The answers of `_word`, `_prose`, `_joins` and `_merged` depend on the vocabulary
        # alone, so they are kept across outputs (`_Memo`): answers repeat a few keys, labels
        # and words, and a deviating output then mostly costs lookups.
        memo = _memo_for(vocabulary)
        #: `_word`'s answers, by word.
        self._words = memo.words
        #: `_prose`'s answers, by word; `_joins`' answers by field, for each place of it;
        #: `_merged`'s answers, by key.
        self._proses = memo.proses
        self._join_cache = memo.joins
        self._merges = memo.merges
        #: `_plain`'s answers, by (key, value).
        self._plains = memo.plains
        self._patterns = memo.patterns
        self._anchors = memo.anchors

    # ---- pieces, bottom-up: one method per rule ------------------------------------------
    def key(self, children: list[Token]) -> Span | None:
        """The text before the first colon (None when empty: its place is the colon's)."""
        return _span(children[0]) if children else None

    def value(self, children: list[Token]) -> Span | None:
        """The text after the colon (None when empty)."""
        return _span(children[0]) if children else None

    def extra(self, children: list[Token]) -> tuple[Span, Span]:
        """One more colon and the text after it."""
        colon = _span(children[0])
        end = colon[2]
        return colon, _span(children[1]) if len(children) > 1 else ("", end, end)

    def item(self, children: list[Any]) -> Piece:
        """``key：value``, the trained shape."""
        key, colon_token, value = children[:3]
        colon = _span(colon_token)
        parts = (
            ("", colon[1], colon[1]) if key is None else key,
            ("", colon[2], colon[2]) if value is None else value,
        )
        return Piece("item", parts, (colon,))

    def extra_colons(self, children: list[Any]) -> Piece:
        """An item followed by more colons: a prefix before it or text after its label."""
        item = self.item(children[:3])
        extras = children[3:]
        return Piece(
            "extra_colons",
            item.parts + tuple(text for _, text in extras),
            item.colons + tuple(colon for colon, _ in extras),
        )

    def no_colon(self, children: list[Token]) -> Piece:
        """A piece without a colon."""
        return Piece("no_colon", (_span(children[0]),))

    def empty(self, children: list[Any]) -> Piece:
        """Nothing between two separators."""
        return Piece("empty", ())

    def line(self, children: list[Any]) -> list[Any]:
        """One line of the Lines layout: its pieces and the separators inside it."""
        return children

    def start(self, children: list[Any]) -> Reading:
        """The whole answer: pieces and separators (SEPARATOR, NEWLINE) alternating, inside
        stray spaces (LEADING_SPACE, TRAILING_SPACE), which go to the piece they touch; each
        piece learns its line."""
        flat: list[Any] = []
        for child in children:
            if isinstance(child, list):
                flat.extend(child)
            else:
                flat.append(child)
        out: list[Child] = []
        lead: tuple[Span, ...] = ()
        trail: tuple[Span, ...] = ()
        line = 0
        for child in flat:
            if isinstance(child, Piece):
                out.append(child._replace(line=line))
            elif child.type == "LEADING_SPACE":
                lead = (_span(child),)
            elif child.type == "TRAILING_SPACE":
                trail = (_span(child),)
            else:
                out.append(_span(child))
                line += "\n" in child
        for at, spaces in ((0, lead), (-1, trail)):
            piece = out[at]
            if spaces and isinstance(piece, Piece):
                out[at] = piece._replace(spaces=piece.spaces + spaces)
        return self.read(out)

    # ---- the answer in context ---------------------------------------------------------------
    def read(self, children: list[Child]) -> Reading:
        """Records and diagnostics from pieces and separators, alternating (from ``start`` or
        the `Scanner`)."""
        pieces: list[Piece] = children[0::2]  # type: ignore[assignment]
        seps: list[Span] = children[1::2]  # type: ignore[assignment]
        text, task, vocabulary, diags = self.text, self.task, self.vocabulary, self.diags
        expected, natural = self.expected, self.natural
        content = [i for i, piece in enumerate(pieces) if piece.rule != "empty"]
        lead = _lead_in(pieces, content, vocabulary)
        if lead is not None:
            piece = pieces[lead]
            diags.add(
                Code.EXTRA_TEXT,
                piece.start,
                piece.colons[-1][2],
                f"prefix {preview(text[piece.start : piece.colons[-1][2]])!r} before the answer",
                "removed",
            )
            content.remove(lead)
        pair_like: list[int] = []
        per_line: dict[int, int] = {}  # pair-like pieces on each line
        for i, piece in enumerate(pieces):
            if piece.colons and piece.parts[0][0] and i != lead:
                pair_like.append(i)
                per_line[piece.line] = per_line.get(piece.line, 0) + 1
        self.first_item = pair_like[0] if pair_like else len(pieces)
        self.last_item = pair_like[-1] if pair_like else -1
        last_content = content[-1] if content else -1

        punct = task.punctuation
        reading = Reading([])
        if pair_like:
            reading.lines_with_pairs = len(per_line)
            if len(per_line) >= 2:
                reading.shapes.add(Shape.PAIRS_ON_LINES)
            if max(per_line.values()) >= 2:
                reading.shapes.add(Shape.PAIRS_JOINED)
        if expected:
            self._separators(pieces, seps, content, reading.shapes)
            if (
                natural
                and Shape.PAIRS_ON_LINES not in reading.shapes
                and last_content >= 0
                and not _ends_in_cut(
                    pieces[last_content], vocabulary, last_content == len(pieces) - 1
                )
            ):
                follow = seps[last_content] if last_content < len(seps) else None
                if (follow is None or "\n" in follow[0]) and punct.terminator:
                    end_at = pieces[last_content].end
                    diags.add(
                        Code.PUNCTUATION,
                        end_at,
                        end_at,
                        f"missing terminator {punct.terminator!r}",
                        "none needed",
                    )

        # Only the last content piece can be where the output ends (cut off, at worst).
        follow = seps[last_content] if 0 <= last_content < len(seps) else None
        at_end = last_content if follow is None or "\n" in follow[0] else -1
        key_value = punct.key_value
        records = reading.records
        plains = self._plains
        new = tuple.__new__
        for i in content:
            piece = pieces[i]
            # An item as the renderer writes it (checked once per key and value by `_plain`):
            # its record at once, without the general path's steps, none of which would
            # report anything on it.
            if (
                piece.rule == "item"
                and not piece.spaces
                and (not expected or piece.colons[0][0] == key_value)
            ):
                (key, ks, ke), (value, vs, ve) = piece.parts
                plain = plains.get((key, value))
                if plain is None and ve - ks <= _PLAIN_SIZE:  # long texts are not kept
                    plain = plains[(key, value)] = self._plain(key, value)
                if plain:  # Record(Field(key, ks, ke), Field(value, vs, ve), ks, ve), made
                    # without the NamedTuples' Python-level __new__
                    records.append(
                        new(Record, (new(Field, (key, ks, ke)), new(Field, (value, vs, ve)),
                                     ks, ve, None))
                    )
                    continue
            if expected:
                for colon, start, end in piece.colons:
                    if colon != key_value:
                        diags.add(
                            Code.PUNCTUATION,
                            start,
                            end,
                            f"{colon!r} instead of {key_value!r}",
                            "read as the colon",
                        )
                for _, start, end in piece.spaces:
                    diags.add(Code.PUNCTUATION, start, end, "stray spaces", "ignored")
            subs = self._split(piece)
            if subs is None:
                self._read_piece(piece, i, i == at_end, records)
                continue
            last = len(subs) - 1
            for k, (sub, (joiner, start, end)) in enumerate(subs):
                if k:
                    diags.add(
                        Code.PROSE_PAIR,
                        start,
                        end,
                        f"pairs joined by {joiner!r} instead of {punct.pair_separator.strip()!r}",
                        "read as two pairs",
                    )
                self._read_piece(sub, i, i == at_end and k == last, records)
        return reading

    def _plain(self, key: str, value: str) -> bool:
        """Whether an ``item`` piece ``key<colon>value`` (no stray spaces, the canonical colon)
        is read as one record of its key and value with no diagnostic, wherever it stands:
        found by reading such a piece with `_split` and `_read_item` (at the end of the output
        and not), whose answers depend on the two texts alone."""
        colon = self.task.punctuation.key_value
        end = len(key) + len(colon) + len(value)
        parts = ((key, 0, len(key)), (value, end - len(value), end))
        piece = Piece("item", parts, ((colon, len(key), end - len(value)),))
        expected = record(key, 0, len(key), value, end - len(value), end, 0, end)
        probe = PairsReader(
            key + colon + value, "lines", self.task, self.vocabulary, Diagnostics(), False
        )
        if probe._split(piece) is not None:
            return False
        for at_end in (True, False):
            records: list[Record] = []
            if probe._read_item(piece, at_end, records) != expected or records or probe.diags:
                return False
        return True

    def _read_piece(self, piece: Piece, index: int, at_end: bool, records: list[Record]) -> None:
        """The records of one piece (or of a part of a piece cut at a joiner) by its rule."""
        if piece.rule == "no_colon":
            found = self._read_no_colon(piece, index, at_end)
        else:
            found = self._read_item(piece, at_end, records)
        if found is not None:
            records.append(found)

    # ---- pieces that hold several pairs -------------------------------------------------------
    def _split(self, piece: Piece) -> list[tuple[Piece, Span]] | None:
        """The piece cut where a joiner (和, and, ...) is followed by another pair, each part
        with the joiner before it (an empty span for the first); None when it holds one pair.
        The key of an item is cut only after a pair written as a sentence (``food is positive
        and price: negative``; ``食品评价和饮品评价：正面`` names two aspects)."""
        parts, colons = piece.parts, piece.colons
        if self._patterns is None or piece.rule == "empty":
            return None
        cuts: list[tuple[int, int, int]] = []
        last = len(parts) - 1
        for k in range(last + 1):
            field, fs, _ = parts[k]
            place = 0 if not colons else (3 if k == 0 else 1 if k < last else 2)
            cache = self._join_cache[place]
            found = cache.get(field)
            if found is None:
                found = cache[field] = self._joins(field, place)
            cuts.extend((k, fs + a, fs + b) for a, b in found)
        if not cuts:
            return None
        text = self.text
        out: list[tuple[Piece, Span]] = []
        joiner: Span = ("", piece.start, piece.start)
        taken: list[Span] = []
        taken_colons: list[Span] = []
        cut = 0
        for k, (field, fs, fe) in enumerate(parts):
            pos = fs
            while cut < len(cuts) and cuts[cut][0] == k:
                _, js, je = cuts[cut]
                cut += 1
                left = js
                while left > pos and text[left - 1].isspace():
                    left -= 1
                taken.append((text[pos:left], pos, left))
                out.append((_piece_of(taken, taken_colons, piece.line), joiner))
                joiner = (text[js:je], js, je)
                taken, taken_colons = [], []
                pos = je
                while pos < fe and text[pos].isspace():
                    pos += 1
            taken.append((text[pos:fe], pos, fe) if pos > fs else (field, fs, fe))
            if k < len(colons):
                taken_colons.append(colons[k])
        out.append((_piece_of(taken, taken_colons, piece.line), joiner))
        return out

    def _joins(self, field: str, place: int) -> tuple[tuple[int, int], ...]:
        """Where a field is cut: (start, end) of each joiner followed by another pair, with
        text before it. `place`: 0 the field is a whole piece with no colon, 1 a colon follows
        it (the pair after the joiner is ``<aspect>`` then that colon; not cut when the text
        before names an aspect and is no sentence: ``食品评价和饮品评价：`` is one key naming
        two), 2 it ends
        an item, 3 it is an item's key (cut only after a pair written as a sentence). The text
        before a cut is read as it is: a value naming no label gets the placeholder, never the
        label of the pair after the joiner."""
        patterns = self._patterns
        if patterns is None:
            return ()
        finder = patterns.join_colon if place in (1, 3) else patterns.join_copula
        found: list[tuple[int, int]] = []
        pos = 0
        for match in finder.finditer(field):
            start = match.start()
            before = field[pos:start].strip()
            if not before:
                continue
            if (
                place == 1
                and self.vocabulary.key_kind(before).names_slot
                and self._prose(before) is None
            ):
                continue
            if place == 3 and self._prose(before) is None:
                continue
            found.append(match.span())
            pos = match.end()
        return tuple(found)

    def _separators(
        self, pieces: list[Piece], seps: list[Span], content: list[int], shapes: set[Shape]
    ) -> None:
        """Each separator compared with the canonical one, given the nearest content pieces
        before and after it (found by walking `content` along with the separators)."""
        diags, natural = self.diags, self.natural
        punct = self.task.punctuation
        term_marks = _TERMINATOR_MARKS | set(punct.terminator.strip())
        newline_layout = natural and Shape.PAIRS_ON_LINES in shapes
        inline_layout = not natural and Shape.PAIRS_JOINED in shapes
        pair_separator = punct.pair_separator
        # The canonical separator between two pairs says nothing, unless it is itself a run.
        quiet = pair_separator if len("".join(pair_separator.split())) < 2 else None
        cut = 0  # content[:cut] are the content pieces before separator k
        for k, (sep, s, e) in enumerate(seps):
            while cut < len(content) and content[cut] <= k:
                cut += 1
            before = content[cut - 1] if cut else -1
            after = content[cut] if cut < len(content) else -1
            if "\n" in sep:
                breaks = sep.count("\n")
                if before < 0 or after < 0:
                    diags.add(
                        Code.PUNCTUATION, s, e, "line break or spaces around the answer", "ignored"
                    )
                elif breaks >= 2:
                    diags.add(
                        Code.EMPTY_ITEM,
                        s,
                        e,
                        f"{breaks - 1} blank line(s) between items",
                        "skipped",
                    )
                elif sep != "\n":
                    diags.add(Code.PUNCTUATION, s, e, "spaces around a line break", "ignored")
                continue
            line = pieces[k].line
            if (
                sep == quiet
                and natural
                and before >= 0
                and after >= 0
                and pieces[before].line == line == pieces[after].line
            ):
                continue
            marks = "".join(sep.split())  # without its spaces
            if before < 0 or pieces[before].line != line:
                diags.add(
                    Code.EMPTY_ITEM, s, e, f"separator {marks!r} with nothing before it", "skipped"
                )
            elif after < 0 or pieces[after].line != line:  # the separator ends a line
                if not natural or newline_layout:
                    if len(marks) >= 2 and not term_marks.issuperset(marks):
                        # a run of separators is an empty piece, as in Natural (and as the
                        # fold stage calls a long one: the verdict must not depend on length)
                        diags.add(
                            Code.EMPTY_ITEM, s, e, f"empty piece at a line's end ({marks!r})",
                            "skipped",
                        )
                    elif after < 0 or not natural:
                        diags.add(Code.PUNCTUATION, s, e, f"line ends with {marks!r}", "ignored")
                    continue
                if sep == punct.terminator:
                    continue
                if len(marks) >= 2 and not term_marks.issuperset(marks):
                    diags.add(
                        Code.EMPTY_ITEM, s, e, f"empty piece at the end ({marks!r})", "skipped"
                    )
                else:
                    diags.add(
                        Code.PUNCTUATION,
                        s,
                        e,
                        f"ends with {sep!r} instead of {punct.terminator!r}",
                        "read as the terminator",
                    )
            elif natural or inline_layout:
                if len(marks) >= 2 and not term_marks.issuperset(marks):
                    diags.add(
                        Code.EMPTY_ITEM,
                        s,
                        e,
                        f"empty piece between separators ({marks!r})",
                        "skipped",
                    )
                elif natural and sep != pair_separator:
                    diags.add(
                        Code.PUNCTUATION,
                        s,
                        e,
                        f"{sep!r} between pairs instead of {pair_separator!r}",
                        "read as the pair separator",
                    )

    def _read_item(self, piece: Piece, at_end: bool, records: list[Record]) -> Record | None:
        """An ``item`` or ``extra_colons`` piece: list markers and prefixes before the aspect,
        text after the label, a missing aspect, a label cut off at the end, a pair merged into
        the key of the next (whose record goes to `records` first)."""
        text, vocabulary, diags = self.text, self.vocabulary, self.diags
        parts = piece.parts
        key, ks, ke = parts[0]
        first = key[:1]
        bullet = _BULLET.match(key) if first in _BULLET_STARTS or first.isdecimal() else None
        if bullet and bullet.end() < len(key):
            diags.add(
                Code.EXTRA_TEXT,
                ks,
                ks + bullet.end(),
                f"list marker {bullet.group().strip()!r} before the aspect",
                "removed",
            )
            key, ks = key[bullet.end() :], ks + bullet.end()
            parts = ((key, ks, ke), *parts[1:])
        # At most once: the prefix goes only when the next field names a slot, which then
        # stands first.
        if (
            len(parts) >= 3
            and vocabulary.key_kind(parts[0][0]) is KeyKind.UNKNOWN
            and vocabulary.key_kind(parts[1][0]).names_slot
        ):
            diags.add(
                Code.EXTRA_TEXT,
                parts[0][1],
                parts[1][1],
                f"prefix {preview(text[parts[0][1] : parts[1][1]])!r} before the item",
                "removed",
            )
            parts = parts[1:]
        (key, ks, ke), (value, vs, ve) = parts[0], parts[1]
        if len(parts) > 2 and any(p[0] for p in parts[2:]):
            diags.add(
                Code.EXTRA_TEXT,
                ve,
                parts[-1][2],
                f"text after the label: {preview(text[ve : parts[-1][2]])!r}",
                "removed",
            )
        start, end = piece.start, piece.end
        if not key:
            diags.add(
                Code.MALFORMED_ITEM,
                start,
                end,
                f"no aspect before the colon in {preview(text[start:end])!r}",
                "dropped",
            )
            return None
        if (
            at_end
            and vocabulary.value_kind(value) is ValueKind.NONE
            and (not value or _is_prefix_of(value, vocabulary.value_spellings))
        ):
            diags.add(
                Code.TRUNCATED,
                start,
                len(text),
                f"the output ends inside the item {preview(text[start:end])!r}: "
                "its label is cut off",
                "aspect gets the placeholder",
            )
            return record(key, ks, ke, None, vs, ve, start, end)
        merges = self._merges
        merged = merges[key] if key in merges else merges.setdefault(key, self._merged(key))
        if merged is not None:
            first_end, label_start, label_end, second = merged
            cut = ks + label_end
            diags.add(
                Code.PUNCTUATION,
                cut,
                cut,
                f"missing separator before {key[second:]!r} (and colon before "
                f"{key[label_start:label_end]!r}): two pairs merged into one key",
                "split into two pairs",
                severity=Severity.WARNING,
            )
            records.append(
                record(
                    key[:first_end],
                    ks,
                    ks + first_end,
                    key[label_start:label_end],
                    ks + label_start,
                    cut,
                    start,
                    cut,
                )
            )
            return record(key[second:], ks + second, ke, value, vs, ve, ks + second, end)
        return record(key, ks, ke, value, vs, ve, start, end)

    def _merged(self, key: str) -> tuple[int, int, int, int] | None:
        """A key that is exactly an aspect spelling, a label and another aspect spelling
        (``食品评价正面饮品评价``: a pair whose colon and separator are both missing): the end
        of the first aspect, the label's start and end, the second aspect's start; None when
        the key is anything else, or splits in more than one way."""
        vocabulary, patterns = self.vocabulary, self._patterns
        head = patterns.head.match(key) if patterns is not None else None
        if head is None or vocabulary.key_kind(key) in (KeyKind.EXACT, KeyKind.TEMPLATE):
            return None
        first = head.end()
        folded = key.casefold()
        found: set[tuple[int, int, int, int]] = set()
        for second in self._anchors:
            at = len(folded) - len(second)
            if at <= first or not folded.endswith(second):
                continue
            middle = key[first:at]
            label = middle.strip()
            if label and vocabulary.value_kind(label) in _LABEL_KINDS:
                begin = first + len(middle) - len(middle.lstrip())
                found.add((first, begin, begin + len(label), at))
        return found.pop() if len(found) == 1 else None

    def _read_no_colon(self, piece: Piece, index: int, at_end: bool) -> Record | None:
        """A ``no_colon`` piece: template, pair missing its colon, cut-off key, prose or junk."""
        text, diags = self.text, self.diags
        word, start, end = piece.parts[0]
        seen = self._words.get(word)
        if seen is None:
            seen = self._words[word] = self._word(word)
        template, spelling, names_slot, key_prefix, numbering = seen
        if template:
            diags.add(
                Code.TEMPLATE_ECHO,
                start,
                end,
                f"{preview(word)!r} repeats the prompt's format template",
                "dropped",
            )
            return None
        proses = self._proses
        prose = proses[word] if word in proses else proses.setdefault(word, self._prose(word))
        if prose is not None:
            key_start, key_end, value_start = prose
            diags.add(
                Code.PROSE_PAIR,
                start + key_end,
                start + value_start,
                f"pair written as a sentence: {preview(word)!r}",
                "read as a pair",
            )
            return record(
                word[key_start:key_end],
                start + key_start,
                start + key_end,
                word[value_start:],
                start + value_start,
                end,
                start,
                end,
            )
        if spelling is not None:
            cut = start + len(spelling)
            diags.add(
                Code.PUNCTUATION,
                cut,
                cut,
                f"missing {self.task.punctuation.key_value!r} between aspect and label",
                "split at the aspect name",
                severity=Severity.WARNING,
            )
            return record(spelling, start, cut, word[len(spelling) :], cut, end, start, end)
        if at_end and (names_slot or key_prefix):
            diags.add(
                Code.TRUNCATED,
                start,
                len(text),
                f"the output ends inside an item: {preview(word)!r} has no label",
                "aspect gets the placeholder",
            )
            if names_slot:
                return record(word, start, end, None, end, end, start, end)
            return None
        if numbering:
            diags.add(Code.EXTRA_TEXT, start, end, f"list numbering {word!r}", "removed")
        elif index < self.first_item or index > self.last_item:
            diags.add(
                Code.EXTRA_TEXT,
                start,
                end,
                f"text outside the answer: {preview(word)!r}",
                "removed",
            )
        else:
            diags.add(
                Code.MALFORMED_ITEM,
                start,
                end,
                f"{preview(word)!r} has no aspect/label split",
                "dropped",
            )
        return None

    def _prose(self, word: str) -> tuple[int, int, int] | None:
        """A piece without a colon written as a sentence, ``[the] <aspect><copula><label>``
        (食品评价为正面, the food is positive): the start and end of the aspect and the start
        of the value; None unless the value names a label (the schema reads it as written)."""
        patterns = self._patterns
        match = patterns.pair.match(word) if patterns is not None else None
        if match is None or match.end() >= len(word):
            return None
        if self.vocabulary.value_kind(word[match.end() :]) is ValueKind.NONE:
            return None
        return match.start(1), match.end(1), match.end()

    def _word(self, word: str) -> tuple[bool, str | None, bool, bool, bool]:
        """What the vocabulary says of a piece without a colon: (a template echo, the aspect
        spelling it starts with when a label follows, names a slot, begins a slot's spelling,
        list numbering). Asked once per distinct word: runs of one word stay cheap."""
        vocabulary = self.vocabulary
        template = vocabulary.is_template(word)
        spelling = None
        if not template:
            for candidate in _longest_first(vocabulary.key_spellings):
                if word.startswith(candidate) and len(word) > len(candidate):
                    kind = vocabulary.value_kind(word[len(candidate) :])
                    if kind in (ValueKind.CANONICAL, ValueKind.OTHER_KIND, ValueKind.SYNONYM):
                        spelling = candidate
                        break
        names_slot = vocabulary.key_kind(word).names_slot
        key_prefix = _is_prefix_of(word, vocabulary.key_spellings)
        return template, spelling, names_slot, key_prefix, bool(_NUMBERING.match(word))


#: What a text must spell to be read as the label of a pair missing its marks.
_LABEL_KINDS = (ValueKind.CANONICAL, ValueKind.OTHER_KIND, ValueKind.SYNONYM)


def _piece_of(parts: list[Span], colons: list[Span], line: int) -> Piece:
    """A piece from a part of another one cut at a joiner, its rule by its colons."""
    rule = "no_colon" if not colons else ("item" if len(colons) == 1 else "extra_colons")
    return Piece(rule, tuple(parts), tuple(colons), line)


@lru_cache(maxsize=64)
def _longest_first(spellings: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(spellings, key=len, reverse=True))


# ---- pairs written as prose, pairs joined by words -------------------------------------------

#: Copulas between an aspect and its label in a pair written as a sentence: English verbs
#: (after a space, before one), signs and Chinese words (spaces around them optional).
_WORD_COPULAS = ("is", "are", "was", "were", "looks", "seems")
_MARK_COPULAS = ("->", "→", "=", "表现为", "评价为", "方面是", "属于", "算是", "为", "是")
#: Words and marks that join two pairs in one piece (the stock separators split pieces
#: already): Chinese words, ``&``, `` / `` between spaces, and the English words.
_MARK_JOINERS = ("以及", "并且", "还有", "和", "及", "与", "跟", "&")
_WORD_JOINERS = ("and", "plus")


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


class ProsePatterns:
    """The regexes of prose pairs for one task's aspect spellings (longest first): `pair`
    matches ``[the] <aspect><copula>`` at the start of a piece; `join_colon` finds a joiner
    followed by ``<aspect>`` at the end of a field (a colon follows it), `join_copula` one
    followed by ``<aspect><copula>``. Every regex is anchored on literal alternations, with no
    nested repetition: each position is tried once against a bounded set of words. `head`
    matches an aspect spelling at the start of a key."""

    def __init__(self, aspects: tuple[str, ...]) -> None:
        names = _alternation(aspects)
        words, marks = _alternation(_WORD_COPULAS), _alternation(_MARK_COPULAS)
        copula = rf"(?:\s+(?:{words})(?=\s)|\s*(?:{marks}))"
        joiner = (
            rf"(?:{_alternation(_MARK_JOINERS)}|(?<=\s)/(?=\s)"
            rf"|\b(?:{_alternation(_WORD_JOINERS)})\b)"
        )
        then = rf"\s*(?:the\s+)?(?:{names})"
        self.head = re.compile(f"(?:{names})", re.IGNORECASE)
        self.pair = re.compile(rf"(?:the\s+)?({names}){copula}\s*", re.IGNORECASE)
        self.join_colon = re.compile(rf"{joiner}(?={then}(?:{copula}|\Z))", re.IGNORECASE)
        self.join_copula = re.compile(rf"{joiner}(?={then}{copula})", re.IGNORECASE)


@lru_cache(maxsize=64)
def prose_patterns(aspects: tuple[str, ...]) -> ProsePatterns | None:
    """The prose patterns of a task's aspect spellings, built once; None without spellings."""
    aspects = tuple(a for a in aspects if a.strip())
    return ProsePatterns(aspects) if aspects else None


def _lead_in(pieces: list[Piece], content: list[int], vocabulary: Vocabulary) -> int | None:
    """A first piece such as ``输出：`` alone (a label for the answer, not an aspect), when
    real items follow; None otherwise."""
    if len(content) < 2:
        return None
    piece = pieces[content[0]]
    key = piece.parts[0][0]
    if (
        len(piece.colons) == 1
        and key
        and not piece.parts[-1][0]
        and vocabulary.key_kind(key) is KeyKind.UNKNOWN
        and any(pieces[i].colons for i in content[1:])
    ):
        return content[0]
    return None


def _ends_in_cut(piece: Piece, vocabulary: Vocabulary, is_last: bool) -> bool:
    """Whether the last piece is an item cut off before its label (reported as truncated)."""
    if not is_last:
        return False
    value = piece.parts[-1][0] if piece.colons else ""
    return vocabulary.value_kind(value) is ValueKind.NONE


#: From this length on the cycle collector is paused while the reader runs (see `_no_gc`).
_PAUSE_GC_FROM = 50_000


@contextmanager
def _no_gc(size: int) -> Iterator[None]:
    """Pause Python's cycle collector while a long text is read. The reader makes no reference
    cycles, and on a long output the collector's repeated passes over the growing lists of
    pieces, records and diagnostics cost a quarter of the read, more the longer the text. It
    is resumed only if it was running (a caller's own ``gc.disable()`` stays in force); being
    process-wide, the pause also defers other threads' collections until the read ends."""
    if size < _PAUSE_GC_FROM or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def read_pairs(
    text: str,
    fmt: str,
    task: Task,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    expected: bool = True,
    engine: str = "scanner",
) -> Reading:
    """Records of a Natural (`fmt` "natural") or Lines answer, read by the `Scanner` or, with
    `engine` "lark", by lark's parse of the tolerant grammar (the same result, slower)."""
    marks = Marks.of(task)
    reader = PairsReader(text, fmt, task, vocabulary, diags, expected)
    try:
        if len(text) < _PAUSE_GC_FROM:  # `_no_gc` would do nothing: spare its set-up
            return _read_with(reader, text, fmt, marks, engine)
        with _no_gc(len(text)):
            return _read_with(reader, text, fmt, marks, engine)
    finally:
        _memo_for(vocabulary).trim()


def _read_with(reader: PairsReader, text: str, fmt: str, marks: Marks, engine: str) -> Reading:
    """`read_pairs`' reading by the scanner or lark's parse."""
    scan = scanner(fmt, marks) if engine == "scanner" else None
    children = scan.children(text) if scan is not None else None
    if children is None:
        return reader.transform(pairs_parser(fmt, marks).parse(text))
    return reader.read(children)
