"""Differential tests of the speed shortcuts ("Speed v2"): each gives exactly what the plain
path gives.

- the canonical fast path against the full reading (`Parser.diagnose`), on renderings, on
  every corruption operator's output and on two or three operators at once (`combine`);
- the memos kept across outputs (the pairs reader's answers about words and fields, the JSON
  reader's token shapes of plain objects, the task's resolve_aspect / resolve_label answers):
  a warm memo gives the result a cold one gives;
- record decoding with orjson against the standard library (NaN, long integers, infinite
  floats, lone surrogates, byte-order marks, deep nesting, invalid UTF-8);
- the cache of parsed targets in eval against no cache.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import Design, evaluation
from sdeparse.evaluation import BadInput, decode_line, evaluate
from sdeparse.layouts import jsonl, pairs
from sdeparse.parser import Parser
from sdeparse.result import ParseResult
from sdeparse.schemas import slots
from sdeparse.testing import CORRUPTIONS, combine

TASKS = {name: sdeparse.load_task(name) for name in sdeparse.BUILTIN_TASKS}
DESIGNS = Design.all()
DESCRIPTION = st.text(alphabet=st.sampled_from('味道不错好 "\\\n😀ab,:'), max_size=8)
FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _full(parser: Parser, text: str) -> ParseResult:
    """The result of the full reading alone (no fast path), as `Parser.parse` assembles it
    under strict."""
    prediction, diagnostics = parser.diagnose(text)
    is_error = any(d.severity is not sdeparse.Severity.INFO for d in diagnostics)
    return ParseResult(
        prediction.labels, diagnostics, is_error, parser.profile.name, prediction.descriptions
    )


def _forget() -> None:
    """Empty every memo kept across outputs."""
    pairs._memos.clear()
    slots._PLAINS.clear()
    jsonl._SHAPES.clear()
    for task in TASKS.values():
        task._aspect_memo.clear()  # type: ignore[attr-defined]
        task._label_memo.clear()  # type: ignore[attr-defined]


@st.composite
def outputs(
    draw,
    task_names: list[str] | None = None,
    designs: list[Design] | None = None,
    description: st.SearchStrategy[str] = DESCRIPTION,
) -> tuple[sdeparse.Task, Design, str]:
    """A task, a design and a rendering, left alone, with one operator applied, or with two
    or three (`combine`); any task and design unless narrowed (tests/test_speed_json.py)."""
    task = TASKS[draw(st.sampled_from(task_names or sorted(TASKS)))]
    design = draw(st.sampled_from(designs or DESIGNS))
    labels = draw(
        st.fixed_dictionaries({a: st.sampled_from(task.label_names) for a in task.aspect_names})
    )
    descriptions = (
        {a: draw(description) for a in task.aspect_names} if design.has_description else {}
    )
    text = sdeparse.render(labels, task, design, descriptions)
    how = draw(st.sampled_from(("canonical", "one", "combined")))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    if how == "one":
        op = CORRUPTIONS[draw(st.sampled_from(sorted(CORRUPTIONS)))]
        if op.applies_to(design):
            text = op.apply(text, task, design, rng) or text
    elif how == "combined":
        out = combine(text, task, design, rng, draw(st.sampled_from((2, 3))))
        if out is not None:
            text = out.text
    return task, design, text


@FEW
@given(outputs())
def test_fast_path_equals_full_reading(case):
    task, design, text = case
    parser = Parser(task, design)
    assert parser.parse(text) == _full(parser, text)


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_every_operator_fast_equals_full_and_warm_equals_cold(name):
    """Every operator's output, for every design it applies to: the fast path and the full
    reading agree, and a warm memo (after many other outputs) gives what a cold one gives."""
    op = CORRUPTIONS[name]
    task = TASKS["masa-d1"]
    rng = random.Random(name)
    for design in DESIGNS:
        if not op.applies_to(design):
            continue
        parser = Parser(task, design)
        for _ in range(3):
            labels = {a: rng.choice(task.label_names) for a in task.aspect_names}
            descriptions = {a: "味道不错" for a in task.aspect_names}
            text = op.apply(sdeparse.render(labels, task, design, descriptions), task, design, rng)
            if text is None:
                continue
            warm = parser.parse(text)
            assert warm == _full(parser, text), (design.name, text)
            _forget()
            assert parser.parse(text) == warm, (design.name, text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(outputs(), min_size=2, max_size=12))
def test_memos_change_nothing(cases):
    """A sequence parsed with memos kept across outputs equals each output parsed cold."""
    warm = [sdeparse.parse(text, task, design) for task, design, text in cases]
    cold = []
    for task, design, text in cases:
        _forget()
        cold.append(sdeparse.parse(text, task, design))
    assert warm == cold


def test_memos_stay_bounded():
    """Many distinct keys and values: the memos never hold more than their bounds."""
    task = TASKS["masa-d1"]
    for i in range(3000):
        sdeparse.parse(f"键{i}：值{i}，键{i}x：正面{i}。", task, "natural")
    assert all(m.size() <= pairs._MEMO_LIMIT for m in pairs._memos.values())
    from sdeparse import task as task_module

    assert len(task._aspect_memo) <= task_module.MEMO_SIZE  # type: ignore[attr-defined]
    assert len(task._label_memo) <= task_module.MEMO_SIZE  # type: ignore[attr-defined]
    for i in range(5000):
        sdeparse.parse(f'{{"方面": "键{i}", "情感": "正面"}}', task, "json")
    assert len(jsonl._SHAPES) <= jsonl._SHAPES_MAX
    long_value = "正面" * 500
    task.resolve_label(long_value, False)
    assert (long_value, False) not in task._label_memo  # type: ignore[attr-defined]


# ---- record decoding: orjson and the standard library agree ------------------------------


def _decoded(raw: bytes, fast: bool) -> object:
    """decode_line's answer with orjson (`fast`) or with the standard library alone."""
    assert evaluation._fast_loads is not None, "orjson is a dependency"
    kept = evaluation._fast_loads
    if not fast:
        evaluation._fast_loads = None
    try:
        return ("ok", decode_line(raw))
    except BadInput as bad:
        return ("bad", bad.kind, bad.reason)
    finally:
        evaluation._fast_loads = kept


