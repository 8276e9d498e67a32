"""The tuples layout (extraction tasks): one JSON list ``["type", "span"]`` per line.

The tolerant grammar (``grammars/tuples.lark``) names every shape a line can take; `_Reader`
is a lark Transformer with one method per rule, and `read` walks the entries line by line.
Each pair becomes a record whose key is the decoded type and whose value is the span token as
written: the schema reads spans (quotes, escapes, the placeholder), as it does for every
layout, so this reader only decodes the type.

Nothing nests in the grammar, so its language is regular: `Scanner` (the hot path) reads the
same entries as lark's parse with the grammar's own terminals, scanned in C by the lexer's
alternation, and a loop that groups the tokens into lists as the LALR table does. Long runs
are taken by one regex match each: values outside the lists (only the first and last of a run
are read) and lone ``[``. Tests check that both paths give the same records and diagnostics.

Runs of `RUN_FROM` or more lone ``[`` or unmatched ``]`` are reported by one diagnostic each
(a run of 10 MB of ``[`` would otherwise give millions): both paths merge them alike.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lark import Lark, Transformer

from ..design import Design
from ..diagnostics import Code, Severity
from ..grammar import RegexLexer, Tok, build_parser
from ..records import Diagnostics, preview, record
from ..task import Task
from .base import Layout, Reading, Shape, Vocabulary
from .pairs import SPACES, _no_gc

GRAMMAR = "tuples.lark"
_VALUES = frozenset(("STRING", "SQ_STRING", "OPEN_STRING", "NUMBER", "WORD"))
#: From this many lone [ (or unmatched ]) in a row, a run is reported by one diagnostic.
RUN_FROM = 8


@cache
def tuples_parser() -> Lark:
    """The tolerant LALR parser of the tuples layout, built once (its one intended conflict,
    a ] after an open list, is resolved as shift: see the grammar)."""
    return build_parser(GRAMMAR)


@dataclass(slots=True)
class _Body:
    """What stands inside a list: the rule that matched, its values and its commas."""

    rule: str
    values: list[Tok] = field(default_factory=list)
    commas: list[Tok] = field(default_factory=list)


@dataclass(slots=True)
class _List:
    """One list as read: its span, whether it was closed, and its body (None: ``[]``). An open
    list without a body (a lone ``[``) stands for `count` of them in a row (`merge_runs`)."""

    start: int
    end: int
    closed: bool
    body: _Body | None
    count: int = 1


#: A top-level token outside the lists, with the rule that took it ("text", "comma", "bracket").
_Stray = tuple[str, Tok]


class _FastTok:
    """A token of the fast path: what the reader reads of lark's Token (its type, text and
    positions; ``str`` gives the text), cheaper to make."""

    __slots__ = ("end_pos", "start_pos", "type", "value")

    def __init__(self, type_: str, value: str, start_pos: int, end_pos: int) -> None:
        self.type = type_
        self.value = value
        self.start_pos = start_pos
        self.end_pos = end_pos

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"_FastTok({self.type!r}, {self.value!r}, {self.start_pos}, {self.end_pos})"


def _is_lone(entry: Any) -> bool:
    return isinstance(entry, _List) and not entry.closed and entry.body is None


def merge_runs(entries: list[Any]) -> list[Any]:
    """Lone [ next to each other (only spaces between) as one `_List` with a count, and
    unmatched ] likewise as one stray ("brackets", first, last, count): what the reader judges
    run by run. Applied to lark's entries; the scanner makes them merged."""
    out: list[Any] = []
    for entry in entries:
        if out:
            last = out[-1]
            if _is_lone(entry) and _is_lone(last):
                out[-1] = _List(last.start, entry.end, False, None, last.count + entry.count)
                continue
            if isinstance(entry, tuple) and entry[0] == "bracket":
                if isinstance(last, tuple) and last[0] == "brackets":
                    out[-1] = ("brackets", last[1], entry[1], last[3] + 1)
                    continue
            elif isinstance(entry, tuple) and entry[0] == "brackets":
                raise AssertionError("merged brackets are made here only")
        if isinstance(entry, tuple) and entry[0] == "bracket":
            entry = ("brackets", entry[1], entry[1], 1)
        out.append(entry)
    return out


