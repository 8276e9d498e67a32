"""The span terminals of the extraction grammars: a span is free text, so each quoting's
character class is derived here from exactly what the renderer writes.

* JSON quoting (tuples, the JSON design, ``quoting = "json"``): ``json.dumps(span,
  ensure_ascii=False)`` of a non-empty span: the template's ``JSON_SPAN``.
* Python quoting: ``repr(span)``: single quotes unless the span holds ``'`` and no ``"``;
  ``\\\\``, ``\\'`` (only when both quotes occur), ``\\t \\n \\r``, ``\\xHH`` for the other
  non-printable characters below U+0100 and ``\\uHHHH``/``\\UHHHHHHHH`` above; every character
  ``str.isprintable`` accepts stays raw (the class is read off the running Python's Unicode
  tables). One deliberate superset: any ``\\uHHHH``/``\\U000HHHHH`` escape is accepted, not only
  those of non-printable characters (exact would be thousands of hex ranges per span).
* Bare spans (``quoting = "none"``, Natural and Lines): what `render` lets through: no comma,
  semicolon (ASCII or full-width) or newline, no space (``str.isspace``) at either end, not
  the placeholder in any case, not wrapped in a pair of equal quotes; and the whole list
  neither starts with ``[`` nor ends with ``]`` (`first`/`last` variants).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from .errors import DesignError

_CLASS_SPECIAL = frozenset("\\]^-[")
#: What a bare span never holds (render refuses it: it would not read back).
BARE_FORBIDDEN = ",，;；\n"


def _escaped(code: int) -> str:
    """One character for a regex class or sequence: raw when printable and not special."""
    char = chr(code)
    if char in _CLASS_SPECIAL:
        return "\\" + char
    if char.isprintable() and not char.isspace() and char not in "/|()*+?.{}$":
        return char
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def char_class(ranges: Iterable[tuple[int, int]], negate: bool = False) -> str:
    """A regex class of the (inclusive, sorted, disjoint) code point ranges."""
    parts = []
    for low, high in ranges:
        if low == high:
            parts.append(_escaped(low))
        elif high == low + 1:
            parts.append(_escaped(low) + _escaped(high))
        else:
            parts.append(_escaped(low) + "-" + _escaped(high))
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


def _set(chars: str) -> str:
    """A regex class of exactly `chars`."""
    return char_class(_ranges(map(ord, chars)))


def _ranges(codes: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for code in sorted(set(codes)):
        if out and out[-1][1] == code - 1:
            out[-1] = (out[-1][0], code)
        else:
            out.append((code, code))
    return out


@cache
def _printable_ranges() -> tuple[tuple[int, int], ...]:
    """The code points `str.isprintable` accepts (surrogates excluded), as ranges."""
    out: list[tuple[int, int]] = []
    start = None
    for code in range(0x110001):
        ok = code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF and chr(code).isprintable()
        if ok and start is None:
            start = code
        elif not ok and start is not None:
            out.append((start, code - 1))
            start = None
    return tuple(out)


def _without(ranges: Iterable[tuple[int, int]], chars: str) -> list[tuple[int, int]]:
    """`ranges` less the code points of `chars`."""
    cut = sorted(ord(c) for c in chars)
    out = []
    for low, high in ranges:
        for code in cut:
            if low <= code <= high:
                if low < code:
                    out.append((low, code - 1))
                low = code + 1
        if low <= high:
            out.append((low, high))
    return out


def _hex_alternation(codes: list[int]) -> str:
    """Two-digit lowercase hex spellings of `codes`, grouped by the first digit."""
    groups: dict[str, list[str]] = {}
    for code in codes:
        text = f"{code:02x}"
        groups.setdefault(text[0], []).append(text[1])
    parts = [f"{head}[{''.join(tails)}]" if len(tails) > 1 else head + tails[0]
             for head, tails in groups.items()]
    return "(?:" + "|".join(parts) + ")"


@cache
def python_span_pattern() -> str:
    """The regex of ``repr(span)`` for every non-empty span (see the module docstring)."""
    printable = _printable_ranges()
    low_escaped = [c for c in range(0x100) if not chr(c).isprintable() and chr(c) not in "\t\n\r"]
    escape = (
        r"\\(?:[\\tnr]|x" + _hex_alternation(low_escaped)
        + r"|u(?:0[1-9a-f][0-9a-f]{2}|[1-9a-f][0-9a-f]{3})"
        + r"|U00(?:0[1-9a-f][0-9a-f]{4}|10[0-9a-f]{4}))"
    )
    in_single = char_class(_without(printable, "'\\"))  # " stays raw between single quotes
    in_double = char_class(_without(printable, '"\\'))  # ' stays raw between double quotes
    plain = f"(?:{in_single}|{escape})"
    anything = rf"(?:{in_single}|{escape}|\\')"
    both = rf"{anything}*(?:\\'{anything}*\"|\"{anything}*\\'){anything}*"
    single = f"'(?:{plain}+|{both})'"
    dq_char = f"(?:{in_double}|{escape})"
    double = f"\"{dq_char}*'{dq_char}*\""
    return f"{single}|{double}"


@cache
def _casefolding() -> dict[str, str]:
    """Every character whose casefold differs from itself, by its casefold."""
    out: dict[str, str] = {}
    for code in range(0x110000):
        char = chr(code)
        folded = char.casefold()
        if folded != char:
            out[folded] = out.get(folded, "") + char
    return out


def _casefold_variants(char: str) -> str:
    """The characters whose casefold is `char` (one character, itself casefolded)."""
    return (char if char.casefold() == char else "") + _casefolding().get(char, "")


@cache
def _space_chars() -> str:
    return "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


def bare_span_pattern(placeholder: str, first: bool, last: bool) -> str:
    """The regex of one bare span as render writes it: `first` (the list's first span: no
    leading ``[``), `last` (its last span: no trailing ``]``) restrict the ends.

    Alternatives that go on are written before those that stop, so that a backtracking
    matcher's first match (lark's Earley lexer takes it) is the longest one."""
    folded = placeholder.casefold()
    if any(len(key) > 1 and key in folded for key in _casefolding()):
        raise DesignError(
            f"placeholder {placeholder!r}: a character casefolds into several of its "
            "characters (no exact bare-span grammar)"
        )
    spaces = _space_chars()
    middle_out = BARE_FORBIDDEN
    end_out = BARE_FORBIDDEN + spaces
    variants = [_casefold_variants(c) for c in folded]
    for chars in variants:
        if not chars or any(c in end_out + "'\"[]" for c in chars):
            raise DesignError(f"placeholder {placeholder!r} has no exact bare-span grammar")

    def cls(out: str, also: str = "") -> str:
        return char_class(_ranges(map(ord, out + also)), negate=True)

    mid = cls(middle_out)
    last_out = "]" if last else ""
    end = cls(end_out, last_out)

    def tail(excluded: str = "") -> str:
        """One or more characters ending the span, the first not in `excluded`."""
        if excluded:
            many = f"{cls(middle_out, excluded)}{mid}*{end}"
            return f"(?:{many}|{cls(end_out, last_out + excluded)})"
        return f"{mid}*{end}"

    def after(i: int) -> str:
        """What may follow the placeholder's first i characters (as written in any case)."""
        if i == len(variants):
            return f"(?:{tail()})"
        nxt = variants[i]
        head = f"{_set(nxt)}{after(i + 1)}"
        # stop here (a prefix of the placeholder), leave it, or go on along it
        return f"(?:{head}|{tail(nxt)})?"

    starts = variants[0] if variants else ""
    parts = []
    # first character a quote: the last one must differ from it
    for quote in "'\"":
        parts.append(f"{quote}(?:{mid}*{cls(end_out, last_out + quote)})?")
    first_out = end_out + "'\"" + starts + ("[" if first else "")
    single_end = "]" if last else ""
    parts.append(f"(?:{cls(first_out)}{mid}*{end}|{cls(first_out, single_end)})")
    if variants:
        parts.append(f"{_set(starts)}{after(1)}")
    return "(?:" + "|".join(parts) + ")"
