"""Reader of the JSON-lines layouts (JSON, CoT, R-CoT): the tolerant grammar
(grammars/json.lark) read by a lark Transformer with one method per rule, then objects to
records, with every syntax slip, layout change and cut-off reported.

The fast path (the default) applies the rule methods without building trees. Most lines of an
output, even of a broken one, hold one plain JSON object: a scanner compiled from the grammar's
own terminals finds those lines and hands their tokens to the rule methods in the shape the
parser gives them. Every other stretch goes through the grammar's LALR table, run by a loop
that applies each rule's method as it reduces. The reference path is lark's own parser and
Transformer; tests check that both read every text alike.

A closed object of simple tokens reads the same wherever it stands, so the fast path reads
such objects whole (`_Reader.plain_line`): a canonical object gives its record at once, and in
a design without descriptions another one is read alone once and kept in a bounded memo (its
records and diagnostics shifted to where it stands). tests/test_speed_json.py checks that this
gives what reading each object in place gives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, partial
from itertools import chain
from typing import Any, Protocol, cast

from lark import Transformer, Tree

from ..design import Design
from ..diagnostics import Code, Diagnostic, Severity, make
from ..fold import FoldRules
from ..grammar import lexer_for, parser_for
from ..records import Diagnostics, Field, Record, preview, record
from ..task import Task
from .base import KeyKind, Layout, Reading, Shape, ValueKind, Vocabulary

GRAMMAR = "json.lark"
_LITERALS = frozenset(("True", "False", "None", "null", "true", "false"))
_CURLY = "“”‘’「」"
#: The value terminal each key terminal spells (a key is a value with a colon after it).
_KIND = {
    "KEY_STRING": "STRING",
    "KEY_SQ_STRING": "SQ_STRING",
    "KEY_NUMBER": "NUMBER",
    "KEY_WORD": "WORD",
    "KEY_QUOTES": "QUOTES",
}
#: Token types that may spell a key word at the top level (a bare ``"方面": ...`` line).
_WORDLIKE = frozenset(("STRING", "SQ_STRING", "WORD", "KEY_STRING", "KEY_SQ_STRING", "KEY_WORD"))
_COLONS = frozenset(("COLON", "COLONS"))
_CONTROL = re.compile(r"[\x00-\x1f]")
Span = tuple[int, int]


class _Token(Protocol):
    """What the rule methods read of a token: lark's Token, or the fast path's `_Tok`."""

    @property
    def type(self) -> str: ...

    @property
    def value(self) -> str: ...

    @property
    def start_pos(self) -> int: ...

    @property
    def end_pos(self) -> int: ...


class _Tok:
    """A token as the fast path's scanners give it (cheaper to make than lark's Token)."""

    __slots__ = ("end_pos", "start_pos", "type", "value")

    def __init__(self, type_: str, value: str, start_pos: int, end_pos: int) -> None:
        self.type = type_
        self.value = value
        self.start_pos = start_pos
        self.end_pos = end_pos

    def __repr__(self) -> str:
        return f"_Tok({self.type!r}, {self.value!r}, {self.start_pos}, {self.end_pos})"


# ---- what the rules stand for --------------------------------------------------------------


@dataclass(slots=True)
class _Field:
    """One key of an object and its value, decoded, with their spans. A key without a value
    (missing, or the key was cut off) has `value_span` None; `value_open` marks a string value
    cut off before its closing quote."""

    key: str
    key_start: int
    key_end: int
    value: str = ""
    value_span: Span | None = None
    value_open: bool = False
    #: The json_syntax diagnostic of a bare number under a key that is not the label's: a
    #: numeric label's right spelling once the key is recognised as the label's (`_rekey`).
    number_slip: Diagnostic | None = None

    @property
    def has_value(self) -> bool:
        return self.value_span is not None

    @property
    def span(self) -> Span:
        """The value's span, or the empty span right after the key when there is none."""
        return self.value_span or (self.key_end, self.key_end)


@dataclass(slots=True)
class _Part:
    """One part of a member (`pair`, `missing_value`, `missing_colon`, `value_without_key`...):
    its field, the diagnostics its rule raises, the brackets written in it, and whether it is
    keyed (two keyed parts in one member: a comma is missing). A value without a key written
    last stays in `lone`: the object decides whether it is a key cut off at the end."""

    start: int
    end: int
    entry: _Field | None = None
    diags: Sequence[Diagnostic] = ()
    brackets: Sequence[Span] = ()
    keyed: bool = False
    lone: _Token | None = None


@dataclass(slots=True)
class _Member:
    """The parts between two commas of an object, read: their fields, a trailing value without
    key not yet judged, and whether reading them raised a diagnostic."""

    start: int
    end: int
    fields: list[_Field]
    lone: _Token | None
    slipped: bool


@dataclass(slots=True)
class _Object:
    """An object as read: its span, whether it was closed, its fields in order, and whether it
    was written without braces (`bare`)."""

    start: int
    end: int
    closed: bool
    fields: list[_Field] = field(default_factory=list)
    bare: bool = False
    #: Whether reading its tokens raised a diagnostic (then its spacing is not compared).
    slipped: bool = False
    #: A plain-object line read alone (`_Plain`, positions from its {): its records and
    #: diagnostics are those, shifted; `fields` is then left empty.
    plain: _Plain | None = None


@dataclass(frozen=True, slots=True)
class _Plain:
    """The reading of one plain-object line on its own, positions counted from its {: the
    diagnostics its tokens raise (less those the key recognition withdrew), then its records,
    the diagnostics its object raises, and the shapes it shows. What the general path gives
    for the line wherever it stands, shifted (a closed object is read from its own text)."""

    tokens: tuple[Diagnostic, ...]
    records: tuple[Record, ...]
    diags: tuple[Diagnostic, ...]
    shapes: frozenset[Shape]

    def shifted(self, shift: int) -> _Plain:
        """The same reading `shift` characters on."""
        if not self.tokens and not self.diags and len(self.records) == 1:  # the usual object
            return _Plain((), (_shifted_record(self.records[0], shift),), (), self.shapes)
        return _Plain(
            tuple([_shifted(d, shift) for d in self.tokens]),
            tuple([_shifted_record(r, shift) for r in self.records]),
            tuple([_shifted(d, shift) for d in self.diags]),
            self.shapes,
        )


#: A top-level token outside the objects, with the rule that took it: "text", "array",
#: "comma", "brace" (an unmatched closing brace) or "run" (a run of brackets).
_Stray = tuple[str, Any]


# ---- the reader: one method per rule ----------------------------------------------------------


