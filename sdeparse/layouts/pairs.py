"""Reader of the key-value layouts (Natural, Lines): grammar parse, then token-by-token
comparison with the task's canonical punctuation, yielding records and syntax diagnostics."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from lark import Lark, Tree

from ..diagnostics import Code, Severity
from ..grammar import GRAMMAR_OF_FORMAT, RegexLexer, Tok, grammar_text, parser_for
from ..records import Diagnostics, Record, preview, record
from ..task import Task
from .base import KeyKind, Reading, Shape, ValueKind, Vocabulary

_BULLET = re.compile(r"^(?:[-*•·]+|\(?\d{1,3}\)|#+)\s*")
_NUMBERING = re.compile(r"^(?:\(?\d{1,3}\)?|[-*•·]+|#+)$")
_TERMINATOR_MARKS = frozenset("。．.")


@dataclass(slots=True)
class _Segment:
    """A stretch between separators: its texts split at colons, with positions."""

    parts: list[tuple[str, int, int]] = field(default_factory=list)
    colons: list[Tok] = field(default_factory=list)
    spaces: list[Tok] = field(default_factory=list)
    line: int = 0

    @property
    def empty(self) -> bool:
        return not self.colons and not any(text for text, _, _ in self.parts)

    @property
    def start(self) -> int:
        return self.parts[0][1]

    @property
    def end(self) -> int:
        return self.parts[-1][2]


def _flatten(tree: Tree) -> list:
    """Segments (token lists) and separator tokens, alternating, whatever the grammar nesting."""
    out: list = []
    for child in tree.children:
        if isinstance(child, Tree):
            if child.data == "segment":
                out.append(child.children)
            else:
                out.extend(_flatten(child))
        else:
            out.append(child)
    return out


@lru_cache(maxsize=32)
def _colon_run(colon: str) -> re.Pattern:
    """Where the colon sits inside a PAIR token (the task's own colon included)."""
    chars = "".join("\\" + ch if ch in "\\]^-[" else ch for ch in _COLONS + colon)
    return re.compile(rf"[^\S\n]*[{chars}](?:[^\S\n]*[{chars}])*[^\S\n]*")


def _split_pairs(tokens: list[Tok], colon_run: re.Pattern) -> list[Tok]:
    """PAIR tokens back into TEXT, COLON, TEXT, positions kept."""
    out: list[Tok] = []
    for tok in tokens:
        if tok.type != "PAIR":
            out.append(tok)
            continue
        value, start = tok.value, tok.start_pos
        found = colon_run.search(value)
        if found is None:  # cannot happen: a PAIR token holds a colon by its definition
            out.append(tok)
            continue
        a, b = found.span()
        out.append(Tok("TEXT", value[:a], start, tok.line, None, None, None, start + a))
        out.append(Tok("COLON", value[a:b], start + a, tok.line, None, None, None, start + b))
        out.append(Tok("TEXT", value[b:], start + b, tok.line, None, None, None, tok.end_pos))
    return out


def _segment(tokens: list[Tok], at: int, line: int) -> _Segment:
    seg = _Segment(line=line)
    text, start, end = "", at, at
    for tok in tokens:
        kind = tok.type
        if kind == "TEXT":
            text, start, end = tok.value, tok.start_pos, tok.end_pos
        elif kind == "COLON":
            seg.parts.append((text, start, end if text else tok.start_pos))
            seg.colons.append(tok)
            text, start, end = "", tok.end_pos, tok.end_pos
        else:
            seg.spaces.append(tok)
            if not text:
                start = end = tok.end_pos
    seg.parts.append((text, start, end))
    return seg


def _ends_in_cut(seg: _Segment, vocabulary: Vocabulary, is_last: bool) -> bool:
    """Whether the last piece is an item cut off before its label (reported as truncated)."""
    if not is_last:
        return False
    value = seg.parts[-1][0] if seg.colons else ""
    return vocabulary.value_kind(value) is ValueKind.NONE


_COLONS = "：:"
_SEPARATORS = "，,；;、。．."


#: Stands in for a colon of several characters (-> or =>) while the grammar reads the text;
#: one stand-in per character, so every position stays where it was.
_COLON_STAND_IN = "\ue000"


def _extra_marks(task: Task) -> tuple[str, str]:
    """The task's own colon and separators the stock grammar lacks (=, | or a stand-in)."""
    punct = task.punctuation
    if len(punct.key_value.strip()) > 1:
        return _COLON_STAND_IN, _extra_separators(task)
    colon = "".join(ch for ch in punct.key_value.strip() if ch not in _COLONS)
    return colon, _extra_separators(task)


def _extra_separators(task: Task) -> str:
    punct = task.punctuation
    return "".join(
        dict.fromkeys(
            ch
            for mark in (punct.pair_separator, punct.terminator)
            for ch in mark.strip()
            if ch not in _SEPARATORS
        )
    )


def _with_stand_ins(tokens: list[Tok], text: str) -> list[Tok]:
    """Tokens that held a stand-in colon, given back their own text."""
    return [
        Tok(t.type, text[t.start_pos : t.end_pos], t.start_pos, t.line, None, None, None, t.end_pos)
        if _COLON_STAND_IN in t
        else t
        for t in tokens
    ]


@lru_cache(maxsize=32)
def _parser(fmt: str, colon: str, seps: str) -> Lark:
    """The stock parser, or one whose colon and separator classes also hold the task's marks."""
    if not colon and not seps:
        return parser_for(GRAMMAR_OF_FORMAT[fmt])

    def cls(chars: str) -> str:
        return "".join("\\" + ch if ch in "\\]^-/[" else ch for ch in chars)

    main = re.sub(r"^%import.*$", "", grammar_text(GRAMMAR_OF_FORMAT[fmt]), flags=re.M)
    terms = grammar_text("pairs_terminals.lark")
    terms = terms.replace(_COLONS, _COLONS + cls(colon)).replace(
        _SEPARATORS, _SEPARATORS + cls(seps)
    )
    return Lark(
        main + "\n" + terms,
        parser="lalr",
        lexer=RegexLexer,
        propagate_positions=False,
        maybe_placeholders=False,
    )


def _is_prefix_of(word: str, candidates) -> bool:
    return bool(word) and any(c != word and c.startswith(word) for c in candidates)


def read_pairs(
    text: str,
    fmt: str,
    task: Task,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    expected: bool = True,
) -> Reading:
    """Records of a Natural (`fmt` "natural") or Lines answer. With `expected` False (the design
    was trained on another layout) punctuation is not compared with a canonical spelling."""
    colon, seps_extra = _extra_marks(task)
    long_colon = task.punctuation.key_value.strip() if colon == _COLON_STAND_IN else ""
    read = text.replace(long_colon, _COLON_STAND_IN * len(long_colon)) if long_colon else text
    tree = _parser(fmt, colon, seps_extra).parse(read)
    colon_run = _colon_run(colon)
    flat = _flatten(tree)
    raw_segments, seps = flat[0::2], flat[1::2]
    segments: list[_Segment] = []
    line, at = 0, 0
    for index, tokens in enumerate(raw_segments):
        pieces = _split_pairs(tokens, colon_run)
        if long_colon:
            pieces = _with_stand_ins(pieces, text)
        segments.append(_segment(pieces, at, line))
        if index < len(seps):
            sep = seps[index]
            at = sep.end_pos
            if sep.type == "NEWLINE":
                line += 1
    content = [i for i, seg in enumerate(segments) if not seg.empty]
    lead = _lead_in(segments, content, vocabulary)
    if lead is not None:
        seg = segments[lead]
        diags.add(
            Code.EXTRA_TEXT,
            seg.start,
            seg.colons[-1].end_pos,
            f"prefix {preview(text[seg.start : seg.colons[-1].end_pos])!r} before the answer",
            "removed",
        )
        content.remove(lead)
    pair_like = [
        i for i, seg in enumerate(segments) if seg.colons and seg.parts[0][0] and i != lead
    ]
    first_item = pair_like[0] if pair_like else len(segments)
    last_item = pair_like[-1] if pair_like else -1
    last_content = content[-1] if content else -1

    natural = fmt == "natural"
    punct = task.punctuation
    term_marks = _TERMINATOR_MARKS | set(punct.terminator.strip())
    reading = Reading([])
    if pair_like:
        per_line: dict[int, int] = {}
        for i in pair_like:
            per_line[segments[i].line] = per_line.get(segments[i].line, 0) + 1
        reading.lines_with_pairs = len(per_line)
        if len(per_line) >= 2:
            reading.shapes.add(Shape.PAIRS_ON_LINES)
        if max(per_line.values()) >= 2:
            reading.shapes.add(Shape.PAIRS_JOINED)
    newline_layout = expected and natural and Shape.PAIRS_ON_LINES in reading.shapes
    inline_layout = expected and not natural and Shape.PAIRS_JOINED in reading.shapes

    # ---- separators ---------------------------------------------------------------------
    if expected:
        for k, sep in enumerate(seps):
            cut = bisect_right(content, k)
            before, after = content[max(cut - 1, 0) : cut], content[cut : cut + 1]
            s, e = sep.start_pos, sep.end_pos
            if sep.type == "NEWLINE":
                breaks = sep.value.count("\n")
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
                elif sep.value != "\n":
                    diags.add(Code.PUNCTUATION, s, e, "spaces around a line break", "ignored")
                continue
            marks = "".join(ch for ch in sep.value if not ch.isspace())
            next_line_start = after and segments[after[0]].line != segments[k].line
            line_tail = not after or next_line_start
            if not before or (before and segments[before[-1]].line != segments[k].line):
                diags.add(
                    Code.EMPTY_ITEM, s, e, f"separator {marks!r} with nothing before it", "skipped"
                )
            elif line_tail:
                if not natural or newline_layout:
                    if not after or not natural:
                        diags.add(Code.PUNCTUATION, s, e, f"line ends with {marks!r}", "ignored")
                    continue
                if sep.value == punct.terminator:
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
                        f"ends with {sep.value!r} instead of {punct.terminator!r}",
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
                elif natural and sep.value != punct.pair_separator:
                    diags.add(
                        Code.PUNCTUATION,
                        s,
                        e,
                        f"{sep.value!r} between pairs instead of {punct.pair_separator!r}",
                        "read as the pair separator",
                    )
        if (
            natural
            and not newline_layout
            and last_content >= 0
            and not _ends_in_cut(
                segments[last_content], vocabulary, last_content == len(segments) - 1
            )
        ):
            follow = seps[last_content] if last_content < len(seps) else None
            if (follow is None or follow.type == "NEWLINE") and punct.terminator:
                end_at = segments[last_content].end
                diags.add(
                    Code.PUNCTUATION,
                    end_at,
                    end_at,
                    f"missing terminator {punct.terminator!r}",
                    "none needed",
                )

    # ---- segments -----------------------------------------------------------------------
    items = reading.records
    for i in content:
        seg = segments[i]
        follow = seps[i] if i < len(seps) else None
        at_end = i == last_content and (follow is None or follow.type == "NEWLINE")
        if expected:
            for colon in seg.colons:
                if colon.value != punct.key_value:
                    diags.add(
                        Code.PUNCTUATION,
                        colon.start_pos,
                        colon.end_pos,
                        f"{colon.value!r} instead of {punct.key_value!r}",
                        "read as the colon",
                    )
            for space in seg.spaces:
                diags.add(
                    Code.PUNCTUATION, space.start_pos, space.end_pos, "stray spaces", "ignored"
                )
        if not seg.colons:
            items_or_none = _text_only(
                text, seg, i, task, vocabulary, diags, at_end, first_item, last_item
            )
            if items_or_none is not None:
                items.append(items_or_none)
            continue
        parts = list(seg.parts)
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
            parts[0] = (key, ks, ke)
        while (
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
        if not key:
            diags.add(
                Code.MALFORMED_ITEM,
                seg.start,
                seg.end,
                f"no aspect before the colon in {preview(text[seg.start : seg.end])!r}",
                "dropped",
            )
            continue
        if (
            at_end
            and vocabulary.value_kind(value) is ValueKind.NONE
            and (not value or _is_prefix_of(value, vocabulary.value_spellings))
        ):
            diags.add(
                Code.TRUNCATED,
                seg.start,
                len(text),
                f"the output ends inside the item {preview(text[seg.start : seg.end])!r}: "
                "its label is cut off",
                "aspect gets the placeholder",
            )
            items.append(record(key, ks, ke, None, vs, ve, seg.start, seg.end))
            continue
        items.append(record(key, ks, ke, value, vs, ve, seg.start, seg.end))
    return reading


def _lead_in(segments: list[_Segment], content: list[int], vocabulary: Vocabulary) -> int | None:
    """A first piece such as ``输出：`` alone (a label for the answer, not an aspect), when
    real items follow; None otherwise."""
    if len(content) < 2:
        return None
    seg = segments[content[0]]
    key = seg.parts[0][0]
    if (
        len(seg.colons) == 1
        and key
        and not seg.parts[-1][0]
        and vocabulary.key_kind(key) is KeyKind.UNKNOWN
        and any(segments[i].colons for i in content[1:])
    ):
        return content[0]
    return None


def _text_only(
    text: str,
    seg: _Segment,
    index: int,
    task: Task,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    at_end: bool,
    first_item: int,
    last_item: int,
) -> Record | None:
    """A piece without a colon: template, cut-off key, pair missing its colon, prose or junk."""
    piece, start, end = seg.parts[0]
    if vocabulary.is_template(piece):
        diags.add(
            Code.TEMPLATE_ECHO,
            start,
            end,
            f"{preview(piece)!r} repeats the prompt's format template",
            "dropped",
        )
        return None
    key_spellings = vocabulary.key_spellings
    for spelling in sorted(key_spellings, key=len, reverse=True):
        if piece.startswith(spelling) and len(piece) > len(spelling):
            rest = piece[len(spelling) :]
            kind = vocabulary.value_kind(rest)
            if kind in (ValueKind.CANONICAL, ValueKind.OTHER_KIND, ValueKind.SYNONYM):
                cut = start + len(spelling)
                diags.add(
                    Code.PUNCTUATION,
                    cut,
                    cut,
                    f"missing {task.punctuation.key_value!r} between aspect and label",
                    "split at the aspect name",
                    severity=Severity.WARNING,
                )
                return record(spelling, start, cut, rest, cut, end, start, end)
    names_slot = vocabulary.key_kind(piece).names_slot
    if at_end and (names_slot or _is_prefix_of(piece, key_spellings)):
        diags.add(
            Code.TRUNCATED,
            start,
            len(text),
            f"the output ends inside an item: {preview(piece)!r} has no label",
            "aspect gets the placeholder",
        )
        if names_slot:
            return record(piece, start, end, None, end, end, start, end)
        return None
    if _NUMBERING.match(piece):
        diags.add(Code.EXTRA_TEXT, start, end, f"list numbering {piece!r}", "removed")
    elif index < first_item or index > last_item:
        diags.add(
            Code.EXTRA_TEXT, start, end, f"text outside the answer: {preview(piece)!r}", "removed"
        )
    else:
        diags.add(
            Code.MALFORMED_ITEM,
            start,
            end,
            f"{preview(piece)!r} has no aspect/label split",
            "dropped",
        )
    return None
