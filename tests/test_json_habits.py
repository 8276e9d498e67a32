"""JSON written by other habits: keys in another language or case (recognised by their
values, json_key), pretty-printed objects and arrays, a comma after every object, a wrapper
object around the array. Exact codes and spans for a table of examples; the records' spans;
each habit's writing of any label map reads back to the truth; keys that tell nothing unique
are never guessed."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import Code, Design
from sdeparse.layouts.jsonl import read_json
from sdeparse.records import Diagnostics
from sdeparse.schemas.slots import SlotSchema
from sdeparse.testing import CORRUPTIONS

TASKS = {name: sdeparse.load_task(name) for name in ("masa-d1", "restaurant-en", "masa-all")}
HABITS = (
    "english_json_keys",
    "capitalized_json_keys",
    "pretty_objects",
    "pretty_array",
    "comma_after_objects",
)
JSON_DESIGNS = ("json", "json+numeric", "json+omit", "cot", "cot+numeric", "rcot", "rcot+omit")


def _diags(
    text: str, task: str, design: str
) -> tuple[dict[str, str], list[tuple[str, str, int, int]]]:
    """The labels not given the placeholder, and every diagnostic but missing_aspect."""
    result = sdeparse.parse(text, task, design)
    placeholder = TASKS[task].placeholder
    labels = {a: v for a, v in result.labels.items() if v != placeholder}
    diags = [
        (d.code.value, d.severity.value, d.start, d.end)
        for d in result.diagnostics
        if d.code is not Code.MISSING_ASPECT
    ]
    return labels, diags


EN_KEYS = (
    '{"aspect": "食品评价", "sentiment": "正面"},\n{"aspect": "价格水平", "sentiment": "负面"},'
)
CASES = [
    pytest.param(
        "masa-d1",
        "json",
        EN_KEYS,
        {"食品评价": "正面", "价格水平": "负面"},
        [
            ("json_key", "warning", 1, 30),
            ("json_syntax", "warning", 37, 38),
            ("json_key", "warning", 40, 69),
            ("json_syntax", "warning", 76, 77),
        ],
        id="english-keys-comma-after",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"Aspect": "食品评价", "Sentiment": "正面"}',
        {"食品评价": "正面"},
        [("json_key", "warning", 1, 30)],
        id="capitalised-keys-chinese-task",
    ),
    pytest.param(
        "restaurant-en",
        "json",
        '{"Aspect": "food", "Sentiment": "positive"}\n{"ASPECT": "price", "sentiment": "negative"}',
        {"food": "positive", "price": "negative"},
        [("json_key", "warning", 1, 30), ("json_key", "warning", 45, 53)],
        id="capitalised-keys-up-to-case",
    ),
    pytest.param(
        "restaurant-en",
        "json",
        '{"方面": "food", "情感": "positive"}',
        {"food": "positive"},
        [("json_key", "warning", 1, 19)],
        id="chinese-keys-english-task",
    ),
    pytest.param(
        "masa-d1",
        "json+numeric",
        '{"aspect": "食品评价", "sentiment": 1}\n{"aspect": "价格水平", "sentiment": -1}',
        {"食品评价": "正面", "价格水平": "负面"},
        [("json_key", "warning", 1, 30), ("json_key", "warning", 36, 65)],
        id="numeric-labels-bare-numbers-no-json-syntax",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"category": "食品评价", "polarity": "正面"}',
        {"食品评价": "正面"},
        [("json_key", "warning", 1, 31)],
        id="other-names-told-by-values",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"sentiment": "正面", "aspect": "食品评价"}',
        {"食品评价": "正面"},
        [("json_key", "warning", 1, 28)],
        id="other-order",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"a": "食品评价", "b": "正面"}',
        {"食品评价": "正面"},
        [("json_key", "warning", 1, 17)],
        id="unknown-names-unique-values",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"方面": "食品评价", "sentiment": "正面"}',
        {"食品评价": "正面"},
        [("json_key", "warning", 15, 26)],
        id="only-the-label-key-otherwise",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"x": "食品评价", "y": "价格水平", "z": "正面"}',
        {},
        [
            ("malformed_item", "error", 0, 37),
            ("extra_text", "warning", 1, 12),
            ("extra_text", "warning", 14, 25),
            ("extra_text", "warning", 27, 36),
        ],
        id="two-aspect-values-not-guessed",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"aspect": "食品评价", "x": "正面", "y": "负面"}',
        {},
        [
            ("json_key", "warning", 1, 9),
            ("missing_field", "error", 0, 40),
            ("extra_text", "warning", 19, 28),
            ("extra_text", "warning", 30, 39),
        ],
        id="two-label-values-not-guessed",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"x": "正面"}',
        {},
        [("malformed_item", "error", 0, 11), ("extra_text", "warning", 1, 10)],
        id="label-without-aspect-not-renamed",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"食品评价": "正面", "价格水平": "负面"}',
        {"食品评价": "正面", "价格水平": "负面"},
        [("format_mismatch", "warning", 0, 28)],
        id="mapping-unchanged",
    ),
    pytest.param(
        "masa-d1",
        "cot",
        '{"aspect": "食品评价", "description": "菜很好吃", "sentiment": "正面"}',
        {"食品评价": "正面"},
        [("json_key", "warning", 1, 53)],
        id="cot-english-keys",
    ),
    pytest.param(
        "masa-d1",
        "rcot",
        '{"aspect": "食品评价", "description": "菜很好吃", "sentiment": "正面"}',
        {"食品评价": "正面"},
        [("format_mismatch", "warning", 0, 60), ("json_key", "warning", 1, 53)],
        id="cot-order-in-rcot-still-seen",
    ),
    pytest.param(
        "masa-d1",
        "rcot",
        '{"Aspect": "食品评价", "Sentiment": "正面", "Note": "菜很好吃"}',
        {"食品评价": "正面"},
        [("json_key", "warning", 1, 44)],
        id="rcot-description-the-one-left",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"aspect": "食品评价", "reason": "菜很好吃", "sentiment": "正面"}',
        {"食品评价": "正面"},
        [("format_mismatch", "warning", 0, 55), ("json_key", "warning", 1, 48)],
        id="reason-field-in-json-is-cot",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"aspect": "食品评价", "note": "x", "sentiment": "正面"}',
        {"食品评价": "正面"},
        [("json_key", "warning", 1, 43), ("extra_text", "warning", 19, 30)],
        id="other-field-in-json-stays-extra",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"aspect": "食品评价", "sentiment": "正',
        {},
        [("json_key", "warning", 1, 30), ("truncated", "error", 0, 34)],
        id="cut-inside-the-label",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"aspect": "食品评价", "sentiment": "好吃"}',
        {},
        [("json_key", "warning", 1, 30), ("invalid_label", "error", 32, 36)],
        id="label-named-by-its-key-judged-invalid",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"aspect": "食品评价", "sentiment": "正面负面"}',
        {},
        [("json_key", "warning", 1, 30), ("ambiguous_label", "error", 32, 38)],
        id="label-named-by-its-key-judged-ambiguous",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"aspect": "食品评价", "x": "好吃"}',
        {},
        [
            ("missing_field", "error", 0, 29),
            ("json_key", "warning", 1, 9),
            ("extra_text", "warning", 19, 28),
        ],
        id="no-label-by-value-or-name",
    ),
    pytest.param(
        "masa-d1",
        "json",
        json.dumps({"方面": "食品评价", "情感": "正面"}, ensure_ascii=False, indent=2)
        + "\n"
        + json.dumps({"方面": "价格水平", "情感": "负面"}, ensure_ascii=False, indent=2),
        {"食品评价": "正面", "价格水平": "负面"},
        [("punctuation", "info", 0, 32), ("punctuation", "info", 33, 65)],
        id="pretty-objects",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '```json\n[\n  {"方面": "食品评价", "情感": "正面"},\n'
        '  {"方面": "价格水平", "情感": "负面"}\n]\n```',
        {"食品评价": "正面", "价格水平": "负面"},
        [
            ("extra_text", "warning", 0, 7),
            ("format_mismatch", "warning", 0, 74),
            ("extra_text", "warning", 71, 74),
        ],
        id="pretty-array-in-fence",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"results": [{"方面": "食品评价", "情感": "正面"}, {"方面": "价格水平", "情感": "负面"}]}',
        {"食品评价": "正面", "价格水平": "负面"},
        [
            ("extra_text", "warning", 0, 13),
            ("format_mismatch", "warning", 0, 69),
            ("json_syntax", "warning", 12, 13),
            ("json_syntax", "warning", 39, 40),
            ("json_syntax", "warning", 68, 69),
        ],
        id="wrapper-object",
    ),
    pytest.param(
        "masa-d1",
        "json",
        '{"aspects": [{"aspect": "食品评价", "sentiment": "正面"}]}',
        {"食品评价": "正面"},
        [
            ("extra_text", "warning", 0, 13),
            ("format_mismatch", "warning", 0, 52),
            ("json_syntax", "warning", 12, 13),
            ("json_key", "warning", 14, 43),
            ("json_syntax", "warning", 51, 52),
        ],
        id="wrapper-and-english-keys",
    ),
]


@pytest.mark.parametrize(("task", "design", "text", "labels", "diags"), CASES)
def test_examples(task, design, text, labels, diags):
    got_labels, got = _diags(text, task, design)
    assert got_labels == labels
    assert sorted(got, key=lambda d: (d[2], d[3])) == sorted(diags, key=lambda d: (d[2], d[3]))


def _records(text: str, task_name: str, design_name: str):
    task, design = TASKS[task_name], Design.parse(design_name)
    diags = Diagnostics()
    return read_json(text, task, design, SlotSchema(task, design), diags).records, diags


@pytest.mark.parametrize("fast", [True, False])
def test_record_spans_are_the_values(fast):
    """A renamed member's record points at its value as written, the description too."""
    text = '{"Aspect": "食品评价", "reason": "菜\\n好吃", "Sentiment": "正面"}'
    task, design = TASKS["masa-d1"], Design.parse("cot")
    diags = Diagnostics()
    records = read_json(text, task, design, SlotSchema(task, design), diags, fast=fast).records
    (rec,) = records
    assert text[rec.key.start : rec.key.end] == '"食品评价"' and rec.key.text == "食品评价"
    assert rec.value is not None and text[rec.value.start : rec.value.end] == '"正面"'
    assert rec.description is not None and rec.description.text == "菜\n好吃"
    assert text[rec.description.start : rec.description.end] == '"菜\\n好吃"'
    assert (rec.start, rec.end) == (0, len(text))
    assert [d.code for d in diags] == [Code.JSON_KEY]
    assert (diags[0].start, diags[0].end) == (1, text.index('"Sentiment"') + len('"Sentiment"'))