def _same(a: object, b: object) -> bool:
    """Equal, NaN included, and the same types (an int stays an int)."""
    return json.dumps(a, default=repr) == json.dumps(b, default=repr) and repr(a) == repr(b)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)

SPECIAL_LINES = [
    b'{"a": NaN, "b": Infinity, "c": -Infinity}',
    b'{"a": 1e400}',
    b'{"a": 123456789012345678901234567890}',
    b'{"a": -9223372036854775809}',
    b'{"a": 18446744073709551616}',
    b'{"a": "\\ud800"}',
    b'{"a": "\\udc00\\ud800"}',
    b"\xef\xbb\xbf" + b'{"a": 1}',
    b'{"a": 1}\r\n',
    b'{"a": "\xff"}',
    b'{"a": "\x01"}',
    b"[1, 2]",
    b'"text"',
    b"  ",
    b"",
    b'{"a": 1} x',
    b'{"a":1,"a":2}',
    b'{"a": ' + b"[" * 3000 + b"]" * 3000 + b"}",
    b'{"a": ' + b"[" * 900 + b"]" * 900 + b"}",
    b'{"a": 1' + b"0" * 5000 + b"}",
    b'{"a": 0.1, "b": -0.0, "c": 5e-324, "d": 1.7976931348623157e308}',
]


@pytest.mark.parametrize("raw", SPECIAL_LINES, ids=range(len(SPECIAL_LINES)))
def test_decode_line_special_cases_agree(raw):
    assert _same(_decoded(raw, True), _decoded(raw, False))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=4))
def test_decode_line_agrees_on_records(record):
    raw = json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")
    assert _same(_decoded(raw, True), _decoded(raw, False))


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=40) | st.text(max_size=30).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_decode_line_agrees_on_any_bytes(raw):
    assert _same(_decoded(raw, True), _decoded(raw, False))


