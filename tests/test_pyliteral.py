"""The safe Python-literal reader, checked against ``ast.literal_eval`` (in the tests only).

Differential properties, on generated strings:
* a LITERAL verdict carries exactly the value literal_eval returns (type for type);
* NOT_A_LITERAL only where literal_eval raises;
* wherever literal_eval raises, the verdict is not LITERAL;
* a string built from the subset's grammar is always a LITERAL.
"""

from __future__ import annotations

import ast
import math
import time
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sdeparse.paper.pyliteral import MAX_NESTING, Verdict, read_literal


def python_says(text: str) -> tuple[bool, Any]:
    """(did literal_eval accept it, its value), warnings silenced as the released script ran."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return True, ast.literal_eval(text)
        except BaseException:  # noqa: BLE001 - the released script caught everything too
            return False, None


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (1 != 1.0 != True, -0.0 != 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    return bool(a == b)


def agrees(text: str) -> None:
    """The reader's verdict is consistent with what Python does on `text`."""
    reading = read_literal(text)
    ok, value = python_says(text)
    if reading.verdict is Verdict.LITERAL:
        assert ok, f"reader accepted what Python refuses: {text!r}"
        assert same(reading.value, value), (text, reading.value, value)
    elif reading.verdict is Verdict.NOT_A_LITERAL:
        assert not ok, f"reader refused a literal of the subset: {text!r} -> {value!r}"
    else:
        assert reading.value is None


# ---- hand-picked cases: each is a decision the scanner has to get right ----------------------
LITERALS = [
    '["Motion", "flew"]',
    "('Motion', 'flew')",
    '"Motion", "flew"',  # a bare tuple
    '"a", "b",',
    "(1), 2",
    '("a")',
    "[]",
    "()",
    "[1,]",
    "(1,)",
    "1,",
    '"a" \'b\' r"c\\d"',  # implicit concatenation across styles
    "'''a'''''",  # a triple-quoted string and an empty one
    '"""a"b"""',
    "'\\''",
    "r'\\''",
    '"\\q"',  # unknown escapes stay
    '"\\777"',
    '"\\a\\b\\f\\v\\0\\07\\x41\\u0041\\U00000041"',
    '"\\N{latin small letter a}"',
    '"\\N{LATIN CAPITAL LETTER GHA}"',  # an alias
    '"\\ud800"',  # an escaped surrogate is fine, a raw one is not
    "-(1)",
    "-(1)+2j",
    "(-1)+2j",
    "1 - 2j",
    "1.j",
    "09j",
    "09.5",
    "00",
    "0_0",
    "0x_1f",
    "1E-0_1",
    "1e400",
    "-0",
    "-0.0",
    "None",
    "True",
    "[...]",
    "\x0c\x0c1",
    " \x0c1",
    "1\x0c,\x0c2",
    "[" * MAX_NESTING + "]" * MAX_NESTING,
    "0x" + "f" * 5000,  # no digit limit for hexadecimal
    '"é", "中文"',
]

NOT_LITERALS = [
    "",
    " ",
    "\x0c",
    "\x0c 1",  # an indent after a form feed
    '["a",\x0b"b"]',
    "\ufeff[1]",
    "[\u00a0]",
    "[1, 2",
    "[1, 2))",
    "[,]",
    "[1,,]",
    "(,)",
    ",",
    "[1 2]",
    '"ab"[0]',
    "[1][0]",
    "None()",
    '"a"("b")',
    "[*[1]]",
    "~1",
    "--1",
    "-(-1)",
    '-"a"',
    "-True",
    "1+-2j",
    "1+2",
    "1+2j+3j",
    "-(1+2j)",
    "1j+2j",
    "True+1j",
    "1 .real",
    "1..real",
    "....",
    "..5",
    "...5",
    "1_",
    "1__2",
    "0b",
    "0b12",
    "0o8",
    "0x__1",
    "01",
    "1e",
    "1if 1 else 2",
    "1 if 2 else 3",
    "not 1",
    "x",
    "Nonee",
    "lambda: 1",
    "1; 2",
    "x = 1",
    'ur"a"',
    'f"a"',
    '"a" f"b"',
    'fR"a"',
    '"\\"',
    'r"\\"',
    '"\\x4"',
    '"\\u12"',
    '"\\U00110000"',
    '"\\N"',
    '"\\N{}"',
    '"\\N{ latin small letter a}"',
    '"\\N{LATIN SMALL LETTER A WITH MACRON AND GRAVE}"',  # a named sequence
    '"\ud800"',  # a raw lone surrogate
    '"\x00"',
    "1\\",
    "é",
    ".\u0663",  # a non-ASCII digit after a dot
    "[1,\u3000 2]",
    "1" * 4301,  # over the default digit limit
    "1_" * 4300 + "1",
    "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1),
    "(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1),
]

OUTSIDE = ['["a",\r"b"]', '["a"]\n', '["a"] # c', "{1}", '{"a": 1}', "set()", 'b"a"', "[1, {"]


@pytest.mark.parametrize("text", LITERALS)
def test_literals_of_the_subset(text):
    assert read_literal(text).verdict is Verdict.LITERAL
    agrees(text)


@pytest.mark.parametrize("text", NOT_LITERALS)
def test_what_python_refuses(text):
    assert read_literal(text).verdict is Verdict.NOT_A_LITERAL
    agrees(text)


