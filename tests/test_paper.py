"""The `paper` profile against SPEC §3, with every expectation worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse.paper import paper_decide
from sdeparse.paper.schema import paper_rules, paper_rules_of

D1 = sdeparse.load_task("masa-d1")
D2 = sdeparse.load_task("masa-d2")


def full(task, **given):
    """Every aspect of the task: the given labels, the placeholder elsewhere."""
    return {a: given.get(a, "未提及") for a in task.aspect_names}


# (design, output, expected labels given by hand, expected paper format error)
CASES = [
    # rule 1: split on ，, then ：; a piece without ： is a split error, the rest is kept
    (
        "natural",
        "食品评价：中性，，饮品评价：正面。",
        {"食品评价": "中性", "饮品评价": "正面"},
        True,
    ),
    (
        "natural",
        "食品评价：正面，很好吃，饮品评价：负面。",
        {"食品评价": "正面", "饮品评价": "负面"},
        True,
    ),
    # a trailing newline keeps the 。 from being stripped: value 负面。\n still maps to 负面
    (
        "natural",
        "食品评价：正面，饮品评价：负面。\n",
        {"食品评价": "正面", "饮品评价": "负面"},
        False,
    ),
    # the empty string and whitespace only are both format errors
    ("natural", "", {}, True),
    ("natural", "   ", {}, True),
    ("lines", "\n \n", {}, True),
    # key before the first ：, value between the first and second ：
    ("natural", "输出：食品评价：中性", {}, False),
    (
        "natural",
        "食品评价：中性：很好，价格水平：负面。",
        {"食品评价": "中性", "价格水平": "负面"},
        False,
    ),
    # ； is no separator for the script: one piece, value 正面；饮品评价 -> 正面, no error
    ("natural", "食品评价：正面；饮品评价：负面。", {"食品评价": "正面"}, False),
    # a Lines answer from a Natural model: one piece, value 正面\n饮品评价 -> 正面
    ("natural", "食品评价：正面\n饮品评价：负面", {"食品评价": "正面"}, False),
    # Lines: surrounding newlines stripped, a blank line inside is a split error
    (
        "lines",
        "\n食品评价：正面\n饮品评价：负面\n",
        {"食品评价": "正面", "饮品评价": "负面"},
        False,
    ),
    ("lines", "食品评价：正面\n\n饮品评价：负面", {"食品评价": "正面", "饮品评价": "负面"}, True),
    ("lines", "食品评价：正面\n价格很贵", {"食品评价": "正面"}, True),
    # rule 2: numeric labels mapped; an unknown code drops the pair and is an error
    (
        "natural+numeric",
        "食品评价：1，饮品评价：-1，价格水平：0。",
        {"食品评价": "正面", "饮品评价": "负面", "价格水平": "中性"},
        False,
    ),
    ("natural+numeric", "食品评价：1，饮品评价：5。", {"食品评价": "正面"}, True),
    ("natural+numeric", "食品评价：正面，饮品评价：-1。", {"饮品评价": "负面"}, True),
    # rule 4: keyword soft matching, in output order, one key may fill several aspects
    ("natural", "食品：正面，饮品情况：负面。", {"食品评价": "正面", "饮品评价": "负面"}, False),
    ("natural", "食品饮品评价：正面。", {"食品评价": "正面", "饮品评价": "正面"}, False),
    ("natural", "食品：正面，食品评价：负面。", {"食品评价": "正面"}, False),
    # the very same key twice: the later value replaces the earlier one
    ("natural", "食品评价：正面，食品评价：负面。", {"食品评价": "负面"}, False),
    ("natural", "环境：正面，服务态度：负面。", {"服务人员态度": "负面"}, False),
    # rule 5: the first rule substring in the order 积极 正向 正面 中性 消极 负向 负面 未提及
    ("natural", "食品评价：负面偏正面。", {"食品评价": "正面"}, False),
    ("natural", "食品评价：中性偏负面。", {"食品评价": "中性"}, False),
    (
        "natural",
        "食品评价：消极，饮品评价：正向，价格水平：负向。",
        {"食品评价": "负面", "饮品评价": "正面", "价格水平": "负面"},
        False,
    ),
    ("natural", "食品评价：比较积极但有点负面。", {"食品评价": "正面"}, False),
    # rule 6: a value naming no label becomes the placeholder, silently
    ("natural", "食品评价：好吃，饮品评价：正面。", {"饮品评价": "正面"}, False),
    # OU gets the Natural rules plus rule 6
    ("natural+omit", "价格水平：负面。", {"价格水平": "负面"}, False),
    # the empty OU answer: legal for the design, an "empty output" error for the script
    ("natural+omit", "", {}, True),
    # rule 3: a dict literal per line; single quotes and trailing commas count as fine
    ("json", "{'方面': '食品评价', '情感': '正面'}", {"食品评价": "正面"}, False),
    ("json", '{"方面": "食品评价", "情感": "正面",}', {"食品评价": "正面"}, False),
    (
        "json",
        "{'方面': '食品评价', '情感': '负面',}\n{'方面': '饮品评价', '情感': '中性'}",
        {"食品评价": "负面", "饮品评价": "中性"},
        False,
    ),
    ("json", '\n{"方面": "食品评价", "情感": "正面"}\n', {"食品评价": "正面"}, False),
    # raw values through rule 5 in a fine dict line too
    ("json", '{"方面": "食品评价", "情感": "负面偏正面"}', {"食品评价": "正面"}, False),
    # not a dict: fallback strips "{} only, splits on ", " and ": "; raw value 正面"}, -> 正面
    (
        "json",
        '[\n{"方面": "食品评价", "情感": "正面"},\n{"方面": "饮品评价", "情感": "负面"}\n]',
        {"食品评价": "正面", "饮品评价": "负面"},
        True,
    ),
    (
        "json",
        '{"方面": "食品评价", "情感": "未提及"},\n{"方面": "饮品评价", "情感": "负面"}',
        {"饮品评价": "负面"},
        True,
    ),
    # a one-line array: [ is not stripped, so the first key is [{"方面 and nothing is recorded
    (
        "json",
        '[{"方面": "食品评价", "情感": "正面"}, {"方面": "饮品评价", "情感": "负面"}]',
        {},
        True,
    ),
    # code fences are errors, the object between them is still read
    ("json", '```json\n{"方面": "食品评价", "情感": "正面"}\n```', {"食品评价": "正面"}, True),
    # a missing closing brace: fallback strips the leading {" and reads both fields
    (
        "json",
        '{"方面": "食品评价", "情感": "中性"\n{"方面": "饮品评价", "情感": "正面"}',
        {"食品评价": "中性", "饮品评价": "正面"},
        True,
    ),
    # two objects on one JSON line: fallback records once per line, the later 情感 wins
    (
        "json",
        '{"方面": "食品评价", "情感": "正面"}, {"方面": "饮品评价", "情感": "负面"}',
        {"食品评价": "负面"},
        True,
    ),
    # CoT / R-CoT: normalization helps the labels, the error count comes from the raw text
    (
        "cot",
        '{"方面": "食品评价", "描述": "好吃", "情感": "正面"}, '
        '{"方面": "饮品评价", "描述": "一般", "情感": "中性"}',
        {"食品评价": "正面", "饮品评价": "中性"},
        True,
    ),
    ("rcot", '{"方面": "食品评价"， "情感": "负面"， "描述": "难吃"}', {"食品评价": "负面"}, True),
    ("cot", '{"方面": "食品评价"; "描述": "好吃"; "情感": "正面"}', {"食品评价": "正面"}, True),
    (
        "cot",
        '{"方面": "食品评价", "描述": "好吃", "情感": "正面"},\n'
        '{"方面": "饮品评价", "描述": "一般", "情感": "中性"}',
        {"食品评价": "正面", "饮品评价": "中性"},
        True,
    ),
    ("cot", '{"方面": "食品评价", "描述": "好吃", "情感": "积极"}', {"食品评价": "正面"}, False),
]


@pytest.mark.parametrize(("design", "text", "given", "error"), CASES, ids=range(len(CASES)))
def test_paper_decisions(design, text, given, error):
    result = sdeparse.parse(text, D1, design, profile="paper")
    assert result.profile == "paper"
    assert result.labels == full(D1, **given)
    assert result.is_format_error is error


def test_d2_keywords():
    """排队 or 等候 both name 排队等候情况; 交通 names 交通便利程度."""
    text = "等候时间：负面，交通：正面，嘈杂：中性。"
    result = sdeparse.parse(text, D2, "natural", profile="paper")
    assert result.labels == full(D2, 排队等候情况="负面", 交通便利程度="正面", 嘈杂情况="中性")
    assert not result.is_format_error


def test_paper_keeps_diagnostics_and_differs_from_strict():
    """The paper profile hides ； as a slip and loses content; strict reports and recovers."""
    text = (
        "食品评价：正面；饮品评价：负面，价格水平：中性，卫生情况：未提及，"
        "服务人员态度：正面，停车方便程度：未提及。"
    )
    paper = sdeparse.parse(text, D1, "natural", profile="paper")
    strict = sdeparse.parse(text, D1, "natural")
    assert paper.labels["饮品评价"] == "未提及" and not paper.is_format_error
    assert strict.labels["饮品评价"] == "负面"
    assert "punctuation" in paper.codes and paper.diagnostics == strict.diagnostics


def test_strict_refuses_what_paper_maps():
    """负面偏正面: paper says 正面 (rule 5 order), strict refuses to guess."""
    text = "食品评价：负面偏正面，饮品评价：未提及，价格水平：未提及，卫生情况：未提及。"
    assert sdeparse.parse(text, D1, "natural", profile="paper").labels["食品评价"] == "正面"
    strict = sdeparse.parse(text, D1, "natural")
    assert strict.labels["食品评价"] == "未提及" and "ambiguous_label" in strict.codes


def test_never_executes_output(tmp_path):
    """A line that would run code under eval is neither run nor accepted as a dict literal."""
    marker = tmp_path / "ran"
    text = (
        '{"方面": "食品评价", "情感": open(' + repr(str(marker)) + ', "w").write("x") and "正面"}'
    )
    result = sdeparse.parse(text, D1, "json", profile="paper")
    assert not marker.exists()
    assert result.is_format_error


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=2),
    max_leaves=3,
)


@given(
    st.dictionaries(st.text(max_size=4), _JSON_VALUES, max_size=3),
    st.sampled_from(["", " ", "  # x", ",", "}"]),
)
def test_json_lines_are_read_as_the_syntax_tree_reads_them(data, tail) -> None:
    """The JSON fast path of the paper's dict reading gives what the syntax tree gives."""
    from sdeparse.paper.reader import _dict_from_tree, _dict_literal

    for line in (json.dumps(data) + tail, json.dumps(data, ensure_ascii=False) + tail):
        fast, slow = _dict_literal(line), _dict_from_tree(line.strip())
        if slow is None or fast is None:
            assert fast is slow
        else:
            assert fast.keys() == slow.keys()
            for key in fast:
                a, b = fast[key], slow[key]
                assert (type(a), a) == (type(b), b) or (
                    type(a).__name__ == type(b).__name__ == "_Container"
                ) or (a != a and b != b)