# ---- eval: the cache of parsed targets ---------------------------------------------------


def test_gold_cache_changes_nothing(monkeypatch):
    """Records whose targets repeat (one not clean): the report equals the one made with a
    cache of one entry, emptied at every new target."""
    task = TASKS["masa-d1"]
    rng = random.Random(3)
    targets = [
        sdeparse.render(
            {a: rng.choice(task.label_names) for a in task.aspect_names}, task, "natural"
        )
        for _ in range(5)
    ] + ["食品评价：好吃"]
    records = []
    for _ in range(200):
        target = rng.choice(targets)
        records.append({"target": target, "prediction": rng.choice(targets + ["乱码"])})
    cached = evaluate(records, task, "natural").to_dict()
    monkeypatch.setattr(evaluation, "GOLD_CACHE_SIZE", 1)
    monkeypatch.setattr(evaluation, "_gold_cache", (None, {}))
    plain = evaluate(records, task, "natural").to_dict()
    assert cached == plain
    assert cached["gold_errors"] > 0


# ---- the table of whole canonical texts ----------------------------------------------------


@pytest.fixture(scope="module")
def learned_parsers():
    """Parsers whose fast path has learned its whole texts (on its first call here)."""
    from sdeparse import fastpath

    kept = fastpath.WHOLE_AFTER
    fastpath.WHOLE_AFTER = 1
    try:
        built = {}
        for name, task in TASKS.items():
            for design in DESIGNS:
                parser = Parser(task, design)
                parser.parse("")
                built[name, design.name] = parser
        yield built
    finally:
        fastpath.WHOLE_AFTER = kept


def test_whole_texts_are_learned(learned_parsers):
    """masa-d1's Natural design has 4**6 canonical texts: after learning, each is one lookup."""
    import inspect

    parser = learned_parsers["masa-d1", "natural"]
    whole = inspect.getclosurevars(parser._canonical).nonlocals["whole"]
    assert len(whole) == 4**6
    omit = learned_parsers["masa-d1", "natural+omit"]
    assert len(inspect.getclosurevars(omit._canonical).nonlocals["whole"]) == 4**6


@FEW
@given(case=outputs())
def test_learned_fast_path_equals_full_reading(learned_parsers, case):
    task, design, text = case
    parser = learned_parsers[task.name, design.name]
    first = parser.parse(text)
    assert first == _full(parser, text)
    first.labels["x"] = "changed"  # a caller's edit does not reach the table
    assert parser.parse(text) == _full(parser, text)


# ---- plain items: the pairs reader's and the resolver's shortcut for canonical items --------


@contextmanager
def _general_path_only():
    """Neither the pairs reader nor `slots.resolve` takes an item as plain, and an unwrapped
    text is never read by the canonical matcher: every item goes through the general path (the
    memos are emptied before and after, since the reader keeps the patched answers)."""
    _forget()
    with (
        mock.patch.object(pairs.PairsReader, "_plain", lambda self, key, value: False),
        mock.patch.object(slots, "_plain", lambda pair, task, numeric, plains: None),
        mock.patch.object(Parser, "_unwrapped", Parser._diagnose),
    ):
        yield
    _forget()


def _both_paths(parser: Parser, text: str) -> tuple[ParseResult, ParseResult]:
    """The full reading with the plain-item shortcuts (cold, then warm: equal) and without."""
    _forget()
    cold = _full(parser, text)
    assert _full(parser, text) == cold
    with _general_path_only():
        general = _full(parser, text)
    return cold, general


@FEW
@given(outputs())
def test_plain_items_equal_the_general_path(case):
    """Renderings, one operator or two or three at once, any task and design: the reading with
    plain items taken at once equals the reading of every item by the general path (labels,
    diagnostics with spans and messages, descriptions)."""
    task, design, text = case
    fast, general = _both_paths(Parser(task, design), text)
    assert fast == general