class _Reader(Transformer[Any, list[Any]]):
    """The reading of one output, one method per rule, applied bottom-up: parts carry their
    diagnostics up to `member`, which files them; `object` and `open_object` judge commas and a
    trailing value without key; the stray rules tag what stands between objects, which
    `reading` reads line by line before turning the objects into records. Applied inline by the
    fast path's parser, or by lark's `transform` on lark's tree."""

    def __init__(
        self,
        text: str,
        task: Task,
        design: Design,
        vocabulary: Vocabulary,
        diags: Diagnostics,
        expected: bool,
        fast: bool = True,
    ) -> None:
        super().__init__(visit_tokens=False)
        self.fast = fast
        self.text = text
        self.task = task
        self.design = design
        self.vocabulary = vocabulary
        self.diags = diags
        self.expected = expected
        self.keys = task.json_keys
        self.numeric = design.numeric_labels
        #: The key whose value a numeric design writes as a number (an extraction task's type).
        self.number_key = self.keys.aspect if task.is_extraction else self.keys.label
        self.array = False
        self.described = design.has_description
        #: The memo of plain objects read alone (`plain_line`), found on first use.
        self.memo: dict[str, _Plain] | None = None

    # -- decoding tokens

    def _decode(
        self, tok: _Token, role: str, diags: list[Diagnostic], numeric_ok: bool = False
    ) -> str:
        """The text a value token stands for, reporting how it departs from a JSON string."""
        kind = _KIND.get(tok.type, tok.type)
        raw = tok.value
        s, e = tok.start_pos, tok.end_pos
        if kind == "STRING":
            if "\\" not in raw and _CONTROL.search(raw) is None:
                return raw[1:-1]  # what json.loads gives, without its cost
            try:
                return str(json.loads(raw))
            except ValueError:
                diags.append(
                    make(
                        Code.JSON_SYNTAX,
                        s,
                        e,
                        f"invalid escape in the {role} {preview(raw)!r}",
                        "kept the characters as written",
                    )
                )
                return raw[1:-1]
        if kind == "SQ_STRING":
            diags.append(
                make(Code.JSON_SYNTAX, s, e, f"single quotes around the {role}", "read as a string")
            )
            return raw[1:-1].replace("\\'", "'").replace('\\"', '"')
        if kind == "OPEN_STRING":
            return raw[1:].rstrip("\\")
        if kind == "QUOTES":
            diags.append(
                make(
                    Code.JSON_SYNTAX,
                    s,
                    e,
                    f"a run of {len(raw)} quotes as the {role}",
                    "read as empty",
                )
            )
            return ""
        if kind == "NUMBER":
            if not numeric_ok:
                diags.append(
                    make(
                        Code.JSON_SYNTAX,
                        s,
                        e,
                        f"the {role} {raw!r} is a bare number, not a string",
                        "read as text",
                    )
                )
            return raw
        stripped = raw.strip(_CURLY)
        if raw in _LITERALS:
            message = f"literal {raw!r} as the {role}"
            repair = "read as text"
        elif stripped != raw:
            message = f"typographic quotes around the {role}"
            repair = "read as a string"
        else:
            message = f"missing quotes around the {role} {preview(raw)!r}"
            repair = "read as a string"
        diags.append(make(Code.JSON_SYNTAX, s, e, message, repair))
        return stripped

    def _key(self, tok: _Token, diags: list[Diagnostic]) -> _Field:
        """A field for a key token, its value not yet known."""
        return _Field(self._decode(tok, "key", diags), tok.start_pos, tok.end_pos)

    def _value(self, fld: _Field, tok: _Token, diags: list[Diagnostic]) -> None:
        """Give `fld` the value `tok` (a number is the right spelling of a numeric label)."""
        numeric_ok = self.numeric and fld.key == self.number_key
        before = len(diags)
        fld.value = self._decode(tok, "value", diags, numeric_ok)
        if self.numeric and not numeric_ok and tok.type == "NUMBER" and len(diags) > before:
            fld.number_slip = diags[-1]
        fld.value_span = (tok.start_pos, tok.end_pos)
        fld.value_open = tok.type == "OPEN_STRING"

    @staticmethod
    def _colon(tok: _Token, diags: list[Diagnostic]) -> None:
        if tok.type == "COLONS":
            diags.append(
                make(Code.JSON_SYNTAX, tok.start_pos, tok.end_pos, "repeated colons", "read as one")
            )

    @staticmethod
    def _no_key(tok: _Token) -> Diagnostic:
        return make(
            Code.JSON_SYNTAX,
            tok.start_pos,
            tok.end_pos,
            f"value {preview(tok.value)!r} without a key",
            "ignored",
        )

    def _keyed(self, children: list[Any]) -> _Part:
        """`pair` and `missing_value`: key, colon, then brackets and extra colons, then the
        value when there is one."""
        key, colon = children[0], children[1]
        diags: list[Diagnostic] = []
        fld = self._key(key, diags)
        self._colon(colon, diags)
        end = colon.end_pos
        brackets: list[Span] = []
        for child in children[2:]:
            if isinstance(child, tuple):
                brackets.append(child)
                end = child[1]
            elif isinstance(child, _Part):
                diags += child.diags
                brackets += child.brackets
                end = child.end
            else:
                self._value(fld, child, diags)
                end = child.end_pos
        return _Part(key.start_pos, end, fld, diags, brackets, keyed=True)

    # -- member parts

    def pair(self, children: list[Any]) -> _Part:
        """key COLON value: one field."""
        return self._keyed(children)

    def missing_value(self, children: list[Any]) -> _Part:
        """key COLON and no value (the member ends, or the next key follows)."""
        return self._keyed(children)

    @staticmethod
    def _two(children: list[Any]) -> tuple[Any, Any, list[Span], int]:
        """The two values of `missing_colon` or `values_without_key`, their brackets, and
        where the part ends."""
        first, second = (child for child in children if not isinstance(child, tuple))
        brackets = [child for child in children if isinstance(child, tuple)]
        end = max(second.end_pos, brackets[-1][1]) if brackets else second.end_pos
        return first, second, brackets, end

    def missing_colon(self, children: list[Any]) -> _Part:
        """A member of just two values: a key and its value with the colon left out."""
        key, value, brackets, end = self._two(children)
        diags = [
            make(
                Code.JSON_SYNTAX,
                key.end_pos,
                value.start_pos,
                "missing colon between key and value",
                "inserted",
            )
        ]
        fld = self._key(key, diags)
        self._value(fld, value, diags)
        return _Part(key.start_pos, end, fld, diags, brackets, keyed=True)

    def values_without_key(self, children: list[Any]) -> _Part:
        """Two values opening a member that goes on: neither has a key."""
        first, second, brackets, end = self._two(children)
        diags = [self._no_key(first), self._no_key(second)]
        return _Part(first.start_pos, end, None, diags, brackets)

    def value_without_key(self, children: list[Any]) -> _Part:
        """A value no key claims; if written last in an open object it may be a cut-off key,
        which only the object can tell, so it waits in `lone`."""
        tok = children[0]
        if len(children) == 1:
            return _Part(tok.start_pos, tok.end_pos, lone=tok)
        return _Part(tok.start_pos, children[-1][1], None, [self._no_key(tok)], children[1:])

    def extra_colon(self, children: list[Any]) -> _Part:
        """A colon with no key before it."""
        colon = children[0]
        diags: list[Diagnostic] = []
        self._colon(colon, diags)
        diags.append(
            make(Code.JSON_SYNTAX, colon.start_pos, colon.end_pos, "colon without a key", "ignored")
        )
        if len(children) == 1:
            return _Part(colon.start_pos, colon.end_pos, None, diags)
        return _Part(colon.start_pos, children[-1][1], None, diags, children[1:])

    def brackets(self, children: list[Any]) -> Span:
        """Array brackets inside an object (one run)."""
        return children[0].start_pos, children[-1].end_pos

    def member(self, children: list[Any]) -> _Member:
        """The parts between two commas: files their diagnostics, one for all the brackets,
        and one when several keyed parts show a missing comma."""
        diags = self.diags
        if len(children) == 1:  # the usual member: one part, no brackets, nothing left
            part = children[0]
            if isinstance(part, _Part) and not part.brackets and part.lone is None:
                diags += part.diags
                entries = [] if part.entry is None else [part.entry]
                return _Member(part.start, part.end, entries, None, bool(part.diags))
        before = len(diags)
        first, last = children[0], children[-1]
        start = first[0] if isinstance(first, tuple) else first.start
        end = last[1] if isinstance(last, tuple) else last.end
        parts: list[_Part] = []
        brackets: list[Span] = []
        for child in children:
            if isinstance(child, tuple):
                brackets.append(child)
            else:
                parts.append(child)
                brackets.extend(child.brackets)
        if brackets:
            diags.add(
                Code.JSON_SYNTAX,
                brackets[0][0],
                brackets[-1][1],
                "brackets inside an object",
                "ignored",
            )
        keyed = 0
        fields: list[_Field] = []
        for part in parts:
            diags.extend(part.diags)
            keyed += part.keyed
            if part.entry is not None:
                fields.append(part.entry)
        if keyed > 1:
            diags.add(Code.JSON_SYNTAX, start, end, "missing comma between members", "inserted")
        lone = None
        for part in parts:
            if part.lone is not None:
                if part is parts[-1] and not isinstance(last, tuple):
                    lone = part.lone
                else:
                    diags.append(self._no_key(part.lone))
        return _Member(start, end, fields, lone, len(diags) > before)

    # -- objects

    def object(self, children: list[Any]) -> _Object:
        """{ members } (commas judged; a trailing value without key has no key)."""
        return self._object(children, True)

    def open_object(self, children: list[Any]) -> _Object:
        """{ members with no closing brace: cut off, or running into the next object. A value
        without key written last is a key cut off."""
        return self._object(children, False)

    def _object(self, children: list[Any], closed: bool) -> _Object:
        """An object's fields, its comma slips, and whether reading it raised anything."""
        diags = self.diags
        before = len(diags)
        last = children[-1]
        end = last.end if isinstance(last, _Member) else last.end_pos
        obj = _Object(children[0].start_pos, end, closed)
        slipped = False
        previous_comma = True
        for child in children[1:]:
            if isinstance(child, _Member):
                previous_comma = False
                slipped = slipped or child.slipped
                obj.fields.extend(child.fields)
                if child.lone is None:
                    continue
                if not closed and child is last:
                    obj.fields.append(self._key(child.lone, diags))
                else:
                    diags.append(self._no_key(child.lone))
            elif child.type == "RBRACE":
                if previous_comma and len(children) > 2:
                    comma = children[-2]
                    diags.add(
                        Code.JSON_SYNTAX,
                        comma.start_pos,
                        comma.end_pos,
                        "trailing comma before }",
                        "ignored",
                    )
            else:
                if child.type == "COMMAS":
                    diags.add(
                        Code.JSON_SYNTAX,
                        child.start_pos,
                        child.end_pos,
                        "repeated commas",
                        "read as one",
                    )
                elif previous_comma:
                    diags.add(
                        Code.JSON_SYNTAX,
                        child.start_pos,
                        child.end_pos,
                        "comma with no member before it",
                        "ignored",
                    )
                previous_comma = True
        obj.slipped = slipped or len(diags) > before
        return obj

    # -- plain-object lines

    def plain_line(self, start: int, end: int) -> _Object | None:
        """The closed object of simple tokens text[start:end] ({ to }, on one line or
        several), read without its tokens: a canonical object at once (`_canonical_line`),
        another one, in a design without descriptions, by the memo of objects read alone
        (`_read_alone`). The diagnostics its tokens raise are not filed yet (`file`). None
        when the general path is to read it in place."""
        if self.described or end - start > PLAIN_SIZE:
            # descriptions make nearly every object new: a memo would only churn, and reading
            # an object alone costs more than reading it in place
            found = _canonical_line(self.text, start, end, self.task, self.design, self.vocabulary)
            return None if found is None else _Object(start, end, True, plain=found)
        memo = self.memo
        if memo is None:
            memo = self.memo = _plains_for(self.task, self.design, self.vocabulary, self.expected)
        body = self.text[start:end]
        found = memo.get(body)
        if found is None:
            found = _canonical_line(body, 0, len(body), self.task, self.design, self.vocabulary)
            if found is None:
                found = _read_alone(body, self.task, self.design, self.vocabulary, self.expected)
            if len(memo) >= PLAINS_MAX:
                memo.clear()
            memo[body] = found
        return _Object(start, end, True, plain=found.shifted(start) if start else found)

    def file(self, obj: _Object) -> _Object:
        """File the diagnostics the tokens of a plain object raise (`plain_line` leaves them
        to the caller, to file where the general path files them) and give the object."""
        if obj.plain is not None and obj.plain.tokens:
            self.diags.extend(obj.plain.tokens)
        return obj

    # -- the top level

    def stray_text(self, children: list[Any]) -> _Stray:
        """Text outside the objects (prose, a code fence, a bare key or colon)."""
        return ("text", children[0])

    def array_bracket(self, children: list[Any]) -> _Stray:
        """[ or ] around the objects: an array."""
        return ("array", children[0])

    def stray_comma(self, children: list[Any]) -> _Stray:
        """A comma (or a run of them) between objects."""
        return ("comma", children[0])

    def unmatched_brace(self, children: list[Any]) -> _Stray:
        """A } with no object open."""
        return ("brace", children[0])

    def bracket_run(self, children: list[Any]) -> _Stray:
        """A run of four or more brackets and braces."""
        return ("run", children[0])

    def start(self, children: list[Any]) -> list[Any]:
        """The objects and what stands between them, in order (read by `reading`: the top
        level may be put together from several parses)."""
        return children

    def reading(self, children: list[Any]) -> Reading:
        """The children of `start` read into records: what stands between the objects first
        (line by line), then each object."""
        objects: list[_Object] = []
        run: list[_Stray] = []
        for child in children:
            if isinstance(child, _Object):
                if run:
                    self._strays(run, objects)
                    run = []
                objects.append(child)
            else:
                run.append(child)
        if run:
            self._strays(run, objects)
        objects.sort(key=lambda o: o.start)
        return self._reading(objects)

    def _strays(self, run: list[_Stray], objects: list[_Object]) -> None:
        """Read a run of top-level tokens line by line (a line is where its token starts)."""
        text = self.text
        line: list[_Stray] = [run[0]]
        for stray in run[1:]:
            if text.find("\n", line[-1][1].start_pos, stray[1].start_pos) != -1:
                self._stray_line(line, objects)
                line = []
            line.append(stray)
        self._stray_line(line, objects)

    def _stray_line(self, line: list[_Stray], objects: list[_Object]) -> None:
        """One line of top-level tokens: a bare object when it names the aspect or label key
        and has a colon; otherwise its commas, braces and brackets, and its text as extra."""
        keys = (self.keys.aspect, self.keys.label)
        texts = [tok for kind, tok in line if kind == "text"]
        if any(tok.type in _COLONS for tok in texts) and any(
            tok.type in _WORDLIKE and tok.value.strip("\"'" + _CURLY) in keys for tok in texts
        ):
            tokens: list[Any] = []
            for kind, tok in line:
                if kind == "comma" and tokens and tokens[-1].type in ("COMMA", "COMMAS"):
                    continue  # commas that a left-out bracket or brace parted are one
                if kind in ("text", "comma", "run"):
                    tokens.append(tok)
            objects.append(self._bare(tokens))
            return
        diags = self.diags
        for kind, tok in line:
            if kind == "array":
                self.array = True
            elif kind == "comma":
                if tok.type == "COMMAS":
                    diags.add(
                        Code.JSON_SYNTAX, tok.start_pos, tok.end_pos, "repeated commas", "ignored"
                    )
                elif not self.array:
                    diags.add(
                        Code.JSON_SYNTAX,
                        tok.start_pos,
                        tok.end_pos,
                        "comma after an object",
                        "ignored",
                    )
            elif kind == "brace":
                diags.add(Code.JSON_SYNTAX, tok.start_pos, tok.end_pos, "unmatched }", "ignored")
            elif kind == "run":
                diags.add(
                    Code.JSON_SYNTAX,
                    tok.start_pos,
                    tok.end_pos,
                    f"a run of {len(tok.value)} brackets",
                    "ignored",
                )
        if texts:
            start, end = texts[0].start_pos, texts[-1].end_pos
            diags.add(
                Code.EXTRA_TEXT,
                start,
                end,
                f"text outside the objects: {preview(self.text[start:end])!r}",
                "removed",
            )

    def _bare(self, tokens: list[Any]) -> _Object:
        """Key-value pairs written without braces: read by the grammar's member rules, as the
        members of an object (the caller leaves out array brackets and unmatched braces)."""
        start, end = tokens[0].start_pos, tokens[-1].end_pos
        last = tokens[-1]
        if last.type in _KIND:  # a key whose colon is on the next line: here, a value
            tokens[-1] = _Tok(_KIND[last.type], last.value, last.start_pos, last.end_pos)
        self.diags.add(Code.JSON_SYNTAX, start, end, "object without braces", "read as an object")
        obj = _Object(start, end, True, bare=True)
        braced = [_Tok("LBRACE", "{", start, start), *tokens, _Tok("RBRACE", "}", end, end)]
        if self.fast:
            trees = _lalr(braced, _TREES)
        else:
            interactive = parser_for(GRAMMAR).parse_interactive()
            for tok in braced:
                interactive.feed_token(tok)
            trees = interactive.feed_eof().children
        for child in trees[0].children:
            if isinstance(child, Tree):
                member = cast(_Member, self.transform(child))
                obj.fields.extend(member.fields)
                if member.lone is not None:
                    self.diags.append(self._no_key(member.lone))
        return obj

    def _reading(self, objects: list[_Object]) -> Reading:
        """Records of the objects, with the layout facts (array, joined objects) and the
        slips between objects (blank lines, whitespace around the answer)."""
        if self.task.is_extraction:  # span lists: objects to records in `jsonspans`
            from .jsonspans import read_span_objects

            return read_span_objects(self, objects)
        text, diags, expected = self.text, self.diags, self.expected
        reading = Reading([])
        if self.array:
            reading.shapes.add(Shape.JSON_ARRAY)
        content_end = len(text.rstrip())
        items = reading.records
        drop: set[int] = set()
        for index, obj in enumerate(objects):
            if index and expected:
                gap = text[objects[index - 1].end : obj.start]
                if "\n" not in gap and not self.array:
                    reading.shapes.add(Shape.JSON_JOINED)
                elif gap.count("\n") >= 2:
                    diags.add(
                        Code.EMPTY_ITEM,
                        objects[index - 1].end,
                        obj.start,
                        "blank line between objects",
                        "skipped",
                    )
            if obj.plain is not None:
                items.extend(obj.plain.records)
                diags.extend(obj.plain.diags)
                reading.shapes |= obj.plain.shapes
                continue
            items.extend(
                _object_items(
                    text,
                    obj,
                    self.task,
                    self.design,
                    self.vocabulary,
                    diags,
                    expected,
                    reading.shapes,
                    at_end=obj.end >= content_end,
                    drop=drop,
                )
            )
        if drop:
            diags[:] = [d for d in diags if id(d) not in drop]
        if (
            expected
            and objects
            and (
                text[: objects[0].start].strip() == ""
                and text[: objects[0].start]
                or text[objects[-1].end :].strip() == ""
                and text[objects[-1].end :]
            )
        ):
            diags.add(Code.PUNCTUATION, 0, len(text), "whitespace around the answer", "ignored")
        return reading