_RAW = st.text(alphabet=st.characters(blacklist_characters='"\\'), max_size=5)


@given(st.lists(st.tuples(_RAW, _RAW | st.integers().map(str)), min_size=1, max_size=3))
def test_flat_lines_written_by_hand_are_read_as_the_syntax_tree_reads_them(members) -> None:
    """Raw lines (control characters, line breaks and NULs inside strings included): the flat
    object regex of the paper's dict reading agrees with the syntax tree."""
    from sdeparse.paper.reader import _dict_from_tree, _dict_literal

    line = "{" + ", ".join(
        f'"{key}": ' + (value if value.lstrip("-").isdigit() else f'"{value}"')
        for key, value in members
    ) + "}"
    assert _dict_literal(line) == _dict_from_tree(line.strip())


# ---- the paper's rules for any task (see README, Profiles) --------------------------------------
# The released script knew only MASA; for another task its rules are read from the task: its own
# punctuation (marks without their spaces, keys and values stripped when the marks carry spaces),
# aspect names as keywords when none are given, rules derived from the labels (longest first)
# when the task gives none, and case-insensitive matching for keywords and rules in letters.

EN = sdeparse.load_task("restaurant-en")
GADGETS = sdeparse.load_task(Path(__file__).parent / "fixtures" / "paper" / "gadgets.toml")
CLASSIFICATION_TASKS = [sdeparse.load_task(name) for name in sdeparse.BUILTIN_TASKS]
DESIGNS = sdeparse.Design.all()


