"""Differential tests of the JSON reader's plain-line shortcuts ("Speed v2"): a canonical
object line read at once (`jsonl._canonical_line`) and the memo of other plain-object lines
read alone (`jsonl._read_alone`) give exactly what the general path gives (records, every
diagnostic with code, span, message, severity and repair, labels, descriptions), with the memo
cold and warm, over renderings of every JSON design, every corruption operator alone and
combined, the benchmark's broken-JSON corpora and hypothesis strings; the shortcuts fire, and
the memos stay bounded.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_speed import _full, operator_outputs
from test_speed import outputs as renderings

import sdeparse
from sdeparse import Design
from sdeparse.diagnostics import Diagnostic
from sdeparse.layouts import Reading, jsonl
from sdeparse.parser import Parser
from sdeparse.records import Diagnostics
from sdeparse.testing import CORRUPTIONS

TASKS = {name: sdeparse.load_task(name) for name in sdeparse.BUILTIN_TASKS}
#: Classification tasks (an extraction task's JSON objects take no shortcut).
CLASSIFY = sorted(name for name, task in TASKS.items() if not task.is_extraction)
JSON_DESIGNS = [d for d in Design.all() if d.is_json]
DESCRIPTION = st.text(alphabet=st.sampled_from('味道不错好 "\\\n😀ab,:{}'), max_size=8)
FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _forget() -> None:
    """Empty the memos of lines read alone."""
    jsonl._plains.clear()


@contextmanager
def _general_path() -> Iterator[None]:
    """Every plain-object line read in place by the rule methods (no shortcut)."""
    _forget()
    with mock.patch.object(jsonl, "PLAIN_LINES", False):
        yield
    _forget()


def _read(parser: Parser, text: str) -> list[tuple[Reading, list[Diagnostic]]]:
    """The JSON reader's own output for `text` (records with every span, shapes) and its
    diagnostics in the order it filed them, as the design expects and as another design's
    layout (`expected` False)."""
    readings = []
    for expected in (True, False):
        diags = Diagnostics()
        reading = jsonl.read_json(
            text, parser.task, parser.design, parser.schema, diags, expected
        )
        readings.append((reading, list(diags)))
    return readings


def _both_paths(parser: Parser, text: str) -> tuple[object, object]:
    """The result and the reader's output with the shortcuts, cold then warm (asserted
    equal), and without."""
    _forget()
    cold = (_full(parser, text), _read(parser, text))
    assert (_full(parser, text), _read(parser, text)) == cold
    with _general_path():
        general = (_full(parser, text), _read(parser, text))
    return cold, general


def outputs() -> st.SearchStrategy[tuple[sdeparse.Task, Design, str]]:
    """A classification task, a JSON design and a rendering, left alone, with one operator
    applied, or with two or three (the strategy of tests/test_speed.py, narrowed)."""
    return renderings(CLASSIFY, JSON_DESIGNS, DESCRIPTION)


@FEW
@given(outputs())
def test_plain_lines_equal_the_general_path(case):
    task, design, text = case
    fast, general = _both_paths(Parser(task, design), text)
    assert fast == general


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_every_operator_plain_lines_equal_the_general_path(name):
    """Every operator's output for every JSON design and classification task it applies to,
    alone and combined with others, descriptions with and without escapes."""
    tasks = [TASKS[task_name] for task_name in CLASSIFY]
    for parser, text in operator_outputs(name, tasks, JSON_DESIGNS, ("味道不错", 'a "b"\\')):
        fast, general = _both_paths(parser, text)
        assert fast == general, (parser.task.name, parser.design.name, text)


@pytest.fixture(scope="module")
def corpus_module():
    """benchmarks/corpus.py, which builds the benchmark's corpora."""
    root = Path(__file__).resolve().parent.parent / "benchmarks"
    sys.path.insert(0, str(root))
    try:
        import corpus

        yield corpus
    finally:
        sys.path.remove(str(root))


