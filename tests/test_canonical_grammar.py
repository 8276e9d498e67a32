"""The canonical grammars accept exactly what `render` writes and read it back; they agree with
today's regex fast path on canonical, corrupted and mutated texts, for every built-in task,
every design and custom tasks whose strings hold ASCII punctuation and metacharacters."""

from __future__ import annotations

import dataclasses
import functools
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark

import sdeparse
from sdeparse import Design
from sdeparse.canonical import (
    canonical_dir,
    canonical_grammar,
    canonical_parser,
    lark_literal,
    read_canonical,
)
from sdeparse.layouts import layout_for
from sdeparse.testing import applicable

FIXTURES = Path(__file__).parent / "fixtures" / "canonical"
TASKS = {name: sdeparse.load_task(name) for name in sdeparse.BUILTIN_TASKS}
TASKS["ascii"] = sdeparse.load_task(FIXTURES / "ascii.toml")
#: Strings that are prefixes of each other: the parser falls back to Earley in some designs.
TASKS["prefixes"] = sdeparse.load_task(FIXTURES / "prefixes.toml")
DESIGNS = Design.all()
CASES = [pytest.param(name, design, id=f"{name}-{design}") for name in TASKS for design in DESIGNS]
FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Descriptions a CoT model may write: quotes, backslashes, newlines, control and non-BMP chars.
_TRICKY = st.sampled_from(
    [
        '"',
        "\\",
        "\n",
        "\r\n",
        "\t",
        "\x00",
        "\x08",
        "\x0b",
        "\x1f",
        "\x7f",
        "/",
        "\\/",
        "\\u00e9",
        "'",
        "{",
        "}",
        "：",
        "，",
        "\u2028",
        "😀",
        "é",
        "\\n",
        '\\"',
        "情感",
        '"描述": "',
        "}, {",
    ]
)
DESCRIPTION = st.one_of(
    st.text(max_size=20),
    st.lists(st.one_of(_TRICKY, st.text(max_size=3)), max_size=8).map("".join),
)


@st.composite
def canonical_case(draw, task, design):
    """A label map (None: the aspect left out, so it gets the placeholder), descriptions, and
    their rendering."""
    names = task.aspect_names
    drawn = draw(st.tuples(*[st.sampled_from((None, *task.label_names))] * len(names)))
    labels = {a: label for a, label in zip(names, drawn, strict=True) if label is not None}
    descriptions = {}
    if design.has_description:
        said = draw(st.tuples(*[DESCRIPTION] * len(names)))
        descriptions = dict(zip(names, said, strict=True))
    return labels, descriptions, sdeparse.render(labels, task, design, descriptions)


def _expected(task, design, labels, descriptions):
    full = {a: labels.get(a, task.placeholder) for a in task.aspect_names}
    printed = [
        a
        for a in task.aspect_names
        if not (design.omit_unmentioned and full[a] == task.placeholder)
    ]
    said = {a: descriptions[a] for a in printed} if design.has_description else {}
    return full, said


@functools.cache
def _fast(task, design):
    """Today's fast path, built once per task and design."""
    return layout_for(design).canonical_reader(task, design)


def _ours(text, task, design):
    """read_canonical in the fast path's shape: (labels, descriptions) or None."""
    result = read_canonical(text, task, design)
    return None if result is None else (result["labels"], result["descriptions"])


# ---- (a) every rendering is accepted and read back exactly; (b) the fast path agrees, ----
# ---- on the rendering and on a few characters deleted, doubled or inserted in it     ----

_PIECES = st.sampled_from(
    [
        "\n",
        " ",
        '"',
        "\\",
        "：",
        ":",
        "，",
        ",",
        "; ",
        "。",
        ".",
        "{",
        "}",
        "-",
        "1",
        "0",
        "2",
        "未提及",
        "none",
        "n/a",
        "pos",
        "food",
    ]
)


@st.composite
def mutated(draw, text):
    """`text` with a few characters deleted, doubled or inserted."""
    chars = list(text)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(chars)))
        how = draw(st.sampled_from(["delete", "double", "insert"]))
        if how == "insert" or not chars:
            chars.insert(at, draw(_PIECES))
        elif how == "delete":
            del chars[min(at, len(chars) - 1)]
        else:
            chars.insert(at, chars[min(at, len(chars) - 1)])
    return "".join(chars)


@pytest.mark.parametrize(("name", "design"), CASES)
@FAST
@given(data=st.data())
def test_render_is_accepted_and_read_back(name, design, data):
    task = TASKS[name]
    fast = _fast(task, design)
    labels, descriptions, text = data.draw(canonical_case(task, design))
    want = _expected(task, design, labels, descriptions)
    assert _ours(text, task, design) == want
    assert fast(text) == want
    changed = data.draw(mutated(text))
    assert _ours(changed, task, design) == fast(changed)