# ---- parsing: the LALR parser, and the scanner of plain-object lines ---------------------------


class _Trees:
    """lark's tree builder as rule methods: each rule makes its Tree, and `start` gives the
    list of top-level trees (for reading bare lines into members, and for tests)."""

    def __getattr__(self, name: str) -> Any:
        return partial(Tree, name)

    @staticmethod
    def start(children: list[Any]) -> list[Any]:
        return children


_TREES = _Trees()
#: How the parser reduces by a rule: how many values it pops, the rule's name (where its
#: result goes), how its children are made from the popped values, and whether the rule has a
#: method of its own (else its children, as a list, are its value). Children: None keeps the
#: values as they are; else (index, splice?) for each value kept, where a rule whose name
#: starts with _ is spliced into its parent, as lark's tree builder does.
_Reduction = tuple[int, str, "tuple[tuple[int, bool], ...] | None", bool]


@dataclass(frozen=True, slots=True)
class _Table:
    """The grammar's LALR(1) table, from lark, in plain dicts: state -> token or rule name ->
    (shift?, next state or reduction)."""

    actions: dict[int, dict[str, tuple[bool, Any]]]
    start: int
    end: int


def _reduction(rule: Any) -> _Reduction:
    keep = tuple(
        (index, not sym.is_term and sym.name.startswith("_"))
        for index, sym in enumerate(rule.expansion)
        if not (sym.is_term and sym.filter_out)
    )
    size, name = len(rule.expansion), str(rule.origin.name)
    plain = len(keep) == size and not any(splice for _, splice in keep)
    return size, name, None if plain else keep, not name.startswith("_")