def filled(task, **given):
    """Every aspect of the task: the given labels, the task's placeholder elsewhere."""
    return {a: given.get(a, task.placeholder) for a in task.aspect_names}


def _assert_paper_reads_canonical(task, design, truth):
    text = sdeparse.render(truth, task, design)
    labels, error = paper_decide(text, task, design)  # the script's reading, no fast path
    assert labels == truth, (design, text)
    assert error is (text == ""), (design, text)  # only the empty OU answer is an error
    assert sdeparse.parse(text, task, design, profile="paper").labels == truth


@pytest.mark.parametrize("task", [EN, GADGETS], ids=["restaurant-en", "gadgets"])
@pytest.mark.parametrize("design", DESIGNS, ids=[str(d) for d in DESIGNS])
def test_canonical_outputs_give_the_truth_under_paper(task, design):
    cycle = task.label_names * len(task.aspect_names)
    for shift in range(len(task.label_names)):
        truth = dict(zip(task.aspect_names, cycle[shift:], strict=False))
        _assert_paper_reads_canonical(task, design, truth)
    _assert_paper_reads_canonical(task, design, filled(task))


@given(st.data())
@settings(max_examples=150, deadline=None)
def test_paper_reads_every_rendering_of_every_builtin_task(data):
    task = data.draw(st.sampled_from(CLASSIFICATION_TASKS), label="task")
    design = data.draw(st.sampled_from(DESIGNS), label="design")
    truth = {a: data.draw(st.sampled_from(task.label_names), label=a) for a in task.aspect_names}
    _assert_paper_reads_canonical(task, design, truth)


