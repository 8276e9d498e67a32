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

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer
from lark.lexer import PatternRE, TerminalDef

from ..diagnostics import Code, Severity
from ..grammar import GRAMMAR_OF_FORMAT, build_parser
from ..records import Diagnostics, Record, preview, record
from ..task import Task
from .base import KeyKind, Reading, Shape, ValueKind, Vocabulary

_BULLET = re.compile(r"^(?:[-*•·]+|\(?\d{1,3}\)|#+)\s*")
_NUMBERING = re.compile(r"^(?:\(?\d{1,3}\)?|[-*•·]+|#+)$")
_TERMINATOR_MARKS = frozenset("。．.")

#: (text, start, end) of a token or of a field between colons.
Span = tuple[str, int, int]


@dataclass(slots=True)
class Piece:
    """What stands between two separators, named by the grammar rule it matched (``item``,
    ``extra_colons``, ``no_colon`` or ``empty``): its fields around the colons (one more than
    the colons; none when empty), the colons, the stray spaces at the ends of the output that
    touch it, and the index of its line."""

    rule: str
    parts: list[Span]
    colons: list[Span]
    spaces: list[Span] = field(default_factory=list)
    line: int = 0

    @property
    def start(self) -> int:
        return self.parts[0][1]

    @property
    def end(self) -> int:
        return self.parts[-1][2]


#: What ``start`` reads: pieces, with the separator and stray-space spans between them.
Child = Piece | Span


# ---- specialising the grammar to a task's marks ----------------------------------------------

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
        punct = task.punctuation
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
            return cls(_STOCK_COLONS, (colon,), separators)
        extra = "".join(ch for ch in colon if ch not in _STOCK_COLONS)
        return cls(_STOCK_COLONS + extra, (), separators)

    def patterns(self) -> dict[str, str]:
        """The regexps of the terminals that depend on the marks (TEXT, COLON, SEPARATOR);
        for the stock marks, exactly those written in ``grammars/pairs.lark``."""
        colons, seps = _char_class(self.colons), _char_class(self.separators)
        # A raw newline, as lark makes of the grammar's \n: the stock patterns compare equal.
        space = "[^\\S\n]"
        colon = f"[{colons}]"
        edge = f"[^\\s{colons}{seps}]"
        inner = f"[^\n{colons}{seps}]"
        if self.colon_words:
            words = "|".join(re.escape(word) for word in self.colon_words)
            colon = f"(?:{colon}|{words})"
            edge = f"(?!{words}){edge}"
            inner = f"(?:(?!{words}){inner})"
        return {
            "TEXT": f"{edge}(?:{inner}*{edge})?",
            "COLON": f"{space}*{colon}(?:{space}*{colon})*{space}*",
            "SEPARATOR": f"{space}*[{seps}](?:{space}*[{seps}])*{space}*",
        }


@lru_cache(maxsize=32)
def pairs_parser(fmt: str, marks: Marks = Marks()) -> Lark:
    """The tolerant LALR parser of a layout ("natural" or "lines"), its colon and separator
    terminals rebuilt for `marks`; built once per (layout, marks), conflicts being errors."""
    patterns = marks.patterns() if marks != Marks() else {}

    def edit(terminal: TerminalDef) -> None:
        if terminal.name in patterns:
            terminal.pattern = PatternRE(patterns[terminal.name])

    return build_parser(GRAMMAR_OF_FORMAT[fmt], edit_terminals=edit, strict=True)


# ---- the scanner: the same pieces, one regex match each ----------------------------------------


class Scanner:
    """Reads a text into the children lark's parse gives ``start`` (pieces, separators, stray
    spaces), by one match per piece of a regex joined from the grammar's terminals.

    The lexer's tokens are decided by character classes alone, so a piece is the regular
    expression ``key? (COLON value? (COLON TEXT?)*)? TRAILING_SPACE? (SEPARATOR | NEWLINE)?``
    over them; matching it in C replaces lark's token-by-token shift and reduce."""

    def __init__(self, parser: Lark) -> None:
        pattern = {t.name: t.pattern.to_regexp() for t in parser.terminals}
        text, colon = pattern["TEXT"], pattern["COLON"]
        # Spaces at the start are stray only where no colon, separator or newline (tried first
        # by the lexer, being of higher priority) absorbs them.
        self._lead = re.compile(
            f"(?:{colon}|{pattern['SEPARATOR']}|{pattern['NEWLINE']})|({pattern['LEADING_SPACE']})"
        )
        self._piece = re.compile(
            f"({text})?(?:({colon})({text})?((?:{colon}(?:{text})?)+)?)?"
            f"({pattern['TRAILING_SPACE']})?({pattern['SEPARATOR']}|{pattern['NEWLINE']})?"
        )
        self._extra = re.compile(f"({colon})({text})?")

    def children(self, text: str) -> list[Child]:
        """The flat children of ``start`` (Lines' ``line`` nodes flattened)."""
        out: list[Child] = []
        pos = 0
        lead = self._lead.match(text)
        if lead is not None and lead.group(1) is not None:
            pos = lead.end()
            out.append((lead.group(), 0, pos))
        extra = self._extra
        for match in self._piece.finditer(text, pos):
            key, colon, value, extras, trail, sep = match.groups()
            if colon is None:
                if key is None:
                    out.append(Piece("empty", [], []))
                else:
                    out.append(Piece("no_colon", [(key, *match.span(1))], []))
            else:
                c_start, c_end = match.span(2)
                parts: list[Span] = [
                    ("", c_start, c_start) if key is None else (key, *match.span(1)),
                    ("", c_end, c_end) if value is None else (value, *match.span(3)),
                ]
                colons: list[Span] = [(colon, c_start, c_end)]
                if extras is None:
                    out.append(Piece("item", parts, colons))
                else:
                    for more in extra.finditer(text, *match.span(4)):
                        more_colon, more_text = more.groups()
                        s, e = more.span(1)
                        colons.append((more_colon, s, e))
                        parts.append(
                            ("", e, e) if more_text is None else (more_text, *more.span(2))
                        )
                    out.append(Piece("extra_colons", parts, colons))
            if trail is not None:
                out.append((trail, *match.span(5)))
            if sep is None:
                break
            out.append((sep, *match.span(6)))
        return out