def test_one_json_key_per_object():
    text = "\n".join(
        json.dumps({"Aspect": a, "Sentiment": "正面", "Description": "好"}, ensure_ascii=False)
        for a in ("食品评价", "价格水平", "卫生情况")
    )
    result = sdeparse.parse(text, "masa-d1", "cot")
    assert [d.code for d in result.diagnostics].count(Code.JSON_KEY) == 3
    assert sum(v == "正面" for v in result.labels.values()) == 3


def test_canonical_output_untouched():
    """Canonical JSON still reads with no diagnostic (no key is renamed)."""
    task = TASKS["masa-d1"]
    for name in JSON_DESIGNS:
        labels = {a: task.label_names[i % 4] for i, a in enumerate(task.aspect_names)}
        text = sdeparse.render(labels, task, name, dict.fromkeys(labels, "好吃"))
        assert sdeparse.parse(text, task, name).diagnostics == []


# ---- every habit's writing reads back to the truth --------------------------------------

DESCRIPTION = st.text(
    alphabet=st.sampled_from('味道不错好正面负面食品评价 "\\\nfoodpositive,:'), max_size=10
)


@st.composite
def _truth(draw, task, design):
    labels = draw(
        st.fixed_dictionaries({a: st.sampled_from(task.label_names) for a in task.aspect_names})
    )
    descriptions = {a: draw(DESCRIPTION) for a in task.aspect_names}
    return labels, descriptions if design.has_description else None