@cache
def _table() -> _Table:
    from lark.parsers.lalr_analysis import Shift

    table = parser_for(GRAMMAR).parser.parser._parse_table
    reductions: dict[Any, _Reduction] = {}
    actions: dict[int, dict[str, tuple[bool, Any]]] = {}
    for state, row in table.states.items():
        actions[state] = {}
        for symbol, (action, arg) in row.items():
            if action is Shift:
                actions[state][str(symbol)] = (True, arg)
            else:
                if arg not in reductions:
                    reductions[arg] = _reduction(arg)
                actions[state][str(symbol)] = (False, reductions[arg])
    return _Table(actions, table.start_states["start"], table.end_states["start"])


class _End:
    """The token after the last one."""

    type = "$END"


def _lalr(tokens: Iterable[Any], rules: Any) -> Any:
    """Parse `tokens` with the grammar's LALR table, applying `rules`' method for each rule as
    it is reduced (no tree is built): what lark's parser with an inline transformer does, in
    one loop. Gives what `rules.start` returns."""
    table = _table()
    actions, end_state = table.actions, table.end
    methods: dict[str, Any] = {}
    states = [table.start]
    values: list[Any] = []
    for tok in chain(tokens, (_End,)):
        kind = tok.type
        while True:
            row = actions[states[-1]]
            if kind not in row:
                raise ValueError(f"{GRAMMAR} has no parse for a {kind} here (it should have)")
            shift, arg = row[kind]
            if shift:
                states.append(arg)
                values.append(tok)
                break
            size, name, keep, named = arg
            if size:
                children = values[-size:]
                del values[-size:]
                del states[-size:]
            else:
                children = []
            if keep is not None:
                popped, children = children, []
                for index, splice in keep:
                    if not splice:
                        children.append(popped[index])
                    elif children:
                        children += popped[index]
                    else:  # a left-recursive list grows in place
                        children = popped[index]
            if named:
                method = methods.get(name)
                if method is None:
                    method = methods[name] = getattr(rules, name)
                value = method(children)
            else:
                value = children
            states.append(actions[states[-1]][name][1])
            values.append(value)
            if kind == "$END" and states[-1] == end_state:
                return values[-1]
    raise AssertionError("unreachable: $END ends the parse")


def _tokens(text: str, start: int = 0, end: int | None = None) -> Iterator[_Tok]:
    """The tokens of text[start:end] by the grammar's lexer (RegexLexer's compiled pattern),
    as `_Tok`s."""
    lexer = lexer_for(GRAMMAR)
    ignore = lexer.ignore
    stop = len(text) if end is None else end
    position = start
    for match in lexer.pattern.finditer(text, start, stop):
        s, e = match.span()
        if s != position or s == e:
            break
        position = e
        kind = match.lastgroup or ""
        if kind not in ignore:
            yield _Tok(kind, match.group(), s, e)
    if position != stop:
        raise ValueError(f"{GRAMMAR} has no token at {position} (it should have)")


