"""A safe reader for the part of Python's literal syntax the released extraction code meets.

The released MAVEN and GENIA evaluations read each output line with ``ast.literal_eval``.
sdeparse never hands model output to Python's compiler; this module decides, with one linear
left-to-right scan, what ``ast.literal_eval(text)`` would return for a line, and builds the
value itself.

**The subset decided** (the verdict is `Verdict.LITERAL` with the value Python would give, or
`Verdict.NOT_A_LITERAL` exactly where Python raises):

* lists ``[...]``, tuples ``(...)``, ``()`` and bare top-level tuples ``a, b``, parentheses
  around any value, trailing commas where Python allows them, nesting up to 200 brackets;
* ``str`` literals in every quote style (``'``, ``"``, ``'''``, ``\"\"\"``), with the prefixes
  ``r``, ``u`` (any case), every escape of Python (``\\x``, ``\\u``, ``\\U``, ``\\N{name}``,
  octal, the one-letter ones; unknown escapes are kept), and implicit concatenation;
* numbers: decimal, hexadecimal, octal and binary integers, floats, imaginary numbers, with
  underscores, a unary ``+``/``-`` and the complex sums ``1+2j``/``-1.5-2j`` literal_eval
  accepts; ``None``, ``True``, ``False`` and ``...``;
* whitespace (space, tab, form feed) between tokens; anything else outside a string (a name,
  an operator, a non-ASCII or control character, a lone surrogate or NUL anywhere, an f-string,
  an unterminated string, a bad escape, a malformed number) makes Python fail, and so the line
  is not a literal.

**Outside the subset** (`Verdict.OUTSIDE_SUBSET`, no value, and no claim about what Python
would do): a line holding a newline or carriage return, a ``#`` comment, braces (dicts and
sets), bytes literals, or the name ``set`` (as in ``set()``). Callers treat such a line like one
that is not a literal; it is met first, so an error later in the line does not change it.

Values are those of Python for the running interpreter (the integer digit limit of
``sys.get_int_max_str_digits()`` included); the nesting limit is that of CPython 3.11.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["MAX_NESTING", "LiteralReading", "Verdict", "read_literal"]

#: CPython's tokenizer refuses more than this many open brackets (3.11: 200 pass, 201 fail).
MAX_NESTING = 200


class Verdict(Enum):
    """What a line is, for Python's literal syntax."""

    LITERAL = "literal"
    NOT_A_LITERAL = "not_a_literal"
    OUTSIDE_SUBSET = "outside_subset"


@dataclass(frozen=True, slots=True)
class LiteralReading:
    """The verdict on one line and, for a literal, its value (None otherwise, or the None value)."""

    verdict: Verdict
    value: Any = None

    @property
    def is_literal(self) -> bool:
        """Whether the line is a literal of the subset (and `value` is what Python gives)."""
        return self.verdict is Verdict.LITERAL


NOT_A_LITERAL = LiteralReading(Verdict.NOT_A_LITERAL)
OUTSIDE_SUBSET = LiteralReading(Verdict.OUTSIDE_SUBSET)


class _Stop(Exception):
    """Ends the scan with a verdict other than LITERAL."""

    def __init__(self, reading: LiteralReading) -> None:
        super().__init__(reading.verdict.value)
        self.reading = reading


def _fail() -> _Stop:
    return _Stop(NOT_A_LITERAL)


def _outside() -> _Stop:
    return _Stop(OUTSIDE_SUBSET)