# ---- (b) corrupted outputs: neither reader calls them canonical -------------------------


@pytest.mark.parametrize(("name", "design"), CASES)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_corrupted_outputs_are_not_canonical(name, design, data, seed):
    task = TASKS[name]
    _, _, text = data.draw(canonical_case(task, design))
    fast = _fast(task, design)
    rng = random.Random(seed)
    for op in applicable(design):
        corrupted = op.apply(text, task, design, rng)
        if corrupted is None:
            continue
        ours = _ours(corrupted, task, design)
        assert ours == fast(corrupted), (op.name, corrupted)
        assert ours is None, (op.name, corrupted)


# ---- exact cases from the spec ----------------------------------------------------------


def test_spec_examples():
    d1 = TASKS["masa-d1"]
    ou = "食品评价：中性，价格水平：正面，服务人员态度：正面。"
    said = {"食品评价": "中性", "价格水平": "正面", "服务人员态度": "正面"}
    assert read_canonical(ou, "masa-d1", "natural+omit") == {
        "labels": {a: said.get(a, "未提及") for a in d1.aspect_names},
        "descriptions": {},
    }
    assert read_canonical("", "masa-d1", "natural+omit")["labels"] == dict.fromkeys(
        d1.aspect_names, "未提及"
    )
    for design in DESIGNS:
        if not design.omit_unmentioned:
            assert read_canonical("", d1, design) is None
    assert read_canonical(ou, d1, "natural") is None  # PU needs every slot
    assert read_canonical(ou[:-1], d1, "natural+omit") is None  # no 。
    assert read_canonical(ou.replace("：", ":", 1), d1, "natural+omit") is None
    # OU never prints the placeholder; order is the task's
    assert read_canonical("食品评价：未提及。", d1, "natural+omit") is None
    assert read_canonical("价格水平：正面，食品评价：中性。", d1, "natural+omit") is None
    numeric = (
        "食品评价：0，饮品评价：-2，价格水平：1，卫生情况：-2，服务人员态度：1，停车方便程度：-2。"
    )
    assert read_canonical(numeric, d1, "natural+numeric")["labels"]["食品评价"] == "中性"
    assert read_canonical(numeric, d1, "natural") is None


def test_description_escapes_are_exactly_json_dumps():
    line = '{"方面": "食品评价", "描述": %s, "情感": "中性"}'
    for body, ok in [
        ('"a\\"b\\\\c\\n\\t\\u001f\\u0000"', True),
        ('"é😀\x7f/"', True),
        ('"\\/"', False),
        ('"\\u00e9"', False),
        ('"\\u000a"', False),
        ('"\\u001F"', False),
        ('"a\nb"', False),
        ('"\\x41"', False),
    ]:
        result = read_canonical(line % body, "masa-d1", "cot+omit")
        assert (result is not None) is ok, body


# ---- the grammars and the parsers -------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TASKS))
def test_parser_kind(name):
    """LALR for the built-in and the ASCII task everywhere; Earley where strings are prefixes."""
    task = TASKS[name]
    kinds = {str(design): canonical_parser(task, design).options.parser for design in DESIGNS}
    if name == "prefixes":
        assert kinds["lines"] == "earley" and kinds["json+numeric"] == "earley"
        assert kinds["json"] == "lalr"  # "pos" and "positive" quoted are not prefixes
    else:
        assert set(kinds.values()) == {"lalr"}


def test_grammar_is_self_contained_and_structured():
    text = canonical_grammar("masa-d1", "cot+omit")
    assert not [line for line in text.splitlines() if line.startswith("%")]
    parser = Lark(text, parser="lalr")  # compiles on its own, as an exporter would see it
    names = {rule.origin.name for rule in parser.rules}
    assert {"start", "item_0", "item_5", "label", "description", "_some", "_later_1"} <= names
    for design in DESIGNS:
        assert (canonical_dir() / layout_for(design).canonical_template).is_file()


def test_parser_is_cached_by_value():
    task = TASKS["masa-d1"]
    copy = dataclasses.replace(task)
    assert copy is not task
    assert canonical_parser(copy, "lines") is canonical_parser(task, Design("lines"))
    assert canonical_parser("masa-d1", "ES-SDE") is canonical_parser(task, "lines")


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=12))
def test_lark_literal_reads_back(text):
    parser = Lark(f"start: X\nX: {lark_literal(text)}\n", parser="lalr")
    (terminal,) = parser.terminals
    assert terminal.pattern.value == text
    assert parser.parse(text).children == [text]