@pytest.mark.parametrize("design", ["json", "cot", "rcot", "json+omit+numeric", "rcot+omit"])
def test_broken_json_corpus_equal_the_general_path(corpus_module, design):
    """The benchmark's broken-JSON corpus (every output has a line json.loads rejects) and
    its 10 % corrupted corpus, read in one sequence with a warm memo: each output as the
    general path reads it."""
    task = TASKS["masa-d1"]
    d = task.design(design)
    broken = corpus_module.build_corpus(task, d, 60, 1.0, 7, sdeparse.testing, True)
    mixed = corpus_module.build_corpus(task, d, 60, 0.1, 7, sdeparse.testing)
    texts = broken.texts + mixed.texts
    parser = Parser(task, d)
    _forget()
    warm = [(_full(parser, text), _read(parser, text)) for text in texts]
    with _general_path():
        general = [(_full(parser, text), _read(parser, text)) for text in texts]
    for text, fast, full in zip(texts, warm, general, strict=True):
        assert fast == full, text


#: Pieces of JSON-lines outputs: canonical and deviating lines, and the marks that break them.
LINES = [
    '{"方面": "食品评价", "情感": "中性"}',
    '{"方面": "饮品评价", "情感": "未提及"}',
    '{"方面": "价格水平", "情感": 1}',
    '{"方面": "价格水平", "情感": "1"}',
    '{"方面": "卫生情况", "情感": -2}',
    '{"方面": "卫生情况", "情感": 01}',
    '{"方面": " 卫生情况", "情感": "负面"}',
    '{"方面": "卫生情况", "情感": "负面 "}',
    '{"方面": "服务人员态度", "描述": "很好", "情感": "正面"}',
    '{"方面": "服务人员态度", "情感": "正面", "描述": "很好"}',
    '{"方面": "服务人员态度", "描述": "很\\"好", "情感": "正面"}',
    '{"方面": "停车方便程度", "情感": "未提及", "描述": ""}',
    '{"方面": "停车方便程度", "情感": 0, "描述": "x"}',
    '{"方面":"价格水平","情感":"正面"}',
    '{"方面": "食品", "情感": "好"}',
    '{"方面": "食品评价", "情感": "正面", "情感": "负面"}',
    '{"aspect": "food", "sentiment": "positive"}',
    '{"aspect": "food", "description": "ok", "sentiment": "positive"}',
    '{"方面": "\\u98df\\u54c1\\u8bc4\\u4ef7", "情感": "中性"}',
    '{"食品评价": "中性", "价格水平": 1}',
    '{"方面": "食品评价"}',
    "{}",
]
PIECES = [
    "{", "}", "[", "]", '"', ":", "：", ",", "，", " ", "\n", "\n\n", "\\", "“", "]," ,
    "方面", "情感", "0", "x", "```json\n", *LINES,
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(CLASSIFY),
    st.sampled_from(JSON_DESIGNS),
    st.lists(
        st.sampled_from(LINES) | st.lists(st.sampled_from(PIECES), max_size=6).map("".join),
        max_size=8,
    ).map("\n".join),
)
def test_plain_lines_equal_the_general_path_on_jsonish_lines(name, design, text):
    """Lines of canonical and deviating objects among broken ones, any JSON design."""
    fast, general = _both_paths(Parser(TASKS[name], design), text)
    assert fast == general


def test_memo_warm_across_outputs_equals_cold():
    """A sequence of outputs sharing deviating lines: read with the memo kept across them,
    each equals its cold reading."""
    task = TASKS["masa-d1"]
    parser = Parser(task, "json")
    rng = random.Random(5)
    texts = []
    for _ in range(40):
        lines = rng.sample(LINES, 5)
        texts.append(("\n" if rng.random() < 0.8 else " ").join(lines))
    _forget()
    warm = [(_full(parser, text), _read(parser, text)) for text in texts]
    for text, got in zip(texts, warm, strict=True):
        _forget()
        assert (_full(parser, text), _read(parser, text)) == got, text