# ---- tokens ------------------------------------------------------------------------------------
_D = r"[0-9](?:_?[0-9])*"
# Alternatives in the order that makes Python's regex take the longest valid number token.
_NUMBER = re.compile(
    r"(?P<int>0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+)"
    rf"|(?P<float>(?:(?:{_D})?\.{_D}|{_D}\.)(?:[eE][+-]?{_D})?|{_D}[eE][+-]?{_D})(?P<fj>[jJ])?"
    rf"|(?P<imag>{_D})[jJ]"
    r"|(?P<dec>[1-9](?:_?[0-9])*|0+(?:_?0)*)"
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WHITESPACE = re.compile(r"[ \t\f]*")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]|[^\x00-\x7f]")
_GLOBAL_FAIL = re.compile(r"[\x00\ud800-\udfff]")
_GLOBAL_OUTSIDE = re.compile(r"[\n\r]")
_STRING_PREFIXES = {"": False, "r": True, "u": False}
_CONSTANTS = {"None": None, "True": True, "False": False}
_SIMPLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_HEX = re.compile(r"[0-9a-fA-F]+")
_OCTAL = re.compile(r"[0-7]{1,3}")
_QUOTE_OR_BACKSLASH = {q: re.compile(rf"[{q}\\]") for q in "'\""}


def _skip_space(text: str, pos: int) -> int:
    """The index of the first character at or after `pos` that is not a space, tab or form feed."""
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _decode_escapes(body: str) -> str:
    """The value of a non-raw str literal's body: Python's escapes, unknown ones kept."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        j = body.find("\\", i)
        if j < 0:
            out.append(body[i:])
            break
        out.append(body[i:j])
        c = body[j + 1]  # a body never ends in an unpaired backslash (it would escape the quote)
        if c in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[c])
            i = j + 2
        elif "0" <= c <= "7":
            m = _OCTAL.match(body, j + 1)
            assert m is not None
            out.append(chr(int(m.group(), 8)))
            i = m.end()
        elif c in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[c]
            digits = body[j + 2 : j + 2 + width]
            if len(digits) != width or not _HEX.fullmatch(digits):
                raise _fail()
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise _fail()
            out.append(chr(code))
            i = j + 2 + width
        elif c == "N":
            close = body.find("}", j + 3) if body.startswith("{", j + 2) else -1
            if close < 0 or close == j + 3:
                raise _fail()
            try:
                char = unicodedata.lookup(body[j + 3 : close])
            except KeyError:
                raise _fail() from None
            if len(char) != 1:  # a named sequence: \N{...} refuses those
                raise _fail()
            out.append(char)
            i = close + 1
        else:
            out.append("\\" + c)
            i = j + 2
    return "".join(out)


def _string_end(text: str, start: int, quote: str) -> int:
    """The index just past the closing quote of the string whose body starts at `start`.

    A backslash always takes the next character along (raw strings included), as Python's
    tokenizer does; one search per quote or backslash keeps the scan linear.
    """
    finder = _QUOTE_OR_BACKSLASH[quote[0]]
    triple = len(quote) == 3
    i, n = start, len(text)
    while True:
        m = finder.search(text, i)
        if m is None:
            raise _fail()  # unterminated
        j = m.start()
        if text[j] == "\\":
            if j + 1 >= n:
                raise _fail()
            i = j + 2
        elif not triple:
            return j + 1
        elif text.startswith(quote, j):
            return j + 3
        else:
            i = j + 1


# ---- syntax tree kinds: what literal_eval's sign and complex-sum rules look at ----------------
class _Kind(Enum):
    """The shape of a value's syntax tree, as far as literal_eval's number rules care."""

    NUM = "number constant"  # possibly parenthesized
    SIGNED = "signed number"  # a unary + or - applied to a number constant
    SUM = "complex sum"  # real +/- imaginary
    OTHER = "other"  # str, None, bool, Ellipsis, list, tuple


class _Bracket(Enum):
    """What a frame of the scan stands for."""

    TOP = "the line"
    LIST = "["
    PAREN = "("


class _State(Enum):
    """Where a frame of the scan is."""

    EXPECT = "a value must come"  # start of the line, after a sign or a complex sum's +/-
    EXPECT_OR_CLOSE = "a value or the closing bracket"  # after an opening bracket or a comma
    AFTER = "a value was read"


_CLOSERS = {"]": _Bracket.LIST, ")": _Bracket.PAREN}
_Node = tuple[_Kind, Any]


class _Frame:
    """One open bracket (or the line itself): its items and the element being built."""

    __slots__ = ("comma", "items", "kind", "left", "node", "op", "sign", "state")

    def __init__(self, kind: _Bracket) -> None:
        self.kind = kind
        self.items: list[Any] = []
        self.comma = False
        self.state = _State.EXPECT if kind is _Bracket.TOP else _State.EXPECT_OR_CLOSE
        self.sign = ""  # a pending unary sign
        self.left: _Node | None = None  # a pending complex sum's left operand
        self.op = ""
        self.node: _Node | None = None  # the value read (state _State.AFTER)

    def primary(self, node: _Node) -> None:
        """A value was read where one was expected: apply a pending sign or complex sum."""
        kind, value = node
        if self.sign:
            if kind is not _Kind.NUM:
                raise _fail()
            node = (_Kind.SIGNED, -value if self.sign == "-" else +value)
            self.sign = ""
        if self.left is not None:
            if node[0] is not _Kind.NUM or not isinstance(node[1], complex):
                raise _fail()
            left = self.left[1]
            node = (_Kind.SUM, left + node[1] if self.op == "+" else left - node[1])
            self.left = None
        self.node = node
        self.state = _State.AFTER

    def operator(self, op: str) -> None:
        """A + or - where one may stand: unary before a value, a complex sum after one."""
        if self.state is _State.AFTER:
            assert self.node is not None
            kind, value = self.node
            if kind not in (_Kind.NUM, _Kind.SIGNED) or type(value) not in (int, float):
                raise _fail()
            self.left, self.op, self.node = self.node, op, None
            self.state = _State.EXPECT
        elif self.sign or self.left is not None:
            raise _fail()  # --1, 1+-2j: literal_eval refuses nested signs
        else:
            self.sign = op
            self.state = _State.EXPECT

    def separator(self) -> None:
        """A comma: the value read becomes an item (a comma also makes parentheses a tuple)."""
        if self.state is not _State.AFTER:
            raise _fail()
        assert self.node is not None
        self.items.append(self.node[1])
        self.node = None
        self.comma = True
        self.state = _State.EXPECT_OR_CLOSE

    def close(self) -> _Node:
        """The value of the frame at its closing bracket (or at the end of the line)."""
        if self.state is _State.EXPECT:
            raise _fail()
        if self.kind is _Bracket.LIST:
            if self.node is not None:
                self.items.append(self.node[1])
            return (_Kind.OTHER, self.items)
        if self.node is not None and not self.comma:
            return self.node  # parentheses around one value keep its kind
        if self.node is not None:
            self.items.append(self.node[1])
        if self.kind is _Bracket.TOP and not self.items:
            raise _fail()  # an empty line
        return (_Kind.OTHER, tuple(self.items))


def _number(match: re.Match[str]) -> Any:
    """The value of a number token; _Stop where Python's compiler refuses it (digit limit)."""
    token = match.group()
    if match.group("float") is not None:
        real = float(match.group("float"))
        return complex(0.0, real) if match.group("fj") else real
    if match.group("imag") is not None:
        return complex(0.0, float(match.group("imag")))
    try:
        return int(token, 0)
    except ValueError:  # more decimal digits than sys.get_int_max_str_digits() allows
        raise _fail() from None