@lru_cache(maxsize=32)
def scanner(fmt: str, marks: Marks = Marks()) -> Scanner:
    """The scanner of a layout's tolerant grammar for `marks`, built once."""
    return Scanner(pairs_parser(fmt, marks))


# ---- the reader ------------------------------------------------------------------------------


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
        parts = [
            ("", colon[1], colon[1]) if key is None else key,
            ("", colon[2], colon[2]) if value is None else value,
        ]
        return Piece("item", parts, [colon])

    def extra_colons(self, children: list[Any]) -> Piece:
        """An item followed by more colons: a prefix before it or text after its label."""
        piece = self.item(children[:3])
        piece.rule = "extra_colons"
        for colon, text in children[3:]:
            piece.colons.append(colon)
            piece.parts.append(text)
        return piece

    def no_colon(self, children: list[Token]) -> Piece:
        """A piece without a colon."""
        return Piece("no_colon", [_span(children[0])], [])

    def empty(self, children: list[Any]) -> Piece:
        """Nothing between two separators."""
        return Piece("empty", [], [])

    def line(self, children: list[Any]) -> list[Child]:
        """One line of the Lines layout: its pieces and the separators inside it."""
        return [child if isinstance(child, Piece) else _span(child) for child in children]

    def start(self, children: list[Any]) -> Reading:
        """The whole answer: pieces and separators alternating, stray spaces at the ends."""
        flat: list[Child] = []
        for child in children:
            if isinstance(child, list):
                flat.extend(child)
            else:
                flat.append(child if isinstance(child, Piece) else _span(child))
        return self.read(flat)

    # ---- the answer in context ---------------------------------------------------------------
    def read(self, children: list[Child]) -> Reading:
        """Records and diagnostics from the flat children of ``start`` (from lark or the
        `Scanner`): a span before the first piece is the leading stray space, one after the last
        the trailing one (a separator is always followed by a piece), any other a separator."""
        pieces: list[Piece] = []
        seps: list[Span] = []
        lead: Span | None = None
        line = 0
        last = len(children) - 1
        for index, child in enumerate(children):
            if isinstance(child, Piece):
                child.line = line
                pieces.append(child)
            elif not pieces:
                lead = child
            elif index == last:
                pieces[-1].spaces.append(child)
            else:
                seps.append(child)
                if "\n" in child[0]:
                    line += 1
        if lead is not None:
            pieces[0].spaces.insert(0, lead)
        return self._read(pieces, seps)

    def _read(self, pieces: list[Piece], seps: list[Span]) -> Reading:
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
        pair_like = [
            i for i, piece in enumerate(pieces) if piece.colons and piece.parts[0][0] and i != lead
        ]
        self.first_item = pair_like[0] if pair_like else len(pieces)
        self.last_item = pair_like[-1] if pair_like else -1
        last_content = content[-1] if content else -1

        punct = task.punctuation
        reading = Reading([])
        if pair_like:
            per_line: dict[int, int] = {}
            for i in pair_like:
                per_line[pieces[i].line] = per_line.get(pieces[i].line, 0) + 1
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

        records = reading.records
        for i in content:
            piece = pieces[i]
            follow = seps[i] if i < len(seps) else None
            at_end = i == last_content and (follow is None or "\n" in follow[0])
            if expected:
                for colon, start, end in piece.colons:
                    if colon != punct.key_value:
                        diags.add(
                            Code.PUNCTUATION,
                            start,
                            end,
                            f"{colon!r} instead of {punct.key_value!r}",
                            "read as the colon",
                        )
                for _, start, end in piece.spaces:
                    diags.add(Code.PUNCTUATION, start, end, "stray spaces", "ignored")
            if piece.rule == "no_colon":
                found = self._read_no_colon(piece, i, at_end)
            else:
                found = self._read_item(piece, at_end)
            if found is not None:
                records.append(found)
        return reading

    def _separators(
        self, pieces: list[Piece], seps: list[Span], content: list[int], shapes: set[Shape]
    ) -> None:
        """Each separator compared with the canonical one, given the pieces around it."""
        diags, natural = self.diags, self.natural
        punct = self.task.punctuation
        term_marks = _TERMINATOR_MARKS | set(punct.terminator.strip())
        newline_layout = natural and Shape.PAIRS_ON_LINES in shapes
        inline_layout = not natural and Shape.PAIRS_JOINED in shapes
        for k, (sep, s, e) in enumerate(seps):
            cut = bisect_right(content, k)
            before, after = content[max(cut - 1, 0) : cut], content[cut : cut + 1]
            if "\n" in sep:
                breaks = sep.count("\n")
                if not before or not after:
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
            marks = "".join(ch for ch in sep if not ch.isspace())
            next_line_start = after and pieces[after[0]].line != pieces[k].line
            line_tail = not after or next_line_start
            if not before or (before and pieces[before[-1]].line != pieces[k].line):
                diags.add(
                    Code.EMPTY_ITEM, s, e, f"separator {marks!r} with nothing before it", "skipped"
                )
            elif line_tail:
                if not natural or newline_layout:
                    if not after or not natural:
                        diags.add(Code.PUNCTUATION, s, e, f"line ends with {marks!r}", "ignored")
                    continue
                if sep == punct.terminator:
                    continue
                if len(marks) >= 2 and any(ch not in term_marks for ch in marks):
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
            else:
                if not natural and not inline_layout:
                    continue
                pair_marks = [ch for ch in marks if ch not in term_marks]
                if len(marks) >= 2 and pair_marks:
                    diags.add(
                        Code.EMPTY_ITEM,
                        s,
                        e,
                        f"empty piece between separators ({marks!r})",
                        "skipped",
                    )
                elif natural and sep != punct.pair_separator:
                    diags.add(
                        Code.PUNCTUATION,
                        s,
                        e,
                        f"{sep!r} between pairs instead of {punct.pair_separator!r}",
                        "read as the pair separator",
                    )

    def _read_item(self, piece: Piece, at_end: bool) -> Record | None:
        """An ``item`` or ``extra_colons`` piece: list markers and prefixes before the aspect,
        text after the label, a missing aspect, a label cut off at the end."""
        text, vocabulary, diags = self.text, self.vocabulary, self.diags
        parts = piece.parts
        key, ks, ke = parts[0]
        bullet = _BULLET.match(key)
        if bullet and bullet.end() < len(key):
            diags.add(
                Code.EXTRA_TEXT,
                ks,
                ks + bullet.end(),
                f"list marker {bullet.group().strip()!r} before the aspect",
                "removed",
            )
            key, ks = key[bullet.end() :], ks + bullet.end()
            parts = [(key, ks, ke), *parts[1:]]
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
        return record(key, ks, ke, value, vs, ve, start, end)

    def _read_no_colon(self, piece: Piece, index: int, at_end: bool) -> Record | None:
        """A ``no_colon`` piece: template, pair missing its colon, cut-off key, prose or junk."""
        text, vocabulary, diags = self.text, self.vocabulary, self.diags
        word, start, end = piece.parts[0]
        if vocabulary.is_template(word):
            diags.add(
                Code.TEMPLATE_ECHO,
                start,
                end,
                f"{preview(word)!r} repeats the prompt's format template",
                "dropped",
            )
            return None
        key_spellings = vocabulary.key_spellings
        for spelling in _longest_first(key_spellings):
            if word.startswith(spelling) and len(word) > len(spelling):
                rest = word[len(spelling) :]
                kind = vocabulary.value_kind(rest)
                if kind in (ValueKind.CANONICAL, ValueKind.OTHER_KIND, ValueKind.SYNONYM):
                    cut = start + len(spelling)
                    diags.add(
                        Code.PUNCTUATION,
                        cut,
                        cut,
                        f"missing {self.task.punctuation.key_value!r} between aspect and label",
                        "split at the aspect name",
                        severity=Severity.WARNING,
                    )
                    return record(spelling, start, cut, rest, cut, end, start, end)
        names_slot = vocabulary.key_kind(word).names_slot
        if at_end and (names_slot or _is_prefix_of(word, key_spellings)):
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
        if _NUMBERING.match(word):
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


@lru_cache(maxsize=64)
def _longest_first(spellings: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(spellings, key=len, reverse=True))


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
    if engine == "lark":
        return reader.transform(pairs_parser(fmt, marks).parse(text))
    return reader.read(scanner(fmt, marks).children(text))