@cache
def _scanner() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Two regexps compiled from the grammar's terminals: a line holding one object whose
    members are string keys with string or number values, single colons and single commas
    (the tokens LBRACE (KEY_STRING COLON value (COMMA ...)*)? RBRACE, and nothing else on the
    line); and one member with the comma before it, for taking such a line apart."""
    terminal = {t.name: t.pattern.to_regexp() for t in parser_for(GRAMMAR).terminals}
    ws = r"[^\S\n]*"  # the grammar ignores \s; a line stops at \n
    value = f"(?:{terminal['STRING']}|{terminal['NUMBER']})"
    member = f"(?:{terminal['KEY_STRING']}){ws}(?:{terminal['COLON']}){ws}{value}"
    line = (
        f"^{ws}(?P<lb>{terminal['LBRACE']}){ws}"
        f"(?:{member}(?:{ws}(?:{terminal['COMMA']}){ws}{member})*)?"
        f"{ws}(?P<rb>{terminal['RBRACE']}){ws}$"
    )
    each = (
        f"(?:({terminal['COMMA']}){ws})?({terminal['KEY_STRING']}){ws}"
        f"({terminal['COLON']}){ws}({value})"
    )
    return re.compile(line, re.MULTILINE), re.compile(each)


#: The token shapes of plain-object lines by their text from { to } (positions relative to
#: the {): answers repeat a few objects, so most lines are one lookup. Bounded.
_SHAPES: dict[str, tuple[tuple[str, str, int, int], ...]] = {}
_SHAPES_MAX = 4096
_SHAPE_TEXT_MAX = 512


def _line_shape(body: str) -> tuple[tuple[str, str, int, int], ...]:
    """The tokens of one plain object `body` ({ to } inclusive) as (type, text, start, end)."""
    _, each = _scanner()
    rb = len(body) - 1
    tokens = [("LBRACE", "{", 0, 1)]
    for m in each.finditer(body, 1, rb):
        comma, key, colon, value = m.group(1, 2, 3, 4)
        if comma is not None:
            tokens.append(("COMMA", comma, *m.span(1)))
        tokens.append(("KEY_STRING", key, *m.span(2)))
        tokens.append(("COLON", colon, *m.span(3)))
        kind = "STRING" if value[0] == '"' else "NUMBER"
        tokens.append((kind, value, *m.span(4)))
    tokens.append(("RBRACE", "}", rb, rb + 1))
    return tuple(tokens)


def _line_tokens(text: str, match: re.Match[str]) -> list[_Tok]:
    """The tokens of a plain-object line the scanner matched, as the lexer would give them.
    The member regex sees only the text between the braces (the bounds of its search), so the
    tokens of an object depend on its own text alone and are shifted to where it stands."""
    lb, rb = match.start("lb"), match.start("rb")
    body = text[lb : rb + 1]
    shape = _SHAPES.get(body)
    if shape is None:
        shape = _line_shape(body)
        if len(body) <= _SHAPE_TEXT_MAX:
            if len(_SHAPES) >= _SHAPES_MAX:
                _SHAPES.clear()
            _SHAPES[body] = shape
    return [_Tok(kind, value, lb + start, lb + end) for kind, value, start, end in shape]


# ---- plain-object lines read whole: canonical objects, and a memo of the others ---------------

#: Whether `top_level` hands plain-object lines to `_Reader.plain_line` (tests turn it off).
PLAIN_LINES = True
#: The longest line (from { to }) the memo keeps; longer ones are read in place.
PLAIN_SIZE = 256
#: The most lines one memo keeps (emptied when full), and the most memos kept.
PLAINS_MAX = 4096
_PLAIN_TABLES_MAX = 32
_plains: dict[tuple[int, int, Design, bool], tuple[Vocabulary, Task, dict[str, _Plain]]] = {}


def _plains_for(
    task: Task, design: Design, vocabulary: Vocabulary, expected: bool
) -> dict[str, _Plain]:
    """The memo of lines read alone for one task, design, vocabulary (by identity) and
    `expected`; the oldest memo goes when more than `_PLAIN_TABLES_MAX` are kept."""
    key = (id(vocabulary), id(task), design, expected)
    kept = _plains.get(key)
    if kept is None or kept[0] is not vocabulary or kept[1] is not task:
        if len(_plains) >= _PLAIN_TABLES_MAX:
            del _plains[next(iter(_plains))]
        kept = _plains[key] = (vocabulary, task, {})
    return kept[2]


def _read_alone(
    body: str, task: Task, design: Design, vocabulary: Vocabulary, expected: bool
) -> _Plain:
    """The general path's reading of one plain-object line `body` on its own. A closed
    object's reading depends on its own text alone (`at_end` matters only to an open one),
    so it holds wherever the line stands, shifted."""
    diags = Diagnostics()
    reader = _Reader(body, task, design, vocabulary, diags, expected)
    tokens = list(_tokens(body))
    assert _OBJECT.fullmatch("".join([_CODE.get(tok.type, "x") for tok in tokens]))
    [obj] = _line_items(tokens, reader)
    raised = len(diags)
    shapes: set[Shape] = set()
    drop: set[int] = set()
    records = _object_items(
        body, obj, task, design, vocabulary, diags, expected, shapes, False, drop
    )
    return _Plain(
        tuple(d for d in diags[:raised] if id(d) not in drop),
        tuple(records),
        tuple(d for d in diags[raised:] if id(d) not in drop),
        frozenset(shapes),
    )


@cache
def _canonical_pattern(keys: tuple[str, str, str], fmt: str, numeric: bool) -> re.Pattern[str]:
    """A canonical object of the design (`render_json_object`), its aspect, label and
    description strings captured when they need no escape; the label a bare number when
    numeric. (Whether it is canonical is then checked by rendering it.)"""
    aspect, label, description = keys

    def member(key: str, group: str) -> str:
        return f'{re.escape(_dump(key))}: "(?P<{group}>{_UNESCAPED})"'

    fields = {
        aspect: member(aspect, "a"),
        label: f"{re.escape(_dump(label))}: (?P<l>-?[0-9]{{1,18}})"
        if numeric
        else member(label, "l"),
        description: member(description, "d"),
    }
    order = {
        "cot": (aspect, description, label),
        "rcot": (aspect, label, description),
    }.get(fmt, (aspect, label))
    return re.compile(r"\{" + ", ".join(fields[name] for name in order) + r"\}")


#: The characters of a JSON string that need no escape, any number of them.
_UNESCAPED = r'[^"\\\x00-\x1f]*'


_PATTERNS: dict[tuple[int, int], tuple[Task, Design, re.Pattern[str]]] = {}


def _pattern_of(task: Task, design: Design) -> re.Pattern[str]:
    """`_canonical_pattern` for a task and design, found by their identities (hashing a
    design on every line costs more than the match)."""
    kept = _PATTERNS.get((id(task), id(design)))
    if kept is None or kept[0] is not task or kept[1] is not design:
        if len(_PATTERNS) >= 64:
            _PATTERNS.clear()
        keys = task.json_keys
        pattern = _canonical_pattern(
            (keys.aspect, keys.label, keys.description), design.format, design.numeric_labels
        )
        kept = _PATTERNS[id(task), id(design)] = (task, design, pattern)
    return kept[2]


_EMPTY: frozenset[Shape] = frozenset()
_COT_SHAPES = frozenset((Shape.DESCRIPTIONS, Shape.COT_ORDER))
_RCOT_SHAPES = frozenset((Shape.DESCRIPTIONS, Shape.RCOT_ORDER))


def _canonical_line(
    text: str, start: int, end: int, task: Task, design: Design, vocabulary: Vocabulary
) -> _Plain | None:
    """The reading of text[start:end] when it is exactly the canonical object of a slot and
    label (what `render_json_object` writes: key and label spelled canonically, no escape):
    one record, no diagnostic, the design's description shapes. None otherwise."""
    fmt = design.format
    numeric = design.numeric_labels
    match = _pattern_of(task, design).fullmatch(text, start, end)
    if match is None:
        return None
    aspect, label = match.group("a", "l")
    # what `_canonical_object` asks (of the stripped texts) and what rendering them gives
    if aspect != aspect.strip() or vocabulary.key_kind(aspect) is not KeyKind.EXACT:
        return None
    if numeric:
        if str(int(label)) != label:
            return None
    elif label != label.strip():
        return None
    if vocabulary.value_kind(label) is not ValueKind.CANONICAL:
        return None
    quoted = 0 if numeric else 1
    ls, le = match.span("l")
    description = None
    if fmt in ("cot", "rcot"):
        ds, de = match.span("d")
        description = Field(match.group("d"), ds - 1, de + 1)
    item = record(
        aspect,
        match.start("a") - 1,
        match.end("a") + 1,
        label,
        ls - quoted,
        le + quoted,
        start,
        end,
        description=description,
    )
    shapes = _COT_SHAPES if fmt == "cot" else _RCOT_SHAPES if fmt == "rcot" else _EMPTY
    return _Plain((), (item,), (), shapes)


