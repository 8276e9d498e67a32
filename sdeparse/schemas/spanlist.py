"""Span lists as written in a value: quoting a span for output, and reading a written list back
into spans with a diagnostic for every deviation.

A value reaches the schema as the raw text the layout found (`ValueMode` says which syntax):
spans joined by the task's joiner in its quoting (Natural, Lines), a JSON list (JSON), or one
JSON string (a tuple's span). Reading is a careful scanner: one compiled alternation of
tokens (closed strings first, so a quoted span may hold the joiner or the other quote), each
matched once, so the time is linear. Nothing is evaluated: strings are unescaped by hand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum

from ..diagnostics import Code, Severity
from ..records import Diagnostics, Field, preview
from ..task import Extraction, Quoting


class ValueMode(Enum):
    """The syntax of a value: a joined list in the task's quoting, a JSON list, one span."""

    JOINED = "joined"
    JSON_LIST = "json_list"
    SINGLE = "single"


class PieceKind(Enum):
    """What one element of a list turned out to be."""

    SPAN = "span"
    PLACEHOLDER = "placeholder"


@dataclass(frozen=True, slots=True)
class Piece:
    """One element of a written list: a span (its decoded text and where it was written) or
    the placeholder."""

    kind: PieceKind
    field: Field


# ---- writing ---------------------------------------------------------------------------------


def quote(span: str, quoting: Quoting) -> str:
    """A span as the quoting writes it: bare, a JSON string, or as Python's repr does."""
    if quoting is Quoting.JSON:
        return json.dumps(span, ensure_ascii=False)
    if quoting is Quoting.PYTHON:
        return repr(span)
    return span


# ---- unescaping ------------------------------------------------------------------------------

_PY_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)
_PY_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


def _py_escape(match: re.Match[str]) -> str:
    body = match.group(1)
    if len(body) > 1:
        code = int(body[1:], 16)
        return chr(code) if code <= 0x10FFFF else match.group()
    return _PY_SIMPLE.get(body, match.group())


def unquote(token: str) -> str:
    """The text of a closed string token: JSON rules for double quotes (Python's for an
    escape JSON lacks), Python's for single quotes. Never evaluates anything."""
    body = token[1:-1]
    if "\\" not in body:
        return body
    if token[0] == '"':
        try:
            return str(json.loads(token))
        except ValueError:
            pass
    return _PY_ESCAPE.sub(_py_escape, body)


# ---- reading ---------------------------------------------------------------------------------

_DQ = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
_SQ = r"'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
_STRING = re.compile(f"(?:{_DQ}|{_SQ})")
#: Tokens of a quoted list: closed strings, an unclosed one (to the end), commas, brackets
#: (JSON lists only), spaces, and bare text up to the next comma.
_QUOTED = re.compile(
    rf"(?P<STRING>{_DQ}|{_SQ})|(?P<OPEN>[\"'][^\n]*)|(?P<COMMA>[,，])|(?P<SPACE>\s+)"
    r"|(?P<TEXT>[^\s,，\"'](?:[^,，\n]*[^\s,，])?)"
)
_QUOTED_JSON = re.compile(
    rf"(?P<STRING>{_DQ}|{_SQ})|(?P<OPEN>[\"'][^\n]*)|(?P<COMMA>[,，])|(?P<LSQB>\[)|(?P<RSQB>\])"
    r"|(?P<SPACE>\s+)|(?P<TEXT>[^\s,，\"'\[\]](?:[^,，\n\[\]]*[^\s,，\[\]])?)"
)
_COMMA = re.compile(r"[,，]")

#: (kind, text, start, end) of a token, positions in the whole output.
_Token = tuple[str, str, int, int]