#: Characters of the pairs layouts: keys, labels, colons, separators, spaces, list markers and
#: a joiner.
PAIRS_WORDS = "食品评价饮品正面负面中性未提及：:，,。.\n 1-*和"


@FEW
@given(
    st.sampled_from(sorted(TASKS)),
    st.sampled_from([d for d in DESIGNS if not d.is_json]),
    st.text(alphabet=st.sampled_from(PAIRS_WORDS), max_size=40),
)
def test_plain_items_equal_the_general_path_on_any_pairs_text(name, design, text):
    """Arbitrary strings of the pairs layouts' marks and words (keys, labels, colons,
    separators, spaces, list markers, joiners): both paths agree."""
    fast, general = _both_paths(Parser(TASKS[name], design), text)
    assert fast == general


def operator_outputs(
    name: str, tasks: list[sdeparse.Task], designs: list[Design], descriptions: tuple[str, ...]
) -> Iterator[tuple[Parser, str]]:
    """Operator `name`'s outputs on renderings of each task and design it applies to, one per
    entry of `descriptions` (every aspect's description), alone and then combined with
    another operator, each with the parser of its task and design; seeded by the name."""
    op = CORRUPTIONS[name]
    rng = random.Random(name)
    for task in tasks:
        for design in designs:
            if not op.applies_to(design):
                continue
            parser = Parser(task, design)
            for description in descriptions:
                labels = {a: rng.choice(task.label_names) for a in task.aspect_names}
                described = dict.fromkeys(task.aspect_names, description)
                text = op.apply(sdeparse.render(labels, task, design, described), task, design, rng)
                if text is None:
                    continue
                yield parser, text
                more = combine(text, task, design, rng, 2)
                if more is not None:
                    yield parser, more.text


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_every_operator_plain_items_equal_the_general_path(name):
    """Every operator's output, for every design and task it applies to, alone and combined
    with others: both paths agree."""
    for parser, text in operator_outputs(name, list(TASKS.values()), DESIGNS, ("味道不错",) * 2):
        fast, general = _both_paths(parser, text)
        assert fast == general, (parser.task.name, parser.design.name, text)


def test_plain_items_are_taken():
    """The shortcuts do fire on a deviating output whose other items are canonical (so the
    differential tests above compare two different paths)."""
    task = TASKS["masa-d1"]
    labels = {a: task.label_names[0] for a in task.aspect_names}
    text = sdeparse.render(labels, task, "natural").replace("，", "；", 1)
    _forget()
    result = sdeparse.parse(text, task, "natural")
    assert result.codes == [sdeparse.Code.PUNCTUATION]
    memo = next(iter(pairs._memos.values()))
    assert sum(memo.plains.values()) >= 1
    table = slots._plains_of(task, False)
    assert any(found is not None for found in table.values())


def test_wrapped_canonical_answer_is_matched():
    """A canonical answer after a think block: the unwrapped text goes to the canonical
    matcher (the general reading is never asked), with the block's note as the diagnostic."""
    task = TASKS["masa-d1"]
    labels = {a: task.label_names[1] for a in task.aspect_names}
    text = "<think>好的</think>" + sdeparse.render(labels, task, "lines")
    parser = Parser(task, "lines")
    with mock.patch.object(Parser, "_diagnose", side_effect=AssertionError("read in full")):
        fast = parser.parse(text)
    assert fast.labels == labels and fast.codes == [sdeparse.Code.REASONING_BLOCK]
    _, general = _both_paths(parser, text)
    assert fast == general


def test_plain_tables_stay_bounded():
    """Many distinct plain-looking pairs: the resolver's table never outgrows its bound."""
    task = TASKS["masa-d1"]
    _forget()
    for i in range(slots._PLAIN_LIMIT + 500):
        sdeparse.parse(f"键{i}：正面，食品评价：负面{i}。", task, "natural")
    assert len(slots._plains_of(task, False)) <= slots._PLAIN_LIMIT
    assert all(m.size() <= pairs._MEMO_LIMIT for m in pairs._memos.values())