def test_shortcuts_fire():
    """A deviating output whose other lines are canonical: the canonical lines are taken at
    once, a deviating plain line (without descriptions) is read alone once and then found in
    the memo, so the differential tests compare two different paths."""
    task = TASKS["masa-d1"]
    labels = {a: task.label_names[0] for a in task.aspect_names}
    for design in ("json", "cot", "rcot+numeric"):
        d = task.design(design)
        text = sdeparse.render(labels, task, d, dict.fromkeys(labels, "不错"))
        lines = text.split("\n")
        lines[0] = lines[0].replace('": ', '":', 1)  # a plain line, not canonical
        text = "\n".join(lines)
        parser = Parser(task, d)
        _forget()
        calls: dict[str, list[object]] = {"alone": [], "canonical": [], "in_place": []}

        def spy(name: str, real, calls=calls):
            def wrapper(*args, **kwargs):
                out = real(*args, **kwargs)
                calls[name].append(out)
                return out

            return wrapper

        with (
            mock.patch.object(jsonl, "_read_alone", spy("alone", jsonl._read_alone)),
            mock.patch.object(jsonl, "_canonical_line", spy("canonical", jsonl._canonical_line)),
            mock.patch.object(jsonl, "_line_items", spy("in_place", jsonl._line_items)),
        ):
            first = parser.parse(text)
            assert first.codes == [sdeparse.Code.PUNCTUATION]
            assert sum(found is not None for found in calls["canonical"]) == len(lines) - 1
            # without descriptions, read alone once (`_line_items` inside `_read_alone`),
            # then found in the memo; with descriptions, read in place every time
            assert len(calls["alone"]) == (0 if d.has_description else 1)
            assert len(calls["in_place"]) == 1
            assert parser.parse(text) == first
            assert len(calls["alone"]) == (0 if d.has_description else 1)
            assert len(calls["in_place"]) == (2 if d.has_description else 1)


def test_memos_stay_bounded():
    """Many distinct deviating lines and many parsers: the memos never outgrow their bounds,
    and a line longer than PLAIN_SIZE is never kept."""
    task = TASKS["masa-d1"]
    _forget()
    for i in range(jsonl.PLAINS_MAX + 300):
        sdeparse.parse(f'{{"方面": "键{i}", "情感": "正面"}}', task, "json")
    assert all(len(kept[2]) <= jsonl.PLAINS_MAX for kept in jsonl._plains.values())
    long_line = '{"方面": "食品评价", "情感": "' + "好" * jsonl.PLAIN_SIZE + '"}'
    sdeparse.parse(long_line, task, "json")
    assert all(long_line not in kept[2] for kept in jsonl._plains.values())
    for design in JSON_DESIGNS:
        for name in CLASSIFY:
            for profile in ("strict", "paper"):
                Parser(TASKS[name], design, profile).parse('{"方面": "x"}')
    assert len(jsonl._plains) <= jsonl._PLAIN_TABLES_MAX


def test_long_canonical_line_is_taken():
    """A canonical line longer than PLAIN_SIZE (a long description) is taken at once, not
    kept, and read as the general path reads it."""
    task = TASKS["masa-d1"]
    labels = {a: task.label_names[1] for a in task.aspect_names}
    descriptions = dict.fromkeys(labels, "很" * (jsonl.PLAIN_SIZE + 10))
    text = sdeparse.render(labels, task, "cot", descriptions) + "\n多余"
    parser = Parser(task, "cot")
    _forget()
    with mock.patch.object(jsonl, "_line_items", side_effect=AssertionError("read in place")):
        fast = _full(parser, text)
    assert not any(kept[2] for kept in jsonl._plains.values())
    assert fast.codes == [sdeparse.Code.EXTRA_TEXT]
    assert fast.labels == labels
    reading = _read(parser, text)
    with _general_path():
        assert _full(parser, text) == fast
        assert _read(parser, text) == reading
