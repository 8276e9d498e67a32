"""The tolerant Natural and Lines grammars: LALR(1) without conflicts, total, specialised to a
task's own marks through lark's edit_terminals; and the Scanner (the reader's hot path) hands
the reader what lark's parse does, on random strings and on every corruption operator's output.
"""

from __future__ import annotations

import gc
import random
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import Design
from sdeparse.grammar import parser_for
from sdeparse.layouts.pairs import (
    SPACES,
    Marks,
    PairsReader,
    Piece,
    _no_gc,
    pairs_parser,
    read_pairs,
    scanner,
)
from sdeparse.records import Diagnostics
from sdeparse.schemas.slots import SlotSchema
from sdeparse.testing import applicable

EVENT_TASK = """
name = "event-types"
placeholder = "none"
[punctuation]
key_value = "="
pair_separator = " | "
terminator = ""
[[aspects]]
name = "trigger"
[[aspects]]
name = "e-mail"
[[labels]]
name = "attack"
code = 1
[[labels]]
name = "none"
code = 0
"""
ARROW_TASK = EVENT_TASK.replace('key_value = "="', 'key_value = " -> "').replace(
    'pair_separator = " | "', 'pair_separator = "; "'
)

FORMATS = ("natural", "lines")
PIECES = [
    "食品评价", "中性", "输出", "未提及", "方面1", "情感类别", "1", "-2", "food", "positive",
    "trigger", "attack", "e-mail", "none",
    "：", ":", "::", "，", ",", "；", ";", "、", "。", "．", ".", "=", "|", "->", "-", ">", "=>",
    " ", "  ", "\t", "\u3000", "\n", "\n\n", "\r", "- ", "1. ", "(2)", "#",
]  # fmt: skip
TEXTS = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=30).map("".join)


@pytest.fixture(scope="module")
def tasks(tmp_path_factory) -> dict[str, sdeparse.Task]:
    folder = tmp_path_factory.mktemp("tasks")
    loaded = {name: sdeparse.load_task(name) for name in ("masa-d1", "restaurant-en")}
    for name, source in (("event", EVENT_TASK), ("arrow", ARROW_TASK)):
        path = folder / f"{name}.toml"
        path.write_text(source, encoding="utf-8")
        loaded[name] = sdeparse.load_task(path)
    return loaded


#: The stock marks, a one-character colon with a new separator (= and |), a colon of several
#: characters (->), and two colon words at once.
MARKS = [
    Marks(),
    Marks("：:=", (), "，,；;、。．.|"),
    Marks("：:", ("->",), "，,；;、。．."),
    Marks("：:", ("->", "=>"), "，,；;、。．.|"),
]


class _Children(PairsReader):
    """The reader stopped where lark's parse and the scanner meet: the flat children."""

    def read(self, children):  # type: ignore[override]
        return children


def _lark_children(text: str, fmt: str, marks: Marks) -> list:
    tree = pairs_parser(fmt, marks).parse(text)
    reader = _Children(text, fmt, sdeparse.load_task("masa-d1"), None, Diagnostics())  # type: ignore[arg-type]
    return reader.transform(tree)


def test_stock_marks_give_the_patterns_the_grammar_writes():
    written = {t.name: t.pattern.value for t in parser_for("natural.lark").terminals}
    assert Marks().patterns() == {name: written[name] for name in ("TEXT", "COLON", "SEPARATOR")}


def test_the_space_class_lists_every_space_but_the_newline():
    listed = re.compile(f"[{SPACES}]")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert bool(listed.fullmatch(char)) == (char.isspace() and char != "\n"), hex(code)


def test_the_cycle_collector_is_paused_only_while_reading_a_long_text():
    assert gc.isenabled()
    with _no_gc(10):
        assert gc.isenabled()
    with _no_gc(10**6):
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with _no_gc(10**6):
            pass
        assert not gc.isenabled()  # the caller's choice stands
    finally:
        gc.enable()


def test_marks_of_tasks(tasks):
    assert Marks.of(tasks["masa-d1"]) == Marks()
    assert Marks.of(tasks["restaurant-en"]) == Marks()
    assert Marks.of(tasks["event"]) == MARKS[1]
    assert Marks.of(tasks["arrow"]) == MARKS[2]