def _scan_strings(text: str, pos: int, prefix: str) -> tuple[str, int]:
    """Adjacent string tokens from `pos` (the first one's prefix already read): value, end."""
    parts: list[str] = []
    n = len(text)
    while True:
        raw = _STRING_PREFIXES[prefix.lower()]
        q = text[pos]
        quote = q * 3 if text.startswith(q * 3, pos) else q
        end = _string_end(text, pos + len(quote), quote)
        body = text[pos + len(quote) : end - len(quote)]
        parts.append(body if raw else _decode_escapes(body))
        # another string token may follow (implicit concatenation)
        nxt = _skip_space(text, end)
        if nxt < n and text[nxt] in "'\"":
            prefix, pos = "", nxt
            continue
        name = _NAME.match(text, nxt) if nxt < n else None
        if name is not None and name.end() < n and text[name.end()] in "'\"":
            prefix = name.group()
            _check_prefix(prefix)
            pos = name.end()
            continue
        return "".join(parts), end


def _check_prefix(prefix: str) -> None:
    """A name right before a quote: a str prefix passes; others end the scan."""
    low = prefix.lower()
    if low in _STRING_PREFIXES:
        return
    if low in ("b", "br", "rb"):
        raise _outside()  # bytes
    if low in ("f", "fr", "rf"):
        raise _fail()  # an f-string is never a literal for literal_eval
    raise _fail()  # a name followed by a string is a syntax error (ur"" included)


