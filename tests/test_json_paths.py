"""The JSON-lines reader reads every text alike on its two paths: plain-object lines taken
apart by the scanner compiled from the grammar's terminals, or every line through the LALR
parser. Compared as whole ParseResults (labels, descriptions, every diagnostic with its message)
under both profiles, on hypothesis strings over a JSON-ish alphabet and on the outputs of every
corruption operator."""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import time
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import Design
from sdeparse.layouts import LAYOUTS
from sdeparse.layouts.jsonl import render_json_object
from sdeparse.parser import Parser
from sdeparse.testing import CORRUPTIONS, corrupt

TASKS = {name: sdeparse.load_task(name) for name in ("masa-d1", "restaurant-en")}
PROFILES = ("strict", "paper")
LINES = [
    '{"方面": "食品评价", "情感": "中性"}',
    '{"方面": "饮品评价", "情感": "未提及"}',
    '{"方面":"价格水平","情感":"正面"}',
    '{"方面": "卫生情况", "情感": -2}',
    '{"方面": "服务人员态度", "描述": "很好", "情感": "正面"}',
    '{"方面": "停车方便程度", "情感": "未提及", "描述": ""}',
    '{"aspect": "food", "sentiment": "positive"}',
    '{"方面": "食品评价"， "情感"： "负面"}',
    '{"方面": "\\u98df\\u54c1\\u8bc4\\u4ef7", "情感": "中\\"性"}',
    '{"食品评价": "中性", "价格水平": 1}',
    "{}",
]
PIECES = [
    "{", "}", "[", "]", '"', "'", ":", "：", ",", "，", " ", "\n", "\n\n", "\\", "“", "”",
    "\t", "}}}}", '"""', "方面", "情感", "描述", '"方面"', '"情感"', '"描述"', "食品评价",
    '"食品评价"', "中性", '"中性"', '"未提及"', "正面", "0", "-2", "1.5", "True", "None",
    "null", "```json", "输出：", "x",
    *LINES,
]
DESIGNS = ["json", "json+numeric", "json+omit", "cot", "rcot+omit+numeric", "lines"]


@contextlib.contextmanager
def full_path() -> Iterator[None]:
    """Every line through the LALR parser while inside."""
    layout = LAYOUTS["jsonl"]
    layout.fast = False
    try:
        yield
    finally:
        del layout.fast


def assert_same(parser: Parser, text: str) -> None:
    fast = parser.parse(text)
    with full_path():
        full = parser.parse(text)
    assert fast == full, (text, fast, full)


PARSERS = {
    (task, design, profile): Parser(TASKS[task], design, profile)
    for task in TASKS
    for design in DESIGNS
    for profile in PROFILES
}


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
    st.sampled_from(sorted(PARSERS)),
)
def test_scanner_and_parser_agree_on_jsonish_strings(text, setup):
    assert_same(PARSERS[setup], text)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(LINES) | st.text(max_size=6), min_size=1, max_size=12))
def test_scanner_and_parser_agree_on_mixed_lines(lines):
    text = "\n".join(lines)
    for profile in PROFILES:
        assert_same(PARSERS[("masa-d1", "json", profile)], text)


#: A small alphabet dense in structure: every string of up to four of these, so that each
#: rule meets each neighbour (a member of only brackets, a colon after brackets, ...).
SMALL = ["{", "}", "[", "]", ":", ",", '"a"', "b", "'c", "\n", '"方面"', "1"]


def test_scanner_and_parser_agree_on_every_short_string():
    parser = PARSERS[("masa-d1", "json", "strict")]
    for length in range(1, 5):
        for pieces in itertools.product(SMALL, repeat=length):
            assert_same(parser, "".join(pieces))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(SMALL + ["\n", ": ", '"情感"']), max_size=14).map("".join))
@example('"情感": "中性", "方面"\n: "x"')  # a bare line ending in a key whose colon comes next
@example('"情感": "中性", }, "x"')  # a bare line whose commas an unmatched brace parted
def test_scanner_and_parser_agree_on_structure_dense_strings(text):
    for profile in PROFILES:
        assert_same(PARSERS[("masa-d1", "json", profile)], text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SMALL + [" ", '"情感"', "}", "]]]]"]), max_size=12).map("".join))
def test_bare_lines_read_alike(rest):
    """Lines of key-value pairs without braces (the reader parses their tokens again, as an
    object's members), followed by anything."""
    for text in (f'"方面": {rest}', f'{rest}"情感"：1, {rest}'):
        assert_same(PARSERS[("masa-d1", "json", "strict")], text)


def _canonical(task, design, rng: random.Random) -> str:
    labels = {a: rng.choice(task.label_names) for a in task.aspect_names}
    descriptions = {a: rng.choice(["", "好", 'a"b', "}, {", "x\\y"]) for a in labels}
    return sdeparse.render(labels, task, design, descriptions)


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_scanner_and_parser_agree_on_every_corruption(name):
    """Each operator's outputs, alone and joined to the lines of another (corrupted) output,
    so that slips sit between plain-object lines."""
    op = CORRUPTIONS[name]
    rng = random.Random(name)
    seen = 0
    for design in Design.all():
        if not op.applies_to(design):
            continue
        for task in TASKS.values():
            parsers = [Parser(task, design, profile) for profile in PROFILES]
            for _ in range(2):
                text = op.apply(_canonical(task, design, rng), task, design, rng)
                if text is None or not (design.is_json or "{" in text):
                    continue  # the JSON reader never sees it
                seen += 1
                other = _canonical(task, design, rng)
                other = (corrupt(other, task, design, rng) or (other,))[0]
                for parser in parsers:
                    for variant in (text, f"{text}\n{other}", f"{other}\n{text}"):
                        assert_same(parser, variant)
    assert seen or not any(d.is_json for d in Design.all() if op.applies_to(d))


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text() | st.integers(), st.text(), st.sampled_from(["json", "cot", "rcot"]))
def test_rendered_object_is_json_dumps(aspect, label, description, design):
    """render_json_object spells what json.dumps(ensure_ascii=False) writes."""
    keys = TASKS["masa-d1"].json_keys
    fields = {"json": ("aspect", "label"), "cot": ("aspect", "description", "label"),
              "rcot": ("aspect", "label", "description")}[design]
    values = {"aspect": aspect, "label": label, "description": description}
    expected = json.dumps({getattr(keys, f): values[f] for f in fields}, ensure_ascii=False)
    rendered = render_json_object(aspect, label, TASKS["masa-d1"], Design.parse(design),
                                  description)
    assert rendered == expected


#: Token-dense inputs of about 300 kB: a step that copies what it has read so far (quadratic)
#: takes minutes on these, the linear reader a second or two.
DENSE = ["{[", '{"方面": [', '{"a": ', '"a，', ",;.", '"a" ', "{'a' ", "[{},", ": ", "x\n"]


@pytest.mark.parametrize("unit", DENSE)
def test_token_dense_input_reads_in_linear_time(unit):
    text = unit * (300_000 // len(unit.encode()))
    started = time.process_time()
    result = PARSERS[("masa-d1", "json", "strict")].parse(text)
    assert time.process_time() - started < 30
    assert result.diagnostics