@pytest.mark.parametrize("text", OUTSIDE)
def test_outside_the_subset(text):
    reading = read_literal(text)
    assert reading.verdict is Verdict.OUTSIDE_SUBSET and not reading.is_literal


def test_values():
    assert read_literal('["Motion", "flew"]').value == ["Motion", "flew"]
    assert read_literal("'a', 1, -2.5, 1+2j").value == ("a", 1, -2.5, 1 + 2j)
    assert read_literal('"\\N{BYTE ORDER MARK}"').value == "\ufeff"


# ---- generated strings ---------------------------------------------------------------------------
STRING_CHARS = st.sampled_from(list("ab z'\"\\é中\t\x0c{}[](),#") + ["\x01", "\x7f"])
ESCAPES = st.sampled_from(
    [
        "\\n",
        "\\t",
        "\\\\",
        "\\'",
        '\\"',
        "\\x41",
        "\\u00e9",
        "\\U0001F600",
        "\\101",
        "\\0",
        "\\q",
        "\\N{LATIN SMALL LETTER A}",
        "\\8",
        "\\a",
    ]
)


@st.composite
def valid_strings(draw):
    """A str literal of the subset: any prefix, any quote style, content that keeps it closed."""
    quote = draw(st.sampled_from(["'", '"', "'''", '"""']))
    raw = draw(st.booleans())
    prefix = draw(st.sampled_from(["r", "R"] if raw else ["", "u", "U"]))
    plain = st.characters(
        blacklist_characters=quote[0] + "\\\n\r\x00", blacklist_categories=("Cs",)
    )
    parts = draw(st.lists(st.one_of(plain, ESCAPES) if not raw else plain, max_size=6))
    return f"{prefix}{quote}{''.join(parts)}{quote}"


NUMBERS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.integers(0, 10**12).map(hex),
    st.integers(0, 10**6).map(oct),
    st.integers(0, 10**6).map(bin),
    st.floats(allow_nan=False).map(repr).filter(lambda s: "inf" not in s),
    st.sampled_from(
        ["1_000", "0_0", "1.5j", "3J", ".5", "5.", "1e-3", "1_0.0_1e1_0", "00", "09.5"]
    ),
    st.tuples(st.integers(-9, 9), st.sampled_from(["+", "-"]), st.integers(0, 9)).map(
        lambda t: f"{t[0]}{t[1]}{t[2]}j"
    ),
)
SCALARS = st.one_of(valid_strings(), NUMBERS, st.sampled_from(["None", "True", "False", "..."]))
SPACE = st.sampled_from(["", " ", "  ", "\t", "\x0c"])


def containers(children):
    @st.composite
    def build(draw):
        items = draw(st.lists(children, max_size=4))
        sep = "," + draw(SPACE)
        body = sep.join(items)
        if items and draw(st.booleans()):
            body += ","
        kind = draw(st.sampled_from(["list", "tuple", "paren"]))
        if kind == "list":
            return f"[{draw(SPACE)}{body}{draw(SPACE)}]"
        if kind == "paren" and len(items) == 1:
            return f"({items[0]})"
        if len(items) == 1 and not body.endswith(","):
            body += ","
        return f"({body})"

    return build()


VALID = st.recursive(SCALARS, containers, max_leaves=8)
NASTY = st.sampled_from(
    list("[](),'\"\\ \t\x0c.+-_jxe0189aNru{}#:*é\x00\r\n")
    + ["\ud800", "\x0b", "\u00a0", "f'", "b'", "...", '"""', "'''", "\\N{", "0x", "1e"]
)


@st.composite
def mutated(draw):
    """A valid literal with a few characters inserted, deleted or replaced."""
    text = draw(VALID)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(NASTY)
        if action == "insert":
            text = text[:at] + piece + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + piece + text[at + 1 :]
    return text


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VALID, SPACE, SPACE)
def test_every_literal_of_the_subset_is_read_as_python_reads_it(text, before, after):
    line = before + text + after
    assert read_literal(line).verdict is Verdict.LITERAL, line
    agrees(line)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
@example('["a", "b"')
@example("['a', \"b\"]]")
@example("[r'\\', 'b']")
def test_mutated_literals_agree_with_python(text):
    agrees(text)


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("[](),'\"\\ .+-_j0123xeNrubf{}#é\t\x0c")), max_size=14)
)
def test_any_short_string_agrees_with_python(text):
    agrees(text)


@pytest.mark.parametrize(
    "text",
    [
        '["' + "a" * 2_000_000 + '"]',
        "[" + "1," * 50_000 + "]",
        '"' + "\\x41" * 300_000 + '"',
        '"' + "\\" * 600_000 + '"',
        "'''" + "''a" * 300_000 + "'''",
        '"a" ' * 200_000,
        "1" * 1_000_000 + ".5",
        "0x" + "f" * 1_000_000,
        "[" + "-1.5e3+2j, " * 30_000 + "]",
    ],
)
def test_linear_time_on_long_lines(text):
    """Long strings, escapes, numbers and many items: each read in one pass."""
    start = time.perf_counter()
    reading = read_literal(text)
    assert reading.verdict in (Verdict.LITERAL, Verdict.NOT_A_LITERAL)
    assert time.perf_counter() - start < 3.0  # about 10 µs a token here: linear, not quadratic
