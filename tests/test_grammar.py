"""The speed-ups stand in for lark without changing what it sees: the C-level RegexLexer gives
lark's own tokens, and the JSON reader's scanner of plain-object lines hands the rule methods
the trees LALR builds."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark, Tree

import sdeparse
from sdeparse import Design
from sdeparse import testing as corrupt
from sdeparse.grammar import grammar_dir, parser_for
from sdeparse.layouts import layout_for
from sdeparse.layouts.jsonl import _TREES, _lalr, _tokens, top_level

#: the tolerant grammars of the layouts the classification designs are read with
GRAMMARS = sorted({layout_for(design).grammar for design in Design.all()})
PIECES = ["{", "}", "[", "]", ",", "，", ":", "：", '"', "'", "\\", "\n", " ", "。", "；", "、",
          "食品评价", "中性", "方面", "情感", "1", "-2", "True", "“", "}}}}", '"""', "\t"]


def _reference(grammar_file: str) -> Lark:
    folder = grammar_dir()
    return Lark.open(str(folder / grammar_file), parser="lalr", lexer="basic",
                     import_paths=[str(folder)])


REFERENCE = {name: _reference(name) for name in GRAMMARS}


def _shape(node):
    """A comparable picture of a tree: rule names, token types, texts and spans."""
    if isinstance(node, Tree):
        return (str(node.data), tuple(_shape(child) for child in node.children))
    return (node.type, str(node.value), node.start_pos, node.end_pos)


@pytest.mark.parametrize("grammar_file", GRAMMARS)
@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=30).map("".join))
def test_regex_lexer_gives_lark_tokens(grammar_file, text):
    ours = [(t.type, str(t), t.start_pos, t.end_pos, t.line)
            for t in parser_for(grammar_file).lex(text)]
    theirs = [(t.type, str(t), t.start_pos, t.end_pos, t.line)
              for t in REFERENCE[grammar_file].lex(text)]
    assert ours == theirs


@pytest.mark.parametrize("grammar_file", GRAMMARS)
@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_regex_lexer_parses_like_lark(grammar_file, text):
    assert _shape(parser_for(grammar_file).parse(text)) == _shape(
        REFERENCE[grammar_file].parse(text)
    )


def _json_corpus(seed: int = 11, size: int = 300) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for design in ("json", "cot", "rcot", "json+numeric", "cot+omit"):
        for task_name in ("masa-d1", "restaurant-en"):
            task = sdeparse.load_task(task_name)
            design_ = Design.parse(design)
            for _ in range(size // 10):
                labels = {a: rng.choice(task.label_names) for a in task.aspect_names}
                text = sdeparse.render(labels, task, design_,
                                       {a: rng.choice(["", "好", 'a"b', "}, {"]) for a in labels})
                texts.append(text)
                bad = corrupt.corrupt(text, task, design_, rng)
                if bad is not None:
                    texts.append(bad[0])
    return texts


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*PIECES, '"a"', ": ", '{"a": "b"}']), max_size=40).map("".join))
def test_json_table_parser_builds_the_lalr_trees(text):
    """The JSON reader's table-driven parser, applying tree-building rule methods, gives lark's
    tree (same tokens, same rules, inlined rules spliced the same way)."""
    assert tuple(_shape(child) for child in _lalr(_tokens(text), _TREES)) == _shape(
        REFERENCE["json.lark"].parse(text)
    )[1]


def test_json_line_scanner_builds_the_lalr_trees():
    for text in _json_corpus() + ['{"a": 1}\n{}\n{"b": [1]}', '{"a": "b"} {"c": "d"}',
                                  '  {"方面": "食品评价", "情感": "中性"}  \n\n{"x": true}',
                                  '{"a": "b",}\n{"c"：1，"d": "e"}\n{"a": "b"\n"c": "d"}',
                                  '[\n{"a": "b"},\n{"a": -1.5e3}\n]\n\t{"a":"\\u4e2d"}\r\n}',
                                  "{'a': 'b'}\n{a: b, c: 1,}\n[{'a': 'b'},\n{'a': 'b' c: d}]",
                                  '{"a": "b"\n[{"c": "d"}]', '{"a": "b"},\n,{"c": "d"}',
                                  '{"a": 1}]]]]\n{"b": 2}', 'x\n[{"a": 1}],\n{"a": 2},,']:
        assert tuple(_shape(child) for child in top_level(text, _TREES)) == _shape(
            REFERENCE["json.lark"].parse(text)
        )[1], text


def test_json_grammar_is_lalr1_without_conflicts():
    """The strict analyzer raises on any shift/reduce or reduce/reduce conflict."""
    from lark.parsers.lalr_analysis import LALR_Analyzer

    LALR_Analyzer(REFERENCE["json.lark"].parser.parser_conf, strict=True).compute_lalr()


JSONISH = st.lists(st.sampled_from(PIECES + ['"a"', "'b'", "x", ": ", "\n{", "\\n"]), max_size=40)


@settings(max_examples=300, deadline=None)
@given(JSONISH.map("".join) | st.text(max_size=40))
def test_json_grammar_is_total(text):
    parser_for("json.lark").parse(text)


_VALUE_TERMINALS = ("QUOTES", "STRING", "SQ_STRING", "OPEN_STRING", "NUMBER", "WORD")


@settings(max_examples=300, deadline=None)
@given(JSONISH.map("".join))
def test_json_keys_are_the_value_tokens_before_a_colon(text):
    """A KEY_X token is exactly the X token the lexer would give there, followed by a colon;
    and every other value token (but an unclosed string) has no colon after it."""
    import re

    lexer = parser_for("json.lark")
    terminals = sorted(
        (t for t in lexer.terminals if t.name in _VALUE_TERMINALS),
        key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name),
    )
    values = re.compile("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals))
    colon_next = re.compile(r"\s*[:：]")
    for tok in lexer.lex(text):
        if tok.type.startswith("KEY_"):
            match = values.match(text, tok.start_pos)
            assert (match.lastgroup, match.end()) == (tok.type[4:], tok.end_pos)
            assert colon_next.match(text, tok.end_pos)
        elif tok.type in _VALUE_TERMINALS and tok.type != "OPEN_STRING":
            assert not colon_next.match(text, tok.end_pos)


LINES = st.sampled_from([
    '{"方面": "食品评价", "情感": "中性"}', '{"a": 1}', "{}", "{'a': 'b'},", "{a: True}",
    '[{"a": "b", "c": -2,}],', '{"a": "b" "c": "d"}]', '{"a": "b"', '"a": "b"', "[", "]", ",",
    "```json", '{"a": "b"}}', '{"a": [1]}', ": :", '{"a" "b"}', "'", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES | st.sampled_from(PIECES), max_size=12))
def test_json_line_paths_build_the_lalr_trees(lines):
    """Plain and simple object lines among others: the children `top_level` puts together
    from its three paths are those of lark's tree for the whole text."""
    text = "\n".join(lines)
    assert tuple(_shape(child) for child in top_level(text, _TREES)) == _shape(
        REFERENCE["json.lark"].parse(text)
    )[1]