class _Reader(Transformer[Any, list[Any]]):
    """One method per grammar rule, applied bottom-up."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)

    def type(self, children: list[Tok]) -> Tok:
        """The first element: the type."""
        return children[0]

    def span(self, children: list[Tok]) -> Tok:
        """The second element: the span, as written."""
        return children[0]

    def extra(self, children: list[Tok]) -> Tok:
        """An element after the span."""
        return children[0]

    def _body(self, rule: str, children: list[Tok]) -> _Body:
        body = _Body(rule)
        for child in children:
            (body.commas if child.type == "COMMA" else body.values).append(child)
        return body

    def pair(self, children: list[Tok]) -> _Body:
        """type, span: the trained shape."""
        return self._body("pair", children)

    def one_element(self, children: list[Tok]) -> _Body:
        """A list of one element."""
        return self._body("one_element", children)

    def too_many(self, children: list[Tok]) -> _Body:
        """A list of three or more elements."""
        return self._body("too_many", children)

    def only_commas(self, children: list[Tok]) -> _Body:
        """A list of nothing but commas."""
        return self._body("only_commas", children)

    def _list(self, children: list[Any], closed: bool) -> _List:
        first, last = children[0], children[-1]
        body: _Body | None = None
        commas: list[Tok] = []
        for child in children[1:]:
            if isinstance(child, _Body):
                body = child
            elif child.type == "COMMA":
                commas.append(child)  # a comma before the first element
        if body is not None and commas:
            body.commas[:0] = commas
        end = _body_end(last) if isinstance(last, _Body) else last.end_pos
        return _List(first.start_pos, end, closed, body)

    def tuple(self, children: list[Any]) -> _List:
        """[ body ]."""
        return self._list(children, True)

    def open_tuple(self, children: list[Any]) -> _List:
        """[ body, with no closing bracket."""
        return self._list(children, False)

    def text(self, children: list[Tok]) -> _Stray:
        """A value outside any list."""
        return ("text", children[0])

    def stray_comma(self, children: list[Tok]) -> _Stray:
        """A comma between lists."""
        return ("comma", children[0])

    def stray_bracket(self, children: list[Tok]) -> _Stray:
        """A ] that closes no list."""
        return ("bracket", children[0])

    def start(self, children: list[Any]) -> list[Any]:
        """The entries and newlines, in order."""
        return children


def _body_end(body: _Body) -> int:
    tokens = body.values + body.commas
    return max(t.end_pos for t in tokens)


def _decode_type(tok: Tok, diags: Diagnostics) -> str | None:
    """The type a token spells (None when it is cut off), its quoting slips reported."""
    raw = str(tok)
    s, e = tok.start_pos, tok.end_pos
    if tok.type == "STRING":
        try:
            return str(json.loads(raw))
        except ValueError:
            diags.add(Code.JSON_SYNTAX, s, e, "invalid escape in the type", "kept as written")
            return raw[1:-1]
    if tok.type == "SQ_STRING":
        diags.add(Code.JSON_SYNTAX, s, e, "single quotes around the type", "read as a string")
        return raw[1:-1].replace("\\'", "'")
    if tok.type == "NUMBER":
        return raw
    if tok.type == "WORD":
        diags.add(
            Code.JSON_SYNTAX,
            s,
            e,
            f"missing quotes around the type {preview(raw)!r}",
            "read as a string",
        )
        return raw
    return None  # OPEN_STRING


class TuplesReading:
    """The records of one tuples answer and the slips between and inside its lists."""

    def __init__(self, text: str, task: Task, diags: Diagnostics, expected: bool) -> None:
        self.text = text
        self.task = task
        self.diags = diags
        self.expected = expected
        self.content_end = len(text.rstrip())

    def read(self, entries: list[Any]) -> Reading:
        """Walk the entries line by line: lists to records, strays judged by their place."""
        text, diags = self.text, self.diags
        reading = Reading([])
        lines: list[list[Any]] = [[]]
        breaks: list[Tok] = []
        for entry in entries:
            if isinstance(entry, (_List, tuple)):
                lines[-1].append(entry)
            else:  # NEWLINE
                breaks.append(entry)
                lines.append([])
        with_lists = [i for i, line in enumerate(lines) if any(isinstance(e, _List) for e in line)]
        first = with_lists[0] if with_lists else len(lines)
        last = with_lists[-1] if with_lists else -1
        # blank lines between lists
        for index in range(max(first, 0) + 1, last + 1):
            if not lines[index]:
                newline = breaks[index - 1]
                diags.add(
                    Code.EMPTY_ITEM,
                    newline.start_pos,
                    newline.end_pos,
                    "blank line between tuples",
                    "skipped",
                )
        lists = [e for line in lines for e in line if isinstance(e, _List)]
        lone_empty = len(lists) == 1 and lists[0].body is None and lists[0].closed
        for index, line in enumerate(lines):
            self._line(line, index < first or index > last, lone_empty, reading)
        if self.expected and text and text != text.strip() and reading.records:
            diags.add(Code.PUNCTUATION, 0, len(text), "whitespace around the answer", "ignored")
        return reading

    def _line(self, line: list[Any], outside: bool, lone_empty: bool, reading: Reading) -> None:
        """One line's entries: its lists, then its stray text, commas and brackets."""
        diags = self.diags
        lists = [e for e in line if isinstance(e, _List)]
        strays = [e for e in line if not isinstance(e, _List)]
        # an outer array: an empty open list, or a stray ], around lists on the line
        outer = [e for e in lists if not e.closed and e.body is None]
        real = [e for e in lists if e.closed or e.body is not None]
        brackets = [e for e in strays if e[0] == "brackets"]
        commas = [e[1] for e in strays if e[0] == "comma"]
        if (outer or brackets) and real:
            reading.shapes.add(Shape.TUPLE_ARRAY)
        else:
            for e in outer:
                self._lone_run(e)
            for _, first, last, count in brackets:
                self._bracket_run(first, last, count)
        if len(real) > 1 and Shape.TUPLE_ARRAY not in reading.shapes:
            reading.shapes.add(Shape.TUPLES_JOINED)
        if commas and not real:
            for tok in commas:
                diags.add(
                    Code.JSON_SYNTAX,
                    tok.start_pos,
                    tok.end_pos,
                    "a comma outside the lists",
                    "ignored",
                )
        for e in real:
            self._list(e, lone_empty, reading)
        texts = [e[1] for e in strays if e[0] == "text"]
        if texts:
            s, e = texts[0].start_pos, texts[-1].end_pos
            shown = preview(self.text[s:e])
            if outside or real:
                diags.add(Code.EXTRA_TEXT, s, e, f"text outside the tuples: {shown!r}", "removed")
            else:
                diags.add(
                    Code.MALFORMED_TUPLE,
                    s,
                    e,
                    f"a line that is not a list: {shown!r}",
                    "dropped",
                )

    def _lone_run(self, run: _List) -> None:
        """`run.count` lone [ in a row: each a diagnostic, or one for the run from `RUN_FROM`
        on; one that ends the output is a cut-off."""
        diags, text = self.diags, self.text
        count, start = run.count, run.start
        last = run.end - 1  # where the last [ stands
        cut = run.end >= self.content_end
        alone = count - 1 if cut else count
        if alone >= RUN_FROM:
            end = text.rindex("[", start, last) + 1 if cut else run.end
            diags.add(Code.JSON_SYNTAX, start, end, f"{alone} lone [ in a row", "ignored")
        elif alone:
            at = start
            for _ in range(alone):
                at = text.index("[", at)
                diags.add(Code.JSON_SYNTAX, at, at + 1, "a lone [", "ignored")
                at += 1
        if cut:
            diags.add(Code.TRUNCATED, last, len(text), "the output ends at a [", "nothing to read")

    def _bracket_run(self, first: Any, last: Any, count: int) -> None:
        """`count` unmatched ] in a row: each a diagnostic, or one for the run."""
        diags = self.diags
        if count >= RUN_FROM:
            diags.add(
                Code.JSON_SYNTAX,
                first.start_pos,
                last.end_pos,
                f"{count} unmatched ] in a row",
                "ignored",
            )
            return
        at = first.start_pos
        for _ in range(count):
            at = self.text.index("]", at)
            diags.add(Code.JSON_SYNTAX, at, at + 1, "unmatched ]", "ignored")
            at += 1

    def _list(self, found: _List, lone_empty: bool, reading: Reading) -> None:
        """One list: a pair becomes a record; every other shape a diagnostic."""
        text, diags = self.text, self.diags
        before = len(diags)
        at_end = found.end >= self.content_end
        body = found.body
        shown = preview(text[found.start : found.end])
        if body is None:  # [] (closed: an open one is handled by the line)
            if lone_empty and self.task.spans.empty_tuples == "[]":
                return
            message = (
                "[] where the empty output means no pair"
                if lone_empty
                else "an empty list among the tuples"
            )
            diags.add(Code.EMPTY_ITEM, found.start, found.end, message, "skipped")
            return
        if body.rule == "only_commas":
            diags.add(
                Code.MALFORMED_TUPLE, found.start, found.end, f"{shown!r} is empty", "dropped"
            )
            return
        if len(body.commas) > 1 or any(c.end_pos - c.start_pos > 1 for c in body.commas):
            self._commas(body)
        if body.rule in ("one_element", "too_many"):
            if not found.closed and at_end and body.rule == "one_element":
                diags.add(
                    Code.TRUNCATED,
                    found.start,
                    len(text),
                    f"the output ends inside the tuple {shown!r}",
                    "dropped",
                )
                return
            count = "one element" if body.rule == "one_element" else f"{len(body.values)} elements"
            diags.add(
                Code.MALFORMED_TUPLE,
                found.start,
                found.end,
                f"{shown!r} has {count}, not a type and a span",
                "dropped",
            )
            return
        type_tok, span_tok = body.values
        if not body.commas:
            diags.add(
                Code.JSON_SYNTAX,
                type_tok.end_pos,
                span_tok.start_pos,
                "missing comma between type and span",
                "inserted",
            )
        elif body.commas[-1].start_pos > span_tok.start_pos:
            comma = body.commas[-1]
            diags.add(Code.JSON_SYNTAX, comma.start_pos, comma.end_pos, "trailing comma", "ignored")
        if body.commas and body.commas[0].end_pos <= type_tok.start_pos:
            comma = body.commas[0]
            diags.add(Code.JSON_SYNTAX, comma.start_pos, comma.end_pos, "leading comma", "ignored")
        name = _decode_type(type_tok, diags)
        if name is None:
            if at_end and not found.closed and type_tok.end_pos >= self.content_end:
                diags.add(
                    Code.TRUNCATED,
                    found.start,
                    len(text),
                    "the output ends inside the type",
                    "dropped",
                )
            else:
                diags.add(
                    Code.MALFORMED_TUPLE,
                    type_tok.start_pos,
                    type_tok.end_pos,
                    "the type's quote is not closed",
                    "dropped",
                )
            return
        if not found.closed:
            span_cut = span_tok.type == "OPEN_STRING"
            if at_end:
                if not span_cut:  # a cut-off span is the schema's to report
                    diags.add(
                        Code.TRUNCATED,
                        found.start,
                        len(text),
                        "the output ends before the tuple's ]",
                        "kept the pair",
                        severity=Severity.WARNING,
                    )
            else:
                diags.add(Code.JSON_SYNTAX, found.end, found.end, "missing ]", "inserted")
        if (
            self.expected
            and found.closed
            and len(diags) == before
            and type_tok.type in ("STRING", "NUMBER")
            and span_tok.type == "STRING"
        ):
            canonical = f"[{type_tok}{self.task.spans.tuple_comma}{span_tok}]"
            if text[found.start : found.end] != canonical:
                diags.add(
                    Code.PUNCTUATION,
                    found.start,
                    found.end,
                    "spacing differs from the canonical tuple",
                    "ignored",
                )
        reading.records.append(
            record(
                name,
                type_tok.start_pos,
                type_tok.end_pos,
                str(span_tok),
                span_tok.start_pos,
                span_tok.end_pos,
                found.start,
                found.end,
            )
        )

    def _commas(self, body: _Body) -> None:
        for comma in body.commas:
            if comma.end_pos - comma.start_pos > 1 and "," in str(comma)[1:]:
                self.diags.add(
                    Code.JSON_SYNTAX,
                    comma.start_pos,
                    comma.end_pos,
                    "repeated commas",
                    "read as one",
                )