def _leading_indent(text: str) -> int:
    """Where the first token starts, after literal_eval's lstrip(" \\t"); _Stop on an indent."""
    start = len(text) - len(text.lstrip(" \t"))
    end = _skip_space(text, start)
    if end > start and text[end - 1] != "\f":
        raise _fail()  # a space or tab after a form feed is an unexpected indent
    return end


def _scan(text: str) -> Any:
    if _GLOBAL_FAIL.search(text):
        raise _fail()  # NUL bytes and lone surrogates stop Python's compiler anywhere
    if _GLOBAL_OUTSIDE.search(text):
        raise _outside()
    n = len(text)
    pos = _leading_indent(text)
    stack = [_Frame(_Bracket.TOP)]
    while True:
        pos = _skip_space(text, pos)
        frame = stack[-1]
        if pos >= n:
            if len(stack) > 1:
                raise _fail()  # unclosed bracket
            return frame.close()[1]
        c = text[pos]
        if c in "#{}":
            raise _outside()
        if c == ",":
            frame.separator()
            pos += 1
            continue
        if c in "+-":
            frame.operator(c)
            pos += 1
            continue
        if c in "])":
            if len(stack) == 1 or frame.kind is not _CLOSERS[c] or frame.sign or frame.left:
                raise _fail()
            node = frame.close()
            stack.pop()
            stack[-1].primary(node)
            pos += 1
            continue
        # from here on, a value must be expected
        if frame.state is _State.AFTER:
            raise _fail()  # two values in a row, a call, a subscript, an attribute ...
        if c in "[(":
            if len(stack) > MAX_NESTING:
                raise _fail()
            stack.append(_Frame(_Bracket.LIST if c == "[" else _Bracket.PAREN))
            pos += 1
            continue
        if c in "'\"":
            value, pos = _scan_strings(text, pos, "")
            frame.primary((_Kind.OTHER, value))
            continue
        if c == "." and not (pos + 1 < n and text[pos + 1] in "0123456789"):
            if not text.startswith("...", pos):
                raise _fail()
            frame.primary((_Kind.OTHER, ...))
            pos += 3
            continue
        number = _NUMBER.match(text, pos)
        if number is not None:
            end = number.end()
            if end < n and _NAME_CHAR.match(text, end):
                raise _fail()  # 1_, 0b12, 1abc, 1if ...: an error or not a literal
            frame.primary((_Kind.NUM, _number(number)))
            pos = end
            continue
        name = _NAME.match(text, pos)
        if name is None:
            raise _fail()  # an operator, a control or non-ASCII character, a backslash ...
        word, end = name.group(), name.end()
        if end < n and text[end] in "'\"":
            _check_prefix(word)
            value, pos = _scan_strings(text, end, word)
            frame.primary((_Kind.OTHER, value))
            continue
        if end < n and not text[end].isascii():
            raise _fail()  # the name goes on with non-ASCII letters: some other name
        if word in _CONSTANTS:
            frame.primary((_Kind.OTHER, _CONSTANTS[word]))
            pos = end
            continue
        if word == "set":
            raise _outside()  # set() is the one call literal_eval accepts
        raise _fail()  # any other name or keyword


def read_literal(text: str) -> LiteralReading:
    """What ``ast.literal_eval(text)`` would decide, without compiling anything (module doc)."""
    try:
        return LiteralReading(Verdict.LITERAL, _scan(text))
    except _Stop as stop:
        return stop.reading