@pytest.mark.parametrize("marks", MARKS, ids=str)
@pytest.mark.parametrize("fmt", FORMATS)
def test_grammar_is_lalr1_without_conflicts_and_edited(fmt, marks):
    parser = pairs_parser(fmt, marks)  # built with strict=True: a conflict raises
    assert parser.options.strict
    patterns = {t.name: t.pattern.value for t in parser.terminals}
    for name, pattern in marks.patterns().items():
        assert patterns[name] == pattern


@pytest.mark.parametrize(
    ("marks", "text", "rules"),
    [
        (MARKS[0], "食品评价：中性，饮品评价：未提及。", ["item", "item", "empty"]),
        (MARKS[0], "输出：食品评价：中性", ["extra_colons"]),
        (MARKS[0], "食品评价中性，，：x\n", ["no_colon", "item", "empty"]),
        (MARKS[1], "trigger=attack | e-mail=none", ["item", "item"]),
        (MARKS[2], "trigger -> attack; e-mail->none", ["item", "item"]),
        (MARKS[2], "e-mail - > none", ["no_colon"]),
        (MARKS[3], "a=>b->c", ["extra_colons"]),
    ],
)
def test_rules_name_the_pieces(marks, text, rules):
    for fmt in FORMATS:
        pieces = [c for c in _lark_children(text, fmt, marks) if isinstance(c, Piece)]
        assert [piece.rule for piece in pieces] == rules


def test_clashing_marks_are_left_to_lark(tasks):
    """A colon that is also a separator mark: the lexer's order decides, so lark reads."""
    marks = Marks("：:.", (), "，,；;、。．.")
    assert marks.clash and not MARKS[3].clash
    assert scanner("natural", marks) is None
    task = tasks["masa-d1"]
    diags = Diagnostics()
    reading = read_pairs("a.b，c：d。", "natural", task, SlotSchema(task, Design.parse("natural")),
                         diags)  # fmt: skip
    assert reading.records


@pytest.mark.parametrize("marks", MARKS, ids=str)
@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=150, deadline=None)
@given(text=TEXTS)
def test_every_string_parses_and_the_scanner_agrees(fmt, marks, text):
    scan = scanner(fmt, marks)
    assert scan is not None
    assert scan.children(text) == _lark_children(text, fmt, marks)


def _assert_engines_agree(text, fmt, task, design):
    """Records, shapes and diagnostics are the same from the scanner and from lark, with the
    layout trained or not."""
    vocabulary = SlotSchema(task, design)
    for expected in (True, False):
        results = []
        for engine in ("scanner", "lark"):
            diags = Diagnostics()
            reading = read_pairs(text, fmt, task, vocabulary, diags, expected, engine=engine)
            results.append((reading, list(diags)))
        assert results[0] == results[1], (task.name, fmt, expected, text)


@pytest.mark.parametrize("design_name", ["natural", "lines", "natural+omit", "lines+numeric"])
def test_scanner_reads_every_corruption_as_lark_does(tasks, design_name):
    design = Design.parse(design_name)
    fmt = design.format
    rng = random.Random(5)
    for name, task in tasks.items():
        marks = Marks.of(task)
        for op in applicable(design):
            for _ in range(3):
                labels = {a: rng.choice(task.label_names) for a in task.aspect_names}
                text = op.apply(sdeparse.render(labels, task, design), task, design, rng)
                if text is None:
                    continue
                scan = scanner(fmt, marks)
                assert scan is not None
                assert scan.children(text) == _lark_children(text, fmt, marks), (
                    name,
                    op.name,
                    text,
                )
                _assert_engines_agree(text, fmt, task, design)


@pytest.mark.parametrize("fmt", FORMATS)
def test_engines_agree_on_adversarial_runs(tasks, fmt):
    task = tasks["masa-d1"]
    design = Design.parse(fmt)
    for text in ("a，" * 300, "a：" * 300, "，" * 300, "食品评价：" + "中" * 3000, " \n" * 50):
        _assert_engines_agree(text, fmt, task, design)