def _shifted(diag: Diagnostic, shift: int) -> Diagnostic:
    """`diag` moved `shift` characters on."""
    return Diagnostic(
        diag.code, diag.severity, diag.start + shift, diag.end + shift, diag.message, diag.repair
    )


def _shifted_record(item: Record, shift: int) -> Record:
    """`item` with every span moved `shift` characters on."""
    key, value, description = item.key, item.value, item.description
    return Record(
        Field(key.text, key.start + shift, key.end + shift),
        None if value is None else Field(value.text, value.start + shift, value.end + shift),
        item.start + shift,
        item.end + shift,
        None
        if description is None
        else Field(description.text, description.start + shift, description.end + shift),
    )


#: The token types of a simple object line, one character each (others: "x"), and the
#: shapes such a line may have: an object whose members are runs of pairs (a comma may be
#: missing or trailing) with keys and values of the kinds below, maybe opened by [ and
#: followed by , or ] or ],. The grammar gives such a line the trees `_line_items` makes.
_CODE = {
    "LSQB": "[",
    "RSQB": "]",
    "LBRACE": "{",
    "RBRACE": "}",
    "COMMA": ",",
    "COLON": ":",
    "KEY_STRING": "k",
    "KEY_SQ_STRING": "k",
    "KEY_WORD": "k",
    "STRING": "v",
    "SQ_STRING": "v",
    "NUMBER": "v",
    "WORD": "v",
}
_SIMPLE = re.compile(r"\[?\{(?:(?:k:v)+(?:,(?:k:v)+)*,?)?\}(?:,|\]|\],)?")


def _line_items(tokens: Sequence[Any], rules: Any) -> list[Any]:
    """Apply the rules' methods to a simple object line's tokens in the shape the parser gives
    them: [array_bracket(LSQB)], object(LBRACE, member(pair(KEY, COLON, value), ...), COMMA,
    ..., RBRACE), then stray_comma or array_bracket for what follows."""
    items: list[Any] = []
    index = 0
    if tokens[0].type == "LSQB":
        items.append(rules.array_bracket([tokens[0]]))
        index = 1
    children = [tokens[index]]
    index += 1
    parts: list[Any] = []
    while tokens[index].type != "RBRACE":
        tok = tokens[index]
        if tok.type == "COMMA":
            if parts:
                children.append(rules.member(parts))
                parts = []
            children.append(tok)
            index += 1
        else:
            parts.append(rules.pair(list(tokens[index : index + 3])))
            index += 3
    if parts:
        children.append(rules.member(parts))
    children.append(tokens[index])
    items.append(rules.object(children))
    for tok in tokens[index + 1 :]:
        if tok.type == "COMMA":
            items.append(rules.stray_comma([tok]))
        else:
            items.append(rules.array_bracket([tok]))
    return items


def _lines(text: str, tokens: Iterable[Any]) -> Iterator[list[Any]]:
    """Tokens grouped by the line they start on."""
    line: list[Any] = []
    line_end = -1
    for tok in tokens:
        if tok.start_pos > line_end:
            if line:
                yield line
            line = [tok]
            line_end = text.find("\n", tok.start_pos)
            if line_end < 0:
                line_end = len(text)
        else:
            line.append(tok)
    if line:
        yield line


def _stretch(
    text: str,
    start: int,
    end: int,
    rules: Any,
    plain: Callable[[int, int], _Object | None] | None = None,
) -> list[Any]:
    """The children of text[start:end], a stretch between plain-object lines. With `plain`,
    each closed object of simple tokens (`_OBJECT`, on one line or several, among other
    tokens) goes to it (or, when it declines, to the rule methods by the tokens' simple shape),
    and what stands between them is read by `_between`; without, all by lines
    (`_by_lines`)."""
    if plain is None:
        return _by_lines(text, _tokens(text, start, end), rules)
    tokens = list(_tokens(text, start, end))
    codes = "".join([_CODE.get(tok.type, "x") for tok in tokens])
    children: list[Any] = []
    position = 0
    for match in _OBJECT.finditer(codes):
        first, last = match.span()
        obj = plain(tokens[first].start_pos, tokens[last - 1].end_pos)
        if first > position:
            children += _between(text, tokens[position:first], rules)
        if obj is None:  # read in place, by its tokens' simple shape
            children += _line_items(tokens[first:last], rules)
        else:
            children.append(rules.file(obj))
        position = last
    if position < len(tokens):
        children += _between(text, tokens[position:], rules)
    return children


#: A closed object of simple tokens in a stretch's codes (`_CODE`): runs of pairs, commas
#: between them (one may be missing, or trailing). Every { opens a new object and nothing
#: nests, so such an object is read the same wherever it stands; the grammar's lookaheads see
#: no further than the character after a token, inside the braces or the closing brace.
_OBJECT = re.compile(r"\{(?:(?:k:v)+(?:,(?:k:v)+)*,?)?\}")
#: The rule of a token standing alone at the top level (any other: `stray_text`).
_STRAY_RULES = {
    "LSQB": "array_bracket",
    "RSQB": "array_bracket",
    "COMMA": "stray_comma",
    "COMMAS": "stray_comma",
    "RBRACE": "unmatched_brace",
    "BRACKETS": "bracket_run",
}


def _between(text: str, tokens: list[Any], rules: Any) -> list[Any]:
    """The children of tokens that start at the top level (after a closed object, or where a
    stretch starts): without a { each is a stray of its own, by its type; else by lines."""
    if any(tok.type == "LBRACE" for tok in tokens):
        return _by_lines(text, tokens, rules)
    return [getattr(rules, _STRAY_RULES.get(tok.type, "stray_text"))([tok]) for tok in tokens]


def _by_lines(text: str, tokens: Iterable[Any], rules: Any) -> list[Any]:
    """The children of a stretch's tokens, line by line: a line whose tokens have a simple
    shape gets the rule methods directly; the tokens of the other lines go through the LALR
    parser. A line opening with [ goes there too after such lines: an object they leave open
    would take the bracket."""
    children: list[Any] = []
    pending: list[Any] = []
    for line in _lines(text, tokens):
        simple = _SIMPLE.fullmatch("".join([_CODE.get(tok.type, "x") for tok in line]))
        if simple is None or (pending and line[0].type == "LSQB"):
            pending += line
            continue
        if pending:
            children += _lalr(pending, rules)
            pending = []
        children += _line_items(line, rules)
    if pending:
        children += _lalr(pending, rules)
    return children