@pytest.mark.parametrize(
    ("task", "design", "text", "given", "error"),
    [
        # the released code splits at the mark; the task's spaces around it are no part of
        # the code, so numeric codes read
        (EN, "natural+numeric", "food: 1, price: -1", {"food": "positive", "price": "negative"},
         False),
        (EN, "natural+numeric", "food:1,price:-1.", {"food": "positive", "price": "negative"},
         False),
        (EN, "lines+numeric", "food: 1\nprice:  -1 ", {"food": "positive", "price": "negative"},
         False),
        # an unknown code is still a split error that drops its pair (rule 2)
        (EN, "natural+numeric", "food: 1, price: 5", {"food": "positive"}, True),
        (EN, "natural+numeric", "food: positive", {}, True),
        # keywords and label rules in letters match case-insensitively
        (EN, "natural", "Food: Positive", {"food": "positive"}, False),
        (EN, "lines", "FOOD: NEGATIVE\nDrinks: Neutral", {"food": "negative", "drinks": "neutral"},
         False),
        (EN, "json", '{"aspect": "Food", "sentiment": "Positive"}', {"food": "positive"}, False),
        # keywords are substrings (rule 4), synonyms and contains are rules (rule 5)
        (EN, "natural", "food quality: good, drink menu: mixed.",
         {"food": "positive", "drinks": "neutral"}, False),
        # longest rule first: "not mentioned" is tried before anything it contains
        (EN, "natural", "price: not mentioned, service: very positive",
         {"service": "positive"}, False),
        # a piece without the mark is a split error, the rest is kept (rule 1)
        (EN, "natural", "food: positive, tasty, price: negative",
         {"food": "positive", "price": "negative"}, True),
        # the custom task: its own marks, aspect names as keywords, capitalised labels
        (GADGETS, "natural+numeric", "battery life = 1 | price tag = -1",
         {"Battery Life": "Good", "Price Tag": "Poor"}, False),
        (GADGETS, "natural", "BATTERY LIFE = GREAT | Screen = so-so | the price tag = quite poor!",
         {"Battery Life": "Good", "Screen": "Fair", "Price Tag": "Poor"}, False),
        (GADGETS, "lines", "support=AWFUL\nscreen =good", {"Support": "Poor", "Screen": "Good"},
         False),
        # its pair separator is |, not the comma: one piece, value "Good, Screen" -> Good
        (GADGETS, "natural", "Support = Good, Screen = Poor", {"Support": "Good"}, False),
        # an alias is no keyword (the script matches keywords only)
        (GADGETS, "natural", "cost = Poor | Screen = Fair", {"Screen": "Fair"}, False),
    ],
)  # fmt: skip
def test_paper_rules_beyond_masa(task, design, text, given, error):
    result = sdeparse.parse(text, task, design, profile="paper")
    assert result.labels == filled(task, **given)
    assert result.is_format_error is error