class SpanReader:
    """Reads the values of one task: `read` gives the pieces of a value and reports how its
    writing departs from the canonical one."""

    def __init__(self, spans: Extraction, placeholder: str) -> None:
        self.spans = spans
        self.placeholder = placeholder
        self._placeholder_folded = placeholder.casefold()
        #: The placeholder is a quoted empty string ('' for GENIA): any empty string names it.
        self._empty_is_placeholder = (
            len(placeholder) == 2 and placeholder[0] == placeholder[1] and placeholder[0] in "'\""
        )

    def read(self, value: Field, mode: ValueMode, at_end: bool, diags: Diagnostics) -> list[Piece]:
        """The pieces of a written value, in order; `at_end` when it runs to the end of the
        output (an unclosed quote or list is then a cut-off)."""
        raw, start = value.text, value.start
        if mode is ValueMode.SINGLE:
            return self._piece([self._single_token(raw, start)], Quoting.JSON, at_end, diags)
        if mode is ValueMode.JOINED:
            stripped = raw.strip()
            if stripped.startswith("[") and stripped.endswith("]") and len(stripped) >= 2:
                offset = start + raw.index("[")
                diags.add(
                    Code.SPAN_QUOTING,
                    offset,
                    offset + len(stripped),
                    "spans in a bracketed list where they were trained joined by "
                    f"{self.spans.joiner!r}",
                    "read the list",
                )
                return self._json_list(stripped, offset, at_end, diags, quoting=None)
            if self.spans.quoting is Quoting.NONE:
                return self._bare_list(raw, start, at_end, diags)
            return self._quoted_list(raw, start, at_end, diags)
        return self._json_list(raw, start, at_end, diags, quoting=Quoting.JSON)

    # -- the three syntaxes

    def _bare_list(self, raw: str, start: int, at_end: bool, diags: Diagnostics) -> list[Piece]:
        """Spans without quotes, split at every comma (a quoted element is unquoted)."""
        pieces: list[Piece] = []
        commas = list(_COMMA.finditer(raw))
        bounds = [(0, c.start()) for c in commas[:1]]
        bounds += [(a.end(), b.start()) for a, b in zip(commas, commas[1:], strict=False)]
        bounds.append((commas[-1].end() if commas else 0, len(raw)))
        if commas:
            self._joiners(raw, start, [(c.start(), c.end()) for c in commas], diags)
        last = len(bounds) - 1
        for index, (s, e) in enumerate(bounds):
            part = raw[s:e]
            text = part.strip()
            position = s + (len(part) - len(part.lstrip()))
            span_start = start + position
            span_end = span_start + len(text)
            if not text:
                self._empty(span_start, len(bounds), diags)
                continue
            if self._is_placeholder(text, span_start, diags):
                pieces.append(Piece(PieceKind.PLACEHOLDER, Field(text, span_start, span_end)))
                continue
            if at_end and index == last and self._cut_placeholder(text):
                diags.add(
                    Code.TRUNCATED,
                    span_start,
                    span_end,
                    f"the output ends inside the placeholder ({text!r})",
                    "read as no span",
                )
                continue
            if _STRING.fullmatch(text):
                diags.add(
                    Code.SPAN_QUOTING,
                    span_start,
                    span_end,
                    f"quotes around the span {preview(text)!r} where spans are bare",
                    "removed",
                )
                text = unquote(text)
                if self._is_placeholder(text, span_start, diags):
                    pieces.append(Piece(PieceKind.PLACEHOLDER, Field(text, span_start, span_end)))
                    continue
            pieces.append(Piece(PieceKind.SPAN, Field(text, span_start, span_end)))
        return pieces

    def _quoted_list(self, raw: str, start: int, at_end: bool, diags: Diagnostics) -> list[Piece]:
        """Quoted spans joined by the joiner (Python or JSON quoting)."""
        pieces: list[Piece] = []
        for group in self._groups(_tokens(_QUOTED, raw, start), diags):
            pieces += self._piece(group, self.spans.quoting, at_end, diags)
        return pieces

    def _json_list(
        self, raw: str, start: int, at_end: bool, diags: Diagnostics, quoting: Quoting | None
    ) -> list[Piece]:
        """A bracketed list of JSON strings (`quoting` None: in the task's own quoting)."""
        tokens = _tokens(_QUOTED_JSON, raw, start)
        solid = [t for t in tokens if t[0] != "SPACE"]
        expected = quoting or self.spans.quoting
        if quoting is None and expected is Quoting.NONE:
            expected = Quoting.JSON  # bare spans in brackets: quoted ones are the JSON kind
        end = start + len(raw)
        if not solid:
            diags.add(Code.EMPTY_ITEM, start, end, "no span list", "read as no span")
            return []
        opened = solid[0][0] == "LSQB"
        closed = solid[-1][0] == "RSQB" and (len(solid) > 1 or not opened)
        inner = solid[1 if opened else 0 : len(solid) - 1 if closed else len(solid)]
        for token in inner:
            if token[0] in ("LSQB", "RSQB"):
                diags.add(
                    Code.JSON_SYNTAX, token[2], token[3], "a bracket inside the list", "ignored"
                )
        inner = [t for t in inner if t[0] not in ("LSQB", "RSQB")]
        last_open = bool(inner) and inner[-1][0] == "OPEN"
        if not opened:
            diags.add(
                Code.JSON_SYNTAX,
                solid[0][2],
                solid[0][2],
                "the span list has no [",
                "read as a list",
            )
        if not closed:
            if at_end:
                if not last_open:
                    diags.add(
                        Code.TRUNCATED,
                        start,
                        end,
                        "the output ends inside the span list",
                        "kept the complete spans",
                        severity=Severity.WARNING,
                    )
            else:
                diags.add(Code.JSON_SYNTAX, end, end, "the span list has no ]", "inserted")
        pieces: list[Piece] = []
        before = len(diags)
        for group in self._groups(inner, diags, joiners=False):
            pieces += self._piece(group, expected, at_end, diags)
        if (
            quoting is not None
            and opened
            and closed
            and len(diags) == before
            and all(p.kind is PieceKind.SPAN for p in pieces)
        ):
            canonical = json.dumps([p.field.text for p in pieces], ensure_ascii=False)
            if raw != canonical:
                diags.add(
                    Code.PUNCTUATION,
                    start,
                    end,
                    "spacing or escaping of the list differs from canonical JSON",
                    "ignored",
                )
        return pieces

    # -- helpers

    def _groups(
        self, tokens: list[_Token], diags: Diagnostics, joiners: bool = True
    ) -> list[list[_Token]]:
        """The tokens between commas (spaces left out); empty groups and odd joiners reported."""
        groups: list[list[_Token]] = [[]]
        commas: list[tuple[int, int]] = []
        for token in tokens:
            if token[0] == "COMMA":
                commas.append((token[2], token[3]))
                groups.append([])
            elif token[0] != "SPACE":
                groups[-1].append(token)
        if len(groups) == 1 and not groups[0]:
            return []
        for index, group in enumerate(groups):
            if not group:
                where = commas[index - 1] if index else commas[0]
                diags.add(
                    Code.EMPTY_ITEM,
                    where[0],
                    where[1],
                    "a comma with no span beside it",
                    "skipped",
                )
        if commas and joiners:
            self._joiners_between(tokens, diags)
        return [group for group in groups if group]

    def _joiners_between(self, tokens: list[_Token], diags: Diagnostics) -> None:
        """Report commas whose spacing differs from the task's joiner."""
        joiner = self.spans.joiner
        for index, token in enumerate(tokens):
            if token[0] != "COMMA":
                continue
            before = tokens[index - 1] if index else None
            after = tokens[index + 1] if index + 1 < len(tokens) else None
            s = before[2] if before is not None and before[0] == "SPACE" else token[2]
            e = after[3] if after is not None and after[0] == "SPACE" else token[3]
            written = (before[1] if s != token[2] and before else "") + token[1]
            written += after[1] if e != token[3] and after else ""
            if written != joiner:
                diags.add(
                    Code.PUNCTUATION,
                    s,
                    e,
                    f"{written!r} between spans instead of {joiner!r}",
                    "read as the joiner",
                )

    def _joiners(
        self, raw: str, start: int, commas: list[tuple[int, int]], diags: Diagnostics
    ) -> None:
        """Bare lists: report commas whose spacing differs from the task's joiner."""
        joiner = self.spans.joiner
        for s, e in commas:
            a = s
            while a > 0 and raw[a - 1] in " \t":
                a -= 1
            b = e
            while b < len(raw) and raw[b] in " \t":
                b += 1
            if raw[a:b] != joiner:
                diags.add(
                    Code.PUNCTUATION,
                    start + a,
                    start + b,
                    f"{raw[a:b]!r} between spans instead of {joiner!r}",
                    "read as the joiner",
                )

    def _single_token(self, raw: str, start: int) -> _Token:
        """A tuple's span (one token of the tuples grammar) classified like a list token."""
        if _STRING.fullmatch(raw):
            return ("STRING", raw, start, start + len(raw))
        if raw[:1] in ("'", '"'):
            return ("OPEN", raw, start, start + len(raw))
        return ("TEXT", raw, start, start + len(raw))

    def _piece(
        self, group: list[_Token], quoting: Quoting, at_end: bool, diags: Diagnostics
    ) -> list[Piece]:
        """One element: the span of its first string (or bare text), reported when its
        quoting departs from `quoting` or text follows it (several strings without commas
        between them are a span each); [] when nothing is left."""
        piece = self._first(group, quoting, at_end, diags)
        rest = group[1:]
        first = [] if piece is None else [piece]
        if not rest:
            return first
        end = group[0][3]
        if piece is not None and all(t[0] == "STRING" for t in rest):
            diags.add(
                Code.PUNCTUATION,
                end,
                rest[0][2],
                "spans without a comma between them",
                "split at the quotes",
                severity=Severity.WARNING,
            )
            for token in rest:
                first += self._piece([token], quoting, at_end, diags)
            return first
        diags.add(
            Code.EXTRA_TEXT,
            rest[0][2],
            rest[-1][3],
            f"text after the span: {preview(' '.join(t[1] for t in rest))!r}",
            "removed",
        )
        return first

    def _first(
        self, group: list[_Token], quoting: Quoting, at_end: bool, diags: Diagnostics
    ) -> Piece | None:
        """The element a group's first token spells, None when it spells nothing."""
        kind, written, s, e = group[0]
        rest = group[1:]
        if kind == "OPEN":
            if at_end and not rest:
                diags.add(
                    Code.TRUNCATED,
                    s,
                    e,
                    f"the output ends inside the quoted span {preview(written)!r}",
                    "dropped the cut span",
                )
                return None
            text = written[1:].strip()
            diags.add(
                Code.SPAN_QUOTING,
                s,
                e,
                f"unbalanced quote before {preview(text)!r}",
                "read the text after it as the span",
            )
            if not text:
                return None
            return Piece(PieceKind.SPAN, Field(text, s + 1, e))
        if kind == "STRING":
            text = unquote(written)
            if self._is_placeholder(written, s, diags) or (not text and self._empty_is_placeholder):
                piece = Piece(PieceKind.PLACEHOLDER, Field(written, s, e))
            elif not text:
                diags.add(Code.EMPTY_ITEM, s, e, "an empty span", "skipped")
                piece = None
            else:
                canonical = quote(text, quoting)
                if written != canonical:
                    if quoting is not Quoting.NONE and written[0] != canonical[0]:
                        diags.add(
                            Code.SPAN_QUOTING,
                            s,
                            e,
                            f"span quoted with {written[0]} where {canonical[0]} is canonical",
                            "read as the span",
                        )
                    else:
                        diags.add(
                            Code.PUNCTUATION,
                            s,
                            e,
                            "the span's escaping differs from the canonical one",
                            "ignored",
                        )
                piece = Piece(PieceKind.SPAN, Field(text, s, e))
        else:  # bare text
            text = written.strip()
            if self._is_placeholder(text, s, diags):
                piece = Piece(PieceKind.PLACEHOLDER, Field(text, s, e))
            elif at_end and not rest and self._cut_placeholder(text):
                diags.add(Code.TRUNCATED, s, e, "the output ends inside the placeholder", "no span")
                return None
            else:
                diags.add(
                    Code.SPAN_QUOTING,
                    s,
                    e,
                    f"the span {preview(text)!r} has no quotes",
                    "read as the span",
                )
                piece = Piece(PieceKind.SPAN, Field(text, s, e))
        return piece

    def _is_placeholder(self, written: str, start: int, diags: Diagnostics) -> bool:
        """Whether an element is the placeholder (its case aside, which is reported)."""
        if written == self.placeholder:
            return True
        if written.casefold() == self._placeholder_folded:
            diags.add(
                Code.PUNCTUATION,
                start,
                start + len(written),
                f"placeholder written {written!r} instead of {self.placeholder!r}",
                "read as the placeholder",
            )
            return True
        return False

    def _cut_placeholder(self, text: str) -> bool:
        """Whether bare text at the very end is the placeholder cut short (NO for NONE)."""
        return len(text) < len(self.placeholder) and self.placeholder.startswith(text)

    def _empty(self, at: int, count: int, diags: Diagnostics) -> None:
        if count > 1:
            diags.add(Code.EMPTY_ITEM, at, at, "an empty element between commas", "skipped")


def _tokens(pattern: re.Pattern[str], raw: str, start: int) -> list[_Token]:
    """The tokens of `raw` (every character belongs to one: the alternation is total)."""
    out: list[_Token] = []
    position, size = 0, len(raw)
    match = pattern.match
    while position < size:
        found = match(raw, position)
        if found is None or found.end() == position:  # cannot happen: one char always matches
            out.append(("TEXT", raw[position:], start + position, start + size))
            break
        kind = found.lastgroup or "TEXT"
        out.append((kind, found.group(), start + found.start(), start + found.end()))
        position = found.end()
    return out