def top_level(
    text: str, rules: Any, plain: Callable[[int, int], _Object | None] | None = None
) -> list[Any]:
    """The children of the start rule for `text`, with `rules`' methods applied: plain-object
    lines by the line scanner (or by `plain`, given the line's { and } positions, when it
    answers), simple object lines by their tokens' shape, the rest by the LALR parser. Since
    every { opens a new object and nothing nests, a stretch parses alone as it does in the
    whole text."""
    lines, _ = _scanner()
    children: list[Any] = []
    position = 0
    for match in lines.finditer(text):
        start = match.start()
        if text[position:start].strip():
            children += _stretch(text, position, start, rules, plain)
        obj = None if plain is None else plain(match.start("lb"), match.start("rb") + 1)
        if obj is not None:
            children.append(rules.file(obj))
        else:
            children += _line_items(_line_tokens(text, match), rules)
        position = match.end()
    if text[position:].strip():
        children += _stretch(text, position, len(text), rules, plain)
    return children


def read_json(
    text: str,
    task: Task,
    design: Design,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    expected: bool = True,
    fast: bool = True,
) -> Reading:
    """Records of a JSON-lines answer. With `expected` False (the design was trained on
    another layout) the CoT field and spacing checks are skipped. With `fast` False the text
    goes through lark's own parser and Transformer, the reference the fast path (line scanner
    and table-driven parse applying the rule methods inline) is tested against."""
    reader = _Reader(text, task, design, vocabulary, diags, expected, fast)
    if fast:
        plain = None if task.is_extraction or not PLAIN_LINES else reader.plain_line
        return reader.reading(top_level(text, reader, plain))
    return reader.reading(reader.transform(parser_for(GRAMMAR).parse(text)))


def _object_items(
    text: str,
    obj: _Object,
    task: Task,
    design: Design,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    expected: bool,
    shapes: set[Shape],
    at_end: bool,
    drop: set[int],
) -> list[Record]:
    """The records of one object, with the diagnostics of its fields (keys in other
    spellings are first recognised by `_rekey`; `drop` collects the ids of diagnostics the
    recognition withdrew)."""
    keys = task.json_keys
    found: dict[str, _Field] = {}
    others: list[_Field] = []
    before = len(diags)
    fields = _rekey(obj, task, design, vocabulary, diags, drop)
    for fld in fields:
        if fld.key in (keys.aspect, keys.label, keys.description):
            found[fld.key] = fld
        else:
            others.append(fld)
    items: list[Record] = []
    #: The object itself is in another layout (a mapping, CoT fields in the wrong design or
    #: order): that is reported once by detection, and its spacing is not compared.
    other_shape = False
    if keys.aspect not in found and keys.label not in found:
        mapped = [f for f in others if vocabulary.key_kind(f.key).names_slot]
        if mapped:
            shapes.add(Shape.JSON_MAPPING)
            other_shape = True
            for f in mapped:
                vs, ve = f.span
                items.append(
                    record(
                        f.key,
                        f.key_start,
                        f.key_end,
                        f.value if f.has_value else None,
                        vs,
                        ve,
                        f.key_start,
                        ve,
                    )
                )
            others = [f for f in others if f not in mapped]
        elif not obj.fields and obj.closed:
            diags.add(Code.EMPTY_ITEM, obj.start, obj.end, "empty object", "skipped")
        elif _wrapper(text, obj):
            names = ", ".join(repr(f.key) for f in obj.fields)
            diags.add(
                Code.EXTRA_TEXT,
                obj.start,
                obj.end,
                f"a wrapper object {names} around the objects",
                "read the objects inside",
            )
            others = []
        elif not (at_end and not obj.closed):
            diags.add(
                Code.MALFORMED_ITEM,
                obj.start,
                obj.end,
                f"object without {keys.aspect!r} or {keys.label!r}: "
                f"{preview(text[obj.start : obj.end])!r}",
                "dropped",
            )
    if at_end and not obj.closed and keys.aspect not in found and keys.label not in found:
        diags.add(
            Code.TRUNCATED,
            obj.start,
            len(text),
            "the output ends inside an object before its aspect and label",
            "dropped",
        )
        others = []
    for f in others:
        diags.add(
            Code.EXTRA_TEXT,
            f.key_start,
            f.span[1],
            f"unexpected field {f.key!r}",
            "ignored",
        )
    truncated = at_end and not obj.closed
    if keys.aspect in found or keys.label in found:
        aspect = found.get(keys.aspect)
        label = found.get(keys.label)
        desc = found.get(keys.description)
        label_missing = label is None or not label.has_value
        if truncated and label is not None and label.value_open:
            cut = vocabulary.value_kind(label.value)
            label_missing = cut not in (ValueKind.CANONICAL, ValueKind.OTHER_KIND)
        if truncated:
            complete = not label_missing and (desc is not None or not design.has_description)
            diags.add(
                Code.TRUNCATED,
                obj.start,
                len(text),
                "the output ends inside an unclosed object"
                + ("" if complete else " before its label"),
                "kept the complete fields" if complete else "aspect gets the placeholder",
                severity=Severity.WARNING if complete else Severity.ERROR,
            )
        elif not obj.closed and not obj.bare:
            diags.add(Code.JSON_SYNTAX, obj.end, obj.end, "missing closing brace", "inserted")
        if aspect is None or aspect.value_span is None:
            if not truncated:
                diags.add(
                    Code.MISSING_FIELD,
                    obj.start,
                    obj.end,
                    f"object without its {keys.aspect!r} field",
                    "dropped",
                )
        else:
            if label_missing and not truncated:
                diags.add(
                    Code.MISSING_FIELD,
                    obj.start,
                    obj.end,
                    f"object without its {keys.label!r} field",
                    "aspect gets the placeholder",
                )
            if expected and design.has_description and desc is None and not truncated:
                diags.add(
                    Code.MISSING_FIELD,
                    obj.start,
                    obj.end,
                    f"object without its {keys.description!r} field",
                    "none needed",
                    severity=Severity.WARNING,
                )
            aspect_start, aspect_end = aspect.value_span
            if label is not None and label.has_value:
                vs, ve = label.span
            else:
                vs, ve = aspect_end, aspect_end
            items.append(
                record(
                    aspect.value,
                    aspect_start,
                    aspect_end,
                    None if label_missing or label is None else label.value,
                    vs,
                    ve,
                    obj.start,
                    obj.end,
                    description=_description_field(desc),
                )
            )
        if desc is not None:
            shapes.add(Shape.DESCRIPTIONS)
            other_shape = other_shape or not design.has_description
            if label is not None:
                order = [f.key for f in fields]
                desc_first = order.index(keys.description) < order.index(keys.label)
                shapes.add(Shape.COT_ORDER if desc_first else Shape.RCOT_ORDER)
                if design.has_description and desc_first != (design.format == "cot"):
                    other_shape = True
    if (
        expected
        and obj.closed
        and not obj.bare
        and not obj.slipped
        and not other_shape
        and len(diags) == before
        and len(items) == 1
        and items[0].value is not None
    ):
        canonical = _canonical_object(items[0], task, design, vocabulary)
        if canonical is not None and text[obj.start : obj.end] != canonical:
            diags.add(
                Code.PUNCTUATION,
                obj.start,
                obj.end,
                "spacing, key order or escaping differs from canonical JSON",
                "ignored",
            )
    return items


#: Key names models commonly write for each field; they break ties between members whose
#: values could play the same part, but never name a part by themselves.
_ASPECT_NAMES = frozenset(("aspect", "category", "target", "方面", "维度"))
_LABEL_NAMES = frozenset(("sentiment", "polarity", "label", "情感", "情绪", "评价"))
_DESCRIPTION_NAMES = frozenset(
    ("description", "reason", "rationale", "explanation", "描述", "理由", "原因")
)