def test_derived_rules_are_the_labels_longest_first():
    rules = paper_rules(GADGETS)
    assert [len(sub) for sub, _ in rules] == sorted((len(sub) for sub, _ in rules), reverse=True)
    assert dict(rules) == {
        "not said": "Absent", "absent": "Absent", "great": "Good", "so-so": "Fair",
        "awful": "Poor", "good": "Good", "fair": "Fair", "poor": "Poor",
    }  # fmt: skip
    for task in [*CLASSIFICATION_TASKS, GADGETS]:
        for label in task.label_names:  # each label's own name maps to itself
            assert sdeparse.paper.paper_label(task, label) == label
            assert sdeparse.paper.paper_label(task, label.upper()) == label


def test_masa_keeps_the_scripts_own_rules():
    for task in (D1, D2, sdeparse.load_task("masa-all")):
        rules = paper_rules_of(task)
        assert rules.labels == task.paper_label_rules
        assert not (rules.fold_keys or rules.fold_values or rules.spaced)
        assert rules.keywords == tuple((a.name, a.keywords) for a in task.aspects)
    # no spaces stripped for MASA: a space before a numeric code still drops the pair
    result = sdeparse.parse("食品评价： 1，价格水平：-1。", D1, "natural+numeric", profile="paper")
    assert result.labels == full(D1, 价格水平="负面") and result.is_format_error


@pytest.mark.parametrize("design", ["json", "cot", "rcot", "json+numeric"])
def test_deep_nesting_never_crashes_the_paper_reader(design):
    """A JSON line nested 200,000 deep made the C decoder raise RecursionError (the long
    outputs benchmark found it): it is a line the script could not read, a format error."""
    for text in ('{"方面": "食品评价", "情感": ' + "[" * 200_000, '{"a":' * 200_000):
        result = sdeparse.parse(text, "masa-d1", design, "paper")
        assert result.is_format_error
        assert set(result.labels.values()) == {"未提及"}


def test_a_lone_surrogate_reads_as_the_syntax_tree_reads_it():
    """Found by the property above: the flat-object regex took '{"\\ud800": ""}' as a dict,
    while Python's parser (the script's eval) rejects the line."""
    from sdeparse.paper.reader import _dict_from_tree, _dict_literal

    for line in ('{"\ud800": ""}', '{"方面": "食品评价", "情感": "正\udc00面"}'):
        assert _dict_literal(line) is None and _dict_from_tree(line) is None