class Scanner:
    """Reads a text into the entries lark's parse and `_Reader` give (lists, strays and
    newlines, lone [ and unmatched ] merged into runs as `merge_runs` does), with the
    grammar's own terminals: one match of the lexer's alternation per token, and one match for
    a whole run of values outside the lists (the reader reads only the first and the last of
    them), of [ or of ]. The loop groups the tokens as the LALR table does: a [ opens a list
    that takes values and commas until a ] closes it or a [, a newline or the end leaves it
    open; a value, a comma or a ] elsewhere is a stray."""

    def __init__(self, lexer: RegexLexer) -> None:
        self._token = lexer.pattern.match
        index = lexer.pattern.groupindex
        order = sorted(index, key=index.__getitem__)
        patterns = {t.name: t.pattern.to_regexp() for t in tuples_parser().lexer_conf.terminals}
        ignore = next(iter(lexer.ignore))
        # A run of values and spaces, each alternative taken only where the lexer takes it
        # (no terminal tried before it matches there); group v: the last value of the run.
        wanted = [name for name in order if name in _VALUES or name == ignore]
        alternatives: list[str] = []
        for name in wanted:
            before = [patterns[o] for o in order[: order.index(name)] if o not in wanted]
            guard = f"(?!{'|'.join(before)})" if before else ""
            group = f"(?P<v{len(alternatives)}>{patterns[name]})"
            body = patterns[name] if name == ignore else group
            alternatives.append(guard + body)
        self._values = re.compile(f"(?:{'|'.join(alternatives)})*")
        self._value_groups = [g for g in self._values.groupindex]
        self._opens = re.compile(f"\\[(?:[{SPACES}\\[]*\\[)?")
        self._closes = re.compile(f"\\](?:[{SPACES}\\]]*\\])?")
        self._ignore = ignore

    def entries(self, text: str) -> list[Any] | None:
        """The entries of `text`, or None where the lexer stops (a character no terminal
        matches, which the grammar's totality rules out)."""
        token_at, values_at = self._token, self._values.match
        opens_at, closes_at = self._opens.match, self._closes.match
        value_groups, ignore = self._value_groups, self._ignore
        out: list[Any] = []
        append = out.append
        pos, size = 0, len(text)
        while pos < size:
            m = token_at(text, pos)
            if m is None or m.end() == pos:
                return None
            kind, end = m.lastgroup, m.end()
            if kind == ignore:
                pos = end
            elif kind == "NEWLINE":
                append(_FastTok("NEWLINE", "\n", pos, end))
                pos = end
            elif kind == "LSQB":
                run = opens_at(text, pos)
                if run is None:  # cannot happen: the run starts where the token does
                    return None
                end = run.end()
                if end - pos > 1:  # every [ but the last is followed by a [: a lone one
                    lone_end = text.rindex("[", pos, end - 1) + 1
                    count = run.group().count("[") - 1
                    self._lone(out, _List(pos, lone_end, False, None, count))
                pos = self._list(text, end - 1, out)
            elif kind == "RSQB":
                run = closes_at(text, pos)
                if run is None:  # cannot happen: the run starts where the token does
                    return None
                end = run.end()
                count = run.group().count("]")
                first = _FastTok("RSQB", "]", pos, pos + 1)
                append(("brackets", first, _FastTok("RSQB", "]", end - 1, end), count))
                pos = end
            elif kind == "COMMA":
                append(("comma", _FastTok(kind, m.group(), pos, end)))
                pos = end
            else:  # a value outside the lists, and the values and spaces after it
                append(("text", _FastTok(kind, m.group(), pos, end)))  # type: ignore[arg-type]
                run = values_at(text, end)
                if run is None:  # cannot happen: the run starts where the token does
                    return None
                last = max(value_groups, key=run.start)  # a group keeps its last capture
                if run.start(last) >= 0:
                    append(("text", _FastTok("VALUE", run.group(last), *run.span(last))))
                pos = run.end()
        return out

    @staticmethod
    def _lone(out: list[Any], found: _List) -> None:
        if out and _is_lone(out[-1]):
            last = out[-1]
            out[-1] = _List(last.start, found.end, False, None, last.count + found.count)
        else:
            out.append(found)

    def _list(self, text: str, pos: int, out: list[Any]) -> int:
        """The list opened by the [ at `pos`, appended to `out`; where reading goes on."""
        token_at, ignore = self._token, self._ignore
        size = len(text)
        at = pos + 1
        values: list[Any] = []
        commas: list[Any] = []
        end = at
        closed = False
        while at < size:
            m = token_at(text, at)
            if m is None or m.end() == at:
                break  # the caller's next match stops the scan
            kind = m.lastgroup
            if kind == ignore:
                at = m.end()
                continue
            if kind == "RSQB":
                closed = True
                end = at = m.end()
                break
            if kind == "LSQB" or kind == "NEWLINE":
                break
            tok = _FastTok(kind, m.group(), at, m.end())  # type: ignore[arg-type]
            (commas if kind == "COMMA" else values).append(tok)
            end = at = m.end()
        if not values and not commas:
            body = None
        elif not values:
            body = _Body("only_commas", values, commas)
        else:
            rule = "one_element" if len(values) == 1 else "pair" if len(values) == 2 else "too_many"
            body = _Body(rule, values, commas)
        if not closed:
            end = _body_end(body) if body is not None else pos + 1
        found = _List(pos, end, closed, body)
        if body is None and not closed:
            self._lone(out, found)
        else:
            out.append(found)
        return at