_NOT_ASPECTS = (KeyKind.UNKNOWN, KeyKind.TEMPLATE)


def _squash(key: str) -> str:
    """A key without its case and spaces, for comparing key names."""
    return "".join(key.split()).casefold()


def _one(candidates: list[_Field], names: frozenset[str]) -> _Field | None:
    """The one candidate, or the one whose key is a common name for the part; else None."""
    if len(candidates) == 1:
        return candidates[0]
    named = [f for f in candidates if _squash(f.key) in names]
    return named[0] if len(named) == 1 else None


def _rekey(
    obj: _Object,
    task: Task,
    design: Design,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    drop: set[int],
) -> list[_Field]:
    """The object's fields with keys spelled otherwise (another language, another case) read
    as the task's keys, and one json_key warning when any was. A key equal to a missing task
    key up to case and spaces is that key; otherwise the members are told by their values: the
    one naming an aspect is the aspect, the one naming a label the label (or, when no value
    names one, the one member under a label's name), and (CoT, R-CoT) the one left the
    description; common key names break ties. Nothing unique, no renaming (and no
    value-based renaming at all unless the aspect is then known): the object is read as
    written."""
    keys = task.json_keys
    roles = (keys.aspect, keys.label, keys.description)
    fields = obj.fields
    present = {f.key for f in fields if f.key in roles}
    if (
        keys.aspect in present
        and keys.label in present
        and (keys.description in present or not design.has_description)
    ):
        return fields
    free = [f for f in fields if f.key not in roles and not vocabulary.key_kind(f.key).names_slot]
    if not free:
        return fields
    renamed: dict[int, str] = {}
    for role in roles:
        if role in present:
            continue
        same = [f for f in free if _squash(f.key) == _squash(role)]
        if len(same) == 1:
            renamed[id(same[0])] = role
    by_name = dict(renamed)
    missing = [role for role in roles if role not in present and role not in renamed.values()]
    left = [f for f in free if id(f) not in renamed and f.has_value]
    aspect = label = None
    if keys.aspect in missing:
        aspect = _one(
            [f for f in left if vocabulary.key_kind(f.value) not in _NOT_ASPECTS],
            _ASPECT_NAMES,
        )
    if keys.label in missing:
        labelled = [f for f in left if vocabulary.value_kind(f.value) is not ValueKind.NONE]
        # no value names a label: the one member under a label's name holds it (the schema
        # then finds it invalid, cut off or ambiguous; nothing is guessed)
        label = _one(labelled or [f for f in left if _squash(f.key) in _LABEL_NAMES], _LABEL_NAMES)
    if aspect is not None and aspect is label:
        aspect = label = None
    if aspect is not None:
        renamed[id(aspect)] = keys.aspect
    if label is not None:
        renamed[id(label)] = keys.label
    if keys.description in missing:
        rest = [f for f in left if id(f) not in renamed]
        if not design.has_description:
            rest = [f for f in rest if _squash(f.key) in _DESCRIPTION_NAMES]
        desc = _one(rest, _DESCRIPTION_NAMES)
        if desc is not None:
            renamed[id(desc)] = keys.description
    if keys.aspect not in present and keys.aspect not in renamed.values():
        renamed = by_name  # the aspect unknown: the values tell nothing safely
    if not renamed:
        return fields
    out: list[_Field] = []
    spelled: list[_Field] = []
    for f in fields:
        meant = renamed.get(id(f))
        if meant is None:
            out.append(f)
            continue
        spelled.append(f)
        out.append(replace(f, key=meant, number_slip=None))
        if meant == keys.label and design.numeric_labels and f.number_slip is not None:
            drop.add(id(f.number_slip))
    start = min(f.key_start for f in spelled)
    end = max(f.key_end for f in spelled)
    written = ", ".join(repr(f.key) for f in spelled)
    trained = ", ".join(repr(renamed[id(f)]) for f in spelled)
    diags.add(
        Code.JSON_KEY,
        start,
        end,
        f"JSON keys {written} where {trained} were trained",
        "recognised by their values" if len(by_name) < len(renamed) else "read as the task's keys",
    )
    return out


def _wrapper(text: str, obj: _Object) -> bool:
    """Whether the object is a wrapper around an array of objects (``{"results": [``): open,
    its keys without values, an array bracket last."""
    return (
        not obj.closed
        and bool(obj.fields)
        and not any(f.has_value for f in obj.fields)
        and text[obj.start : obj.end].rstrip().endswith("[")
    )


def _description_field(found: _Field | None) -> Field | None:
    if found is None:
        return None
    start, end = found.span
    return Field(found.value, start, end)


def _canonical_object(
    item: Record, task: Task, design: Design, vocabulary: Vocabulary
) -> str | None:
    """The canonical spelling of an object whose key and label are spelled canonically."""
    if item.value is None:
        return None
    key, value = item.key.text.strip(), item.value.text.strip()
    if vocabulary.key_kind(key) is not KeyKind.EXACT:
        return None
    if vocabulary.value_kind(value) is not ValueKind.CANONICAL:
        return None
    spelled: str | int = int(value) if design.numeric_labels else value
    description = item.description.text if item.description is not None else ""
    return render_json_object(key, spelled, task, design, description)


def render_json_object(
    key: str, value: str | int, task: Task, design: Design, description: str = ""
) -> str:
    """One canonical JSON line: keys in the design's order, ``ensure_ascii=False`` spacing."""
    keys = task.json_keys
    fields: tuple[tuple[str, str | int], ...]
    if design.format == "cot":
        fields = ((keys.aspect, key), (keys.description, description), (keys.label, value))
    elif design.format == "rcot":
        fields = ((keys.aspect, key), (keys.label, value), (keys.description, description))
    else:
        fields = ((keys.aspect, key), (keys.label, value))
    return "{" + ", ".join(f"{_dump(name)}: {_dump(item)}" for name, item in fields) + "}"


_ESCAPED = re.compile(r'[\x00-\x1f\\"]')


def _dump(value: str | int) -> str:
    """``json.dumps(value, ensure_ascii=False)``, without its cost for a string that needs no
    escape."""
    if isinstance(value, str) and _ESCAPED.search(value) is None:
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


#: Where a long JSON output may be cut: after a line break, a comma or a bracket, keeping the
#: string state; quotes, brackets, colons, commas, backslashes and spaces carry the structure.
_FOLD_RULES = FoldRules("\n,{}[]", '\\s"{}\\[\\]:,\\\\', quoted=True)


class JsonLinesLayout(Layout):
    """One JSON object per line: the json, cot and rcot designs (they differ only in keys)."""

    name = "jsonl"
    formats = ("json", "cot", "rcot")
    grammar = GRAMMAR
    canonical_template = "jsonl.lark"

    def canonical_item(self, design: Design) -> str:
        return f"_{design.format}"
    #: Whether plain-object lines take the line scanner (False: all through the LALR parser).
    fast = True

    def sniff(self, text: str) -> bool:
        return "{" in text

    def read(
        self,
        text: str,
        task: Task,
        design: Design,
        vocabulary: Vocabulary,
        diags: Diagnostics,
        expected: bool,
    ) -> Reading:
        return read_json(text, task, design, vocabulary, diags, expected, self.fast)

    def joiner(self, task: Task, design: Design) -> tuple[str, str]:
        return "\n", ""

    def fold_rules(self, task: Task) -> FoldRules:
        keys = task.json_keys
        return replace(_FOLD_RULES, words=(keys.aspect, keys.label, keys.description))

    def render_item(
        self, key: str, value: str | int, task: Task, design: Design, description: str = ""
    ) -> str:
        return render_json_object(key, value, task, design, description)