@pytest.mark.parametrize("habit", HABITS)
@pytest.mark.parametrize("design_name", JSON_DESIGNS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_habit_reads_back(habit, design_name, data, seed):
    op, design = CORRUPTIONS[habit], Design.parse(design_name)
    task = TASKS[data.draw(st.sampled_from(sorted(TASKS)))]
    labels, descriptions = data.draw(_truth(task, design))
    text = sdeparse.render(labels, task, design, descriptions)
    out = op.apply(text, task, design, random.Random(seed))
    if out is None:  # an OU answer with nothing mentioned
        assert text == ""
        return
    result = sdeparse.parse(out, task, design)
    assert op.code in result.codes, (out, result.codes)
    assert result.labels == labels, out
    if design.has_description and descriptions is not None:
        for aspect, label in labels.items():
            if not (design.omit_unmentioned and label == task.placeholder):
                assert result.descriptions.get(aspect, "") == descriptions[aspect]


KEY_NAMES = st.sampled_from(
    [
        "aspect",
        "Aspect",
        "category",
        "sentiment",
        "Sentiment",
        "label",
        "polarity",
        "reason",
        "description",
        "方面",
        "情感",
        "描述",
        "维度",
        "评价",
        "x",
        "y",
        "note",
        "value",
    ]
)
VALUES = st.sampled_from(
    [
        "食品评价",
        "价格水平",
        "食品",
        "正面",
        "负面",
        "中性",
        "未提及",
        "好吃",
        "不是正面",
        "",
        "正面负面",
        "food",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    members=st.lists(st.tuples(KEY_NAMES, VALUES), min_size=1, max_size=4),
    design_name=st.sampled_from(["json", "cot", "rcot"]),
)
def test_never_a_guess(members, design_name):
    """Whatever keys an object spells: an aspect it fills is named by a member's value and its
    label by another's; and without the task's aspect key, when several members not under the
    task's keys have values naming aspects and their key names do not single one out, nothing
    is filled."""
    text = "{" + ", ".join(f'"{k}": "{v}"' for k, v in members) + "}"
    task = TASKS["masa-d1"]
    result = sdeparse.parse(text, task, design_name)
    filled = {a: v for a, v in result.labels.items() if v != task.placeholder}
    values = [v for _, v in members]
    named = {a for v in values for a in task.resolve_aspect(v).aspects}
    labels = {task.resolve_label(v, False).label for v in values}
    for aspect, label in filled.items():
        assert aspect in named and label in labels, text
    if "方面" not in [k for k, _ in members]:
        asserting = [
            (k, v)
            for k, v in members
            if task.resolve_aspect(v).aspects and k not in ("情感", "描述")
        ]
        by_name = [k for k, _ in asserting if k.casefold() in ("aspect", "category", "维度")]
        if len(asserting) > 1 and len(by_name) != 1:
            assert filled == {}, text