@cache
def scanner() -> Scanner:
    """The tuples scanner, built once."""
    return Scanner(RegexLexer(tuples_parser().lexer_conf))


def read_tuples(
    text: str, task: Task, diags: Diagnostics, expected: bool = True, engine: str = "scanner"
) -> Reading:
    """Records of a tuples answer (one per [type, span] list) and its syntax diagnostics, read
    by the `Scanner` or, with `engine` "lark", by lark's parse (the same result, slower)."""
    with _no_gc(len(text)):
        entries = scanner().entries(text) if engine == "scanner" else None
        if entries is None:
            entries = merge_runs(_Reader().transform(tuples_parser().parse(text)))
        return TuplesReading(text, task, diags, expected).read(entries)


def render_tuple(key: str, span: str, task: Task, design: Design) -> str:
    """One canonical tuple: the type (its code, a JSON number, in a numeric design) and the
    span as JSON strings, parted by the task's tuple comma."""
    head = key if design.numeric_labels else json.dumps(key, ensure_ascii=False)
    return f"[{head}{task.spans.tuple_comma}{json.dumps(span, ensure_ascii=False)}]"


class TuplesLayout(Layout):
    """One ``["type", "span"]`` list per line: the tuples design of extraction tasks."""

    name = "tuples"
    formats = ("tuples",)
    grammar = GRAMMAR

    def sniff(self, text: str) -> bool:
        return any(line.lstrip().startswith("[") for line in text.split("\n"))

    def read(
        self,
        text: str,
        task: Task,
        design: Design,
        vocabulary: Vocabulary,
        diags: Diagnostics,
        expected: bool,
    ) -> Reading:
        return read_tuples(text, task, diags, expected)

    def joiner(self, task: Task, design: Design) -> tuple[str, str]:
        return "\n", ""

    def render_item(
        self, key: str, value: str | int, task: Task, design: Design, description: str = ""
    ) -> str:
        return render_tuple(key, str(value), task, design)
